// The DSL's entry point and its small helpers. A scenario file is:
//
//   import { crash, defineScenario } from '../dsl/index.ts'
//   export default defineScenario({
//     name: 'leader-crash', description: '...',
//     cluster: { nodes: 4 },
//     faults: [crash({ node: 1, at: 1000, until: 3000 })],
//     durationMs: 5000,
//     expect: { outcome: 'safe-and-live' },
//   })
//
// defineScenario validates at once (a bad file fails when it is loaded, with every
// problem listed) and returns the Scenario with all defaults filled in.
import type { CrashFault, FaultSpec, LinkFault, NodeSelector, PartitionFault, Scenario, ScenarioSpec, SkewFault } from './types.ts'
import { validateScenario } from './validate.ts'

export function defineScenario(spec: ScenarioSpec): Scenario {
  return validateScenario(spec)
}

/** Whether a value is a validated scenario (what a scenario file default-exports). */
export function isScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'synod-scenario'
}

export function partition(fault: Omit<PartitionFault, 'kind'>): PartitionFault {
  return { kind: 'partition', ...fault }
}

export function link(fault: Omit<LinkFault, 'kind'>): LinkFault {
  return { kind: 'link', ...fault }
}

export function crash(fault: Omit<CrashFault, 'kind'>): CrashFault {
  return { kind: 'crash', ...fault }
}

export function skew(fault: Omit<SkewFault, 'kind'>): SkewFault {
  return { kind: 'skew', ...fault }
}

/** A link that goes down for `downMs` out of every `periodMs` between `at` and `until`
 * (loss 1 while down): one link fault per outage. */
export function flap(options: { from: NodeSelector, to: NodeSelector, at: number, until: number, periodMs: number, downMs: number, symmetric?: boolean }): FaultSpec[] {
  if (!(options.periodMs > options.downMs && options.downMs > 0)) throw new RangeError(`flap: downMs ${options.downMs} must be above 0 and below periodMs ${options.periodMs}`)
  const out: FaultSpec[] = []
  for (let t = options.at; t + options.downMs <= options.until; t += options.periodMs) {
    out.push(link({ from: options.from, to: options.to, at: t, until: t + options.downMs, loss: 1, ...(options.symmetric === undefined ? {} : { symmetric: options.symmetric }) }))
  }
  return out
}
