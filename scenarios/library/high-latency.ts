// high-latency: n = 7 over a slow, jittery network: every link 80-200 ms one way plus up
// to 150 ms of jitter, so a round trip often exceeds the 400 ms first round timeout.
// Rounds time out until the exponential backoff makes them long enough; then the
// cluster commits steadily. A link to node 6 is slower still (600 ms) for 3 s.
// Expected: safe-and-live.
import { defineScenario, link } from '../dsl/index.ts'

export default defineScenario({
  name: 'high-latency',
  description: 'n=7, 80-200 ms links with 150 ms jitter; node 6 at 600 ms for 3 s',
  cluster: { nodes: 7 },
  network: { delayMs: [80, 200], jitterMs: 150 },
  faults: [link({ from: 6, to: '*', at: 1000, until: 4000, delayMs: 600 })],
  workload: { agents: 3, ratePerSecond: 10 },
  durationMs: 6000,
  expect: { outcome: 'safe-and-live' },
})
