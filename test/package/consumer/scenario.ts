// A researcher's scenario file in the consumer project, importing the DSL from the
// installed package and run by `npx synod scenario run ./scenario.ts` (Node strips the
// types: the file is the user's own, not under node_modules).
import { crash, defineScenario } from 'synod/scenarios'

export default defineScenario({
  name: 'consumer-leader-crash',
  description: 'node 0 crashes at 500 ms and restarts at 1500 ms',
  cluster: { nodes: 4 },
  faults: [crash({ node: 0, at: 500, until: 1500 })],
  workload: { agents: 2, ratePerSecond: 10 },
  durationMs: 3000,
  expect: { outcome: 'safe-and-live' },
})
