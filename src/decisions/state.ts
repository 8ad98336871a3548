// A decision's state as a pure function of the committed log (docs/formats.md section
// 11). The node's API, the SDK and the auditor all compute it with this one ledger, fed
// the committed entries in log order, so they agree on every state by construction.
//
// Rules, in the order a vote is judged (the first that applies decides):
//   1. a vote for a decision not committed earlier in the log is ignored;
//   2. a vote from an agent the decision does not name is ignored;
//   3. a vote in a block above the decision's deadline height is ignored;
//   4. a vote after the decision is approved or rejected is ignored;
//   5. only an approver's first counted vote counts (a second one is ignored: "repeated"
//      when of the same kind, "conflicting" when not);
//   6. the vote counts: k approvals approve, more than m - k rejections reject (k can no
//      longer be reached). With one vote per approver the two cannot both happen.
// A decision neither approved nor rejected is pending while the log's height is at or
// below its deadline, and expired once a block above the deadline is committed.
import { assert } from '../assert.ts'
import { toHex } from '../crypto/hash.ts'
import { entryId, type Entry } from '../log/entry.ts'
import { readDecisionPayload, type DecisionSpec, type VoteKind } from './payload.ts'

export type DecisionStatus = 'pending' | 'approved' | 'rejected' | 'expired'

/** A committed entry and where it sits: what the ledger consumes, in log order. */
export interface DecisionLogRecord {
  readonly entry: Entry
  /** 0-based leaf index in the log. */
  readonly index: number
  /** Height of the block that holds it. */
  readonly height: number
}

export interface CountedVote {
  /** The vote entry's id, hex. */
  readonly id: string
  /** The approver, hex. */
  readonly agent: string
  readonly kind: VoteKind
  readonly index: number
  readonly height: number
}

export interface DecisionState {
  /** The decision entry's id, hex. */
  readonly id: string
  /** The proposing agent, hex. */
  readonly proposer: string
  readonly namespace: string
  readonly index: number
  readonly height: number
  readonly spec: DecisionSpec
  readonly status: DecisionStatus
  /** Counted approvals, in log order (at most `threshold`). */
  readonly approvals: readonly CountedVote[]
  /** Counted rejections, in log order (at most m - k + 1). */
  readonly rejections: readonly CountedVote[]
  /** The vote that made the decision approved or rejected; null while pending or when expired. */
  readonly decidedBy: CountedVote | null
}

/** Something in the log that is ignored by the rules, with the rule's code: what an
 * auditor reports. None of these is a fault of the chain; several are an agent's. */
export const ANOMALY_CODES = [
  'malformed-decision', 'malformed-vote', 'vote-for-unknown-decision', 'vote-from-non-approver',
  'vote-after-deadline', 'vote-after-decided', 'repeated-vote', 'conflicting-vote',
] as const
export type DecisionAnomalyCode = (typeof ANOMALY_CODES)[number]

export interface DecisionAnomaly {
  readonly code: DecisionAnomalyCode
  /** The entry's id, hex. */
  readonly entry: string
  readonly index: number
  readonly height: number
  /** The decision concerned, hex, when the entry names one. */
  readonly decision: string | null
  readonly detail: string
}

/** Anomalies kept as examples (all are counted): enough to show an auditor where to
 * look, bounded however many a log holds. */
const ANOMALY_EXAMPLES_MAX = 100

interface Tracked {
  readonly id: string
  readonly proposer: string
  readonly namespace: string
  readonly index: number
  readonly height: number
  readonly spec: DecisionSpec
  readonly approvers: ReadonlySet<string>
  /** approver hex -> its first counted vote. */
  readonly votes: Map<string, CountedVote>
  readonly approvals: CountedVote[]
  readonly rejections: CountedVote[]
  decided: 'approved' | 'rejected' | null
  decidedBy: CountedVote | null
}

export class DecisionLedger {
  readonly #decisions = new Map<string, Tracked>()
  readonly #anomalyCounts = new Map<DecisionAnomalyCode, number>(ANOMALY_CODES.map((c) => [c, 0]))
  readonly #anomalies: DecisionAnomaly[] = []
  #height: number
  #nextIndex: number

  /** A ledger over the log from its start, or from `start` (the log size and height
   * before the first record it will get: a partial export). A vote for a decision
   * before the start then reads as a vote for an unknown decision. */
  constructor(start: { readonly logSize: number, readonly height: number } = { logSize: 0, height: 0 }) {
    this.#nextIndex = start.logSize
    this.#height = start.height
  }

  /** Height of the last block the ledger knows is committed. */
  get height(): number {
    return this.#height
  }

  /** The log size the ledger has consumed: the index of the next entry it expects. */
  get logSize(): number {
    return this.#nextIndex
  }

  /** The committed log has reached `height` (a block, empty or not, is committed there). */
  advanceTo(height: number): void {
    assert(Number.isSafeInteger(height) && height >= 0, `height ${height} is a block height`)
    if (height > this.#height) this.#height = height
  }

  /** Consumes the next committed entry. Records must come in log order, each once. */
  append(record: DecisionLogRecord): void {
    assert(record.index === this.#nextIndex, `log index ${record.index} is the next one, ${this.#nextIndex}`)
    assert(record.height >= this.#height, `height ${record.height} is not below the ledger's ${this.#height}`)
    this.#nextIndex += 1
    this.#height = record.height
    const read = readDecisionPayload(record.entry)
    if (read.type === 'none') return
    const id = toHex(entryId(record.entry))
    if (read.type === 'malformed') {
      const code = read.reserved === 'decision' ? 'malformed-decision' : 'malformed-vote'
      const decision = read.reserved !== 'decision' && record.entry.refs.length > 0 ? toHex(record.entry.refs[0]!) : null
      this.#anomaly(code, id, record, decision, read.problem)
      return
    }
    if (read.type === 'decision') {
      const spec = read.spec
      this.#decisions.set(id, {
        id, proposer: toHex(record.entry.agent), namespace: record.entry.namespace, index: record.index, height: record.height,
        spec, approvers: new Set(spec.approvers), votes: new Map(), approvals: [], rejections: [], decided: null, decidedBy: null,
      })
      return
    }
    this.#vote(id, record, read.vote.kind, toHex(read.vote.decision))
  }

  #vote(id: string, record: DecisionLogRecord, kind: VoteKind, decisionId: string): void {
    const d = this.#decisions.get(decisionId)
    if (d === undefined) return this.#anomaly('vote-for-unknown-decision', id, record, decisionId, 'no decision with this id is committed before the vote')
    const agent = toHex(record.entry.agent)
    if (!d.approvers.has(agent)) return this.#anomaly('vote-from-non-approver', id, record, decisionId, `agent ${agent} is not an approver`)
    if (record.height > d.spec.deadline) return this.#anomaly('vote-after-deadline', id, record, decisionId, `height ${record.height} is above the deadline ${d.spec.deadline}`)
    if (d.decided !== null) return this.#anomaly('vote-after-decided', id, record, decisionId, `the decision was ${d.decided} at log index ${d.decidedBy!.index}`)
    const earlier = d.votes.get(agent)
    if (earlier !== undefined) {
      const code = earlier.kind === kind ? 'repeated-vote' : 'conflicting-vote'
      return this.#anomaly(code, id, record, decisionId, `agent ${agent} voted ${earlier.kind} first, at log index ${earlier.index}`)
    }
    const vote: CountedVote = { id, agent, kind, index: record.index, height: record.height }
    d.votes.set(agent, vote)
    const m = d.spec.approvers.length
    const k = d.spec.threshold
    if (kind === 'approve') {
      d.approvals.push(vote)
      if (d.approvals.length >= k) {
        d.decided = 'approved'
        d.decidedBy = vote
      }
    } else {
      d.rejections.push(vote)
      if (d.rejections.length > m - k) {
        d.decided = 'rejected'
        d.decidedBy = vote
      }
    }
    // One vote per approver: both thresholds together would need k + (m - k + 1) > m voters.
    assert(d.approvals.length + d.rejections.length <= m, 'at most one counted vote per approver')
  }

  #anomaly(code: DecisionAnomalyCode, entry: string, record: DecisionLogRecord, decision: string | null, detail: string): void {
    this.#anomalyCounts.set(code, (this.#anomalyCounts.get(code) ?? 0) + 1)
    if (this.#anomalies.length < ANOMALY_EXAMPLES_MAX) {
      this.#anomalies.push({ code, entry, index: record.index, height: record.height, decision, detail })
    }
  }

  /** The decision's state as of the log the ledger consumed; null when no decision with
   * this id (hex) is committed in it. */
  state(id: string): DecisionState | null {
    const d = this.#decisions.get(id)
    return d === undefined ? null : this.#stateOf(d)
  }

  #stateOf(d: Tracked): DecisionState {
    const status: DecisionStatus = d.decided ?? (this.#height > d.spec.deadline ? 'expired' : 'pending')
    return {
      id: d.id, proposer: d.proposer, namespace: d.namespace, index: d.index, height: d.height, spec: d.spec, status,
      approvals: [...d.approvals], rejections: [...d.rejections], decidedBy: d.decidedBy,
    }
  }

  /** Every decision's state, in log order of the decisions. */
  *states(): IterableIterator<DecisionState> {
    for (const d of this.#decisions.values()) yield this.#stateOf(d)
  }

  /** How many decisions are in each state. */
  counts(): Record<DecisionStatus, number> {
    const out = { pending: 0, approved: 0, rejected: 0, expired: 0 }
    for (const s of this.states()) out[s.status] += 1
    return out
  }

  /** Ignored entries per code (all counted), and the first ones as examples. */
  anomalies(): { readonly counts: ReadonlyMap<DecisionAnomalyCode, number>, readonly examples: readonly DecisionAnomaly[] } {
    return { counts: new Map(this.#anomalyCounts), examples: [...this.#anomalies] }
  }
}

/** The states of every decision in a committed log given in full, in log order, whose
 * last committed block is at `height`. */
export function decisionStates(records: Iterable<DecisionLogRecord>, height: number): Map<string, DecisionState> {
  const ledger = new DecisionLedger()
  for (const r of records) ledger.append(r)
  ledger.advanceTo(height)
  return new Map([...ledger.states()].map((s) => [s.id, s]))
}
