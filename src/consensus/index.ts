// The consensus core's public API: the Replica state machine, its contract types, the
// wire codec and the sync-serving helper that drivers use.
export { Replica, type ReplicaStats } from './replica.ts'
export type {
  Action, Event, Message, MessageType, TimerKind, SubmitResult,
  ProposalMessage, VoteMessage, CommitVote, TimeoutMessage, SyncInfoMessage, EntriesMessage,
  BlockRequest, BlockResponse, RangeRequest, RangeResponse, SyncRequest,
  SafetyState, RestoredState, ReplicaOptions, ReplicaLimits,
} from './types.ts'
export { encodeMessage, decodeMessage, messageToCbor, messageFromCbor, encodeSafetyState, decodeSafetyState } from './messages.ts'
export { serveSyncRequest, type SyncStore } from './sync.ts'
export { DEFAULT_REPLICA_LIMITS } from './replica-limits.ts'
export { initialSafetyState } from './safety-rules.ts'
export { UNSAFE_BENCH_CHAIN_PREFIX, skipEntrySignaturesRefusal, skipEntrySignaturesWarning } from './unsafe-bench.ts'
export { RoundRobinLeaderElection, type LeaderElection } from './leader-election.ts'
export { describe as describeRejection, isRejection, rootCause, REJECTION_CODES, type Rejection, type RejectionCode, type RejectionOf } from './rejections.ts'
