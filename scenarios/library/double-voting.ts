// double-voting: n = 7 (f = 2). Node 1 equivocates as leader and node 4 votes for every
// proposal it sees, outside the safety rules (so for both conflicting blocks of node 1's
// rounds), plus a vote for a made-up block in every round. Two Byzantine votes per block
// are not enough for a second quorum (q = 5) without two honest ones.
// Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'double-voting',
  description: 'n=7: an equivocating leader plus a node that votes for everything',
  cluster: { nodes: 7 },
  byzantine: [{ node: 1, behaviour: 'equivocate' }, { node: 4, behaviour: 'double-vote' }],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
