// Block sync for the replica: fetching the blocks it lacks, by hash when they are close
// to its head (block requests, orphans waiting for their parent, QCs waiting for their
// block) and by committed height range when it is far behind (range sync, pipelined),
// the sync timer that retries both with backoff, and status polls. The replica owns the
// decisions about blocks (validation, voting, commits); it hands them to this module
// through SyncHost (sync-host.ts) and feeds it the sync messages; range sync, for a replica
// far behind, is range-sync.ts. Sans-IO like the replica: everything
// it does is an action emitted through the host, in the same order as before the split.
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { blockHash, type Block } from '../log/block.ts'
import type { QuorumCertificate } from '../log/certificates.ts'
import type { Hash } from '../log/entry.ts'
import { BLOCK_REQUEST_COUNT_MAX } from './messages.ts'
import { RangeSync, type HashFetch } from './range-sync.ts'
import type { SyncHost } from './sync-host.ts'
import type { BlockResponse, ProposalMessage } from './types.ts'

/** `from` of messages a replica hands to itself (its own proposal and vote). */
export const SELF = -1
/** Orphan blocks (fetched or proposed, parent still missing) kept per replica. */
const ORPHANS_MAX = 256
/** QCs waiting for their block. */
const WAITING_QCS_MAX = 64
/** A peer's status requests are answered at most this often (virtual or real ms, from
 * the events' `now`): an answer carries three certificates, a request nothing. */
const STATUS_ANSWER_INTERVAL_MS = 1000
/** The sync retry delay doubles at most this many times (then syncRetryMaxMs caps it). */
const SYNC_BACKOFF_STEPS_MAX = 16

interface Want {
  readonly height: number
  /** Peers to ask, in order; the first is the one that told us about the block. */
  readonly peers: number[]
  attempts: number
}


export interface Orphan {
  readonly from: number
  readonly block: Block
  readonly hashHex: string
  /** Set for proposals (which are voted on once their parent arrives). */
  readonly proposal: ProposalMessage | null
}


export class BlockSync implements HashFetch {
  readonly #host: SyncHost
  /** Blocks wanted by hash (close to the head), by block hash. */
  readonly wants = new Map<string, Want>()
  /** Blocks (fetched or proposed) whose parent is still missing, by block hash. */
  readonly orphans = new Map<string, Orphan>()
  /** Verified QCs whose block we lack, by block hash. */
  readonly waitingQcs = new Map<string, QuorumCertificate>()
  /** Range sync, when far behind. */
  readonly range: RangeSync
  /** The armed sync timer's token (0: none) and whether it was armed for fetching (the
   * retry delay) or for a status poll (statusIntervalMs). */
  #syncTimer = 0
  #syncTimerFetching = false
  #syncTokens = 0
  /** Sync timers in a row that found no progress (the retry delay doubles with them). */
  #syncFruitless = 0
  /** A sync response brought blocks since the last sync timer. */
  #syncProgress = false
  /** When each peer's status request was last answered (events' `now`). */
  readonly #statusAnswered = new Map<number, number>()

  constructor(host: SyncHost) {
    this.#host = host
    this.range = new RangeSync(host, this)
  }

  /** The height a range sync is bringing the chain to (undefined: none under way). */
  get rangeTarget(): number | undefined {
    return this.range.target?.height
  }

  /** Whether blocks are being fetched (by hash or by height range), so that sync
   * responses are expected. */
  get fetching(): boolean {
    return this.range.target !== null || this.wants.size > 0
  }

  noteProgress(): void {
    this.#syncProgress = true
  }

  /** Forgets what the head has passed (after a commit up to `headHeight`). */
  prune(headHeight: number): void {
    for (const [key, w] of this.wants) if (w.height <= headHeight) this.wants.delete(key)
    for (const [key, o] of this.orphans) if (o.block.header.height <= headHeight) this.orphans.delete(key)
    for (const [key, q] of this.waitingQcs) if (q.height <= headHeight) this.waitingQcs.delete(key)
    this.range.prune(headHeight)
  }

  onBlockResponse(from: number, m: BlockResponse): void {
    if (m.blocks.length === 0) return this.#host.ignore()
    const hashes = m.blocks.map((b) => blockHash(b.header))
    const firstHex = toHex(hashes[0]!)
    if (!this.wants.has(firstHex)) return this.#host.ignore()
    for (let i = 0; i + 1 < m.blocks.length; i++) {
      if (!bytesEqual(m.blocks[i]!.header.parent, hashes[i + 1]!)) return this.#host.reject(from, m.type, { code: 'blocks-not-chained', index: i, next: i + 1 })
    }
    this.wants.delete(firstHex)
    this.#syncProgress = true
    // Ascending: each block's parent is either in the tree or the previous one.
    for (let i = m.blocks.length - 1; i >= 0; i--) {
      const block = m.blocks[i]!
      const hashHex = toHex(hashes[i]!)
      if (block.header.height <= this.#host.tree.head.header.height || this.#host.tree.get(hashHex) !== undefined) continue
      const parent = this.#host.tree.get(toHex(block.header.parent))
      if (parent === undefined) {
        this.addOrphan({ from, block, hashHex, proposal: null })
        if (i === m.blocks.length - 1) this.want(toHex(block.header.parent), block.header.height - 1, from)
        continue
      }
      if (!this.verifyJustify(from, block)) return
      this.#host.insertAndVote(from, parent, block, null)
    }
  }

  waitQc(qc: QuorumCertificate, from: number): void {
    const key = toHex(qc.block)
    if (!this.waitingQcs.has(key) && this.waitingQcs.size >= WAITING_QCS_MAX) return
    const known = this.waitingQcs.get(key)
    if (known === undefined || qc.round > known.round) this.waitingQcs.set(key, qc)
    this.want(key, qc.height, from)
  }

  addOrphan(orphan: Orphan): void {
    if (this.orphans.size >= ORPHANS_MAX) return this.#host.ignore()
    this.orphans.set(orphan.hashHex, orphan)
  }

  /** Fetches a block we lack (and its ancestors): by hash when close, by committed
   * height range when far behind. */
  want(hashHex: string, height: number, from: number): void {
    const headHeight = this.#host.tree.head.header.height
    if (height <= headHeight || this.#host.tree.get(hashHex) !== undefined) return
    if (height > headHeight + this.#host.limits.syncWindowHeights) {
      this.range.aim(height, this.#peerOrder(from))
      return
    }
    if (height <= this.range.reach()) return
    if (this.wants.has(hashHex)) return
    if (this.wants.size >= this.#host.limits.bufferedProposalsMax) return
    const want: Want = { height, peers: this.#peerOrder(from), attempts: 0 }
    this.wants.set(hashHex, want)
    this.#requestBlock(hashHex, want)
    this.#host.ensureRoundTimer()
  }

  /** Wants again every missing block that something verified points to: the parents of
   * orphans, the blocks of waiting QCs and of pending CCs. #want skips those already
   * wanted, so nothing is asked twice; what a full want table or a range sync set aside
   * is asked for once there is room. */
  rewant(): void {
    const headHeight = this.#host.tree.head.header.height
    for (const [key, qc] of this.waitingQcs) if (qc.height > headHeight && this.#host.tree.get(key) === undefined) this.want(key, qc.height, SELF)
    for (const [key, cc] of this.#host.pendingCcs) if (cc.height > headHeight && this.#host.tree.get(key) === undefined) this.want(key, cc.height, SELF)
    for (const orphan of this.orphans.values()) {
      const parentHex = toHex(orphan.block.header.parent)
      if (this.#host.tree.get(parentHex) === undefined && !this.orphans.has(parentHex)) this.want(parentHex, orphan.block.header.height - 1, orphan.from)
    }
  }

  /** `first`, then every other validator of the epoch in set order (deterministic). */
  #peerOrder(first: number): number[] {
    const peers = first === SELF || first === this.#host.index ? [] : [first]
    for (const i of this.#host.peers) if (i !== this.#host.index && i !== first) peers.push(i)
    return peers
  }

  #requestBlock(hashHex: string, want: Want): void {
    if (want.peers.length === 0) return
    const to = want.peers[want.attempts % want.peers.length]!
    want.attempts++
    this.#host.stats.syncRequests++
    // Ancestors down to the head, or down to what a range sync brings.
    const below = Math.max(this.#host.tree.head.header.height, this.range.reach())
    const count = Math.min(BLOCK_REQUEST_COUNT_MAX, this.#host.limits.syncBlocksMax, Math.max(1, want.height - below))
    this.#host.emit({ type: 'send', to, message: { type: 'block-request', block: hexToBytes(hashHex), count } })
  }

  /** Arms the sync timer: while fetching, at the retry delay (doubling while retries
   * bring nothing); otherwise for a status poll, at most the status interval apart.
   * An armed timer is left alone (so progress elsewhere never postpones a retry),
   * except a status timer when a fetch starts: the retry timer replaces it. */
  ensureSyncTimer(): void {
    if (!this.#host.started()) return
    const fetching = this.fetching
    if (this.#syncTimer !== 0 && (this.#syncTimerFetching || !fetching)) return
    // A fetch starting after a quiet spell (or a status poll after a fetch) starts its
    // backoff afresh: the polls' count says nothing about the peers' answers to fetches.
    if (fetching !== this.#syncTimerFetching) this.#syncFruitless = 0
    // Fetching: retries at the first delay for syncRetriesMax timers, then doubling.
    // Polling: from the first delay after start (the peers may not have been connected
    // for the poll on start), doubling up to the status interval.
    const steps = Math.min(SYNC_BACKOFF_STEPS_MAX, fetching ? Math.max(0, this.#syncFruitless - this.#host.limits.syncRetriesMax + 1) : this.#syncFruitless)
    const delayMs = Math.min(fetching ? this.#host.limits.syncRetryMaxMs : this.#host.limits.statusIntervalMs, this.#host.limits.syncRetryMs * 2 ** steps)
    this.#syncTimer = ++this.#syncTokens
    this.#syncTimerFetching = fetching
    this.#host.emit({ type: 'set-timer', kind: 'sync', round: this.#syncTimer, delayMs })
  }

  /** The sync timer: ask the next peer for what is still missing (fetches are never
   * given up: a block stops being wanted only when the head passes it), or, when
   * nothing is being fetched, poll the peers' status. Re-armed by step(). */
  onSyncTimer(token: number): void {
    if (token !== this.#syncTimer) return this.#host.ignore()
    const wasFetching = this.#syncTimerFetching
    this.#syncTimer = 0
    if (this.#syncProgress) this.#syncFruitless = 0
    else this.#syncFruitless++
    this.#syncProgress = false
    if (!this.fetching) {
      if (!wasFetching) this.#host.emit({ type: 'broadcast', message: { type: 'status-request' } })
      return
    }
    const reach = this.range.reach()
    for (const [hashHex, want] of [...this.wants]) {
      if (want.height <= reach) {
        // A range sync now brings it.
        this.wants.delete(hashHex)
        continue
      }
      this.#requestBlock(hashHex, want)
    }
    this.range.onTimer()
    this.rewant()
  }

  /** Answers a peer's status request with this replica's newest certificates. */
  onStatusRequest(from: number): void {
    const highQc = this.#host.tree.highQc
    const last = this.#statusAnswered.get(from)
    if (highQc === null || (last !== undefined && this.#host.now() - last < STATUS_ANSWER_INTERVAL_MS)) return this.#host.ignore()
    this.#statusAnswered.set(from, this.#host.now())
    this.#host.emit({ type: 'send', to: from, message: this.#host.syncInfo(highQc) })
  }

  verifyJustify(from: number, block: Block): boolean {
    // The justify QC certifies the parent: its epoch's set signed it (an epoch's first
    // block is justified by the epoch before's), when the parent is at hand; else the
    // replica's own epoch's.
    const parent = this.#host.tree.get(toHex(block.header.parent))
    const problem = this.#host.verifier.qc(block.header.justify, parent?.position.epoch)
    if (problem === null) return true
    this.#host.reject(from, 'block', { code: 'certificate-rejected', certificate: 'justify QC', problem })
    return false
  }
}

/** Bytes from hex (a hash this replica formatted itself). */
export function hexToBytes(hex: string): Hash {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
