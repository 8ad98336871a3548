// leader-crash: the leader of the first rounds (node 1 leads round 1) crashes shortly
// after the workload starts and stays down for 3 s, then restarts from its durable
// storage and catches up. With n = 4 the other three are a quorum: rounds led by the
// crashed node time out (a TC moves everyone on) and the others keep committing.
// Expected: safe-and-live, with blocks committed by the three others while node 1 is down.
import { crash, defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'leader-crash',
  description: 'the first leader crashes for 3 s and restarts; the others keep committing',
  cluster: { nodes: 4 },
  faults: [crash({ node: 1, at: 300, until: 3300 })],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 4000,
  expect: { outcome: 'safe-and-live', progress: [{ from: 800, to: 3300, minBlocks: 2, nodes: [0, 2, 3] }] },
})
