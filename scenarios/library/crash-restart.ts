// crash-restart: one validator is killed three times (like kill -9: whatever it had not
// persisted is lost) and restarted from its storage after a second each time. Its
// safety state was durable before any vote left, so it never votes twice in a round;
// it catches up on blocks committed while it was down. Runs on the net backend too
// (SIGKILL and restart of a real process).
// Expected: safe-and-live.
import { crash, defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'crash-restart',
  description: 'one node is killed and restarted three times',
  cluster: { nodes: 4 },
  faults: [
    crash({ node: 2, at: 500, until: 1500 }),
    crash({ node: 2, at: 2200, until: 3200 }),
    crash({ node: 2, at: 3800, until: 4600 }),
  ],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
