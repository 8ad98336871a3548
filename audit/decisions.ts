// The auditor's view of decisions (docs/formats.md section 12): the core's DecisionLedger
// fed every block the chain verifier accepted, in order, so the states reported are the
// ones every node and SDK compute from the same log. Memory grows with the number of
// decisions (one record and its counted votes each), not with the log.
import { DecisionLedger, type DecisionAnomaly, type DecisionAnomalyCode, type DecisionStatus } from '../src/decisions/state.ts'
import type { ChainItem } from '../src/log/verify.ts'
import type { BlockHeader } from '../src/log/block.ts'

/** Decisions listed one by one in a report: enough for a review, bounded for a long log
 * (the counts cover every decision). */
export const DECISIONS_LISTED_MAX = 1000

export interface AuditedDecision {
  readonly id: string
  readonly status: DecisionStatus
  readonly namespace: string
  readonly height: number
  readonly threshold: number
  readonly approvers: number
  readonly deadline: number
  readonly approvals: number
  readonly rejections: number
}

export interface DecisionAudit {
  /** Decisions in each state, as of the last verified block. */
  readonly counts: Readonly<Record<DecisionStatus, number>>
  /** Entries the rules ignore, by code (all of them counted). */
  readonly ignored: Readonly<Partial<Record<DecisionAnomalyCode, number>>>
  /** The first ignored entries, with where and why. */
  readonly ignoredExamples: readonly DecisionAnomaly[]
  /** The first DECISIONS_LISTED_MAX decisions, in log order. */
  readonly decisions: readonly AuditedDecision[]
  readonly decisionsTruncated: boolean
}

export class DecisionAuditor {
  #ledger: DecisionLedger

  constructor() {
    this.#ledger = new DecisionLedger()
  }

  /** A partial export: the ledger starts after the start header (decisions before it are
   * unknown, so votes for them are reported as for an unknown decision). */
  startAfter(header: BlockHeader): void {
    this.#ledger = new DecisionLedger({ logSize: header.logSize, height: header.height })
  }

  /** A block the chain verifier accepted. */
  accept(item: ChainItem): void {
    const height = item.block.header.height
    for (const entry of item.block.entries) this.#ledger.append({ entry, index: this.#ledger.logSize, height })
    this.#ledger.advanceTo(height)
  }

  report(): DecisionAudit {
    const decisions: AuditedDecision[] = []
    let truncated = false
    for (const s of this.#ledger.states()) {
      if (decisions.length >= DECISIONS_LISTED_MAX) {
        truncated = true
        break
      }
      decisions.push({
        id: s.id, status: s.status, namespace: s.namespace, height: s.height, threshold: s.spec.threshold,
        approvers: s.spec.approvers.length, deadline: s.spec.deadline, approvals: s.approvals.length, rejections: s.rejections.length,
      })
    }
    const { counts, examples } = this.#ledger.anomalies()
    const ignored: Partial<Record<DecisionAnomalyCode, number>> = {}
    for (const [code, n] of counts) if (n > 0) ignored[code] = n
    return { counts: this.#ledger.counts(), ignored, ignoredExamples: examples, decisions, decisionsTruncated: truncated }
  }
}
