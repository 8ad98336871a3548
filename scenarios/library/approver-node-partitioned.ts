// approver-node-partitioned: four agents propose 2-of-3 decisions and vote on each other's,
// each agent's votes going only to its home validator (agent a to node a). Node 3, the
// home of agent 3, is cut off from 1 s to 4 s: agent 3's votes wait there and commit after
// the heal (those signed for a decision whose deadline passed meanwhile are ignored by the
// rules). Every honest node must compute the same decision states.
// Expected: safe-and-live, with progress on the majority during the partition.
import { defineScenario, partition } from '../dsl/index.ts'

export default defineScenario({
  name: 'approver-node-partitioned',
  description: 'an approver\'s only validator is partitioned away for 3 s; its votes commit after the heal; every honest node computes the same decision states',
  cluster: { nodes: 4 },
  faults: [partition({ at: 1000, until: 4000, groups: [[3]] })],
  workload: { agents: 4, ratePerSecond: 30, decisions: { share: 0.4, threshold: 2, deadlineHeights: 40, rejectShare: 0.3, votesToHomeNode: true } },
  durationMs: 6000,
  expect: { outcome: 'safe-and-live', progress: [{ from: 1000, to: 4000, minBlocks: 3, nodes: [0, 1, 2] }] },
})
