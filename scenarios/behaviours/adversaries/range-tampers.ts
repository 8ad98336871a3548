// Tampers of the range responses this node serves (range sync, src/consensus/range-sync.ts):
// each replaces its honest answer to a 'range-request' (the replica's 'serve-sync' action,
// answered from the node's own store) with a forged one that breaks one rule of a
// certified range. Only a replica far behind asks for ranges, so these make forgeries only
// in runs where one does (the catch-up schedule, scenarios/run/catch-up.ts).
import { blockHashOf, forged, type Tamper, type TamperContext } from './tamper.ts'
import { serveSyncRequest, type SyncStore } from '../../../src/consensus/sync.ts'
import { SYNC_BLOCKS_WIRE_MAX } from '../../../src/consensus/messages.ts'
import { bytesEqual } from '../../../src/codec/cbor.ts'
import { syncResponseBytesMax } from '../../../src/consensus/replica-limits.ts'
import type { Block, BlockHeader } from '../../../src/log/block.ts'
import type { CommitCertificate } from '../../../src/log/certificates.ts'
import { merkleRoot } from '../../../src/log/merkle.ts'
import type { Action, RangeRequest, RangeResponse } from '../../../src/consensus/types.ts'

const CC_NOT_FOR_LAST = 'range-response: range-cc-not-for-last'
const HEADER_NOT_CHAINED = 'range-response: range-header-not-chained'
const BLOCKS_NOT_CHAINED = 'range-response: blocks-not-chained'
/** Stored certificates looked at below a response's own (for one of a lower height). */
const LOWER_CC_WALK_MAX = 64

/** The honest answer to `request` as the driver would send it, when it is a certified range. */
function certifiedTruth(ctx: TamperContext, store: SyncStore, request: RangeRequest): (RangeResponse & { cc: CommitCertificate }) | null {
  const truth = serveSyncRequest(request, store, syncResponseBytesMax(ctx.inner.genesis.params.blockBytesMax))
  if (truth === null || truth.type !== 'range-response' || truth.cc === null || truth.blocks.length === 0) return null
  return { ...truth, cc: truth.cc }
}

/** Replaces each range request's answer (when `forge` makes one) with the forgery. */
function rangeTamper(name: string, description: string, expects: readonly string[], rate: number,
  forge: (ctx: TamperContext, store: SyncStore, truth: RangeResponse & { cc: CommitCertificate }) => { key: string, response: RangeResponse } | null): Tamper {
  return {
    name, description, expects,
    apply(ctx, _event, actions) {
      const store = ctx.store
      if (store === null || !actions.some((a) => a.type === 'serve-sync' && a.request.type === 'range-request')) return actions
      return actions.map((a): Action => {
        if (a.type !== 'serve-sync' || a.request.type !== 'range-request') return a
        const truth = certifiedTruth(ctx, store, a.request)
        const made = truth === null || !ctx.rng.chance(rate) ? null : forge(ctx, store, truth)
        if (made === null) return a
        ctx.made(made.key)
        return { type: 'send', to: a.to, message: forged(made.response) }
      })
    },
  }
}

/** An empty block at `real`'s height on the same parent (`parent`) with the same justify
 * QC, of its round (the next one when that would be `real` itself), its proposer that
 * round's leader: a valid block that is not the committed one. */
function siblingOf(ctx: TamperContext, real: BlockHeader, parent: BlockHeader): Block {
  const make = (round: number): BlockHeader => ({
    ...real, round, proposer: ctx.inner.leaders.leaderOf(round), entriesRoot: merkleRoot([]), entryCount: 0,
    logSize: parent.logSize, logRoot: parent.logRoot,
  })
  const header = make(real.round)
  return { header: bytesEqual(blockHashOf(header), blockHashOf(real)) ? make(real.round + 1) : header, entries: [] }
}

/**
 * The certified range with its last block (the one the commit certificate names) swapped
 * for a valid sibling: an empty block of the same height on the same parent, with the
 * real certificate. A range ending in linking headers is served as blocks instead (from
 * the store), so that the swapped block is one the requester would insert. Breaks: the
 * certificate proves the range only if it names the range's last block (the injected bug
 * `range-cc-block-not-compared` compares the height only; the requester would then commit
 * the sibling).
 */
export function rangeCcSibling(rate = 1): Tamper {
  return rangeTamper('range-cc-sibling', 'serves certified ranges whose last block is swapped for a valid sibling, with the real commit certificate', [CC_NOT_FOR_LAST], rate, (ctx, store, truth) => {
    const blocks = [...truth.blocks]
    for (const h of truth.links) {
      const b = store.committedBlock(h.height)
      if (b === undefined || blocks.length >= SYNC_BLOCKS_WIRE_MAX) return null
      blocks.push(b)
    }
    const last = blocks[blocks.length - 1]!
    if (last.header.height !== truth.cc.height) return null
    const parent = blocks.length >= 2 ? blocks[blocks.length - 2]!.header : store.committedHeader(last.header.height - 1)
    if (parent === undefined) return null
    blocks[blocks.length - 1] = siblingOf(ctx, last.header, parent)
    return { key: CC_NOT_FOR_LAST, response: { type: 'range-response', blocks, links: [], cc: truth.cc } }
  })
}

/**
 * Certified ranges that do not chain, in turn: a commit certificate of a lower height
 * than the range's last (a stored one), linking headers that skip a height, or blocks
 * with one left out in the middle. Breaks: the blocks and headers chain by hash at
 * consecutive heights to the block the certificate is for.
 */
export function rangeUnchained(rate = 1): Tamper {
  let turn = 0
  return rangeTamper('range-unchained', 'serves certified ranges that do not chain: a lower commit certificate, headers skipping a height, a block left out', [CC_NOT_FOR_LAST, HEADER_NOT_CHAINED, BLOCKS_NOT_CHAINED], rate, (_ctx, store, truth) => {
    const kind = turn++ % 3
    const blocks = truth.blocks
    if (kind === 0) {
      for (let h = truth.cc.height - 1; h >= 1 && h >= truth.cc.height - LOWER_CC_WALK_MAX; h--) {
        const cc = store.commitCertificate(h)
        if (cc !== undefined) return { key: CC_NOT_FOR_LAST, response: { ...truth, cc } }
      }
      return null
    }
    if (kind === 1 && blocks.length >= 3) {
      // The last block becomes a linking header one height too far up.
      return { key: HEADER_NOT_CHAINED, response: { type: 'range-response', blocks: blocks.slice(0, -2), links: [blocks[blocks.length - 1]!.header, ...truth.links], cc: truth.cc } }
    }
    if (blocks.length >= 3) {
      const gap = 1 + Math.floor((blocks.length - 2) / 2)
      return { key: BLOCKS_NOT_CHAINED, response: { ...truth, blocks: [...blocks.slice(0, gap), ...blocks.slice(gap + 1)] } }
    }
    return null
  })
}
