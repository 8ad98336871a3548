// beyond-bound-twins-fork: n = 4 tolerates f = 1, and here two validators (2 and 3) are
// twins, beyond the bound. The network is {0, 2, 3} | {1, 2', 3'} for the whole run:
// each side has three identities, a quorum, so each side certifies and commits its own
// chain. Honest nodes 0 and 1 commit different blocks at the same height: a fork. (f+1
// equivocators alone do not fork: without the partition, honest nodes hear both
// versions and vote once per round. It takes the partition to keep the honest nodes
// from seeing the conflict.) The checkers must catch it; the report's agreement
// evidence shows both blocks (height, hash, round, proposer).
// Expected: unsafe.
import { defineScenario, partition } from '../dsl/index.ts'

export default defineScenario({
  name: 'beyond-bound-twins-fork',
  description: "f+1 = 2 twins with {0,2,3} | {1,2',3'}: both sides have a quorum, so honest nodes fork",
  cluster: { nodes: 4 },
  byzantine: [{ node: 2, behaviour: 'twins' }, { node: 3, behaviour: 'twins' }],
  faults: [partition({ at: 0, groups: [[0, 2, 3], [1, "2'", "3'"]] })],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 3000,
  liveness: false,
  expect: { outcome: 'unsafe' },
})
