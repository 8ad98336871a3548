// replayed-messages: node 2 re-sends old messages it received (proposals, votes,
// timeouts, certificates, entries) to random peers, long after they were current, on
// top of running the protocol honestly. Old rounds are ignored, known blocks and
// entries deduplicated. Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'replayed-messages',
  description: 'node 2 replays old messages to random peers',
  cluster: { nodes: 4 },
  byzantine: [{ node: 2, behaviour: 'replay' }],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
