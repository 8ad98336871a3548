// rolling-crashes: n = 7 (f = 2). Four validators crash and restart one after another,
// never more than f = 2 down at once; each restarts from its durable storage (safety
// state, blocks, committed log) and catches up while the next one goes down.
// Finding (seed 1012, for one): the crash order 0, 1, 2, 3 every 0.8 s tracks the
// round-robin leader order at the pace rounds advance by timeout, so each crash takes
// out the next leader and nothing commits during the whole outage. That is within the
// protocol's promise, which is liveness once faults stop (a leader-reputation election
// would avoid crashed leaders); so no progress window is required here.
// Expected: safe-and-live (every node commits every probe after the faults).
import { crash, defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'rolling-crashes',
  description: 'n=7: four nodes crash and restart in turn, at most f=2 down at once',
  cluster: { nodes: 7 },
  faults: [
    crash({ node: 0, at: 400, until: 1900 }),
    crash({ node: 1, at: 1200, until: 2700 }),
    crash({ node: 2, at: 2000, until: 3500 }),
    crash({ node: 3, at: 2800, until: 4300 }),
  ],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
