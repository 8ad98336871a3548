// What block sync (block-sync.ts, range-sync.ts) needs of its replica: the replica's
// state it reads and the decisions it keeps (validating and inserting a block, accepting
// a commit certificate, committing), as callbacks. Its own file so that both sync modules
// can name it without importing each other.
import type { Block } from '../log/block.ts'
import type { CommitCertificate, QuorumCertificate, TimeoutCertificate } from '../log/certificates.ts'
import type { BlockNode, BlockTree, CommitResult } from './block-tree.ts'
import type { Rejection } from './rejections.ts'
import type { Action, BoundaryCertificate, ProposalMessage, ReplicaLimits, SyncInfoMessage } from './types.ts'
import type { Verifier } from './verifier.ts'

/** What block sync needs of its replica. */
export interface SyncHost {
  readonly tree: BlockTree
  readonly verifier: Verifier
  readonly limits: ReplicaLimits
  /** The replica's directory index (-1 while the directory lacks its key). */
  readonly index: number
  /** The directory indexes of the epoch's validators: the peers sync asks. */
  readonly peers: readonly number[]
  /** The replica's counters (block sync counts its requests). */
  readonly stats: { syncRequests: number }
  /** Verified CCs for blocks above the head, by block hash. */
  readonly pendingCcs: ReadonlyMap<string, CommitCertificate>
  latestCc(): CommitCertificate | null
  highTc(): TimeoutCertificate | null
  now(): number
  started(): boolean
  emit(action: Action): void
  reject(from: number, messageType: string, reason: Rejection): void
  ignore(): void
  /** Validates a block whose parent is in the tree and inserts it (voting on proposals). */
  insertAndVote(from: number, parent: BlockNode, block: Block, proposal: ProposalMessage | null): void
  acceptCc(from: number, cc: CommitCertificate, messageType: string, blockInHand?: boolean): boolean
  applyCommit(result: CommitResult): void
  /** Arms the round timer if there is work. */
  ensureRoundTimer(): void
  /** The replica's sync-info with `highQc`: its epoch, high TC, newest CC (with the links
   * when that is the boundary certificate it keeps). */
  syncInfo(highQc: QuorumCertificate): SyncInfoMessage
  /** A verified CC with links that a range response ended at `node` with: kept as the
   * boundary certificate when `node` is its epoch's reconfiguration block. */
  keepBoundary(node: BlockNode, boundary: BoundaryCertificate): void
}
