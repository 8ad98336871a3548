// The one rule for a block: whether `block` is valid as the child of `parent`. The
// consensus core (src/consensus/block-validation.ts) and the auditor (ChainVerifier in
// verify.ts) both call checkBlockAfterParent(), so what a validator accepts and what an
// auditor accepts cannot drift apart. The rule returns a code with the values involved;
// each caller renders its own text (the auditor's codes are stable, docs/formats.md
// section 9). What differs between the two callers is injected: how the justify QC's
// signatures are checked (the auditor special-cases the genesis QC, the core caches),
// how one entry is judged (signature, payload bound, write policy), and where the last
// seq of an agent before the parent comes from.
import { bytesEqual } from '../codec/cbor.ts'
import { blockHash, type Block, type BlockHeader } from './block.ts'
import type { QuorumCertificate } from './certificates.ts'
import { toHex } from '../crypto/hash.ts'
import type { GovernanceProblem, GovernanceState } from '../governance/state.ts'
import { entryId, type Entry } from './entry.ts'
import { epochRuling, positionAfterBlock, type Epoch, type EpochPosition, type InertReconfiguration } from './epochs.ts'
import type { Genesis } from './genesis.ts'
import { isLeaderOf, type LeaderElection } from './leader-election.ts'
import { MerkleAccumulator, merkleRoot, type MerkleAccumulatorState } from './merkle.ts'
import type { SignatureScheme } from '../crypto/signature-scheme.ts'
import type { ValidatorSet } from './validator-set.ts'

/** What the rule needs of the parent: its header and hash, and the log after it. */
export interface ParentState {
  readonly header: BlockHeader
  readonly hash: Uint8Array
  readonly log: MerkleAccumulator
  /** The governance state after the parent (docs/formats.md section 13); null when the
   * chain has no governance. */
  readonly governance: GovernanceState | null
}

/** An entry that passed the caller's per-entry checks, with its leaf hash, encoded size
 * and agent (hex). */
export interface JudgedEntry {
  readonly leaf: Uint8Array
  readonly agentHex: string
}

/** Where the chain is at the parent, for the epoch rule (docs/formats.md section 15). */
export interface BlockEpochContext {
  /** The position after the parent (its epoch, and that epoch's reconfiguration block if
   * the chain has one). */
  readonly parent: EpochPosition
  /** Whether suffix blocks may follow a reconfiguration block: in a validator's block
   * tree yes, in a committed chain (the auditor's) never. */
  readonly suffixAllowed: boolean
  /** Whether the reconfiguration block's commit certificate is at hand, asked only of an
   * epoch's first block: the auditor needs it in the export; a validator holds it before
   * it takes part in the new epoch. */
  readonly boundaryCertified: boolean
}

export interface BlockRuleContext<Judged extends JudgedEntry, EntryProblem> {
  readonly genesis: Genesis
  readonly epochs: BlockEpochContext
  /** The scheme reconfiguration approvals are checked with (ED25519 unless given: a
   * simulation's stand-in, src/crypto/signature-scheme.ts). */
  readonly signatures?: SignatureScheme
  /** The leader election of an epoch (round-robin over its set; epoch 0's is injected). */
  leadersOf(epoch: Epoch): LeaderElection
  /** Why the justify QC's signatures do not make a quorum of `set` (the parent's epoch's),
   * or null. Called once the QC is known to name the parent. */
  qcProblem(qc: QuorumCertificate, set: ValidatorSet): string | null
  /** The entry's encoded size in bytes (for the block byte limit, checked before any entry). */
  entryBytes(entry: Entry, position: number): number
  /** The entry checked on its own (signature, payload bound, write policy). */
  judgeEntry(entry: Entry, position: number): Judged | { readonly problem: EntryProblem }
  /** The agent's last seq in the chain up to the parent; undefined when unknown (then
   * order is only checked within the block). */
  lastSeq(agentHex: string): number | undefined
}

/** Why a block is not valid after its parent. Codes are the auditor's (docs/formats.md). */
export type BlockRuleFailure<EntryProblem> =
  | { readonly code: 'height-gap', readonly height: number, readonly expected: number }
  | { readonly code: 'parent-mismatch' }
  | { readonly code: 'round-not-increasing', readonly round: number, readonly parentRound: number }
  | { readonly code: 'epoch-mismatch', readonly epoch: number, readonly expected: number }
  | { readonly code: 'missing-boundary-certificate', readonly epoch: number, readonly boundary: number }
  | { readonly code: 'suffix-not-empty', readonly entryCount: number, readonly entries: number }
  | { readonly code: 'wrong-proposer', readonly proposer: number, readonly round: number }
  | { readonly code: 'qc-mismatch', readonly qcHeight: number, readonly qcRound: number }
  | { readonly code: 'bad-qc', readonly problem: string }
  | { readonly code: 'entry-count', readonly declared: number, readonly actual: number }
  | { readonly code: 'block-entries-max', readonly count: number, readonly max: number }
  | { readonly code: 'block-bytes-max', readonly bytes: number, readonly max: number }
  | { readonly code: 'entry', readonly position: number, readonly problem: EntryProblem }
  | { readonly code: 'governance', readonly position: number, readonly problem: GovernanceProblem }
  | { readonly code: 'seq-not-increasing', readonly position: number, readonly agentHex: string, readonly seq: number, readonly last: number }
  | { readonly code: 'entries-root' }
  | { readonly code: 'log-size', readonly declared: number, readonly actual: number }
  | { readonly code: 'log-root', readonly declared: number }

/** A valid block: its hash, the log after it (a copy; the parent's is untouched), its
 * judged entries in order, the last seq of each agent in it, its epoch and the chain's
 * position after it, and the reconfiguration claims in it that changed nothing. */
export interface BlockRuleSuccess<Judged extends JudgedEntry> {
  readonly ok: true
  readonly epoch: Epoch
  /** Whether the block is a suffix block (its epoch has ended: empty, never committed). */
  readonly suffix: boolean
  readonly position: EpochPosition
  readonly inertReconfigurations: readonly InertReconfiguration[]
  readonly hash: Uint8Array
  readonly log: MerkleAccumulator
  readonly entries: readonly Judged[]
  readonly agentSeqs: Map<string, number>
  /** The governance state after the block (the parent's when the chain has none). */
  readonly governance: GovernanceState | null
}

export type BlockRuleResult<Judged extends JudgedEntry, EntryProblem> =
  | BlockRuleSuccess<Judged>
  | ({ readonly ok: false } & BlockRuleFailure<EntryProblem>)

function fail<P>(failure: BlockRuleFailure<P>): { readonly ok: false } & BlockRuleFailure<P> {
  return { ok: false, ...failure }
}

/** What a header's roots came to, from the parent's log and the entries' leaves: whether
 * its entries root matches (after: the log after the block, or null when it does not) and
 * whether its log root matches that log. */
interface Roots {
  readonly parent: MerkleAccumulatorState
  readonly leaves: readonly Uint8Array[]
  readonly after: MerkleAccumulatorState | null
  readonly logRootMatches: boolean
}

/** Kept per header object (headers are immutable; the block hash is kept the same way):
 * each replica and checker that checks a block hashed its entries root and the log after
 * it again (in the simulator they share the block's objects: ~5% of a run). A kept answer
 * is used only for the very same inputs, the parent's log and the leaves compared byte for
 * byte, so it is the answer the hashing would give; the log handed out is a fresh copy. */
const roots = new WeakMap<BlockHeader, Roots>()

function sameHashes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!bytesEqual(a[i]!, b[i]!)) return false
  return true
}

function rootsOf(h: BlockHeader, parentLog: MerkleAccumulator, leaves: Uint8Array[]): Roots {
  const known = roots.get(h)
  if (known !== undefined && parentLog.hasState(known.parent) && sameHashes(known.leaves, leaves)) return known
  let after: MerkleAccumulatorState | null = null
  let logRootMatches = false
  if (bytesEqual(merkleRoot(leaves), h.entriesRoot)) {
    const log = parentLog.clone()
    for (const leaf of leaves) log.append(leaf)
    after = log.toState()
    logRootMatches = bytesEqual(log.root(), h.logRoot)
  }
  const answer: Roots = { parent: parentLog.toState(), leaves: leaves.map((l) => l.slice()), after, logRootMatches }
  roots.set(h, answer)
  return answer
}

/**
 * Checks `block` as the child of `parent`, in this order (the first failure is returned):
 * height = parent + 1 and the parent hash, the epoch its header names (with, for an
 * epoch's first block, the boundary certificate at hand), round above the parent's (for
 * an epoch's first block, above 0), for a suffix block no entries, proposer = the round's
 * leader in that epoch, the justify QC names the parent and is a valid quorum, entry count as
 * declared, the genesis blockEntriesMax and blockBytesMax, then each entry in order
 * (judged on its own, then by the governance state after the parent when the chain has
 * governance, then its agent's seq strictly above the previous one, so no entry is in
 * the chain twice), then the entries root, and the log size and root after the
 * block computed from the parent's log.
 */
export function checkBlockAfterParent<Judged extends JudgedEntry, EntryProblem>(
  ctx: BlockRuleContext<Judged, EntryProblem>,
  parent: ParentState,
  block: Block,
): BlockRuleResult<Judged, EntryProblem> {
  const h = block.header
  const p = parent.header
  const params = ctx.genesis.params
  if (h.height !== p.height + 1) return fail<EntryProblem>({ code: 'height-gap', height: h.height, expected: p.height + 1 })
  if (!bytesEqual(h.parent, parent.hash)) return fail<EntryProblem>({ code: 'parent-mismatch' })
  const epochs = ctx.epochs
  const ruling = epochRuling(epochs.parent, p.height, h.epoch ?? 0, epochs.suffixAllowed)
  if (!ruling.ok) return fail<EntryProblem>({ code: 'epoch-mismatch', epoch: ruling.epoch, expected: ruling.expected })
  if (ruling.first && !epochs.boundaryCertified) return fail<EntryProblem>({ code: 'missing-boundary-certificate', epoch: ruling.epoch.number, boundary: p.height })
  // Each epoch counts its rounds from 1 (its first block's QC is its round 0), so the
  // first block of an epoch is not compared with its parent's round.
  if (ruling.first ? h.round === 0 : h.round <= p.round) {
    return fail<EntryProblem>({ code: 'round-not-increasing', round: h.round, parentRound: ruling.first ? 0 : p.round })
  }
  if (ruling.suffix && (h.entryCount !== 0 || block.entries.length !== 0)) return fail<EntryProblem>({ code: 'suffix-not-empty', entryCount: h.entryCount, entries: block.entries.length })
  if (!isLeaderOf(ctx.leadersOf(ruling.epoch), h.proposer, h.round)) return fail<EntryProblem>({ code: 'wrong-proposer', proposer: h.proposer, round: h.round })
  const qc = h.justify
  if (!bytesEqual(qc.block, parent.hash) || qc.height !== p.height || qc.round !== p.round) {
    return fail<EntryProblem>({ code: 'qc-mismatch', qcHeight: qc.height, qcRound: qc.round })
  }
  // The QC certifies the parent: the parent's epoch's set signed it.
  const qcProblem = ctx.qcProblem(qc, epochs.parent.epoch.set)
  if (qcProblem !== null) return fail<EntryProblem>({ code: 'bad-qc', problem: qcProblem })
  if (block.entries.length !== h.entryCount) return fail<EntryProblem>({ code: 'entry-count', declared: h.entryCount, actual: block.entries.length })
  if (h.entryCount > params.blockEntriesMax) return fail<EntryProblem>({ code: 'block-entries-max', count: h.entryCount, max: params.blockEntriesMax })
  let bytes = 0
  for (let position = 0; position < block.entries.length; position++) bytes += ctx.entryBytes(block.entries[position]!, position)
  if (bytes > params.blockBytesMax) return fail<EntryProblem>({ code: 'block-bytes-max', bytes, max: params.blockBytesMax })
  // Every entry is judged before the roots, so a tampered entry is named by its position
  // and reason (its signature no longer verifies), not as a root that does not match.
  const entries: Judged[] = []
  const agentSeqs = new Map<string, number>()
  // Every entry is judged against the state after the parent; the block's valid policy
  // entries take effect for the blocks after it (docs/formats.md section 13).
  const governance = parent.governance === null ? null : parent.governance.blockJudge()
  for (let position = 0; position < block.entries.length; position++) {
    const entry = block.entries[position]!
    const judged = ctx.judgeEntry(entry, position)
    if ('problem' in judged) return fail<EntryProblem>({ code: 'entry', position, problem: judged.problem })
    const ruled = governance === null ? null : governance.judge(entry, () => toHex(entryId(entry)))
    if (ruled !== null) return fail<EntryProblem>({ code: 'governance', position, problem: ruled })
    const last = agentSeqs.get(judged.agentHex) ?? ctx.lastSeq(judged.agentHex)
    if (last !== undefined && entry.seq <= last) return fail<EntryProblem>({ code: 'seq-not-increasing', position, agentHex: judged.agentHex, seq: entry.seq, last })
    agentSeqs.set(judged.agentHex, entry.seq)
    entries.push(judged)
  }
  const roots = rootsOf(h, parent.log, entries.map((e) => e.leaf))
  if (roots.after === null) return fail<EntryProblem>({ code: 'entries-root' })
  const log = MerkleAccumulator.fromState(roots.after)
  if (log.size !== h.logSize) return fail<EntryProblem>({ code: 'log-size', declared: h.logSize, actual: log.size })
  if (!roots.logRootMatches) return fail<EntryProblem>({ code: 'log-root', declared: h.logSize })
  const after = positionAfterBlock(epochs.parent, ruling, h.height, block.entries, ctx.genesis.chainId, ctx.signatures)
  return {
    ok: true, epoch: ruling.epoch, suffix: ruling.suffix, position: after.position, inertReconfigurations: after.inert,
    hash: blockHash(h), log, entries, agentSeqs, governance: governance === null ? null : governance.finish(h.height),
  }
}
