// clock-skew: node 0's timers run 4x fast (it gives up on rounds early and keeps
// broadcasting timeouts) and node 1's at 0.3x (it waits far too long). Timeouts need a
// quorum to form a TC, and f+1 timeouts make the others join, so neither node alone can
// rush or hold back the cluster. Expected: safe-and-live.
import { defineScenario, skew } from '../dsl/index.ts'

export default defineScenario({
  name: 'clock-skew',
  description: "node 0's timers run 4x fast and node 1's at 0.3x for the whole fault phase",
  cluster: { nodes: 4 },
  faults: [skew({ node: 0, at: 0, rate: 4 }), skew({ node: 1, at: 0, rate: 0.3 })],
  network: { delayMs: [20, 60], jitterMs: 40, loss: 0.02 },
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
