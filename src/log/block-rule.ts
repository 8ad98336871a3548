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
import type { Genesis } from './genesis.ts'
import { isLeaderOf, type LeaderElection } from './leader-election.ts'
import { merkleRoot, type MerkleAccumulator } from './merkle.ts'

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

export interface BlockRuleContext<Judged extends JudgedEntry, EntryProblem> {
  readonly genesis: Genesis
  readonly leaders: LeaderElection
  /** Why the justify QC's signatures do not make a quorum, or null. Called once the QC is
   * known to name the parent. */
  qcProblem(qc: QuorumCertificate): string | null
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
 * judged entries in order, and the last seq of each agent in it. */
export interface BlockRuleSuccess<Judged extends JudgedEntry> {
  readonly ok: true
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

/**
 * Checks `block` as the child of `parent`, in this order (the first failure is returned):
 * height = parent + 1 and the parent hash, round above the parent's, proposer = the
 * round's leader, the justify QC names the parent and is a valid quorum, entry count as
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
  if (h.round <= p.round) return fail<EntryProblem>({ code: 'round-not-increasing', round: h.round, parentRound: p.round })
  if (!isLeaderOf(ctx.leaders, h.proposer, h.round)) return fail<EntryProblem>({ code: 'wrong-proposer', proposer: h.proposer, round: h.round })
  const qc = h.justify
  if (!bytesEqual(qc.block, parent.hash) || qc.height !== p.height || qc.round !== p.round) {
    return fail<EntryProblem>({ code: 'qc-mismatch', qcHeight: qc.height, qcRound: qc.round })
  }
  const qcProblem = ctx.qcProblem(qc)
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
  const leaves = entries.map((e) => e.leaf)
  if (!bytesEqual(merkleRoot(leaves), h.entriesRoot)) return fail<EntryProblem>({ code: 'entries-root' })
  const log = parent.log.clone()
  for (const leaf of leaves) log.append(leaf)
  if (log.size !== h.logSize) return fail<EntryProblem>({ code: 'log-size', declared: h.logSize, actual: log.size })
  if (!bytesEqual(log.root(), h.logRoot)) return fail<EntryProblem>({ code: 'log-root', declared: h.logSize })
  return { ok: true, hash: blockHash(h), log, entries, agentSeqs, governance: governance === null ? null : governance.finish(h.height) }
}
