// The chaos run's verdict: pure functions from what the run observed to named checks,
// each passed or failed with the problems it found (counted, with a few examples).
import type { FinalStop, UnexpectedExit } from './chaos-cluster.ts'
import type { KillRecord } from './faults.ts'
import { CHAOS_LIMITS } from './limits.ts'
import type { LoadRecord } from './load.ts'
import type { ErrorLines, NodeObservation } from './observe.ts'

export interface CheckResult {
  readonly name: string
  readonly ok: boolean
  /** What failed: a count line, then examples. Empty when the check passed. */
  readonly problems: readonly string[]
}

export interface ChaosObservation {
  readonly load: LoadRecord
  readonly nodes: readonly NodeObservation[]
  readonly errorLines: readonly ErrorLines[]
  /** For accepted entries missing from some log (see strandedCandidates): where each
   * validator has it ('pending', 'unknown', ...), by node index. */
  readonly entryStatuses: ReadonlyMap<string, readonly string[]>
  readonly kills: readonly KillRecord[]
  readonly unexpectedExits: readonly UnexpectedExit[]
  readonly finalStops: readonly FinalStop[]
}

function check(name: string, problems: readonly string[], total = problems.length): CheckResult {
  if (problems.length === 0) return { name, ok: true, problems: [] }
  const shown = problems.slice(0, CHAOS_LIMITS.examplesMax)
  return { name, ok: false, problems: [`${total} problem(s)`, ...shown, ...(problems.length > shown.length ? [`... and ${problems.length - shown.length} more`] : [])] }
}

/** Every acknowledged commit (a verified receipt) is on every validator at its receipt's index. */
export function ackedOnEveryNode(o: ChaosObservation): CheckResult {
  const problems: string[] = []
  for (const n of o.nodes) {
    if (n.log === null) {
      problems.push(`node ${n.node}: no log to compare (${n.exportError ?? 'export unreadable'}); ${o.load.acked.length} acknowledged entries unchecked there`)
      continue
    }
    let positions: Map<string, number> | null = null
    for (const a of o.load.acked) {
      const there = n.log.ids[a.index]
      if (there === a.id) continue
      positions ??= new Map(n.log.ids.map((id, i) => [id, i]))
      const elsewhere = positions.get(a.id) ?? -1
      problems.push(`node ${n.node}: entry ${a.id.slice(0, 16)} (${a.key}) acknowledged at index ${a.index}, ${there === undefined ? `beyond its log of ${n.log.ids.length}` : `holds ${there.slice(0, 16)} there`}${elsewhere >= 0 ? `, found at ${elsewhere}` : ', not in its log'}`)
    }
  }
  return check('acked-on-every-node', problems)
}

/** Every validator reports the same head: height and block hash. */
export function headsAgree(o: ChaosObservation): CheckResult {
  const heads = o.nodes.map((n) => (n.head === null ? 'no answer' : `height ${n.head.height} hash ${n.head.hash.slice(0, 16)} log size ${n.head.logSize}`))
  const same = o.nodes.every((n) => n.head !== null && n.head.height === o.nodes[0]!.head?.height && n.head.hash === o.nodes[0]!.head?.hash)
  return check('heads-agree', same ? [] : heads.map((h, i) => `node ${i}: ${h}`), same ? 0 : heads.length)
}

/** No entry id twice in a validator's log, and no commit() call (its idempotency key,
 * unique per call in this run) made two entries. */
export function noEntryTwice(o: ChaosObservation): CheckResult {
  const problems: string[] = []
  for (const n of o.nodes) {
    if (n.log === null) continue
    const ids = new Map<string, number>()
    const keys = new Map<string, number>()
    n.log.ids.forEach((id, i) => {
      const before = ids.get(id)
      if (before !== undefined) problems.push(`node ${n.node}: entry ${id.slice(0, 16)} at index ${before} and ${i}`)
      else ids.set(id, i)
      const key = n.log!.keys[i]!
      if (!key.startsWith('chaos-')) return
      const keyBefore = keys.get(key)
      if (keyBefore !== undefined && n.log!.ids[keyBefore] !== id) problems.push(`node ${n.node}: commit ${key} made two entries, at index ${keyBefore} and ${i}`)
      else keys.set(key, i)
    })
  }
  return check('no-entry-twice', problems)
}

/** Every validator's default export (no parameters) passes the auditor with no flags. */
export function defaultExportAudits(o: ChaosObservation): CheckResult {
  const problems: string[] = []
  for (const n of o.nodes) {
    if (n.audit === null) {
      problems.push(`node ${n.node}: export unreadable: ${n.exportError ?? 'unknown'}`)
      continue
    }
    if (!n.audit.ok) {
      const f = n.audit.failure
      problems.push(`node ${n.node}: audit FAILED ${f?.code ?? '?'}${f?.height === undefined ? '' : ` at height ${f.height}`}: ${f?.reason ?? ''} (verified to height ${n.audit.height}, certified to ${n.audit.certifiedHeight})`)
    }
    if (n.exportError !== null) problems.push(`node ${n.node}: ${n.exportError}`)
  }
  return check('default-export-audits', problems)
}

/** Accepted entries (a validator answered 200/202 to their submission) missing from at
 * least one validator's log: the entries whose status the run asks the validators for. */
export function strandedCandidates(load: LoadRecord, nodes: readonly NodeObservation[]): string[] {
  const logs = nodes.flatMap((n) => (n.log === null ? [] : [new Set(n.log.ids)]))
  return [...load.accepted.keys()].filter((id) => logs.some((ids) => !ids.has(id)))
}

/** Once idle, nothing is stranded: every mempool is empty, every entry a validator
 * accepted is in every log or provably superseded (its decision committed re-signed), and
 * no commit was still running when the run stopped waiting. */
export function nothingStranded(o: ChaosObservation): CheckResult {
  const problems: string[] = []
  for (const n of o.nodes) {
    if (n.mempoolEntries !== 0) problems.push(`node ${n.node}: ${n.mempoolEntries ?? 'unknown (no health answer)'} entries in its mempool`)
  }
  if (o.load.unfinished > 0) problems.push(`${o.load.unfinished} commit() calls still running ${CHAOS_LIMITS.inFlightWaitMs} ms after the load stopped`)
  const missing = strandedCandidates(o.load, o.nodes)
  const outcome = new Map<string, string>()
  for (const a of o.load.acked) outcome.set(a.key, 'acknowledged')
  for (const f of o.load.failed) outcome.set(f.key, f.error)
  for (const id of missing) {
    const e = o.load.accepted.get(id)!
    const statuses = o.entryStatuses.get(id)
    // Superseded, not stranded: a later seq of its agent committed first, so it can never
    // commit; a validator says so (final), none holds it pending, and its commit() ended
    // with a verified receipt for the same decision signed again with a fresh seq (the
    // SDK re-signs once f+1 nodes agree; no-entry-twice checks it did not land twice).
    if (outcome.get(e.key) === 'acknowledged' && statuses !== undefined && statuses.includes('superseded') && !statuses.includes('pending')) continue
    const where = statuses === undefined ? '' : `; on the validators: ${statuses.map((s, i) => `${i} ${s}`).join(', ')}`
    problems.push(`entry ${id.slice(0, 16)} (${e.key}, agent ${e.agent.slice(0, 8)} seq ${e.seq}) was accepted but is not in every log; its commit(): ${outcome.get(e.key) ?? 'unknown'}${where}`)
  }
  return check('nothing-stranded', problems)
}

/** Every commit() the load made ended with a verified receipt (at most f validators are
 * down at once, so each should). */
export function commitsAcknowledged(o: ChaosObservation): CheckResult {
  const byError = new Map<string, number>()
  for (const f of o.load.failed) byError.set(f.error, (byError.get(f.error) ?? 0) + 1)
  const problems = [
    ...[...byError].map(([name, count]) => `${count} x ${name}`),
    ...o.load.failed.slice(0, CHAOS_LIMITS.examplesMax).map((f) => `${f.key}: ${f.error}: ${f.message.slice(0, 300)}`),
  ]
  if (o.load.acked.length === 0) problems.unshift('no commit was acknowledged at all')
  return check('commits-acknowledged', problems)
}

/** No validator logged a line at error level or above. */
export function noErrorLogs(o: ChaosObservation): CheckResult {
  const problems: string[] = []
  let total = 0
  for (const e of o.errorLines) {
    if (e.readError !== null) problems.push(`node ${e.node}: node.log unreadable: ${e.readError}`)
    if (e.count === 0) continue
    total += e.count
    problems.push(`node ${e.node}: ${e.count} error line(s), e.g. ${e.examples.join(' | ')}`)
  }
  // Counted in lines (and unreadable logs), listed per validator.
  return check('no-error-logs', problems, total + o.errorLines.filter((e) => e.readError !== null).length)
}

/** Validators end only by the run's SIGKILLs and final SIGTERM: no exit of their own,
 * every restart came up, every final stop was clean. */
export function validatorsStayUp(o: ChaosObservation): CheckResult {
  const problems: string[] = []
  for (const e of o.unexpectedExits) problems.push(`node ${e.node} exited by itself with code ${e.code ?? 'signal'}`)
  for (const k of o.kills) if (k.restartError !== null) problems.push(`node ${k.node} did not restart after its kill at ${k.atMs} ms: ${k.restartError}`)
  for (const s of o.finalStops) {
    if (!s.wasRunning) problems.push(`node ${s.node} was not running at the end`)
    else if (s.code !== 0) problems.push(`node ${s.node} exited with code ${s.code ?? 'signal'} on the final SIGTERM`)
  }
  return check('validators-stay-up', problems)
}

export function runChecks(o: ChaosObservation): CheckResult[] {
  return [ackedOnEveryNode, headsAgree, noEntryTwice, defaultExportAudits, nothingStranded, commitsAcknowledged, noErrorLogs, validatorsStayUp].map((c) => c(o))
}
