// majority-partition: the network splits into {0, 1} and {2, 3} for 3 s. Neither side
// holds a quorum (q = 3 of 4), so nobody may commit: the protocol must stall rather than
// let each side decide alone. What is checked (safe-stalled): every safety invariant;
// no correct node commits a block in [1000 + 600 ms grace, 4000] while the workload keeps
// submitting entries; and after the heal at 4 s (and the end of faults at 5 s) every
// node commits every probe entry within the liveness bound.
// Expected: safe-stalled, then live after the heal.
import { defineScenario, partition } from '../dsl/index.ts'

export default defineScenario({
  name: 'majority-partition',
  description: '{0,1} | {2,3} for 3 s: no quorum anywhere, so no commits; live again after the heal',
  cluster: { nodes: 4 },
  faults: [partition({ at: 1000, until: 4000, groups: [[0, 1], [2, 3]] })],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-stalled', stall: { from: 1000, to: 4000 }, liveAfter: true },
})
