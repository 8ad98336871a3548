// flapping-links: three links go down and up again on different rhythms for 5 s (0-1
// down 300 ms of every 700, 2-3 down 400 of every 900, 1-2 down 500 of every 1100). No
// side is cut off for long, but messages are lost in bursts and quorums keep changing.
// Expected: safe-and-live.
import { defineScenario, flap } from '../dsl/index.ts'

export default defineScenario({
  name: 'flapping-links',
  description: 'three links go down and up on different rhythms',
  cluster: { nodes: 4 },
  faults: [
    ...flap({ from: 0, to: 1, at: 300, until: 5300, periodMs: 700, downMs: 300 }),
    ...flap({ from: 2, to: 3, at: 500, until: 5300, periodMs: 900, downMs: 400 }),
    ...flap({ from: 1, to: 2, at: 700, until: 5300, periodMs: 1100, downMs: 500 }),
  ],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5500,
  expect: { outcome: 'safe-and-live' },
})
