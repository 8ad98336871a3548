// forged-certificates: node 0 corrupts half of what it sends (flipped signature bits on
// votes, timeouts and proposals, tampered entries) and broadcasts quorum and commit
// certificates with made-up signatures for rounds and heights far ahead. Honest nodes
// reject every one of them (see the report's rejection table) and are not moved.
// Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'forged-certificates',
  description: 'node 0 sends corrupted signatures and forged QCs/CCs for far-ahead rounds',
  cluster: { nodes: 4 },
  byzantine: [{ node: 0, behaviour: 'forge' }],
  workload: { agents: 3, ratePerSecond: 20 },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
