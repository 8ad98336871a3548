// minority-partition: node 3 is cut off from the other three for 3 s, then the partition
// heals. The majority side {0, 1, 2} is a quorum (q = 3) and keeps committing; node 3 can
// neither commit nor disturb it, and after the heal it fetches what it missed.
// Expected: safe-and-live, with progress on the majority during the partition.
import { defineScenario, partition } from '../dsl/index.ts'

export default defineScenario({
  name: 'minority-partition',
  description: 'node 3 is partitioned away for 3 s; the majority keeps committing; it catches up after the heal',
  cluster: { nodes: 4 },
  faults: [partition({ at: 1000, until: 4000, groups: [[3]] })],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live', progress: [{ from: 1000, to: 4000, minBlocks: 3, nodes: [0, 1, 2] }] },
})
