// vote-withholding: n = 7 (f = 2). Nodes 2 and 5 never send votes or timeouts (they still
// propose when they lead and serve sync). Every quorum needs all five others, and a TC
// too: one slow honest node would stall a round, so the pacemaker's backoff matters.
// Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'vote-withholding',
  description: 'n=7: two nodes never vote or time out; quorums need every other node',
  cluster: { nodes: 7 },
  byzantine: [{ node: 2, behaviour: 'withhold' }, { node: 5, behaviour: 'withhold' }],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
