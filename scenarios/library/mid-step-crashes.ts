// mid-step-crashes: every validator may crash in the middle of executing a step (after a
// random prefix of its actions: a vote persisted but not sent, a block stored but the
// safety state not yet...), 1% of steps, restarting 50-1000 ms later; node 1 also
// crashes for good halfway through (it counts as the one faulty node). This is the
// restart contract under test: persist before send, rebuild from storage.
// Expected: safe-and-live.
import { crash, defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'mid-step-crashes',
  description: 'random crashes inside steps on every node (1% of steps), one node crashes for good',
  cluster: { nodes: 4 },
  faults: [crash({ node: 1, at: 2500 })],
  chaos: { midStepCrashRate: 0.01 },
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
