// Block sync for the replica: fetching the blocks it lacks, by hash when they are close
// to its head (block requests, orphans waiting for their parent, QCs waiting for their
// block) and by committed height range when it is far behind (range sync, pipelined),
// the sync timer that retries both with backoff, and status polls. The replica owns the
// decisions about blocks (validation, voting, commits); it hands them to this module
// through SyncHost and feeds it the sync messages. Sans-IO like the replica: everything
// it does is an action emitted through the host, in the same order as before the split.
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { blockHash, type Block } from '../log/block.ts'
import type { CommitCertificate, QuorumCertificate, TimeoutCertificate } from '../log/certificates.ts'
import type { Hash } from '../log/entry.ts'
import type { ValidatorSet } from '../log/validator-set.ts'
import type { BlockNode, BlockTree, CommitResult } from './block-tree.ts'
import { BLOCK_REQUEST_COUNT_MAX, RANGE_REQUEST_HEIGHTS_MAX } from './messages.ts'
import type { Action, BlockResponse, ProposalMessage, RangeEmpty, RangeResponse, ReplicaLimits } from './types.ts'
import type { Verifier } from './verifier.ts'

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

/** A committed height far above the head, fetched by height ranges. Range requests are
 * pipelined: on a response that extends the head up to a certified block, the next range
 * is requested before this one is verified, so the peer reads and sends it meanwhile. */
interface RangeTarget {
  height: number
  /** Peers to ask, in order; the first is the one that told us about the height. */
  peers: number[]
  attempts: number
  /** First height of the latest request (0: none yet): a request for the same heights is
   * not sent again while it may still be answered. */
  requestedFrom: number
  /** Head height when the last request ahead was sent (-1: none): one request ahead per
   * head, so responses that fail verification cannot make this replica send more. */
  aheadAtHead: number
  /** A response advanced the head (or is arriving) since the last sync timer: the
   * request it sent may still be answered. */
  progressed: boolean
  /** The latest request is unanswered; `askedPeer` is whom it went to. */
  inFlight: boolean
  askedPeer: number
  /** Peers that answered 'range-empty' at head height `emptyAtHead`: not asked again
   * for it until the sync timer. */
  readonly emptyPeers: Set<number>
  emptyAtHead: number
}

export interface Orphan {
  readonly from: number
  readonly block: Block
  readonly hashHex: string
  /** Set for proposals (which are voted on once their parent arrives). */
  readonly proposal: ProposalMessage | null
}

/** What block sync needs of its replica. */
export interface SyncHost {
  readonly tree: BlockTree
  readonly verifier: Verifier
  readonly limits: ReplicaLimits
  readonly index: number
  readonly set: ValidatorSet
  /** The replica's counters (block sync counts its requests). */
  readonly stats: { syncRequests: number }
  /** Verified CCs for blocks above the head, by block hash. */
  readonly pendingCcs: ReadonlyMap<string, CommitCertificate>
  latestCc(): CommitCertificate | null
  highTc(): TimeoutCertificate | null
  now(): number
  started(): boolean
  emit(action: Action): void
  reject(from: number, messageType: string, reason: string): void
  ignore(): void
  /** Validates a block whose parent is in the tree and inserts it (voting on proposals). */
  insertAndVote(from: number, parent: BlockNode, block: Block, proposal: ProposalMessage | null): void
  acceptCc(from: number, cc: CommitCertificate, messageType: string, blockInHand?: boolean): boolean
  applyCommit(result: CommitResult): void
  /** Arms the round timer if there is work. */
  ensureRoundTimer(): void
}

export class BlockSync {
  readonly #host: SyncHost
  /** Blocks wanted by hash (close to the head), by block hash. */
  readonly wants = new Map<string, Want>()
  /** Blocks (fetched or proposed) whose parent is still missing, by block hash. */
  readonly orphans = new Map<string, Orphan>()
  /** Verified QCs whose block we lack, by block hash. */
  readonly waitingQcs = new Map<string, QuorumCertificate>()
  /** The committed height fetched by ranges, when far behind (null: none). */
  rangeTarget: RangeTarget | null = null
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
  }

  /** Whether blocks are being fetched (by hash or by height range), so that sync
   * responses are expected. */
  get fetching(): boolean {
    return this.rangeTarget !== null || this.wants.size > 0
  }

  /** Forgets what the head has passed (after a commit up to `headHeight`). */
  prune(headHeight: number): void {
    for (const [key, w] of this.wants) if (w.height <= headHeight) this.wants.delete(key)
    for (const [key, o] of this.orphans) if (o.block.header.height <= headHeight) this.orphans.delete(key)
    for (const [key, q] of this.waitingQcs) if (q.height <= headHeight) this.waitingQcs.delete(key)
    if (this.rangeTarget !== null && headHeight >= this.rangeTarget.height) this.rangeTarget = null
  }

  onBlockResponse(from: number, m: BlockResponse): void {
    if (m.blocks.length === 0) return this.#host.ignore()
    const hashes = m.blocks.map((b) => blockHash(b.header))
    const firstHex = toHex(hashes[0]!)
    if (!this.wants.has(firstHex)) return this.#host.ignore()
    for (let i = 0; i + 1 < m.blocks.length; i++) {
      if (!bytesEqual(m.blocks[i]!.header.parent, hashes[i + 1]!)) return this.#host.reject(from, m.type, `block ${i} does not chain to block ${i + 1}`)
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
      if (!this.#verifyJustify(from, block)) return
      this.#host.insertAndVote(from, parent, block, null)
    }
  }

  onRangeResponse(from: number, m: RangeResponse): void {
    const target = this.rangeTarget
    if (target === null || m.blocks.length === 0) return this.#host.ignore()
    const headBefore = this.#host.tree.head.header.height
    if (m.blocks[0]!.header.height !== headBefore + 1) return this.#host.ignore()
    if (target.requestedFrom === headBefore + 1 && target.askedPeer === from) target.inFlight = false
    const hashes = m.blocks.map((b) => blockHash(b.header))
    // With a commit certificate, every block is provably committed once it chains by
    // hash to the certified one: then each verified block commits, whatever follows it.
    let proven = false
    if (m.cc !== null) {
      const problem = certifiedChainProblem(m, hashes)
      if (problem !== null) return this.#host.reject(from, m.type, problem)
      if (!this.#host.acceptCc(from, m.cc, m.type, true)) return
      proven = true
      this.#requestAhead(from, m.blocks, hashes)
    }
    let lastInserted: BlockNode | null = null
    let refused = false
    for (let i = 0; i < m.blocks.length; i++) {
      const block = m.blocks[i]!
      const hashHex = toHex(hashes[i]!)
      // Known, or committed meanwhile (blocks fetched by hash, and orphans they resolved,
      // may have got ahead of this range).
      const known = this.#host.tree.get(hashHex)
      if (known !== undefined || block.header.height <= this.#host.tree.head.header.height) {
        if (known !== undefined) lastInserted = known
        continue
      }
      const parent = this.#host.tree.get(toHex(block.header.parent))
      if (parent === undefined) {
        this.#host.reject(from, m.type, `block at height ${block.header.height} does not chain to the previous one`)
        refused = true
        break
      }
      if (!this.#verifyJustify(from, block)) {
        refused = true
        break
      }
      this.#host.insertAndVote(from, parent, block, null)
      const node = this.#host.tree.get(hashHex)
      if (node === undefined) {
        if (block.header.height > this.#host.tree.head.header.height) refused = true // invalid: rejected
        if (refused) break
        continue
      }
      lastInserted = node
    }
    // The verified prefix commits (the whole response when nothing was refused).
    const head = this.#host.tree.head
    if (proven && lastInserted !== null && lastInserted.header.height > head.header.height && this.#host.tree.extends(lastInserted, head.hashHex)) {
      this.#host.applyCommit(this.#host.tree.commitTo(lastInserted))
    }
    const headHeight = this.#host.tree.head.header.height
    const advanced = headHeight > headBefore
    if (advanced) this.#syncProgress = true
    // Committing may have ended this target (or a certificate seen meanwhile started another).
    const current = this.rangeTarget
    if (current === null) {
      this.rewant()
      return
    }
    if (this.#rangeDone(current)) return
    if (!advanced) return // refused, or nothing new: the sync timer asks again
    current.progressed = true
    if (refused) current.attempts++ // the rest from another peer
    // Usually the request ahead already asked for what follows the new head.
    if (!current.inFlight || current.requestedFrom !== headHeight + 1) this.#requestRange()
  }

  /** A peer has committed nothing at the height asked for: ask another one at once
   * (each at most once per head height; after that, the sync timer asks again). */
  onRangeEmpty(from: number, m: RangeEmpty): void {
    const target = this.rangeTarget
    if (target === null || !target.inFlight || target.askedPeer !== from || m.fromHeight !== target.requestedFrom) return this.#host.ignore()
    target.inFlight = false
    if (m.cc !== null && !this.#host.acceptCc(from, m.cc, m.type)) return
    const current = this.rangeTarget
    if (current === null) {
      this.rewant()
      return
    }
    if (this.#rangeDone(current)) return
    const headHeight = this.#host.tree.head.header.height
    if (current.emptyAtHead !== headHeight) {
      current.emptyPeers.clear()
      current.emptyAtHead = headHeight
    }
    current.emptyPeers.add(from)
    if (!current.inFlight) this.#requestRange()
  }

  /** Ends a range sync that has nothing left to bring: the head reached its target, or
   * no height above the head is known committed and the target is within the window
   * (its blocks are fetched by hash: a range holds committed blocks only). */
  #rangeDone(target: RangeTarget): boolean {
    const headHeight = this.#host.tree.head.header.height
    const committedAbove = (this.#host.latestCc()?.height ?? 0) > headHeight
    if (headHeight < target.height && (committedAbove || target.height > headHeight + this.#host.limits.syncWindowHeights)) return false
    this.rangeTarget = null
    this.rewant()
    return true
  }

  /** A range response the driver will deliver later (see the 'range-arriving' event):
   * asks for the range after it if it would be asked for on delivery. Rejects nothing:
   * a response that fails here is rejected when it is delivered. */
  onRangeArriving(from: number, m: RangeResponse): void {
    const target = this.rangeTarget
    if (target === null || m.blocks.length === 0 || m.cc === null) return
    if (m.blocks[0]!.header.height !== this.#host.tree.head.header.height + 1) return
    const hashes = m.blocks.map((b) => blockHash(b.header))
    if (certifiedChainProblem(m, hashes) !== null) return
    // Cached: the CC is not verified again on delivery.
    if (this.#host.verifier.cc(m.cc) !== null) return
    // On its way: the sync timer must not ask for it again meanwhile.
    target.progressed = true
    this.#requestAhead(from, m.blocks, hashes)
  }

  /**
   * Asks `from` for the range after this response's blocks before they are verified, so
   * that the peer serves it meanwhile. Only when the response's commit certificate has
   * verified (the caller checked it is for the last block, so its height is one a quorum
   * committed) and its blocks chain by hash from the head to that block: then, once they
   * verify, the head is the last block and the next range starts right after it. At most
   * one request ahead per head height: a response that then fails verification leaves the
   * head where it was and cannot make this replica ask again (the round timer retries).
   */
  #requestAhead(from: number, blocks: readonly Block[], hashes: readonly Hash[]): void {
    const target = this.rangeTarget
    const head = this.#host.tree.head
    const next = blocks[blocks.length - 1]!.header.height + 1
    if (target === null || next > target.height || target.requestedFrom === next || target.aheadAtHead === head.header.height) return
    if (!bytesEqual(blocks[0]!.header.parent, head.hash)) return
    for (let i = 1; i < blocks.length; i++) {
      if (blocks[i]!.header.height !== blocks[i - 1]!.header.height + 1 || !bytesEqual(blocks[i]!.header.parent, hashes[i - 1]!)) return
    }
    target.aheadAtHead = head.header.height
    this.#sendRangeRequest(target, from, next)
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
      const target = this.rangeTarget
      if (target === null) {
        this.rangeTarget = {
          height, peers: this.#peerOrder(from), attempts: 0, requestedFrom: 0, aheadAtHead: -1, progressed: false,
          inFlight: false, askedPeer: -1, emptyPeers: new Set(), emptyAtHead: -1,
        }
        this.#requestRange()
      } else if (height > target.height) {
        // Same target, further away: what was requested so far still counts. A newly
        // certified height is news: when nothing is in flight, ask at once.
        target.height = height
        target.peers = this.#peerOrder(from)
        target.attempts = 0
        target.emptyPeers.clear()
        if (!target.inFlight) this.#requestRange()
      }
      return
    }
    if (height <= this.#rangeReach()) return
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

  /** While a range sync is under way, the height up to which it brings the blocks: its
   * target, or the newest commit certificate if lower (ranges hold committed blocks
   * only). Blocks up to there are left to it: fetched by hash as well, they would be
   * served and verified twice. 0 when no range sync is under way. */
  #rangeReach(): number {
    const target = this.rangeTarget
    if (target === null) return 0
    return Math.min(target.height, this.#host.latestCc()?.height ?? 0)
  }

  /** `first`, then every other validator in index order (deterministic). */
  #peerOrder(first: number): number[] {
    const peers = first === SELF || first === this.#host.index ? [] : [first]
    for (let i = 0; i < this.#host.set.n; i++) if (i !== this.#host.index && i !== first) peers.push(i)
    return peers
  }

  #requestBlock(hashHex: string, want: Want): void {
    if (want.peers.length === 0) return
    const to = want.peers[want.attempts % want.peers.length]!
    want.attempts++
    this.#host.stats.syncRequests++
    // Ancestors down to the head, or down to what a range sync brings.
    const below = Math.max(this.#host.tree.head.header.height, this.#rangeReach())
    const count = Math.min(BLOCK_REQUEST_COUNT_MAX, this.#host.limits.syncBlocksMax, Math.max(1, want.height - below))
    this.#host.emit({ type: 'send', to, message: { type: 'block-request', block: hexToBytes(hashHex), count } })
  }

  /** Asks the next peer in turn for the range after the head, skipping those that just
   * said they have nothing there (none left: the sync timer asks again later). */
  #requestRange(): void {
    const target = this.rangeTarget
    if (target === null || target.peers.length === 0) return
    const headHeight = this.#host.tree.head.header.height
    const skip = target.emptyAtHead === headHeight ? target.emptyPeers : null
    for (let tries = 0; tries < target.peers.length; tries++) {
      const to = target.peers[target.attempts % target.peers.length]!
      target.attempts++
      if (skip !== null && skip.has(to)) continue
      this.#sendRangeRequest(target, to, headHeight + 1)
      return
    }
  }

  #sendRangeRequest(target: RangeTarget, to: number, fromHeight: number): void {
    this.#host.stats.syncRequests++
    const toHeight = Math.min(target.height, fromHeight + Math.min(RANGE_REQUEST_HEIGHTS_MAX, this.#host.limits.syncBlocksMax) - 1)
    target.requestedFrom = fromHeight
    target.inFlight = true
    target.askedPeer = to
    this.#host.emit({ type: 'send', to, message: { type: 'range-request', fromHeight, toHeight } })
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
    const reach = this.#rangeReach()
    for (const [hashHex, want] of [...this.wants]) {
      if (want.height <= reach) {
        // A range sync now brings it.
        this.wants.delete(hashHex)
        continue
      }
      this.#requestBlock(hashHex, want)
    }
    const target = this.rangeTarget
    if (target !== null) {
      target.emptyPeers.clear()
      // A response advanced the head since the last timer and its request ahead is in
      // flight: the range sync is moving, and that request may still be answered.
      // Asking again would have the range served twice.
      if (target.progressed && target.inFlight) target.progressed = false
      else this.#requestRange()
    }
    this.rewant()
  }

  /** Answers a peer's status request with this replica's newest certificates. */
  onStatusRequest(from: number): void {
    const highQc = this.#host.tree.highQc
    const last = this.#statusAnswered.get(from)
    if (highQc === null || (last !== undefined && this.#host.now() - last < STATUS_ANSWER_INTERVAL_MS)) return this.#host.ignore()
    this.#statusAnswered.set(from, this.#host.now())
    this.#host.emit({ type: 'send', to: from, message: { type: 'sync-info', highQc, highTc: this.#host.highTc(), highCc: this.#host.latestCc() } })
  }

  #verifyJustify(from: number, block: Block): boolean {
    const problem = this.#host.verifier.qc(block.header.justify)
    if (problem === null) return true
    this.#host.reject(from, 'block', `justify QC: ${problem}`)
    return false
  }
}

/** Why a range response's blocks and headers do not chain by hash (at consecutive
 * heights) to the block its commit certificate is for; null when they do. */
function certifiedChainProblem(m: RangeResponse, hashes: readonly Hash[]): string | null {
  for (let i = 1; i < m.blocks.length; i++) {
    const h = m.blocks[i]!.header
    if (h.height !== m.blocks[i - 1]!.header.height + 1 || !bytesEqual(h.parent, hashes[i - 1]!)) return `block ${i} does not chain to block ${i - 1}`
  }
  let height = m.blocks[m.blocks.length - 1]!.header.height
  let hash = hashes[hashes.length - 1]!
  for (let i = 0; i < m.links.length; i++) {
    const h = m.links[i]!
    if (h.height !== height + 1 || !bytesEqual(h.parent, hash)) return `header ${i} does not chain to the blocks before it`
    height = h.height
    hash = blockHash(h)
  }
  const cc = m.cc!
  if (cc.height !== height || !bytesEqual(cc.block, hash)) return 'the commit certificate is not for the last block or header'
  return null
}

/** Bytes from hex (a hash this replica formatted itself). */
export function hexToBytes(hex: string): Hash {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
