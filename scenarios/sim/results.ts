// What a run reports: its figures, computed from the instances once the event loop ends.
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import type { Evidence } from '../checkers/run-evidence.ts'
import { statsOf, type Instance } from './instance.ts'
import { replayCommand, type SimOptions } from './options.ts'
import type { SimStorage } from './storage.ts'

export interface SimResult {
  readonly options: SimOptions
  readonly safetyViolations: string[]
  readonly livenessFailures: string[]
  /** Exceptions thrown by replica code (always a bug when at most f are faulty), as
   * text, and what the driver saw go wrong in the actions it executed. */
  readonly errors: string[]
  /** What the watching checkers recorded while the run went on (scenarios/checkers/watch.ts):
   * honest replicas acting on invalid objects, safety states moving backwards, replica
   * errors (each also in `errors`). Any evidence fails the run. */
  readonly evidence: readonly Evidence[]
  readonly entriesCommitted: number
  readonly blocksCommitted: number
  readonly rounds: number
  readonly timeouts: number
  readonly messages: number
  readonly rejected: number
  readonly latencyP50: number
  readonly latencyP99: number
  /** Every entry's submit-to-first-honest-commit latency, virtual ms, ascending. */
  readonly latencies: readonly number[]
  /** Virtual ms from the end of faults until every honest node committed every probe (or -1). */
  readonly convergenceMs: number
  readonly endMs: number
  readonly replay: string
}

/** What the event loop leaves behind, for the figures of a run. */
export interface RunEnd {
  readonly options: SimOptions
  readonly instances: readonly Instance[]
  /** Submit-to-first-honest-commit latencies, ascending. */
  readonly latencies: number[]
  readonly errors: readonly string[]
  readonly evidence: readonly Evidence[]
  readonly messages: number
  readonly endMs: number
  /** Virtual time when every correct node had every probe (-1: never). */
  readonly convergedAt: number
}

export function simResult(end: RunEnd): SimResult {
  const o = end.options
  const honest = end.instances.filter((i) => i.honest)
  let entries = 0
  let blocks = 0
  let rounds = 0
  let timeouts = 0
  let rejected = 0
  for (const inst of honest) {
    const h = inst.storage.committed.length - 1
    if (h > blocks) {
      blocks = h
      entries = inst.storage.log.size
    }
  }
  for (const inst of honest) {
    if (inst.replica !== null) rounds = Math.max(rounds, inst.replica.inner.round)
    const s = statsOf(inst)
    timeouts += s.timeouts
    rejected += s.rejected
  }
  return {
    options: o,
    safetyViolations: [],
    livenessFailures: [],
    errors: [...end.errors],
    evidence: [...end.evidence],
    entriesCommitted: entries,
    blocksCommitted: blocks,
    rounds,
    timeouts,
    messages: end.messages,
    rejected,
    latencyP50: percentile(end.latencies, 0.5),
    latencyP99: percentile(end.latencies, 0.99),
    latencies: end.latencies,
    convergenceMs: end.convergedAt < 0 ? -1 : end.convergedAt - o.faultsStopMs,
    endMs: end.endMs,
    replay: replayCommand(o),
  }
}

export function committedIds(storage: SimStorage): Set<string> {
  const ids = new Set<string>()
  for (const block of storage.committed) for (const e of block.entries) ids.add(toHex(entryId(e)))
  return ids
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

