// The scenario DSL: declare a cluster, a timeline of faults, Byzantine behaviours, a
// workload, a duration and the expected outcome; see docs/scenarios.md.
export { crash, defineScenario, flap, isScenario, link, partition, skew } from './builders.ts'
export { simOptionsOf } from './compile.ts'
export { ScenarioError } from './errors.ts'
export { DSL_LIMITS } from './limits.ts'
export { validateScenario } from './validate.ts'
export type * from './types.ts'
