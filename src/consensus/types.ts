// The consensus core's contract with its drivers (the libp2p/level node and the
// deterministic simulator). The core is a state machine: a driver feeds it Events and
// executes the Actions it returns, IN ORDER. It never reads a clock, touches a socket or
// a disk, or draws a random number: time comes in as `now`, randomness as the seed.
//
// Driver obligations (the whole contract; docs/protocol.md explains why):
//  1. Execute the actions of one step() in the order given. A 'persist-safety-state'
//     or 'persist-block' action must be durable (fsync'd) before any LATER 'send' or
//     'broadcast' of the same step leaves the process. This is what makes a restart
//     never double-vote.
//  2. 'set-timer' replaces the previous timer of the same kind. When it fires, deliver
//     {type:'timer', kind, round}. Stale timers are harmless (the core checks the round).
//  3. 'commit' actions arrive in height order with no gaps; append the blocks to the
//     committed log and store them (and the cc, qc when present) by height.
//     'store-commit-certificate' may arrive for a block committed earlier.
//  4. 'serve-sync': answer with serveSyncRequest() (sync.ts) from the driver's store,
//     with the chain's syncResponseBytesMax(params.blockBytesMax), and send the result
//     to `to`. The core keeps no committed blocks beyond its head.
//  5. Deliver messages from the network as {type:'message', from, message}, where
//     `from` is the directory index (Replica.directory: every validator of every epoch,
//     in order of first appearance) of the peer connection's authenticated key; 'send'
//     actions' `to` is one too. The core never trusts a message for its sender: every
//     signature and certificate is checked.
//  6. On restart, construct the Replica with RestoredState (below) built from what
//     the actions above persisted, then deliver {type:'start'}.
import type { Block, BlockHeader } from '../log/block.ts'
import type { SignatureScheme } from '../crypto/signature-scheme.ts'
import type { CommitCertificate, QuorumCertificate, TimeoutCertificate } from '../log/certificates.ts'
import type { Entry, Hash } from '../log/entry.ts'
import type { Genesis } from '../log/genesis.ts'
import type { GovernanceState } from '../governance/state.ts'
import type { EpochPosition } from '../log/epochs.ts'
import type { MerkleAccumulatorState } from '../log/merkle.ts'
import type { LeaderElection } from '../log/leader-election.ts'
import type { Rejection } from './rejections.ts'

// ---------------------------------------------------------------------------------
// Messages (wire encoding in messages.ts)
// ---------------------------------------------------------------------------------

/** A leader's proposal for its round. `sig` is the proposer's signature (kind
 * 'proposal') over {block: blockHash(header)}. `tc` is present when the round was
 * entered by a timeout certificate for round-1; `cc` is the newest commit certificate
 * the leader formed (checkpoint for every node to store). */
export interface ProposalMessage {
  readonly type: 'proposal'
  readonly block: Block
  readonly sig: Uint8Array
  readonly tc: TimeoutCertificate | null
  readonly cc: CommitCertificate | null
}

/** The commit half of a vote: a signature (kind 'commit') over the parent's
 * CommitData, present iff the voted block's round is its parent's round + 1. */
export interface CommitVote {
  readonly height: number
  readonly block: Hash
  readonly logSize: number
  readonly logRoot: Hash
  readonly sig: Uint8Array
}

/** A vote (kind 'vote' over VoteData {round, height, block}); sent to leader(round+1).
 * `epoch`: the voted block's epoch, absent for epoch 0 (and then absent on the wire). It
 * is not signed as such: it selects the set whose key must verify the signature, and the
 * block hash the signature covers names the epoch. */
export interface VoteMessage {
  readonly type: 'vote'
  readonly epoch?: number
  readonly voter: number
  readonly round: number
  readonly height: number
  readonly block: Hash
  readonly sig: Uint8Array
  readonly commit: CommitVote | null
}

/** A timeout (kind 'timeout' over {round, highQcRound: highQc.round}, and from epoch 1 on
 * `epoch`: docs/formats.md section 15.3); broadcast. `epoch` absent for epoch 0. */
export interface TimeoutMessage {
  readonly type: 'timeout'
  readonly epoch?: number
  readonly voter: number
  readonly round: number
  readonly highQc: QuorumCertificate
  readonly highTc: TimeoutCertificate | null
  readonly sig: Uint8Array
}

/** Certificates only: sent back to a peer that is behind, and broadcast when a commit
 * certificate forms after the leader already proposed. */
export interface SyncInfoMessage {
  readonly type: 'sync-info'
  /** The sender's epoch, whose set signed `highQc` (unless it certifies the epoch's root,
   * the reconfiguration block before it) and `highTc`; absent for epoch 0. */
  readonly epoch?: number
  readonly highQc: QuorumCertificate
  readonly highTc: TimeoutCertificate | null
  readonly highCc: CommitCertificate | null
  /** When `highCc` is an epoch's boundary certificate for a suffix block: the suffix
   * headers from the reconfiguration block's child to its block (BoundaryCertificate).
   * Absent otherwise (and on the wire: a sync-info without links encodes as before). */
  readonly links?: readonly BlockHeader[]
}

/** An epoch's boundary certificate (docs/formats.md section 15.3): a commit certificate
 * of the epoch's set for its reconfiguration block (`links` empty), or for a suffix
 * block, with `links` the suffix headers from the reconfiguration block's child to that
 * block, each the parent of the next. It proves the reconfiguration block committed. */
export interface BoundaryCertificate {
  readonly cc: CommitCertificate
  readonly links: readonly BlockHeader[]
}

/** Client entries forwarded by the node that accepted them to the next f+1 leaders
 * (one hop: receivers never forward them again; docs/protocol.md, "Dissemination"). */
export interface EntriesMessage {
  readonly type: 'entries'
  readonly entries: readonly Entry[]
}

/** Asks for the block with hash `block` and up to count-1 of its ancestors. */
export interface BlockRequest {
  readonly type: 'block-request'
  readonly block: Hash
  readonly count: number
}

/** Answer to a BlockRequest: blocks in DESCENDING height order, starting with the one asked for. */
export interface BlockResponse {
  readonly type: 'block-response'
  readonly blocks: readonly Block[]
}

/** Asks for committed blocks at heights [fromHeight, toHeight]. */
export interface RangeRequest {
  readonly type: 'range-request'
  readonly fromHeight: number
  readonly toHeight: number
}

/** Committed blocks in ASCENDING height order from fromHeight (at least one), and the
 * proof that they are committed: `cc` certifies the last block, or a later block whose
 * header `links` chain to it (links[0] is the last block's child, each header the
 * parent of the next, the last one the block `cc` certifies). So every prefix of the
 * blocks is provably committed. `cc` null: the server holds no certificate for these heights (the
 * requester then verifies them through their QCs only). */
export interface RangeResponse {
  readonly type: 'range-response'
  readonly blocks: readonly Block[]
  readonly links: readonly BlockHeader[]
  readonly cc: CommitCertificate | null
}

/** Answer to a RangeRequest the peer cannot serve: it has committed nothing at
 * fromHeight. `height` is its committed height and `cc` the commit certificate of its
 * newest certified height when it holds one (a hint only: nothing in it is trusted
 * except a cc that verifies). Sent instead of silence, so that the requester asks
 * another peer at once. */
export interface RangeEmpty {
  readonly type: 'range-empty'
  readonly fromHeight: number
  readonly height: number
  readonly cc: CommitCertificate | null
}

/** Asks a peer for its newest certificates; answered with a 'sync-info'. A node sends it
 * on start and, while it knows of nothing to fetch, on a slow timer: on an idle chain
 * nothing else would tell a node that it is behind. */
export interface StatusRequest {
  readonly type: 'status-request'
}

export type SyncRequest = BlockRequest | RangeRequest
export type Message =
  | ProposalMessage | VoteMessage | TimeoutMessage | SyncInfoMessage | EntriesMessage
  | BlockRequest | BlockResponse | RangeRequest | RangeResponse | RangeEmpty | StatusRequest
export type MessageType = Message['type']

// ---------------------------------------------------------------------------------
// Events (inputs)
// ---------------------------------------------------------------------------------

/** 'round': the pacemaker's round timer. 'propose': a leader's short wait to fill a
 * block (genesis params.proposalDelayMs). 'sync': retries of fetches and status polls,
 * independent of rounds (a round timer that the others' progress keeps resetting
 * never fires; sync must not wait for it). For 'sync', `round` is the replica's own
 * timer token, not a round. */
export type TimerKind = 'round' | 'propose' | 'sync'

/** Events. Sync data arrives as messages ('block-response', 'range-response', 'range-empty') from the
 * peer the core asked; the core accepts only what it asked for and verifies all of it. */
export type Event =
  | { readonly type: 'start', readonly now: number }
  | { readonly type: 'message', readonly now: number, readonly from: number, readonly message: Message }
  | { readonly type: 'timer', readonly now: number, readonly kind: TimerKind, readonly round: number }
  /** Entries from clients of this node. Answered by one 'submitted' action. */
  | { readonly type: 'submit', readonly now: number, readonly entries: readonly Entry[] }
  /** Optional, for a driver that checks a range response's entries on other threads
   * before delivering it: the response will come as a 'message' once that is done. The
   * replica may ask for the range after it meanwhile, so that its peer serves it while
   * this one is checked; nothing else is taken from it until the message comes, and is
   * verified then. */
  | { readonly type: 'range-arriving', readonly now: number, readonly from: number, readonly message: RangeResponse }

// ---------------------------------------------------------------------------------
// Actions (outputs)
// ---------------------------------------------------------------------------------

export interface SubmitResult {
  readonly id: Hash
  /** null: accepted (or already known); otherwise why the entry was refused. */
  readonly rejected: Rejection | null
}

export type Action =
  /** Make durable before executing any later action of this step. Overwrites the previous one. */
  | { readonly type: 'persist-safety-state', readonly state: SafetyState }
  /** A validated, not yet committed block (store by hash; needed on restart and to serve sync). */
  | { readonly type: 'persist-block', readonly hash: Hash, readonly block: Block }
  | { readonly type: 'send', readonly to: number, readonly message: Message }
  /** To every other validator (not to this one). */
  | { readonly type: 'broadcast', readonly message: Message }
  | { readonly type: 'set-timer', readonly kind: TimerKind, readonly round: number, readonly delayMs: number }
  /** Blocks newly committed, ascending and contiguous from the previous commit. `qc`
   * certifies the last block when known; `cc` is its commit certificate when known;
   * `log` is the accumulator state after the last block. */
  | {
    readonly type: 'commit'
    readonly blocks: readonly Block[]
    readonly hashes: readonly Hash[]
    readonly qc: QuorumCertificate | null
    readonly cc: CommitCertificate | null
    readonly log: MerkleAccumulatorState
  }
  /** A verified commit certificate for an already committed height: store by height. */
  | { readonly type: 'store-commit-certificate', readonly cc: CommitCertificate }
  /** The boundary certificate of the committed reconfiguration block at `height` (its
   * epoch's last committed block): store it with that block, replacing one with more
   * links, and serve it in range responses (SyncStore.boundaryCertificate). Its `cc` may
   * be for a suffix block above `height`, which is never committed: not a certificate
   * to store by its own height. */
  | { readonly type: 'store-boundary-certificate', readonly height: number, readonly boundary: BoundaryCertificate }
  /** Answer `request` from the driver's store with serveSyncRequest() and send it to `to`. */
  | { readonly type: 'serve-sync', readonly to: number, readonly request: SyncRequest }
  /** A provably invalid message (penalise the sender). Never acted upon. */
  | { readonly type: 'rejected', readonly from: number, readonly messageType: string, readonly reason: Rejection }
  | { readonly type: 'submitted', readonly results: readonly SubmitResult[] }

// ---------------------------------------------------------------------------------
// Persistent state and restart
// ---------------------------------------------------------------------------------

/**
 * The safety rules' state. A replica must never lose it: persisted (overwriting) on
 * every 'persist-safety-state' action, BEFORE the vote or timeout that follows leaves.
 */
export interface SafetyState {
  /** Highest round this replica voted or timed out in; it never votes at or below it. */
  readonly lastVotedRound: number
  /** Highest round of a parent of a block this replica voted for (the two-chain lock). */
  readonly preferredRound: number
  /** Highest QC round this replica has observed while voting; timeouts never claim less. */
  readonly oneChainRound: number
  /** Highest round this replica signed a timeout for. */
  readonly highestTimeoutRound: number
  /** The last vote, so a repeated request in the same round gets the same vote. */
  readonly lastVote: VoteMessage | null
  /** The last timeout, re-sent unchanged when the round timer fires again. */
  readonly lastTimeout: TimeoutMessage | null
  /** The highest QC and TC known when the state was written (restart resumes from them). */
  readonly highQc: QuorumCertificate
  readonly highTc: TimeoutCertificate | null
  /** The epoch this state is of, absent for epoch 0 (and then absent in its encoding):
   * votes and timeouts are signed for it only. A later epoch starts a fresh state
   * (SafetyRules.startEpoch; docs/protocol.md, "Safety at the boundary" 3). */
  readonly epoch?: number
  /** From epoch 1 on: the hash of the epoch's root, the reconfiguration block its first
   * block extends, whose QC counts as the epoch's round 0. Absent in epoch 0. */
  readonly epochRoot?: Hash
}

/**
 * What a driver gives back after a crash. Built from: the last persisted SafetyState;
 * the committed log (last committed block, its accumulator state from the 'commit'
 * action's `log`, and every agent's highest committed seq, derived from the committed
 * entries); and every block persisted by 'persist-block' that is not committed (the
 * core drops those that do not descend from the committed head).
 */
export interface RestoredState {
  readonly safety: SafetyState
  readonly committedHead: Block
  /** The QC certifying the head, from the last 'commit' action's `qc` (null if none). */
  readonly committedQc: QuorumCertificate | null
  readonly committedLog: MerkleAccumulatorState
  /** Hex agent public key -> highest committed seq. */
  readonly agentSeqs: ReadonlyMap<string, number>
  readonly pendingBlocks: readonly Block[]
  /** The governance state after the committed head (docs/formats.md section 13): needed
   * when the genesis has governance and the head is above 0, rebuilt from the committed
   * log (PolicyLedger); not read otherwise. */
  readonly governance?: GovernanceState | null
  /** The epoch position after the committed head (docs/formats.md section 15.3): its
   * epoch, and that epoch's reconfiguration block when the head is it. Not persisted:
   * replayed from the committed log (EpochReplay, positionAfterBlocks in
   * src/log/epochs.ts). Absent: the genesis position (epoch 0, no reconfiguration),
   * right for every chain a replica refusing reconfigurations has built. */
  readonly position?: EpochPosition
  /** The validator directory after the committed head, its keys in index order (the
   * genesis set first, then each effective reconfiguration's new keys), replayed from the
   * committed log like `position` (EpochReplay.directory). Absent: the genesis set, then
   * the keys of the head's epoch and of the epoch it starts (right for a chain with at
   * most one epoch change). */
  readonly directory?: readonly Uint8Array[]
}

// ---------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------

/** Implementation bounds of one replica (not consensus-critical: replicas may differ). */
export interface ReplicaLimits {
  /** Entries held in the mempool. When full, new entries are refused with 'mempool-full'. */
  readonly mempoolEntriesMax: number
  readonly mempoolBytesMax: number
  /** Uncommitted blocks held in the block tree; more are ignored until a commit prunes. */
  readonly pendingBlocksMax: number
  /** Proposals waiting for a missing ancestor. */
  readonly bufferedProposalsMax: number
  /** Blocks asked for / served in one sync request. */
  readonly syncBlocksMax: number
  /** A certified block more than this many heights above the committed head is fetched
   * by committed height range (with commit certificates) instead of by hash. */
  readonly syncWindowHeights: number
  /** Attempts to fetch one missing block or range (each to another peer) at the first
   * retry delay; beyond, the retries go on (never suppressed) with the delay doubling. */
  readonly syncRetriesMax: number
  /** First delay of the sync timer, which retries fetches nobody answered (lost, or
   * to a peer that is behind or down); it doubles while retries bring nothing. */
  readonly syncRetryMs: number
  /** Longest delay between sync retries. */
  readonly syncRetryMaxMs: number
  /** While nothing is being fetched: how often peers are asked for their newest
   * certificates (a 'status-request'), so a node behind on an idle chain learns it. */
  readonly statusIntervalMs: number
  /** Verified-entry cache (entry ids), and verified-certificate cache. */
  readonly verifiedEntriesMax: number
  readonly verifiedCertificatesMax: number
  /** Messages for rounds further ahead than this are ignored (a Byzantine peer cannot
   * make us allocate state for round 2^50). */
  readonly futureRoundsMax: number
}

export interface ReplicaOptions {
  readonly genesis: Genesis
  /** The validator's index in the validator directory (every validator of every epoch,
   * in order of first appearance; a genesis validator's is its genesis index). Absent:
   * the replica finds its key in the directory, and until a committed reconfiguration
   * names it (a joining validator) it has none and follows the chain without a part in
   * it (docs/protocol.md, "The replica at the boundary", step 6). */
  readonly validatorIndex?: number
  /** The validator's 32-byte Ed25519 seed. */
  readonly seed: Uint8Array
  readonly limits?: Partial<ReplicaLimits>
  /** Who leads each round; the chain's election (leaderElectionFor(genesis)) unless given.
   * The same election must be given to every replica and to the chain's auditors. */
  readonly leaders?: LeaderElection
  /** UNSAFE, benchmark chains only (consensus/unsafe-bench.ts): entry signatures are not
   * verified. Refused (RangeError) on any chain without the benchmark marker. */
  readonly unsafeSkipEntrySignatures?: boolean
  /** What the replica does with an entry that would be an effective reconfiguration.
   * 'refuse' (the default, and the node's unless configured): refused at submit and in blocks
   * (`entry-reconfiguration-unsupported`), so its chain never leaves epoch 0.
   * 'halt-at-boundary': accepted; the replica follows its epoch up to the reconfiguration
   * block, proposes empty suffix blocks, keeps and stores the boundary certificate, and
   * then stops proposing: it cannot switch sets yet (docs/protocol.md, "The replica at
   * the boundary"), so nothing commits after the boundary. Safe (the capped commit), not
   * live: for the core's tests of the steps before the switch.
   * 'switch': as 'halt-at-boundary' up to the boundary; then, holding the boundary
   * certificate for its committed head, the replica enters the next epoch (fresh safety
   * state, its set, round 1, the root QC as round 0) and, if it is a member of the epoch's
   * set (its key in it), proposes, votes and times out in it; a replica outside the set
   * does none of these and follows the chain. The node's under its config's
   * `"reconfigurations": "switch"` (docs/operations.md section 8); the simulator runs
   * 'refuse'. */
  readonly reconfigurations?: 'refuse' | 'halt-at-boundary' | 'switch'
  /** The scheme the replica signs and verifies with: ED25519 unless given. Only the
   * simulator passes another (its stand-in, scenarios/sim/standin-signatures.ts); the node
   * never does, and no configuration or message can select one. */
  readonly signatures?: SignatureScheme
}
