// The libp2p transport: TCP + Noise + Yamux, identified by the validator's own Ed25519
// key. Every message to a validator goes over one direct stream protocol
// (/synod/consensus/1, length-prefixed frames, bounded by LIMITS.messageBytesMax): votes
// and timeouts, proposals (the leader sends each validator its copy), entry batches (to
// the next leaders) and sync. No gossip: every validator dials every other, so a relay
// would only deliver a message again (docs/protocol.md, "Dissemination"). Only genesis
// validators may connect (connection gater), so every received message has a validator
// index as its sender, and that sender is the one who wrote it.
//
// Everything is bounded: per-peer send queues drop their oldest frames, per-peer receive
// queues refuse new ones, redials back off. A peer that sends malformed frames collects
// penalty points and is cut off for a cool-off.
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import * as lp from 'it-length-prefixed'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { LIMITS } from '../../src/limits.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import { NODE_LIMITS } from '../limits.ts'
import { BoundedQueue } from '../util/bounded-queue.ts'
import { FairInbox } from '../util/fair-inbox.ts'
import { TransportError } from './errors.ts'
import {
  CONSENSUS_PROTOCOL, emptyTransportStats,
  type Inspect, type PenaltyCause, type Received, type Transport, type TransportEvent, type TransportStats,
} from './transport.ts'
import { ValidatorDirectory } from './validator-directory.ts'

export interface Libp2pTransportOptions {
  readonly chainId: string
  readonly validators: readonly ValidatorInfo[]
  readonly selfIndex: number
  /** The validator's 32-byte Ed25519 seed: its libp2p identity. */
  readonly seed: Uint8Array
  /** Multiaddrs to listen on, e.g. /ip4/127.0.0.1/tcp/0. */
  readonly listen: readonly string[]
}

export interface Libp2pTransportDependencies<M> {
  /** Decodes and checks received bytes; must not throw. */
  readonly inspect: Inspect<M>
  readonly onEvent?: (event: TransportEvent) => void
  readonly now?: () => number
}

/** Frame overhead allowance: the varint length prefix and muxer framing. */
const FRAME_SLACK_BYTES = 64 * 1024
/** How often redials and stalled send queues are checked. */
const MAINTENANCE_INTERVAL_MS = 250
/** Send attempts in one pump run before it waits for the next maintenance tick. */
const PUMP_ATTEMPTS_MAX = 3

interface PeerLink {
  readonly index: number
  readonly peerId: PeerId
  readonly queue: BoundedQueue<Uint8Array>
  stream: Stream | null
  pumping: boolean
  dialing: boolean
  redialDelayMs: number
  nextDialMs: number
  penalty: number
  lastPenaltyMs: number
  cooloffUntilMs: number
}

type Services = { identify: unknown }

export class Libp2pTransport<M> implements Transport<M> {
  readonly selfIndex: number
  readonly stats: TransportStats = emptyTransportStats()

  readonly #options: Libp2pTransportOptions
  readonly #inspect: Inspect<M>
  readonly #onEvent: (event: TransportEvent) => void
  readonly #now: () => number
  readonly #directory: ValidatorDirectory
  readonly #links: (PeerLink | null)[]
  readonly #inbox: FairInbox<Received<M>>
  #node: Libp2p<Services> | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #stopped = false

  constructor(options: Libp2pTransportOptions, dependencies: Libp2pTransportDependencies<M>) {
    const n = options.validators.length
    if (!(Number.isSafeInteger(options.selfIndex) && options.selfIndex >= 0 && options.selfIndex < n)) {
      throw new RangeError(`selfIndex ${options.selfIndex} is not a validator index (n = ${n})`)
    }
    if (options.seed.length !== 32) throw new RangeError(`a validator seed is 32 bytes, got ${options.seed.length}`)
    this.selfIndex = options.selfIndex
    this.#options = options
    this.#inspect = dependencies.inspect
    this.#onEvent = dependencies.onEvent ?? (() => {})
    this.#now = dependencies.now ?? Date.now
    this.#directory = new ValidatorDirectory(options.validators)
    this.#links = this.#directory.peerIds.map((peerId, index) => index === options.selfIndex ? null : {
      index,
      peerId,
      queue: new BoundedQueue<Uint8Array>(
        { itemsMax: NODE_LIMITS.sendQueueMessagesMax, sizeMax: NODE_LIMITS.sendQueueBytesMax, overflow: 'drop-oldest' },
        (b) => b.length,
      ),
      stream: null,
      pumping: false,
      dialing: false,
      redialDelayMs: NODE_LIMITS.redialDelayMsMin,
      nextDialMs: 0,
      penalty: 0,
      lastPenaltyMs: 0,
      cooloffUntilMs: 0,
    })
    this.#inbox = new FairInbox<Received<M>>(n, NODE_LIMITS.receiveQueueMessagesMax, NODE_LIMITS.receiveQueueBytesMax, (r) => r.bytes)
  }

  get received(): AsyncIterable<Received<M>> {
    return this.#inbox
  }

  poll(): Received<M> | undefined {
    return this.#inbox.poll()
  }

  async start(): Promise<void> {
    if (this.#node !== null) throw new TransportError('already-started', 'the transport is already started')
    const privateKey = await generateKeyPairFromSeed('Ed25519', this.#options.seed)
    const selfPeer = this.#directory.peerId(this.selfIndex)
    if (!privateKey.publicKey.toMultihash().bytes.every((b, i) => b === selfPeer.toMultihash().bytes[i])) {
      throw new TransportError('wrong-key', `the key does not belong to validator ${this.selfIndex} (${selfPeer.toString()})`)
    }
    const isDenied = (peer: PeerId): boolean => {
      const index = this.#directory.indexOf(peer)
      if (index === undefined || index === this.selfIndex) return true
      return this.#links[index]!.cooloffUntilMs > this.#now()
    }
    const n = this.#directory.n
    const node = await createLibp2p<Services>({
      privateKey,
      addresses: { listen: [...this.#options.listen] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: isDenied,
        denyInboundEncryptedConnection: isDenied,
        denyOutboundEncryptedConnection: isDenied,
        // Validators listen on the addresses the genesis gives, which may be private.
        denyDialMultiaddr: () => false,
      },
      connectionManager: {
        // Two connections per validator cover simultaneous dials; nothing else connects.
        maxConnections: 2 * n + 4,
        maxIncomingPendingConnections: n + 4,
        dialTimeout: NODE_LIMITS.dialTimeoutMs,
      },
      services: {
        identify: identify(),
      },
    })
    this.#node = node
    node.addEventListener('peer:connect', (event) => this.#onPeerConnect(event.detail))
    node.addEventListener('peer:disconnect', (event) => this.#onPeerDisconnect(event.detail))
    await node.handle(CONSENSUS_PROTOCOL, (stream, connection) => this.#onStream(stream, connection), {
      maxInboundStreams: NODE_LIMITS.streamsPerConnectionMax,
      maxOutboundStreams: NODE_LIMITS.streamsPerConnectionMax,
    })
    for (const link of this.#links) {
      if (link === null) continue
      const addresses = this.#options.validators[link.index]!.addresses
      if (addresses.length > 0) await this.setPeerAddresses(link.index, addresses)
    }
    this.#timer = setInterval(() => this.#maintain(), MAINTENANCE_INTERVAL_MS)
    this.#maintain()
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#inbox.close()
    for (const link of this.#links) link?.queue.clear()
    await this.#node?.stop()
  }

  send(to: number, bytes: Uint8Array): boolean {
    const link = this.#links[to]
    if (link === undefined || link === null) throw new RangeError(`cannot send to ${to}: not another validator's index`)
    if (bytes.length > LIMITS.messageBytesMax) throw new RangeError(`message of ${bytes.length} bytes is over the limit of ${LIMITS.messageBytesMax}`)
    if (this.#stopped) return false
    // A full queue drops its oldest frames (stale rounds) to make room: counted.
    const before = link.queue.dropped
    const queued = link.queue.push(bytes)
    this.stats.sendDropped += link.queue.dropped - before
    if (!link.pumping) void this.#pump(link)
    return queued
  }

  penalise(peer: number, cause: PenaltyCause, reason: string): void {
    if (peer === this.selfIndex || this.#links[peer] === undefined) return
    this.#penalise(peer, cause, reason)
  }

  connectedPeers(): number[] {
    const node = this.#node
    if (node === null) return []
    const indexes = new Set<number>()
    for (const connection of node.getConnections()) {
      const index = this.#directory.indexOf(connection.remotePeer)
      if (index !== undefined && connection.status === 'open') indexes.add(index)
    }
    return [...indexes].sort((a, b) => a - b)
  }

  listenAddresses(): string[] {
    return this.#node?.getMultiaddrs().map((ma) => ma.toString()) ?? []
  }

  async setPeerAddresses(index: number, addresses: readonly string[]): Promise<void> {
    const link = this.#links[index]
    if (link === undefined || link === null) throw new RangeError(`${index} is not another validator's index`)
    const node = this.#node
    if (node === null) throw new TransportError('not-started', 'the transport is not started')
    const expected = link.peerId.toString()
    const multiaddrs = addresses.map((text) => {
      let ma
      try {
        ma = multiaddr(text)
      } catch (err) {
        throw new TransportError('bad-address', `validator ${index}: '${text}' is not a multiaddr: ${(err as Error).message}`)
      }
      const claimed = ma.getComponents().find((c) => c.name === 'p2p')?.value
      if (claimed !== undefined && claimed !== expected) {
        throw new TransportError('bad-address', `validator ${index}: address '${text}' names peer ${claimed}, not ${expected}`)
      }
      return claimed === undefined ? ma : multiaddr(text.slice(0, text.lastIndexOf('/p2p/')))
    })
    await node.peerStore.patch(link.peerId, { multiaddrs })
    link.nextDialMs = 0
    link.redialDelayMs = NODE_LIMITS.redialDelayMsMin
  }

  // --- sending ---

  async #pump(link: PeerLink): Promise<void> {
    link.pumping = true
    try {
      let attempts = 0
      while (!this.#stopped && link.queue.length > 0 && attempts < PUMP_ATTEMPTS_MAX) {
        try {
          const stream = await this.#streamTo(link)
          const frame = link.queue.peek()
          if (frame === undefined) break
          const writable = stream.send(lp.encode.single(frame, { maxDataLength: LIMITS.messageBytesMax }))
          link.queue.shift()
          this.stats.sentFrames++
          this.stats.sentBytes += frame.length
          if (!writable) await stream.onDrain({ signal: AbortSignal.timeout(NODE_LIMITS.dialTimeoutMs) })
        } catch (err) {
          attempts++
          const stream = link.stream
          link.stream = null
          if (stream !== null && stream.status === 'open') stream.abort(err as Error)
          this.#onEvent({ type: 'send-failed', peer: link.index, reason: (err as Error).message })
          if (attempts < PUMP_ATTEMPTS_MAX) await sleep(NODE_LIMITS.redialDelayMsMin * attempts)
        }
      }
    } finally {
      link.pumping = false
    }
  }

  async #streamTo(link: PeerLink): Promise<Stream> {
    const current = link.stream
    if (current !== null && current.status === 'open' && current.writeStatus === 'writable') return current
    link.stream = null
    const node = this.#node
    if (node === null) throw new TransportError('not-started', 'the transport is not started')
    const stream = await node.dialProtocol(link.peerId, CONSENSUS_PROTOCOL, { signal: AbortSignal.timeout(NODE_LIMITS.dialTimeoutMs) })
    // We never read on our outbound stream; the peer never writes on it.
    link.stream = stream
    stream.addEventListener('close', () => {
      if (link.stream === stream) link.stream = null
    })
    return stream
  }

  #maintain(): void {
    const node = this.#node
    if (node === null || this.#stopped) return
    const now = this.#now()
    const connected = new Set(this.connectedPeers())
    for (const link of this.#links) {
      if (link === null) continue
      if (link.penalty > 0 && now - link.lastPenaltyMs > NODE_LIMITS.peerPenaltyWindowMs) link.penalty = 0
      if (connected.has(link.index)) {
        if (link.queue.length > 0 && !link.pumping) void this.#pump(link)
        continue
      }
      if (link.dialing || now < link.nextDialMs || link.cooloffUntilMs > now) continue
      link.dialing = true
      node.dial(link.peerId, { signal: AbortSignal.timeout(NODE_LIMITS.dialTimeoutMs) }).then(
        () => {
          link.redialDelayMs = NODE_LIMITS.redialDelayMsMin
          if (link.queue.length > 0 && !link.pumping) void this.#pump(link)
        },
        () => {
          // Exponential backoff with jitter, so restarted validators do not redial in step.
          const jitter = 0.5 + Math.random() / 2
          link.nextDialMs = this.#now() + link.redialDelayMs * jitter
          link.redialDelayMs = Math.min(link.redialDelayMs * 2, NODE_LIMITS.redialDelayMsMax)
        },
      ).finally(() => { link.dialing = false })
    }
  }

  // --- receiving ---

  #onPeerConnect(peer: PeerId): void {
    const index = this.#directory.indexOf(peer)
    if (index === undefined) return
    this.#onEvent({ type: 'peer-connected', peer: index })
    const link = this.#links[index]
    if (link !== null && link !== undefined && link.queue.length > 0 && !link.pumping) void this.#pump(link)
  }

  #onPeerDisconnect(peer: PeerId): void {
    const index = this.#directory.indexOf(peer)
    if (index === undefined) return
    const link = this.#links[index]
    if (link !== null && link !== undefined) {
      link.stream = null
      link.nextDialMs = 0
    }
    this.#onEvent({ type: 'peer-disconnected', peer: index })
  }

  async #onStream(stream: Stream, connection: Connection): Promise<void> {
    const from = this.#directory.indexOf(connection.remotePeer)
    if (from === undefined || from === this.selfIndex) {
      stream.abort(new TransportError('not-a-validator', `peer ${connection.remotePeer.toString()} is not a validator`))
      return
    }
    stream.maxReadBufferLength = LIMITS.messageBytesMax + FRAME_SLACK_BYTES
    try {
      for await (const frame of lp.decode(stream, { maxDataLength: LIMITS.messageBytesMax })) {
        if (this.#stopped) break
        // frame.slice() copies: the message must not alias buffers the muxer may reuse.
        // A rejected message costs the sender a penalty point; the framing is intact, so
        // the stream goes on (a reset would lose the honest frames queued behind it).
        this.#accept(frame.slice(), from)
      }
    } catch (err) {
      if (this.#stopped) return
      // A frame over the length limit is oversized; any other framing error is malformed.
      const cause = (err as Error).name === 'InvalidDataLengthError' || (err as Error).name === 'InvalidDataLengthLengthError' ? 'oversized' : 'malformed'
      this.#penalise(from, cause, `bad consensus frame: ${(err as Error).message}`)
      if (stream.status === 'open') stream.abort(err as Error)
    }
  }

  /** Inspects and queues one message. */
  #accept(bytes: Uint8Array, from: number): void {
    this.stats.receivedFrames++
    this.stats.receivedBytes += bytes.length
    const inspection = this.#inspect(bytes, from)
    switch (inspection.verdict) {
      case 'accept':
        if (!this.#inbox.push(from, { from, message: inspection.message, bytes: bytes.length })) this.stats.receiveDropped++
        return
      case 'ignore':
        this.stats.ignored++
        return
      case 'reject':
        this.#penalise(from, inspection.cause, inspection.reason)
    }
  }

  #penalise(peer: number, cause: PenaltyCause, reason: string): void {
    this.stats.rejected++
    this.#onEvent({ type: 'penalty', peer, cause, reason })
    const link = this.#links[peer]
    if (link === null || link === undefined) return
    const now = this.#now()
    if (now - link.lastPenaltyMs > NODE_LIMITS.peerPenaltyWindowMs) link.penalty = 0
    link.penalty++
    link.lastPenaltyMs = now
    if (link.penalty >= NODE_LIMITS.peerPenaltyMax && link.cooloffUntilMs <= now) {
      link.cooloffUntilMs = now + NODE_LIMITS.peerCooloffMs
      link.penalty = 0
      this.#onEvent({ type: 'peer-cooloff', peer, untilMs: link.cooloffUntilMs })
      void this.#node?.hangUp(link.peerId).catch(() => {})
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
