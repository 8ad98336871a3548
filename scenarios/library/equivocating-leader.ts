// equivocating-leader: node 1, whenever it leads, sends one proposal to half of its
// peers and a conflicting one (same round and parent, validly signed) to the other half.
// At most one of them can gather a quorum; honest nodes vote once per round, so the
// chain never forks. Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'equivocating-leader',
  description: 'node 1 sends conflicting proposals to two halves of its peers when it leads',
  cluster: { nodes: 4 },
  byzantine: [{ node: 1, behaviour: 'equivocate' }],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
