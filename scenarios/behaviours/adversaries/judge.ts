// One seeded run of a rule-targeting adversary, judged by every checker and by its
// rejections: each kind of forgery its tampers made in the run (they record it as they
// make one, tamper.ts) must have been refused by the replicas with the typed rejection
// it names at least once. A kind made and never refused was accepted; a kind never made
// (the adversary did not meet its conditions in this run) is not judged here.
import { SAFETY_CHECKERS, checkLiveness } from '../../checkers/index.ts'
import { describeEvidence } from '../../checkers/run-evidence.ts'
import { recordOf } from '../../runner.ts'
import { deriveOptions, Simulation, type SimOptions } from '../../sim/simulator.ts'
import { expectedRejections, type AdversaryName } from './index.ts'
import { forgeryLedger } from './tamper.ts'

export interface AdversaryRun {
  readonly seed: number
  readonly problems: readonly string[]
  /** Counts of the expected rejection keys. */
  readonly rejections: ReadonlyMap<string, number>
  /** Per expected rejection key, the forgeries of that kind made in the run. */
  readonly made: ReadonlyMap<string, number>
  readonly replay: string
  /** Messages delivered, by type (e.g. 'range-response': whether a replica range-synced). */
  readonly delivered: ReadonlyMap<string, number>
}

export function runAdversary(seed: number, behaviour: AdversaryName, given: Partial<SimOptions> = {}): AdversaryRun {
  const sim = new Simulation(deriveOptions(seed, { ...given, behaviour }))
  const result = sim.run()
  const record = recordOf(sim, result)
  const rejections = new Map(expectedRejections(behaviour).map((key) => [key, sim.rejections.get(key) ?? 0]))
  const ledger = forgeryLedger(sim.genesis)
  const made = new Map(expectedRejections(behaviour).map((key) => [key, ledger.get(key) ?? 0]))
  const unrefused = [...made].filter(([key, count]) => count > 0 && rejections.get(key) === 0).map(([key, count]) => `made ${count}, never refused: ${key}`)
  const problems = [
    ...SAFETY_CHECKERS.flatMap((check) => check(record)), ...checkLiveness(record), ...result.evidence.filter((e) => e.code !== 'replica-error').map(describeEvidence),
    ...result.errors.map((e) => `replica error: ${e.split('\n')[0]}`), ...unrefused,
  ]
  const delivered = new Map([...sim.messageCounts].map(([type, c]) => [type, c.delivered]))
  return { seed, problems, rejections, made, replay: result.replay, delivered }
}
