// The leader rule lives in src/log (the auditor checks it too); re-exported for the core.
export { isLeaderOf, leaderElectionFor, RoundRobinLeaderElection, upcomingLeaders, type LeaderElection } from '../log/leader-election.ts'
