// censored-approvals: validator 1 drops every decision vote it is given (censor-votes)
// while four agents propose 2-of-3 decisions and vote on each other's. Every entry goes to
// f+1 validators, so each vote reaches an honest one and commits through the other
// leaders: decisions are still approved and rejected, and every honest node computes the
// same decision states.
// Expected: safe-and-live.
import { defineScenario } from '../dsl/index.ts'

export default defineScenario({
  name: 'censored-approvals',
  description: 'a Byzantine validator censors decision votes; they commit through the other leaders; every honest node computes the same decision states',
  cluster: { nodes: 4 },
  byzantine: [{ node: 1, behaviour: 'censor-votes' }],
  workload: { agents: 4, ratePerSecond: 30, decisions: { share: 0.4, threshold: 2, deadlineHeights: 40, rejectShare: 0.3 } },
  durationMs: 5000,
  expect: { outcome: 'safe-and-live' },
})
