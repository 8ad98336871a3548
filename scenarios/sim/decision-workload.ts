// Decisions in the simulator's workload (docs/formats.md section 12): a share of the
// workload's entries become k-of-m decisions among the workload's agents and their votes,
// so that runs under faults commit decisions, approvals and rejections, and the
// decision-agreement checker (scenarios/checkers/decisions.ts) has states to compare.
// Every choice comes from the simulator's seeded PRNG.
import { toHex } from '../../src/crypto/hash.ts'
import { decisionPayloadText, votePayloadText } from '../../src/decisions/payload.ts'
import type { Prng } from './prng.ts'

export interface DecisionWorkloadPlan {
  /** Share of workload entries that are decisions or votes, in (0, 1]. */
  readonly share: number
  /** k of each decision (capped to its approvers: every other agent). */
  readonly threshold: number
  /** A decision's deadline is the highest committed height when it is signed plus this. */
  readonly deadlineHeights: number
  /** Share of votes that reject, in [0, 1]. */
  readonly rejectShare: number
  /** Each agent's votes go to one validator only, its home (agent index mod n), instead
   * of f+1: an approver whose node is partitioned or crashed is cut off with it. */
  readonly votesToHomeNode: boolean
}

/** Open decisions kept to vote on: the newest ones (older ones are left to expire). */
const OPEN_DECISIONS_MAX = 16

interface OpenDecision {
  readonly id: Uint8Array
  readonly proposer: number
  readonly voted: Set<number>
}

export class DecisionWorkload {
  readonly #plan: DecisionWorkloadPlan
  readonly #open: OpenDecision[] = []

  constructor(plan: DecisionWorkloadPlan) {
    this.#plan = plan
  }

  /** The payload and refs for agent `agent`'s next entry when it is to be about decisions
   * (a vote on an open decision that names it, else a new decision), or null. The caller
   * signs it and reports a new decision's id with proposed(). */
  next(rng: Prng, agent: number, agentKeys: readonly Uint8Array[], height: number): { payload: string, refs: Uint8Array[], proposal: boolean, homeOnly: boolean } | null {
    if (agentKeys.length < 2 || !rng.chance(this.#plan.share)) return null
    const votable = this.#open.filter((d) => d.proposer !== agent && !d.voted.has(agent))
    if (votable.length > 0 && rng.chance(0.8)) {
      const d = votable[rng.int(votable.length)]!
      d.voted.add(agent)
      return { payload: votePayloadText(rng.chance(this.#plan.rejectShare) ? 'reject' : 'approve'), refs: [d.id], proposal: false, homeOnly: this.#plan.votesToHomeNode }
    }
    const approvers = agentKeys.filter((_, i) => i !== agent).map(toHex)
    const threshold = Math.min(this.#plan.threshold, approvers.length)
    return { payload: decisionPayloadText({ approvers, threshold, deadline: height + this.#plan.deadlineHeights }), refs: [], proposal: true, homeOnly: false }
  }

  proposed(id: Uint8Array, proposer: number): void {
    this.#open.push({ id, proposer, voted: new Set() })
    if (this.#open.length > OPEN_DECISIONS_MAX) this.#open.shift()
  }
}
