// decisions-under-partition: a third of the workload's entries are 2-of-3 decisions among
// four agents and their approvals and rejections (docs/formats.md section 12), while node 3
// is cut off for 3 s and then heals. Every honest node must compute the same decision
// states (the decision-agreement checker), and the log must stay safe and live.
// Expected: safe-and-live, with progress on the majority during the partition.
import { defineScenario, partition } from '../dsl/index.ts'

export default defineScenario({
  name: 'decisions-under-partition',
  description: 'k-of-m decisions and votes in the workload while node 3 is partitioned away for 3 s; every honest node computes the same decision states',
  cluster: { nodes: 4 },
  faults: [partition({ at: 1000, until: 4000, groups: [[3]] })],
  workload: { agents: 4, ratePerSecond: 30, decisions: { share: 0.35, threshold: 2, deadlineHeights: 40, rejectShare: 0.3 } },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live', progress: [{ from: 1000, to: 4000, minBlocks: 3, nodes: [0, 1, 2] }] },
})
