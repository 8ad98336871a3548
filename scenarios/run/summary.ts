// Many runs of one scenario: a summary and one line per outcome (what `--json` prints).
import { Prng } from '../sim/prng.ts'
import { percentile } from '../sim/simulator.ts'
import type { ScenarioRun } from './types.ts'

/** Problems kept per run in the JSON summary (the report file holds them all). */
const PROBLEMS_PER_RUN_MAX = 5

export interface RunLine {
  readonly seed: number
  readonly met: boolean
  readonly safe: boolean
  readonly live: boolean | null
  readonly stalled: boolean | null
  readonly blocks: number
  readonly commits: number
  readonly rounds: number
  readonly timeouts: number
  readonly messages: number
  readonly latencyP50: number | null
  readonly latencyP99: number | null
  readonly convergenceMs: number | null
  readonly problems: readonly string[]
  readonly replay: string
  readonly reports?: { readonly json: string, readonly html: string }
}

export interface ScenarioSummary {
  readonly scenario: string
  readonly expected: string
  readonly backend: string
  readonly seeds: readonly [number, number]
  readonly runs: number
  readonly met: number
  readonly failed: number
  readonly safe: number
  readonly commits: number
  readonly latencyP50: number | null
  readonly latencyP99: number | null
  readonly failingSeeds: readonly number[]
  readonly replay: readonly string[]
  readonly outcomes: readonly RunLine[]
}

export function runLine(run: ScenarioRun, reports?: { json: string, html: string }): RunLine {
  const s = run.report.stats
  return {
    seed: run.seed, met: run.met, safe: run.safe, live: run.live, stalled: run.stalled,
    blocks: s.blocks, commits: s.commits, rounds: s.rounds, timeouts: s.timeouts, messages: s.messages,
    latencyP50: s.latencyP50, latencyP99: s.latencyP99, convergenceMs: run.report.convergenceMs ?? null,
    problems: run.problems.slice(0, PROBLEMS_PER_RUN_MAX), replay: run.replay,
    ...(reports === undefined ? {} : { reports }),
  }
}

/** Latencies kept for the summary's percentiles over many runs (reservoir sample):
 * enough for stable p99s, bounded memory whatever --runs is. */
export const LATENCY_SAMPLES_MAX = 200_000

/** A uniform sample of every latency offered, at most LATENCY_SAMPLES_MAX (seeded). */
export class LatencyReservoir {
  readonly samples: number[] = []
  #seen = 0
  readonly #rng: Prng
  constructor(seed: number) {
    this.#rng = new Prng(seed)
  }
  add(values: readonly number[]): void {
    for (const v of values) {
      this.#seen++
      if (this.samples.length < LATENCY_SAMPLES_MAX) this.samples.push(v)
      else {
        const j = this.#rng.int(this.#seen)
        if (j < LATENCY_SAMPLES_MAX) this.samples[j] = v
      }
    }
  }
}

export function summarizeRuns(scenario: string, expected: string, backend: string, lines: readonly RunLine[], latencySample: readonly number[]): ScenarioSummary {
  const latencies = [...latencySample].sort((a, b) => a - b)
  const failed = lines.filter((r) => !r.met)
  return {
    scenario, expected, backend,
    seeds: [lines[0]?.seed ?? 0, lines.at(-1)?.seed ?? 0],
    runs: lines.length,
    met: lines.length - failed.length,
    failed: failed.length,
    safe: lines.filter((r) => r.safe).length,
    commits: lines.reduce((sum, r) => sum + r.commits, 0),
    latencyP50: latencies.length === 0 ? null : percentile(latencies, 0.5),
    latencyP99: latencies.length === 0 ? null : percentile(latencies, 0.99),
    failingSeeds: failed.map((r) => r.seed),
    replay: failed.map((r) => r.replay),
    outcomes: lines,
  }
}
