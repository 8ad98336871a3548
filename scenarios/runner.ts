// The runner: one seeded simulation judged by every checker, and many of them with a
// summary. Every option of a run derives from its seed (deriveOptions), so a failing
// run is replayed exactly by its printed command.
import { toHex } from '../src/crypto/hash.ts'
import { SAFETY_CHECKERS, checkLiveness, type RunRecord } from './checkers/index.ts'
import { deriveOptions, percentile, Simulation, type SimOptions, type SimResult } from './sim/simulator.ts'

export interface RunOutcome extends SimResult {
  readonly ok: boolean
  readonly seed: number
}

export function recordOf(sim: Simulation, result: SimResult): RunRecord {
  return {
    genesis: sim.genesis,
    leaders: sim.leaders,
    signatures: sim.signatures,
    honest: sim.honestInstances().map((inst) => ({
      name: `node ${inst.identity}`,
      committed: inst.storage.committed,
      hashes: inst.storage.committedHashes,
      ccs: inst.storage.ccs,
      ids: inst.ids,
    })),
    submitted: new Set(sim.submitted.keys()),
    probes: sim.probes,
    convergenceMs: result.convergenceMs,
    livenessBoundMs: result.options.livenessBoundMs,
  }
}

/** One run with all checks. `checkLive` false skips the liveness check (more than f faulty). */
export function runOne(seed: number, given: Partial<SimOptions> = {}, checkLive = true): RunOutcome {
  const sim = new Simulation(deriveOptions(seed, given))
  const result = sim.run()
  const record = recordOf(sim, result)
  const safetyViolations = SAFETY_CHECKERS.flatMap((check) => check(record))
  const livenessFailures = checkLive ? checkLiveness(record) : []
  const ok = safetyViolations.length === 0 && livenessFailures.length === 0 && result.errors.length === 0
  return { ...result, safetyViolations, livenessFailures, ok, seed }
}

export interface Summary {
  readonly runs: number
  /** Runs with at least one safety violation. */
  readonly safetyViolations: number
  /** Runs that were safe but not live. */
  readonly livenessFailures: number
  /** Runs in which replica code threw. */
  readonly errors: number
  readonly commits: number
  readonly blocks: number
  readonly rounds: number
  readonly timeouts: number
  readonly messages: number
  readonly latencyP50: number
  readonly latencyP99: number
  readonly failures: readonly { seed: number, replay: string, problems: string[] }[]
}

export function summarize(outcomes: readonly RunOutcome[]): Summary {
  const latencies = outcomes.flatMap((o) => o.latencies).sort((a, b) => a - b)
  return {
    runs: outcomes.length,
    safetyViolations: outcomes.filter((o) => o.safetyViolations.length > 0).length,
    livenessFailures: outcomes.filter((o) => o.safetyViolations.length === 0 && o.livenessFailures.length > 0).length,
    errors: outcomes.filter((o) => o.errors.length > 0).length,
    commits: outcomes.reduce((s, o) => s + o.entriesCommitted, 0),
    blocks: outcomes.reduce((s, o) => s + o.blocksCommitted, 0),
    rounds: outcomes.reduce((s, o) => s + o.rounds, 0),
    timeouts: outcomes.reduce((s, o) => s + o.timeouts, 0),
    messages: outcomes.reduce((s, o) => s + o.messages, 0),
    latencyP50: percentile(latencies, 0.5),
    latencyP99: percentile(latencies, 0.99),
    failures: outcomes.filter((o) => !o.ok).map((o) => ({ seed: o.seed, replay: o.replay, problems: [...o.safetyViolations, ...o.livenessFailures, ...o.errors.map((e) => `error: ${e.split('\n')[0]}`)] })),
  }
}

/** A stable fingerprint of a run's committed history (for determinism tests). */
export function fingerprint(sim: Simulation): string {
  return sim.instances.map((i) => `${i.identity}:${i.storage.committedHashes.length}:${i.storage.committedHashes[i.storage.committedHashes.length - 1]}`).join('|') + `@${toHex(new Uint8Array([sim.now & 0xff]))}`
}
