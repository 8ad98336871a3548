// silent-leader-partition (the worked example of docs/scenarios.md): node 1 never
// proposes, the links from node 0 are slow (120 ms) for a while, and node 2 is cut off
// for 2 s. The three others still hold a quorum (the silent node votes). Rounds led by
// 3 then 0 are consecutive, so the two-chain rule can still commit during the
// partition, slowly: the QC that completes each two-chain is formed by node 1 (the next
// leader), which never proposes, and reaches the others only in its timeout message,
// so about one block commits per four-round cycle. After the heal node 2 catches up.
// (Cutting off node 3 instead leaves no two consecutive rounds with a live leader, and
// nothing commits during the partition: see the docs.)
// Expected: safe-and-live, with at least one block on nodes 0 and 3 during the partition.
import { defineScenario, link, partition } from 'synod/scenarios'

export default defineScenario({
  name: 'silent-leader-partition',
  description: 'node 1 never proposes; node 0 slow; node 2 partitioned away for 2 s',
  cluster: { nodes: 4 },
  byzantine: [{ node: 1, behaviour: 'silent' }],
  faults: [
    link({ from: 0, to: '*', at: 500, until: 2500, delayMs: 120 }),
    partition({ at: 1000, until: 3000, groups: [[2]] }),
  ],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 4000,
  expect: { outcome: 'safe-and-live', progress: [{ from: 1000, to: 3000, minBlocks: 1, nodes: [0, 3] }] },
})
