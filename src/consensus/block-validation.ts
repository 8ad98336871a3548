// Validation of a block against its parent: everything that makes a block acceptable
// in the chain, whoever sent it (a proposal, a sync response, a restart). The rule itself
// is src/log/block-rule.ts, shared with the auditor; this file supplies the core's parts
// (its caching verifier, the block tree's per-agent seqs) and renders the core's messages.
// The result is the BlockNode the tree stores, with the log state after the block.
import { toHex } from '../crypto/hash.ts'
import type { Block } from '../log/block.ts'
import { checkBlockAfterParent, type BlockRuleFailure } from '../log/block-rule.ts'
import { encodeEntry } from '../log/entry.ts'
import type { Genesis } from '../log/genesis.ts'
import type { BlockNode, BlockTree } from './block-tree.ts'
import type { LeaderElection } from './leader-election.ts'
import type { CheckedEntry, Verifier } from './verifier.ts'

export interface ValidationContext {
  readonly genesis: Genesis
  readonly tree: BlockTree
  readonly verifier: Verifier
  readonly leaders: LeaderElection
}

/**
 * Checks `block` as a child of `parent` (a node of the tree) with the shared block rule
 * (checkBlockAfterParent: height and parent link, round above the parent's, proposer is
 * the round's leader, the justify QC certifies the parent and is valid, entry count and
 * bytes within the chain's limits, every entry, per-agent seq strictly above the chain's,
 * entriesRoot / logSize / logRoot recomputed). Returns the new node, or the reason.
 */
export function validateBlock(ctx: ValidationContext, parent: BlockNode, block: Block): BlockNode | string {
  // Each entry is checked once per block: the byte count and the judgement share it.
  const checked = new Map<number, CheckedEntry | string>()
  const check = (position: number): CheckedEntry | string => {
    let result = checked.get(position)
    if (result === undefined) {
      result = ctx.verifier.entry(block.entries[position]!)
      checked.set(position, result)
    }
    return result
  }
  const result = checkBlockAfterParent<CheckedEntry, string>({
    genesis: ctx.genesis,
    leaders: ctx.leaders,
    qcProblem: (qc) => ctx.verifier.qc(qc),
    entryBytes: (entry, position) => {
      const c = check(position)
      return typeof c === 'string' ? encodeEntry(entry).length : c.bytes
    },
    judgeEntry: (_entry, position) => {
      const c = check(position)
      return typeof c === 'string' ? { problem: c } : c
    },
    lastSeq: (agentHex) => ctx.tree.lastSeqInChain(parent, agentHex),
  }, parent, block)
  if (!result.ok) return rejectionMessage(result, block)
  const h = block.header
  const entryIds = new Set(result.entries.map((e) => e.idHex))
  return { block, header: h, hash: result.hash, hashHex: toHex(result.hash), parentHex: parent.hashHex, log: result.log, agentSeqs: result.agentSeqs, entryIds, qc: null, children: [] }
}

/** The core's text for a failure of the block rule (the words it has always used). */
function rejectionMessage(f: BlockRuleFailure<string>, block: Block): string {
  const h = block.header
  switch (f.code) {
    case 'height-gap': return `height ${f.height} is not the parent's height ${f.expected - 1} + 1`
    case 'parent-mismatch': return 'parent hash mismatch'
    case 'round-not-increasing': return `round ${f.round} is not above the parent's round ${f.parentRound}`
    case 'wrong-proposer': return wrongProposerMessage(f.proposer, f.round)
    case 'qc-mismatch': return 'the justify QC does not certify the parent'
    case 'bad-qc': return `justify QC: ${f.problem}`
    case 'entry-count': return `header says ${f.declared} entries, the block has ${f.actual}`
    case 'block-entries-max': return `${f.count} entries is over the chain's limit of ${f.max}`
    case 'block-bytes-max': return `entries exceed the chain's block limit of ${f.max} bytes`
    case 'entry': return `entry ${f.position}: ${f.problem}`
    case 'seq-not-increasing': return `entry ${f.position}: seq ${f.seq} of agent ${f.agentHex.slice(0, 12)} is not above ${f.last} (duplicate or reordered)`
    case 'entries-root': return 'entries root mismatch'
    case 'log-size': return `log size ${h.logSize} should be ${f.actual}`
    case 'log-root': return 'log root mismatch'
  }
}

/** The core's message for a proposer that does not lead the round (also used before full
 * validation, on a proposal's header). */
export function wrongProposerMessage(proposer: number, round: number): string {
  return `validator ${proposer} is not the leader of round ${round}`
}
