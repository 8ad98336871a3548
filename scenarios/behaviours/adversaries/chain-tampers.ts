// Tampers whose forgeries are built from the chain the node holds: blocks planted through
// block sync (justify-sibling) and a block re-including an entry of the chain with the
// log state recomputed (seq-repeat). Each replaces the node's own proposal of the round
// when it makes its forgery, so that the forgery is the round's only block: the round
// then times out on an honest cluster (as under `silent`), and a replica that accepted
// the forgery would vote for it.
import { bytesEqual } from '../../../src/codec/cbor.ts'
import { toHex } from '../../../src/crypto/hash.ts'
import type { Block, BlockHeader } from '../../../src/log/block.ts'
import { entryLeaf, type Entry } from '../../../src/log/entry.ts'
import { MerkleAccumulator, merkleRoot } from '../../../src/log/merkle.ts'
import type { Action, BlockResponse, ProposalMessage } from '../../../src/consensus/types.ts'
import { blockHashOf, broadcast, forged, isForged, type Tamper, type TamperContext } from './tamper.ts'
import { emptyHeader, signedProposal } from './tampers.ts'

/** Blocks the chain walks look at below a proposal's parent. */
const CHAIN_WALK_MAX = 256
/** Planted chains kept for the block requests they draw. */
const PLANTED_MAX = 16

/** The index of the node's own (honest) proposal broadcast in `actions`, or -1. */
function ownProposalAt(actions: readonly Action[]): number {
  return actions.findIndex((a) => a.type === 'broadcast' && a.message.type === 'proposal' && !isForged(a.message))
}

/** The header of `hashHex`: seen in a proposal, or in the node's store. */
function headerOf(ctx: TamperContext, hashHex: string, hash: Uint8Array): BlockHeader | undefined {
  const head = ctx.inner.committedHead.header
  return ctx.headers.get(hashHex) ?? (toHex(blockHashOf(head)) === hashHex ? head : ctx.store?.blockByHash(hash)?.header)
}

/** The first round after `round` that this node leads (within a few turns of the set). */
function nextLedRound(ctx: TamperContext, round: number): number | null {
  for (let r = round + 1; r <= round + 4 * ctx.inner.set.n; r++) if (ctx.inner.leaders.leaderOf(r) === ctx.inner.index) return r
  return null
}

const JUSTIFY_SIBLING = 'block: block-justify-not-parent'

/**
 * With its own proposal for round r justified by QC(Y) (Y at height h), a block Z whose
 * parent X is a sibling of Y at height h and whose justify QC is QC(Y): a valid QC, of a
 * block at the parent's height, naming another block. X is a valid empty block of round
 * r on Y's parent (this node leads r); Z is of the next round it leads. Neither could be
 * proposed (their rounds are not justified by their QCs), so they are planted through
 * block sync: the round's proposal is replaced by a block W of round r on Z with the
 * original justification, which honest replicas hold as an orphan and whose parent Z they
 * ask this node for; it answers with Z and X. Breaks: the justify QC certifies the parent
 * (not only a block at its height).
 */
export function justifySibling(rate = 1): Tamper {
  /** Hex hash of Z -> the response that plants it (Z, then its parent X). */
  const planted = new Map<string, BlockResponse>()
  return {
    name: 'justify-sibling',
    description: 'as leader, plants through block sync a block whose justify QC certifies a sibling of its parent at the same height',
    expects: [JUSTIFY_SIBLING],
    apply(ctx, event, actions) {
      if (event.type === 'message' && event.message.type === 'block-request') {
        const response = planted.get(toHex(event.message.block))
        if (response === undefined) return actions
        ctx.made(JUSTIFY_SIBLING)
        return [...actions, { type: 'send', to: event.from, message: forged(response) }]
      }
      const at = ownProposalAt(actions)
      if (at < 0) return actions
      const p = (actions[at] as Extract<Action, { type: 'broadcast' }>).message as ProposalMessage
      const justify = p.block.header.justify
      const y = headerOf(ctx, toHex(justify.block), justify.block)
      // Y's parent must be in honest trees (the committed head or above) for X to join them.
      if (y === undefined || y.height < 1 || y.height - 1 < ctx.inner.committedHeight) return actions
      const yParent = headerOf(ctx, toHex(y.parent), y.parent)
      const zRound = nextLedRound(ctx, p.block.header.round)
      if (yParent === undefined || zRound === null || !ctx.rng.chance(rate)) return actions
      const x: Block = { header: emptyHeader(ctx, p.block.header.round, yParent, y.justify), entries: [] }
      const z: Block = { header: emptyHeader(ctx, zRound, x.header, justify), entries: [] }
      const w: Block = { header: emptyHeader(ctx, p.block.header.round, z.header, justify), entries: [] }
      if (planted.size >= PLANTED_MAX) planted.delete(planted.keys().next().value as string)
      planted.set(toHex(blockHashOf(z.header)), { type: 'block-response', blocks: [z, x] })
      const out = actions.slice()
      out[at] = broadcast(signedProposal(ctx, w, p.tc))
      return out
    },
  }
}

const SEQ_REPEAT = 'proposal: block-entry-seq'

/** The blocks from `tipHash` down to the committed head (exclusive), tip first, from the
 * node's store; null if one is missing or the walk is too long. */
function uncommittedChain(ctx: TamperContext, tipHash: Uint8Array): Block[] | null {
  const store = ctx.store
  if (store === null) return null
  const headHeight = ctx.inner.committedHeight
  const chain: Block[] = []
  let hash = tipHash
  for (let i = 0; i < CHAIN_WALK_MAX; i++) {
    const block = store.blockByHash(hash)
    if (block === undefined) return null
    if (block.header.height <= headHeight) return block.header.height === headHeight ? chain : null
    chain.push(block)
    hash = block.header.parent
  }
  return null
}

/** The last entry of the chain ending at `tipHash` (the latest seq of its agent there). */
function lastEntryOfChain(ctx: TamperContext, tipHash: Uint8Array): Entry | null {
  const store = ctx.store
  if (store === null) return null
  let block = store.blockByHash(tipHash)
  for (let i = 0; i < CHAIN_WALK_MAX && block !== undefined && block.header.height > 0; i++) {
    const last = block.entries[block.entries.length - 1]
    if (last !== undefined) return last
    block = store.blockByHash(block.header.parent)
  }
  return null
}

/**
 * In place of its own proposal, the same block with one entry only: the last entry of
 * the chain it extends (so its agent's seq repeats the chain's latest), with the entries
 * root, log size and log root recomputed from the log after the parent (the committed
 * log as its replica's last commit left it, plus the uncommitted blocks from its store).
 * Breaks: an agent's seq is strictly above its last one in the chain (no entry twice).
 */
export function seqRepeat(rate = 1): Tamper {
  return {
    name: 'seq-repeat',
    description: 'as leader, proposes instead a block that re-includes the last entry of the chain it extends, with the log roots recomputed',
    expects: [SEQ_REPEAT],
    apply(ctx, _event, actions) {
      const at = ownProposalAt(actions)
      const committedLog = ctx.committedLog()
      if (at < 0 || committedLog === null) return actions
      const p = (actions[at] as Extract<Action, { type: 'broadcast' }>).message as ProposalMessage
      const h = p.block.header
      const chain = uncommittedChain(ctx, h.parent)
      const entry = lastEntryOfChain(ctx, h.parent)
      if (chain === null || entry === null || !ctx.rng.chance(rate)) return actions
      const log = MerkleAccumulator.fromState(committedLog)
      for (const block of chain.reverse()) for (const e of block.entries) log.append(entryLeaf(e))
      // The replica's committed log and the store's blocks agree with the parent's header.
      const parent = chain[chain.length - 1]?.header ?? ctx.inner.committedHead.header
      if (log.size !== parent.logSize || !bytesEqual(log.root(), parent.logRoot)) return actions
      const leaf = entryLeaf(entry)
      log.append(leaf)
      const header: BlockHeader = { ...h, entryCount: 1, entriesRoot: merkleRoot([leaf]), logSize: log.size, logRoot: log.root() }
      ctx.made(SEQ_REPEAT)
      const out = actions.slice()
      out[at] = broadcast({ ...signedProposal(ctx, { header, entries: [entry] }, p.tc), cc: p.cc })
      return out
    },
  }
}
