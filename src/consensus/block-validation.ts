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
import { RoundRobinLeaderElection, type LeaderElection } from './leader-election.ts'
import type { Epoch } from '../log/epochs.ts'
import { describe, isRejection, type Rejection } from './rejections.ts'
import type { CheckedEntry, Verifier } from './verifier.ts'

export interface ValidationContext {
  readonly genesis: Genesis
  readonly tree: BlockTree
  readonly verifier: Verifier
  /** Epoch 0's leader election (later epochs': round-robin over their sets). */
  readonly leaders: LeaderElection
  /** The epoch the replica is in, when it switches epochs (ReplicaOptions.reconfigurations
   * 'switch'): the next epoch's first block is valid only once it is there (it holds the
   * boundary certificate). Absent: the replica never switches. */
  readonly switchedEpoch?: () => number
}

/**
 * Checks `block` as a child of `parent` (a node of the tree) with the shared block rule
 * (checkBlockAfterParent: height and parent link, round above the parent's, proposer is
 * the round's leader, the justify QC certifies the parent and is valid, entry count and
 * bytes within the chain's limits, every entry, per-agent seq strictly above the chain's,
 * entriesRoot / logSize / logRoot recomputed). Returns the new node, or the reason.
 */
export function validateBlock(ctx: ValidationContext, parent: BlockNode, block: Block): BlockNode | Rejection {
  // Each entry is checked once per block: the byte count and the judgement share it.
  const checked = new Map<number, CheckedEntry | Rejection>()
  const check = (position: number): CheckedEntry | Rejection => {
    let result = checked.get(position)
    if (result === undefined) {
      result = ctx.verifier.entry(block.entries[position]!)
      checked.set(position, result)
    }
    return result
  }
  // The shared rule speaks of the QC's problem as text (the auditor's); the core keeps
  // the typed rejection behind it.
  let qcRejection: Rejection | null = null
  const result = checkBlockAfterParent<CheckedEntry, Rejection>({
    genesis: ctx.genesis,
    // The parent's position: a validator's tree may hold suffix blocks. The replica does
    // not switch sets yet (docs/protocol.md, "The replica at the boundary"): its verifier
    // refuses every entry that would be an effective reconfiguration, or (halting at the
    // boundary) it never validates a block of the next epoch (its first block needs the
    // switch: the parent's set certifies it, the next epoch's leader proposes it).
    epochs: { parent: parent.position, suffixAllowed: true, boundaryCertified: true },
    signatures: ctx.verifier.signatures,
    leadersOf: (epoch) => leadersOf(ctx, epoch),
    // The justify QC certifies the parent: the parent's epoch's set signed it.
    qcProblem: (qc) => {
      qcRejection = ctx.verifier.qc(qc, parent.position.epoch)
      return qcRejection === null ? null : describe(qcRejection)
    },
    entryBytes: (entry, position) => {
      const c = check(position)
      return isRejection(c) ? encodeEntry(entry).length : c.bytes
    },
    judgeEntry: (_entry, position) => {
      const c = check(position)
      return isRejection(c) ? { problem: c } : c
    },
    lastSeq: (agentHex) => ctx.tree.lastSeqInChain(parent, agentHex),
  }, parent, block)
  if (!result.ok) return rejectionOf(result, block, qcRejection)
  // Unreachable while the verifier refuses reconfigurations (verifier.ts): a block that
  // ended the epoch would need the switch this replica does not make. A replica told to
  // halt at the boundary follows the epoch to its end (ReplicaOptions.reconfigurations).
  if (result.position.ending !== null && ctx.verifier.refusesReconfigurations) return { code: 'block-reconfiguration-unsupported', height: block.header.height }
  // The next epoch's first block: its proposer and later certificates are the next set's,
  // which this replica does not hold yet (judged above by its genesis set's leaders).
  if (result.epoch.number !== parent.position.epoch.number && ctx.switchedEpoch?.() !== result.epoch.number) return { code: 'block-reconfiguration-unsupported', height: block.header.height }
  const h = block.header
  const entryIds = new Set(result.entries.map((e) => e.idHex))
  return {
    block, header: h, hash: result.hash, hashHex: toHex(result.hash), parentHex: parent.hashHex, log: result.log, governance: result.governance,
    agentSeqs: result.agentSeqs, entryIds, position: result.position, suffix: result.suffix, qc: null, children: [],
  }
}

/** Later epochs' elections (round-robin over their sets), by epoch object. */
const epochLeaders = new WeakMap<Epoch, LeaderElection>()

/** The leader election of `epoch`: the chain's (possibly injected) for epoch 0, then
 * round-robin over each epoch's set (docs/formats.md section 15.3), as the auditor's. */
function leadersOf(ctx: ValidationContext, epoch: Epoch): LeaderElection {
  if (epoch.number === 0) return ctx.leaders
  let leaders = epochLeaders.get(epoch)
  if (leaders === undefined) {
    leaders = new RoundRobinLeaderElection(epoch.set.n)
    epochLeaders.set(epoch, leaders)
  }
  return leaders
}

/** The core's rejection for a failure of the block rule. */
function rejectionOf(f: BlockRuleFailure<Rejection>, block: Block, qcRejection: Rejection | null): Rejection {
  const h = block.header
  switch (f.code) {
    case 'height-gap': return { code: 'block-height', height: f.height, parentHeight: f.expected - 1 }
    case 'parent-mismatch': return { code: 'block-parent-mismatch' }
    case 'round-not-increasing': return { code: 'block-round-not-above-parent', round: f.round, parentRound: f.parentRound }
    case 'epoch-mismatch': return { code: 'block-epoch-mismatch', epoch: f.epoch, expected: f.expected }
    case 'missing-boundary-certificate': return { code: 'block-epoch-uncertified', epoch: f.epoch, boundary: f.boundary }
    case 'suffix-not-empty': return { code: 'block-suffix-not-empty', entries: f.entries }
    case 'wrong-proposer': return { code: 'proposer-not-leader', proposer: f.proposer, round: f.round }
    case 'qc-mismatch': return { code: 'block-justify-not-parent' }
    case 'bad-qc': {
      if (qcRejection === null) throw new Error(`the block rule reported a bad QC the verifier did not: ${f.problem}`)
      return { code: 'certificate-rejected', certificate: 'justify QC', problem: qcRejection }
    }
    case 'entry-count': return { code: 'block-entry-count-mismatch', header: f.declared, actual: f.actual }
    case 'block-entries-max': return { code: 'block-too-many-entries', count: f.count, limit: f.max }
    case 'block-bytes-max': return { code: 'block-too-many-bytes', limit: f.max }
    case 'entry': return { code: 'block-entry-invalid', index: f.position, problem: f.problem }
    case 'governance': return { code: 'block-entry-invalid', index: f.position, problem: { code: 'entry-governance', ...f.problem } }
    case 'seq-not-increasing': return { code: 'block-entry-seq', index: f.position, seq: f.seq, agentHex: f.agentHex, last: f.last }
    case 'entries-root': return { code: 'block-entries-root-mismatch' }
    case 'log-size': return { code: 'block-log-size-mismatch', header: h.logSize, actual: f.actual }
    case 'log-root': return { code: 'block-log-root-mismatch' }
  }
}
