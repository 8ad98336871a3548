// mixed-adversaries: n = 7 (f = 2) under a lossy network with a partition: node 5 runs a
// behaviour picked from the seed ('mixed': a different adversary per seed), node 6
// floods, and node 0 is partitioned away for 2 s. Two Byzantine nodes plus a cut-off
// honest node leave exactly a quorum of five in the majority.
// Expected: safe-and-live.
import { defineScenario, partition } from '../dsl/index.ts'

export default defineScenario({
  name: 'mixed-adversaries',
  description: 'n=7: a seed-picked adversary, a flooder, 3% loss and a minority partition',
  cluster: { nodes: 7 },
  byzantine: [{ node: 5, behaviour: 'mixed' }, { node: 6, behaviour: 'flood', params: { ratePerSecond: 200 } }],
  network: { loss: 0.03, duplicate: 0.02 },
  faults: [partition({ at: 1500, until: 3500, groups: [[0]] })],
  workload: { agents: 4, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
