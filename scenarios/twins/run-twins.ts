// Running Twins cases on the simulator and counting what happened: how many cases the
// space holds, how many were run, how many were safe, live, and met their expectation
// (within f: safe and live; beyond f: a sweep reports how many forked).
import { validateScenario } from '../dsl/validate.ts'
import { runScenarioSim } from '../run/sim-backend.ts'
import type { ScenarioRun } from '../run/types.ts'
import type { SignatureMode } from '../sim/standin-signatures.ts'
import { TwinsSpace, twinsScenarioSpec, type TwinsCase, type TwinsOptions } from './generator.ts'

export interface TwinsCaseOutcome {
  readonly index: number
  readonly description: string
  readonly safe: boolean
  readonly live: boolean | null
  readonly met: boolean
  readonly problems: readonly string[]
  /** The first safety violation found (e.g. the fork), or null. */
  readonly violation: string | null
  readonly replay: string
}

/** The first violated safety invariant's first line of evidence. */
export function firstViolation(run: ScenarioRun): string | null {
  for (const inv of run.report.invariants) {
    if (inv.held) continue
    const lines = (inv.evidence as { violations?: readonly string[] } | undefined)?.violations
    return lines?.[0] ?? inv.name
  }
  return null
}

export interface TwinsSweepResult {
  readonly options: TwinsOptions
  readonly seed: number
  /** Distinct cases in the space (twin choices x partitions^rounds). */
  readonly generated: number
  readonly partitionsPerRound: number
  readonly run: number
  readonly safe: number
  readonly live: number
  readonly met: number
  /** Cases that broke safety (expected only beyond f). */
  readonly unsafe: readonly TwinsCaseOutcome[]
  /** Cases that did not meet their expectation (within f: a bug). */
  readonly failures: readonly TwinsCaseOutcome[]
}

export function twinsReplayCommand(options: TwinsOptions, index: number, seed: number, signatures: SignatureMode): string {
  return `npx node scripts/twins-sweep.ts --nodes ${options.nodes} --twins ${options.twins} --rounds ${options.rounds} --groups ${options.groupsMax}${(options.holdRounds ?? 1) > 1 ? ` --hold ${options.holdRounds}` : ''}${options.leaders === 'per-round' ? ' --leaders per-round' : ''} --seed ${seed} --case ${index} --signatures ${signatures}`
}

/** One case; `seed` drives everything the case leaves open (latencies, workload);
 * `signatures` real Ed25519 unless the stand-in is asked for (docs/scenarios.md). */
export function runTwinsCase(space: TwinsSpace, index: number, seed: number, signatures: SignatureMode = 'ed25519'): { case: TwinsCase, run: ScenarioRun } {
  const c = space.at(index)
  const scenario = validateScenario(twinsScenarioSpec(c, space.options))
  const run = runScenarioSim(scenario, seed, `twins case ${index}`, signatures)
  return { case: c, run: { ...run, replay: twinsReplayCommand(space.options, index, seed, signatures) } }
}

export function runTwinsSweep(options: TwinsOptions, count: number, seed: number, onCase?: (done: number, total: number, outcome: TwinsCaseOutcome) => void): TwinsSweepResult {
  const space = new TwinsSpace(options)
  const indices = space.sample(count, seed)
  const outcomes: TwinsCaseOutcome[] = []
  for (const index of indices) {
    const { run } = runTwinsCase(space, index, seed)
    const outcome: TwinsCaseOutcome = { index, description: run.report.description, safe: run.safe, live: run.live, met: run.met, problems: run.problems, violation: firstViolation(run), replay: run.replay }
    outcomes.push(outcome)
    onCase?.(outcomes.length, indices.length, outcome)
  }
  const beyond = options.twins > Math.floor((options.nodes - 1) / 3)
  return {
    options,
    seed,
    generated: space.size,
    partitionsPerRound: space.partitionsPerRound,
    run: outcomes.length,
    safe: outcomes.filter((o) => o.safe).length,
    live: outcomes.filter((o) => o.live === true).length,
    met: outcomes.filter((o) => o.met).length,
    unsafe: outcomes.filter((o) => !o.safe),
    // Beyond f a safe case is no bug (most schedules do not fork); within f every miss is.
    failures: beyond ? [] : outcomes.filter((o) => !o.met),
  }
}
