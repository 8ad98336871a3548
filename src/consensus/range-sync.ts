// Range sync: when a replica is far behind (beyond the sync window), it fetches committed
// blocks by height range from the head up to a target height, one peer at a time, with
// one request pipelined ahead of verification when a commit certificate proves the range.
// Part of block sync (block-sync.ts), which owns the fetches by hash and the sync timer.
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { blockHash, type Block } from '../log/block.ts'
import type { Hash } from '../log/entry.ts'
import type { Rejection } from './rejections.ts'
import type { SyncHost } from './sync-host.ts'
import type { BlockNode } from './block-tree.ts'
import { RANGE_REQUEST_HEIGHTS_MAX } from './messages.ts'
import type { RangeEmpty, RangeResponse } from './types.ts'

/** A committed height far above the head, fetched by height ranges. Range requests are
 * pipelined: on a response that extends the head up to a certified block, the next range
 * is requested before this one is verified, so the peer reads and sends it meanwhile. */
export interface RangeTarget {
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

/** What range sync needs of the fetches by hash. */
export interface HashFetch {
  /** Wants again every missing block that something verified points to. */
  rewant(): void
  /** Checks a fetched block's justify QC, rejecting the block when it fails. */
  verifyJustify(from: number, block: Block): boolean
  /** A sync response brought blocks (the sync timer's backoff starts afresh). */
  noteProgress(): void
}

export class RangeSync {
  readonly #host: SyncHost
  readonly #fetch: HashFetch
  /** The committed height fetched by ranges (null: none). */
  target: RangeTarget | null = null

  constructor(host: SyncHost, fetch: HashFetch) {
    this.#host = host
    this.#fetch = fetch
  }

  /** Starts a range sync up to `height`, or moves the current one further. */
  aim(height: number, peers: number[]): void {
    const target = this.target
    if (target === null) {
      this.target = {
        height, peers, attempts: 0, requestedFrom: 0, aheadAtHead: -1, progressed: false,
        inFlight: false, askedPeer: -1, emptyPeers: new Set(), emptyAtHead: -1,
      }
      this.request()
    } else if (height > target.height) {
      // Same target, further away: what was requested so far still counts. A newly
      // certified height is news: when nothing is in flight, ask at once.
      target.height = height
      target.peers = peers
      target.attempts = 0
      target.emptyPeers.clear()
      if (!target.inFlight) this.request()
    }
  }

  /** The sync timer: ask again unless the range sync is moving. */
  onTimer(): void {
    const target = this.target
    if (target !== null) {
      target.emptyPeers.clear()
      // A response advanced the head since the last timer and its request ahead is in
      // flight: the range sync is moving, and that request may still be answered.
      // Asking again would have the range served twice.
      if (target.progressed && target.inFlight) target.progressed = false
      else this.request()
    }
  }

  /** Ends the range sync once the head reached its target. */
  prune(headHeight: number): void {
    if (this.target !== null && headHeight >= this.target.height) this.target = null
  }

  onRangeResponse(from: number, m: RangeResponse): void {
    const target = this.target
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
        this.#host.reject(from, m.type, { code: 'range-block-not-chained', height: block.header.height })
        refused = true
        break
      }
      if (!this.#fetch.verifyJustify(from, block)) {
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
    // A response that ends at an epoch's reconfiguration block carries its boundary
    // certificate (sync.ts): kept, when all of it verified, for the epoch that follows.
    if (proven && !refused && lastInserted !== null && lastInserted === this.#host.tree.head) {
      this.#host.keepBoundary(lastInserted, { cc: m.cc!, links: m.links })
    }
    const headHeight = this.#host.tree.head.header.height
    const advanced = headHeight > headBefore
    if (advanced) this.#fetch.noteProgress()
    // Committing may have ended this target (or a certificate seen meanwhile started another).
    const current = this.target
    if (current === null) {
      this.#fetch.rewant()
      return
    }
    if (this.#done(current)) return
    if (!advanced) return // refused, or nothing new: the sync timer asks again
    current.progressed = true
    if (refused) current.attempts++ // the rest from another peer
    // Usually the request ahead already asked for what follows the new head.
    if (!current.inFlight || current.requestedFrom !== headHeight + 1) this.request()
  }

  /** A peer has committed nothing at the height asked for: ask another one at once
   * (each at most once per head height; after that, the sync timer asks again). */
  onRangeEmpty(from: number, m: RangeEmpty): void {
    const target = this.target
    if (target === null || !target.inFlight || target.askedPeer !== from || m.fromHeight !== target.requestedFrom) return this.#host.ignore()
    target.inFlight = false
    if (m.cc !== null && !this.#host.acceptCc(from, m.cc, m.type)) return
    const current = this.target
    if (current === null) {
      this.#fetch.rewant()
      return
    }
    if (this.#done(current)) return
    const headHeight = this.#host.tree.head.header.height
    if (current.emptyAtHead !== headHeight) {
      current.emptyPeers.clear()
      current.emptyAtHead = headHeight
    }
    current.emptyPeers.add(from)
    if (!current.inFlight) this.request()
  }

  /** Ends a range sync that has nothing left to bring: the head reached its target, or
   * no height above the head is known committed and the target is within the window
   * (its blocks are fetched by hash: a range holds committed blocks only). */
  #done(target: RangeTarget): boolean {
    const headHeight = this.#host.tree.head.header.height
    const committedAbove = (this.#host.latestCc()?.height ?? 0) > headHeight
    if (headHeight < target.height && (committedAbove || target.height > headHeight + this.#host.limits.syncWindowHeights)) return false
    this.target = null
    this.#fetch.rewant()
    return true
  }

  /** A range response the driver will deliver later (see the 'range-arriving' event):
   * asks for the range after it if it would be asked for on delivery. Rejects nothing:
   * a response that fails here is rejected when it is delivered. */
  onRangeArriving(from: number, m: RangeResponse): void {
    const target = this.target
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
    const target = this.target
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


  /** While a range sync is under way, the height up to which it brings the blocks: its
   * target, or the newest commit certificate if lower (ranges hold committed blocks
   * only). Blocks up to there are left to it: fetched by hash as well, they would be
   * served and verified twice. 0 when no range sync is under way. */
  reach(): number {
    const target = this.target
    if (target === null) return 0
    return Math.min(target.height, this.#host.latestCc()?.height ?? 0)
  }

  /** Asks the next peer in turn for the range after the head, skipping those that just
   * said they have nothing there (none left: the sync timer asks again later). */
  request(): void {
    const target = this.target
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
}

/** Why a range response's blocks and headers do not chain by hash (at consecutive
 * heights) to the block its commit certificate is for; null when they do. */
function certifiedChainProblem(m: RangeResponse, hashes: readonly Hash[]): Rejection | null {
  for (let i = 1; i < m.blocks.length; i++) {
    const h = m.blocks[i]!.header
    if (h.height !== m.blocks[i - 1]!.header.height + 1 || !bytesEqual(h.parent, hashes[i - 1]!)) return { code: 'blocks-not-chained', index: i, next: i - 1 }
  }
  let height = m.blocks[m.blocks.length - 1]!.header.height
  let hash = hashes[hashes.length - 1]!
  for (let i = 0; i < m.links.length; i++) {
    const h = m.links[i]!
    if (h.height !== height + 1 || !bytesEqual(h.parent, hash)) return { code: 'range-header-not-chained', index: i }
    height = h.height
    hash = blockHash(h)
  }
  const cc = m.cc!
  if (cc.height !== height || !bytesEqual(cc.block, hash)) return { code: 'range-cc-not-for-last' }
  return null
}
