// Judging a finished run against the scenario's expected outcome. Backend-neutral: it
// sees the honest nodes' committed chains (RunRecord), the replica errors, and when each
// entry was submitted. What each outcome means:
//
//  safe-and-live  every safety invariant held (agreement, prefix, validity, integrity),
//                 no replica code threw, every correct node committed every probe entry
//                 within the liveness bound after the faults stopped, and each declared
//                 progress window saw at least minBlocks commits on every listed node.
//  safe-stalled   every safety invariant held, no replica code threw, and during the stall
//                 window [from + graceMs, to] no listed node (default: every correct one)
//                 committed a block, while the workload was submitting entries in that
//                 window (else the stall would prove nothing); with liveAfter (the default
//                 when there is a liveness phase), also live after the faults stopped.
//  unsafe         at least one safety invariant was violated (beyond the fault bound the
//                 checkers must catch the damage); liveness is not judged.
// For every outcome, on the simulator (which watches replicas act): no honest replica acted
// on an object that fails the auditor's checks, and none moved its safety state back
// (honest-conduct, safety-state-monotonic; scenarios/checkers/watch.ts).
import { checkAgreement, checkDecisionAgreement, checkIntegrity, checkLiveness, checkPrefix, checkValidity, forkEvidence, type RunRecord } from '../checkers/index.ts'
import type { InvariantResult } from '../report/types.ts'
import type { Scenario } from '../dsl/types.ts'
import { describeEvidence, type Evidence } from '../checkers/run-evidence.ts'

export interface JudgeInput {
  readonly scenario: Scenario
  readonly record: RunRecord
  /** Exceptions thrown by replica code, and driver-detected protocol errors. */
  readonly errors: readonly string[]
  /** What the watching checkers recorded during the run (the simulator's; absent for a
   * backend without them). Replica errors among it are in `errors` too. */
  readonly evidence?: readonly Evidence[]
  /** Entry id -> submit time (ms since the start of the run). */
  readonly submittedAt: ReadonlyMap<string, number>
  /** Whether the run had a liveness phase with probes. */
  readonly livenessPhase: boolean
}

export interface Verdict {
  readonly safe: boolean
  /** null: not judged (no liveness phase, or outcome 'unsafe'). */
  readonly live: boolean | null
  /** null: no stall window declared. */
  readonly stalled: boolean | null
  readonly met: boolean
  readonly invariants: InvariantResult[]
  readonly problems: string[]
}

const EVIDENCE_LINES_MAX = 20

function invariant(name: string, violations: readonly string[], evidence?: unknown): InvariantResult {
  if (violations.length === 0) return { name, held: true }
  return { name, held: false, evidence: evidence ?? { violations: violations.slice(0, EVIDENCE_LINES_MAX), more: Math.max(0, violations.length - EVIDENCE_LINES_MAX) } }
}

function commitsIn(times: readonly number[] | undefined, from: number, to: number): number {
  if (times === undefined) return 0
  let count = 0
  for (let h = 1; h < times.length; h++) if (times[h]! >= from && times[h]! <= to) count++
  return count
}

export function judge(input: JudgeInput): Verdict {
  const { scenario, record } = input
  const expect = scenario.expect
  const invariants: InvariantResult[] = []
  const problems: string[] = []

  const agreement = checkAgreement(record)
  const fork = agreement.length > 0 ? forkEvidence(record) : null
  invariants.push(invariant('agreement', agreement, fork === null ? undefined : { fork, violations: agreement.slice(0, EVIDENCE_LINES_MAX), more: Math.max(0, agreement.length - EVIDENCE_LINES_MAX) }))
  const prefix = checkPrefix(record)
  invariants.push(invariant('prefix', prefix))
  const validity = checkValidity(record)
  invariants.push(invariant('validity', validity))
  const integrity = checkIntegrity(record)
  invariants.push(invariant('integrity', integrity))
  const decisionAgreement = checkDecisionAgreement(record)
  invariants.push(invariant('decision-agreement', decisionAgreement))
  const safetyViolations = [...agreement, ...prefix, ...validity, ...integrity, ...decisionAgreement]
  const safe = safetyViolations.length === 0
  invariants.push(invariant('no-replica-errors', input.errors.map((e) => e.split('\n')[0]!)))
  // How honest replicas behaved, whatever the bound: even beyond it, no honest replica acts
  // on an object that fails the auditor's checks, nor moves its safety state back.
  const misconduct: string[] = []
  if (input.evidence !== undefined) {
    const lines = (code: Evidence['code']) => input.evidence!.filter((e) => e.code === code).map(describeEvidence)
    const conduct = lines('acted-on-invalid')
    const regressed = lines('safety-state-regressed')
    invariants.push(invariant('honest-conduct', conduct), invariant('safety-state-monotonic', regressed))
    misconduct.push(...conduct, ...regressed)
  }

  let live: boolean | null = null
  const judgeLive = input.livenessPhase && (expect.outcome === 'safe-and-live' || (expect.outcome === 'safe-stalled' && expect.liveAfter))
  if (judgeLive) {
    const failures = checkLiveness(record)
    live = failures.length === 0
    invariants.push(invariant('liveness', failures, { failures, convergenceMs: record.convergenceMs, boundMs: record.livenessBoundMs }))
    problems.push(...failures)
  }

  const chainOf = (node: number) => (record.correct ?? record.honest).find((c) => c.index === node)
  if (expect.outcome === 'safe-and-live') {
    expect.progress.forEach((w, i) => {
      const counts = w.nodes.map((node) => ({ node, blocks: commitsIn(chainOf(node)?.commitTimes, w.from, w.to) }))
      const short = counts.filter((c) => c.blocks < w.minBlocks)
      const lines = short.map((c) => `progress: node ${c.node} committed ${c.blocks} blocks in [${w.from}, ${w.to}] ms, expected at least ${w.minBlocks}`)
      invariants.push(invariant(`progress[${i}] ${w.from}-${w.to} ms`, lines, { window: w, counts }))
      problems.push(...lines)
    })
  }

  let stalled: boolean | null = null
  if (expect.outcome === 'safe-stalled') {
    const w = expect.stall
    const from = w.from + w.graceMs
    const counts = w.nodes.map((node) => ({ node, blocks: commitsIn(chainOf(node)?.commitTimes, from, w.to) }))
    const moved = counts.filter((c) => c.blocks > 0)
    let work = 0
    for (const t of input.submittedAt.values()) if (t >= w.from && t <= w.to) work++
    const lines = moved.map((c) => `stall: node ${c.node} committed ${c.blocks} blocks in [${from}, ${w.to}] ms, expected none`)
    if (work === 0) lines.push(`stall: no entries were submitted in [${w.from}, ${w.to}] ms, so the stall proves nothing`)
    stalled = lines.length === 0
    invariants.push(invariant(`stall ${from}-${w.to} ms`, lines, { window: w, counts, entriesSubmittedInWindow: work }))
    problems.push(...lines)
  }

  problems.unshift(...safetyViolations, ...misconduct, ...input.errors.map((e) => `error: ${e.split('\n')[0]}`))
  let met: boolean
  switch (expect.outcome) {
    case 'safe-and-live':
      met = safe && input.errors.length === 0 && live === true && problems.length === 0
      break
    case 'safe-stalled':
      met = safe && input.errors.length === 0 && misconduct.length === 0 && stalled === true && (!expect.liveAfter || live === true)
      break
    case 'unsafe':
      met = !safe && misconduct.length === 0
      // Beyond the bound, a safe run is the failure; the violations are the evidence.
      problems.length = 0
      if (safe) problems.push(`expected a safety violation (more than f = ${scenario.f} faulty), but every safety invariant held`)
      problems.push(...misconduct)
      break
  }
  return { safe, live, stalled, met, invariants, problems }
}
