// One seeded run of a rule-targeting adversary, judged by every checker and by its
// rejections: the honest replicas must have refused its forgeries with the typed
// rejection each names. A forgery that is never refused was accepted (or never made).
import { SAFETY_CHECKERS, checkLiveness } from '../../checkers/index.ts'
import { describeEvidence } from '../../checkers/run-evidence.ts'
import { recordOf } from '../../runner.ts'
import { deriveOptions, Simulation, type SimOptions } from '../../sim/simulator.ts'
import { expectedRejections, type AdversaryName } from './index.ts'

export interface AdversaryRun {
  readonly seed: number
  readonly problems: readonly string[]
  /** Counts of the expected rejection keys. */
  readonly rejections: ReadonlyMap<string, number>
  readonly replay: string
}

export function runAdversary(seed: number, behaviour: AdversaryName, given: Partial<SimOptions> = {}): AdversaryRun {
  const sim = new Simulation(deriveOptions(seed, { ...given, behaviour }))
  const result = sim.run()
  const record = recordOf(sim, result)
  const problems = [...SAFETY_CHECKERS.flatMap((check) => check(record)), ...checkLiveness(record), ...result.evidence.filter((e) => e.code !== 'replica-error').map(describeEvidence), ...result.errors.map((e) => `replica error: ${e.split('\n')[0]}`)]
  const rejections = new Map(expectedRejections(behaviour).map((key) => [key, sim.rejections.get(key) ?? 0]))
  return { seed, problems, rejections, replay: result.replay }
}
