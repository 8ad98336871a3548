// twins (after Twins, Bano et al. 2020): node 3 runs as two instances with one key and
// two independent states. For 3 s the network is {0, 1, 3} | {2, 3'}: each instance
// hears a different half, so node 3 equivocates and double-votes with honest code. One
// twin is within f = 1: only the side with a quorum ({0, 1, 3}) commits, and after
// the heal everyone agrees. Expected: safe-and-live.
import { defineScenario, partition } from '../dsl/index.ts'

export default defineScenario({
  name: 'twins',
  description: "node 3 is two instances, one per side of {0,1,3} | {2,3'} for 3 s",
  cluster: { nodes: 4 },
  byzantine: [{ node: 3, behaviour: 'twins' }],
  faults: [partition({ at: 500, until: 3500, groups: [[0, 1, 3], [2, "3'"]] })],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 4500,
  expect: { outcome: 'safe-and-live', progress: [{ from: 500, to: 3500, minBlocks: 2, nodes: [0, 1] }] },
})
