// duplication-reordering: 30% of messages are delivered twice and every message gets up
// to 200 ms of jitter on 2-10 ms links, so messages routinely overtake each other: votes
// before proposals, a QC before its block, old timeouts after new ones. 5% are lost.
// Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'duplication-reordering',
  description: '30% duplicated, 5% lost, 200 ms jitter on 2-10 ms links: heavy reordering',
  cluster: { nodes: 4 },
  network: { delayMs: [2, 10], jitterMs: 200, duplicate: 0.3, loss: 0.05 },
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
