// Sidecar replication between validators (docs/protocol.md, "Sidecar replication"):
//  - announce: when this node keeps a sidecar uploaded to it, it tells every other
//    validator `have id` and whether it holds the key (a small frame: most peers got the
//    same upload from the writer); a peer that lacks it, or holds it without a key this
//    node has, asks for it;
//  - pull: a committed sealed entry whose sidecar this node lacks (the store's wanted
//    index, fed by every commit and read again at start) is asked for, `want id`, from
//    one connected peer at a time, a peer that announced it first; every peer once per
//    round, a bounded number of rounds with growing delays between them;
//  - serve: a peer's `want` is answered with what this node holds, or why it holds none.
// A sidecar that comes back is checked exactly as an upload is (sidecar-checks.ts) before
// the store keeps it; one that fails the commitments costs its sender a penalty point.
// Everything is bounded (node/limits.ts): frames per peer per second, frames being
// handled, queued announcements, wanted sidecars in memory, requests in flight, rounds.
import type { Logger } from 'pino'
import { toHex } from '../../src/crypto/hash.ts'
import type { Block } from '../../src/log/block.ts'
import { entryId, type Hash } from '../../src/log/entry.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { NODE_LIMITS } from '../limits.ts'
import { decodeSidecarFrame, encodeSidecarFrame, type SidecarFrame } from '../net/sidecar-frames.ts'
import type { SidecarWire } from '../net/sidecar-wire.ts'
import type { PenaltyCause } from '../net/transport.ts'
import { BoundedQueue } from '../util/bounded-queue.ts'
import type { Store } from '../store/store.ts'
import { receiveSidecar, type ReceivedSidecarOutcome } from './sidecar-checks.ts'
import type { RuntimeTimers, TimerHandle } from './timers.ts'

export interface SidecarReplicationDependencies {
  /** This node's directory index (-1 before a joining validator has one). */
  readonly selfIndex: () => number
  /** Validators in the directory (it grows with committed reconfigurations). */
  readonly validators: () => number
  readonly store: Store
  readonly wire: SidecarWire
  readonly connectedPeers: () => readonly number[]
  readonly penalise: (peer: number, cause: PenaltyCause, reason: string) => void
  readonly logger: Logger
  readonly timers: RuntimeTimers
}

/** Counters since start, by what happened (for logs, tests and metrics). */
export interface SidecarReplicationStats {
  announced: number
  announceDropped: number
  requested: number
  /** Sidecars received and kept (pulled after a request). */
  stored: number
  /** Frames not acted on, by code ('rate-limited', 'busy', 'entry-not-committed', 'erased'...). */
  readonly ignored: Map<string, number>
  /** Frames refused with a penalty, by code ('malformed', 'not-sealed', 'sidecar-blob-commitment'...). */
  readonly rejected: Map<string, number>
  served: number
  /** Wanted sidecars given up after the last round (until a restart or an announcement). */
  givenUp: number
}

interface Want {
  readonly id: Hash
  round: number
  dueMs: number
  /** Peers asked in this round. */
  readonly asked: Set<number>
  /** A peer that announced it: asked first. */
  prefer: number | null
  /** Held here without its key, wanted for the key a peer announced. */
  readonly forKey: boolean
  inFlight: boolean
}

interface Bucket {
  tokens: number
  atMs: number
}

export class SidecarReplication {
  readonly stats: SidecarReplicationStats = { announced: 0, announceDropped: 0, requested: 0, stored: 0, ignored: new Map(), rejected: new Map(), served: 0, givenUp: 0 }
  readonly #d: SidecarReplicationDependencies
  /** Wanted sidecars by id hex, in the order they were found (the order they are asked for). */
  readonly #wanted = new Map<string, Want>()
  readonly #announcements = new BoundedQueue<{ readonly to: number, readonly id: Hash, readonly key: boolean }>({ itemsMax: NODE_LIMITS.sidecarAnnounceQueueMax, overflow: 'drop-oldest' })
  readonly #buckets: Bucket[]
  readonly #stop = new AbortController()
  #inbound = 0
  #requests = 0
  #sends = 0
  /** Where the next read of the store's wanted index starts; null: from its first id. */
  #cursor: Hash | null = null
  /** Whether the index may hold ids not in memory (read on while true). */
  #indexAhead = true
  /** Whether an id did not fit in memory while the index was being read: read it again
   * from its first id once this pass ends. */
  #rescan = false
  #reading = false
  #timer: TimerHandle | null = null
  #stopped = false

  constructor(dependencies: SidecarReplicationDependencies) {
    this.#d = dependencies
    this.#buckets = []
    dependencies.wire.serve((from, frame) => this.#serve(from, frame))
  }

  start(): void {
    this.#arm()
  }

  stop(): void {
    this.#stopped = true
    this.#stop.abort()
    if (this.#timer !== null) this.#d.timers.clearTimeout(this.#timer)
    this.#timer = null
    this.#announcements.clear()
  }

  /** Wanted sidecars held in memory now. */
  get wantedCount(): number {
    return this.#wanted.size
  }

  /** A sidecar uploaded here was kept (`key`: with its key): tell every other validator. */
  announce(id: Hash, key: boolean): void {
    if (this.#stopped) return
    const validators = this.#d.validators()
    const self = this.#d.selfIndex()
    for (let to = 0; to < validators; to++) {
      if (to === self) continue
      const before = this.#announcements.dropped
      this.#announcements.push({ to, id, key })
      this.stats.announceDropped += this.#announcements.dropped - before
    }
    this.#sendAnnouncements()
  }

  /** Blocks just committed: their sealed entries are wanted (the store marked them), first
   * asked for after a delay that lets the uploader's announcement come first. */
  committed(blocks: readonly Block[]): void {
    if (this.#stopped) return
    const due = this.#d.timers.monotonicMs() + NODE_LIMITS.sidecarPullDelayMsMin
    for (const block of blocks) {
      for (const entry of block.entries) {
        if (readSealedPayload(entry).type !== 'sealed') continue
        // Beyond the bound it waits in the index: read again once memory has room.
        if (!this.#want(entryId(entry), due, null, false)) {
          this.#indexAhead = true
          this.#rescan = true
        }
      }
    }
  }

  // --- announce ---

  #sendAnnouncements(): void {
    while (!this.#stopped && this.#sends < NODE_LIMITS.sidecarRequestsInFlightMax) {
      const next = this.#announcements.shift()
      if (next === undefined) return
      if (!this.#d.connectedPeers().includes(next.to)) continue // it pulls when it is back
      this.#sends++
      this.stats.announced++
      this.#d.wire.send(next.to, encodeSidecarFrame({ t: 'have', id: next.id, key: next.key }), this.#signal()).catch((err: unknown) => {
        this.#d.logger.debug({ to: next.to, err: (err as Error).message }, 'sidecar announcement not sent')
      }).finally(() => {
        this.#sends--
        this.#sendAnnouncements()
      })
    }
  }

  // --- serve ---

  async #serve(from: number, bytes: Uint8Array): Promise<Uint8Array | null> {
    if (this.#stopped) return null
    if (!this.#take(from)) return this.#ignore('rate-limited')
    if (this.#inbound >= NODE_LIMITS.sidecarInboundMax) return this.#ignore('busy')
    this.#inbound++
    try {
      let frame: SidecarFrame
      try {
        frame = decodeSidecarFrame(bytes)
      } catch (err) {
        return this.#reject(from, 'malformed', 'malformed', `bad sidecar frame: ${(err as Error).message}`)
      }
      switch (frame.t) {
        case 'want': {
          const held = await this.#d.store.sidecar(frame.id)
          this.stats.served++
          if (held.status === 'stored') return encodeSidecarFrame({ t: 'sidecar', id: frame.id, sidecar: held.sidecar })
          return encodeSidecarFrame({ t: 'none', id: frame.id, held: held.status })
        }
        case 'have':
          await this.#onHave(from, frame.id, frame.key)
          return null
        case 'sidecar':
        case 'none':
          return this.#reject(from, 'invalid', 'unsolicited', `a '${frame.t}' frame answers a 'want'; it opened a stream`)
      }
    } catch (err) {
      // A store read failing while the node stops (the store closes) is no news.
      if (!this.#stopped) this.#d.logger.warn({ err, from }, 'sidecar frame not handled')
      return null
    } finally {
      this.#inbound--
    }
  }

  async #onHave(from: number, id: Hash, key: boolean): Promise<void> {
    const held = await this.#d.store.sidecar(id)
    if (held.status === 'erased') return
    // Held already: wanted again only for a key the peer holds and this node does not.
    const forKey = held.status === 'stored'
    if (forKey && (!key || held.sidecar.key !== null)) return
    const stored = await this.#d.store.entryById(id)
    if (stored === undefined) {
      // Not committed here yet: its commit marks it wanted, and then it is pulled.
      this.#ignore('entry-not-committed')
      return
    }
    if (readSealedPayload(stored.entry).type !== 'sealed') {
      this.#reject(from, 'invalid', 'not-sealed', `announced a sidecar of ${toHex(id)}, which is not a sealed entry`)
      return
    }
    const want = this.#wanted.get(toHex(id))
    if (want !== undefined) {
      // It holds it now, whatever it answered before: ask it first, this round.
      want.prefer = from
      want.asked.delete(from)
      want.dueMs = Math.min(want.dueMs, this.#d.timers.monotonicMs())
    } else {
      this.#want(id, this.#d.timers.monotonicMs(), from, forKey)
    }
    // Asked now rather than at the next tick: an announcement is the one moment a peer is
    // known to hold it (the requests in flight stay bounded: #tick counts them).
    if (!this.#stopped) this.#tick()
  }

  /** Takes a frame's token from the sender's bucket; false when it has none left. */
  #take(from: number): boolean {
    if (!(Number.isSafeInteger(from) && from >= 0 && from < this.#d.validators())) return false
    // A bucket per sender, made when it first sends (the directory grows).
    while (this.#buckets.length <= from) this.#buckets.push({ tokens: NODE_LIMITS.sidecarFramesPerPeerBurst, atMs: 0 })
    const bucket = this.#buckets[from]!
    const now = this.#d.timers.monotonicMs()
    const refill = ((now - bucket.atMs) / 1000) * NODE_LIMITS.sidecarFramesPerPeerPerSecond
    bucket.tokens = Math.min(NODE_LIMITS.sidecarFramesPerPeerBurst, bucket.tokens + refill)
    bucket.atMs = now
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  // --- pull ---

  /** Adds a wanted sidecar; false when memory holds as many as it may. */
  #want(id: Hash, dueMs: number, prefer: number | null, forKey: boolean): boolean {
    const hex = toHex(id)
    if (this.#wanted.has(hex)) return true
    if (this.#wanted.size >= NODE_LIMITS.sidecarWantedMax) return false
    this.#wanted.set(hex, { id, round: 0, dueMs, asked: new Set(), prefer, forKey, inFlight: false })
    return true
  }

  #arm(): void {
    if (this.#stopped) return
    this.#timer = this.#d.timers.setTimeout(() => {
      this.#tick()
      this.#arm()
    }, NODE_LIMITS.sidecarPullTickMs)
  }

  #tick(): void {
    if (this.#indexAhead && !this.#reading && this.#wanted.size + NODE_LIMITS.sidecarWantedPageMax <= NODE_LIMITS.sidecarWantedMax) void this.#readIndex()
    const now = this.#d.timers.monotonicMs()
    const connected = this.#d.connectedPeers()
    // Insertion order: the oldest wanted sidecar is asked for first.
    for (const [hex, want] of this.#wanted) {
      if (this.#requests >= NODE_LIMITS.sidecarRequestsInFlightMax) return
      if (want.inFlight || want.dueMs > now) continue
      const peer = this.#nextPeer(want, connected)
      if (peer === null) {
        // Every connected peer was asked this round: the next round, later, or none.
        if (want.asked.size === 0) continue // nobody connected: not a round
        want.round++
        want.asked.clear()
        if (want.round >= NODE_LIMITS.sidecarPullRoundsMax) {
          this.#wanted.delete(hex)
          this.stats.givenUp++
          this.#d.logger.info({ id: hex, rounds: want.round }, 'no peer holds the sidecar of a sealed entry: stopped asking')
          continue
        }
        want.dueMs = now + Math.min(NODE_LIMITS.sidecarPullDelayMsMax, NODE_LIMITS.sidecarPullDelayMsMin * 2 ** (want.round - 1))
        continue
      }
      void this.#request(hex, want, peer)
    }
  }

  #nextPeer(want: Want, connected: readonly number[]): number | null {
    if (want.prefer !== null && !want.asked.has(want.prefer) && connected.includes(want.prefer)) return want.prefer
    // Start at a place of its own (by id), so that wanted sidecars spread over the peers.
    const start = want.id[0]! % Math.max(1, connected.length)
    for (let i = 0; i < connected.length; i++) {
      const peer = connected[(start + i) % connected.length]!
      if (peer !== this.#d.selfIndex() && !want.asked.has(peer)) return peer
    }
    return null
  }

  async #request(hex: string, want: Want, peer: number): Promise<void> {
    want.inFlight = true
    want.asked.add(peer)
    this.#requests++
    try {
      // Kept (with the key, if that is what is wanted) or erased here since it was wanted
      // (an upload, another peer, an erase): done.
      const held = await this.#d.store.sidecar(want.id)
      if (held.status === 'erased' || (held.status === 'stored' && (!want.forKey || held.sidecar.key !== null))) {
        this.#wanted.delete(hex)
        return
      }
      this.stats.requested++
      let bytes: Uint8Array
      try {
        bytes = await this.#d.wire.request(peer, encodeSidecarFrame({ t: 'want', id: want.id }), this.#signal())
      } catch (err) {
        this.#d.logger.debug({ peer, id: hex, err: (err as Error).message }, 'sidecar request failed')
        return
      }
      if (this.#stopped) return
      const outcome = await this.#answer(peer, want.id, bytes)
      if (outcome === 'settled') this.#wanted.delete(hex)
    } catch (err) {
      if (!this.#stopped) this.#d.logger.warn({ err, peer, id: hex }, 'sidecar request not handled')
    } finally {
      want.inFlight = false
      this.#requests--
    }
  }

  /** Acts on a peer's answer to `want id`: 'settled' when nothing is wanted any more. */
  async #answer(peer: number, id: Hash, bytes: Uint8Array): Promise<'settled' | 'wanted'> {
    let frame: SidecarFrame
    try {
      frame = decodeSidecarFrame(bytes)
    } catch (err) {
      this.#reject(peer, 'malformed', 'malformed', `bad sidecar answer: ${(err as Error).message}`)
      return 'wanted'
    }
    if ((frame.t !== 'sidecar' && frame.t !== 'none') || toHex(frame.id) !== toHex(id)) {
      this.#reject(peer, 'invalid', 'unsolicited', `answered 'want ${toHex(id)}' with '${frame.t} ${toHex(frame.id)}'`)
      return 'wanted'
    }
    // 'none': the peer holds nothing (or says it is erased: this node learns an erase
    // from its own log, never from a peer). Ask the next one.
    if (frame.t === 'none') return 'wanted'
    const outcome: ReceivedSidecarOutcome = await receiveSidecar(this.#d.store, id, frame.sidecar)
    switch (outcome.verdict) {
      case 'accept':
        if (outcome.code === 'stored') this.stats.stored++
        return 'settled'
      case 'ignore':
        this.#ignore(outcome.code)
        return outcome.code === 'erased' ? 'settled' : 'wanted'
      case 'reject':
        this.#reject(peer, 'invalid', outcome.code, outcome.reason)
        return 'wanted'
    }
  }

  /** Reads the next page of the store's wanted index into memory. */
  async #readIndex(): Promise<void> {
    this.#reading = true
    try {
      const ids = await this.#d.store.wantedSidecars(this.#cursor, NODE_LIMITS.sidecarWantedPageMax)
      if (this.#stopped) return
      const now = this.#d.timers.monotonicMs()
      for (const id of ids) this.#want(id, now, null, false)
      if (ids.length < NODE_LIMITS.sidecarWantedPageMax) {
        // Read to its end. Ids marked since then were added by committed(); if one did not
        // fit, the next pass starts over from the first id.
        this.#indexAhead = this.#rescan
        this.#rescan = false
        this.#cursor = null
      } else {
        this.#cursor = ids.at(-1)!
      }
    } catch (err) {
      if (!this.#stopped) this.#d.logger.warn({ err }, 'reading the wanted sidecars failed')
    } finally {
      this.#reading = false
    }
  }

  // --- accounting ---

  #signal(): AbortSignal {
    return AbortSignal.any([this.#stop.signal, AbortSignal.timeout(NODE_LIMITS.sidecarRequestTimeoutMs)])
  }

  #ignore(code: string): null {
    this.stats.ignored.set(code, (this.stats.ignored.get(code) ?? 0) + 1)
    return null
  }

  #reject(peer: number, cause: PenaltyCause, code: string, reason: string): null {
    this.stats.rejected.set(code, (this.stats.rejected.get(code) ?? 0) + 1)
    this.#d.penalise(peer, cause, reason)
    return null
  }
}
