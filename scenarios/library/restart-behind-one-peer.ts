// restart-behind-one-peer: n = 4, all honest, small blocks (blockEntriesMax 8) under
// 80 entries/s for 12 s. Node 0 is down from 0.2 s to 9 s, so it restarts far behind,
// and until 11 s it can reach only node 3; no faults after that. The others keep
// committing meanwhile. Each ingredient alone passed; together they once left node 0
// at its height for good (issue 11, defect 3): its range requests went unanswered when
// they asked beyond a peer's head, and sync was retried only on its round timer,
// which the others' progress kept resetting. Expected: safe-and-live.
import { crash, defineScenario, link } from '../dsl/index.ts'

export default defineScenario({
  name: 'restart-behind-one-peer',
  description: 'n=4: node 0 restarts far behind and can first reach only node 3; it must catch up',
  cluster: { nodes: 4, params: { blockEntriesMax: 8 } },
  faults: [
    crash({ node: 0, at: 200, until: 9000 }),
    link({ from: 0, to: [1, 2], at: 9000, until: 11_000, loss: 1 }),
  ],
  workload: { agents: 3, ratePerSecond: 80, from: 0, until: 12_000 },
  durationMs: 12_000,
  expect: { outcome: 'safe-and-live' },
})
