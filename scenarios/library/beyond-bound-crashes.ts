// beyond-bound-crashes: two of four validators crash for good at 1.5 s, one more than
// f = 1 tolerates. Crashes cannot break safety, but two nodes are no quorum, so the
// survivors must stop committing for good (nothing restarts, so there is no liveness
// phase to check). What is checked (safe-stalled): every safety invariant, and no
// commits by nodes 0 and 1 in [1500 + 600 ms grace, 5000] while entries keep arriving.
// Expected: safe-stalled.
import { crash, defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'beyond-bound-crashes',
  description: 'two of four nodes crash for good: no quorum, so the survivors stall (safely)',
  cluster: { nodes: 4 },
  faults: [crash({ node: 2, at: 1500 }), crash({ node: 3, at: 1500 })],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  liveness: false,
  expect: { outcome: 'safe-stalled', stall: { from: 1500, to: 5000, nodes: [0, 1] }, liveAfter: false },
})
