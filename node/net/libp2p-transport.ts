// The libp2p transport: TCP + Noise + Yamux, identified by the validator's own Ed25519
// key. Every message to a validator goes over one direct stream protocol
// (/synod/consensus/1, length-prefixed frames, bounded by LIMITS.messageBytesMax): votes
// and timeouts, proposals (the leader sends each validator its copy), entry batches (to
// the next leaders) and sync. No gossip: every validator dials every other, so a relay
// would only deliver a message again (docs/protocol.md, "Dissemination"). Only directory
// validators may connect (connection gater), so every received message has a validator
// index as its sender, and that sender is the one who wrote it. The validators grow with
// the chain's directory (addValidators: a committed reconfiguration's new keys); a joining
// validator starts with its own key outside them (selfIndex -1) and gets its index when
// the directory names its key.
//
// Everything is bounded: per-peer send queues drop their oldest frames, per-peer receive
// queues refuse new ones, redials back off. A peer that sends malformed frames collects
// penalty points and is cut off for a cool-off.
//
// The pieces: the libp2p node and its gater (libp2p-node.ts), the peer links
// (peer-link.ts), the send path (link-sender.ts), the receive path (frame-receiver.ts),
// penalties (peer-penalties.ts) and the redial tick (link-maintenance.ts). The sidecar
// protocol (sidecar-exchange.ts) shares the connections, on streams of its own.
import type { Libp2p } from 'libp2p'
import type { PeerId } from '@libp2p/interface'
import { LIMITS } from '../../src/limits.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import { NODE_LIMITS } from '../limits.ts'
import { FairInbox } from '../util/fair-inbox.ts'
import { TransportError } from './errors.ts'
import { FrameReceiver } from './frame-receiver.ts'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { createValidatorLibp2p, peerMultiaddrs, validatorPrivateKey, type Services } from './libp2p-node.ts'
import { maintainLinks } from './link-maintenance.ts'
import { LinkSender } from './link-sender.ts'
import { newPeerLink, type PeerLink } from './peer-link.ts'
import { PeerPenalties } from './peer-penalties.ts'
import { SidecarExchange } from './sidecar-exchange.ts'
import {
  CONSENSUS_PROTOCOL, emptyTransportStats,
  type Inspect, type PenaltyCause, type Received, type Transport, type TransportEvent, type TransportStats,
} from './transport.ts'
import { ValidatorDirectory } from './validator-directory.ts'

export interface Libp2pTransportOptions {
  readonly chainId: string
  readonly validators: readonly ValidatorInfo[]
  /** -1: this node's key is not among `validators` yet (a joining validator). */
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

/** How often redials and stalled send queues are checked. */
const MAINTENANCE_INTERVAL_MS = 250

export class Libp2pTransport<M> implements Transport<M> {
  #selfIndex: number
  readonly stats: TransportStats = emptyTransportStats()
  readonly sidecars: SidecarExchange

  readonly #options: Libp2pTransportOptions
  readonly #onEvent: (event: TransportEvent) => void
  readonly #now: () => number
  readonly #directory: ValidatorDirectory
  readonly #links: (PeerLink | null)[]
  /** Dial addresses by index, for the validators added before start. */
  readonly #addresses: (readonly string[])[]
  /** This node's validator key, to find its own index among validators added later. */
  readonly #ownKey: Uint8Array
  readonly #inbox: FairInbox<Received<M>>
  readonly #sender: LinkSender
  readonly #receiver: FrameReceiver<M>
  readonly #penalties: PeerPenalties
  #node: Libp2p<Services> | null = null
  #timer: ReturnType<typeof setInterval> | null = null
  #stopped = false

  constructor(options: Libp2pTransportOptions, dependencies: Libp2pTransportDependencies<M>) {
    const n = options.validators.length
    if (!(Number.isSafeInteger(options.selfIndex) && options.selfIndex >= -1 && options.selfIndex < n)) {
      throw new RangeError(`selfIndex ${options.selfIndex} is not a validator index (n = ${n})`)
    }
    if (options.seed.length !== 32) throw new RangeError(`a validator seed is 32 bytes, got ${options.seed.length}`)
    this.#selfIndex = options.selfIndex
    this.#options = options
    this.#onEvent = dependencies.onEvent ?? (() => {})
    this.#now = dependencies.now ?? Date.now
    this.#directory = new ValidatorDirectory(options.validators)
    this.#addresses = options.validators.map((v) => v.addresses)
    this.#ownKey = publicKeyFromSeed(options.seed)
    this.#links = this.#directory.peerIds.map((peerId, index) => index === options.selfIndex ? null : newPeerLink(index, peerId))
    this.#inbox = new FairInbox<Received<M>>(Math.max(n, 1), NODE_LIMITS.receiveQueueMessagesMax, NODE_LIMITS.receiveQueueBytesMax, (r) => r.bytes)
    const stopped = (): boolean => this.#stopped
    this.#sender = new LinkSender({ stats: this.stats, onEvent: this.#onEvent, node: () => this.#node, stopped })
    this.#penalties = new PeerPenalties({
      links: this.#links, stats: this.stats, onEvent: this.#onEvent, now: this.#now,
      hangUp: (peerId) => { void this.#node?.hangUp(peerId).catch(() => {}) },
    })
    const self = (): number => this.#selfIndex
    this.#receiver = new FrameReceiver<M>({
      get selfIndex() {
        return self()
      },
      directory: this.#directory, inspect: dependencies.inspect, inbox: this.#inbox, stats: this.stats,
      penalise: (peer, cause, reason) => this.#penalties.penalise(peer, cause, reason), stopped,
    })
    this.sidecars = new SidecarExchange({
      get selfIndex() {
        return self()
      },
      directory: this.#directory, node: () => this.#node,
      penalise: (peer, cause, reason) => this.penalise(peer, cause, reason), stopped,
    })
  }

  /** This node's directory index, -1 while the directory does not hold its key. */
  get selfIndex(): number {
    return this.#selfIndex
  }

  /** The validators a committed reconfiguration added to the directory, at the next
   * indexes (the replica's directory order): accepted as peers and dialled at their
   * addresses. This node's own key among them gives it its index. */
  async addValidators(validators: readonly ValidatorInfo[]): Promise<void> {
    if (this.#stopped) return
    const first = this.#directory.n
    const peerIds = this.#directory.add(validators)
    for (const [i, peerId] of peerIds.entries()) {
      const index = first + i
      const isSelf = bytesEqual(validators[i]!.publicKey, this.#ownKey)
      if (isSelf) this.#selfIndex = index
      this.#links.push(isSelf ? null : newPeerLink(index, peerId))
      this.#addresses.push(validators[i]!.addresses)
      this.#inbox.addSource(NODE_LIMITS.receiveQueueMessagesMax, NODE_LIMITS.receiveQueueBytesMax, (r) => r.bytes)
    }
    if (this.#node === null) return
    for (const [i, v] of validators.entries()) {
      const index = first + i
      if (index !== this.#selfIndex && v.addresses.length > 0) await this.setPeerAddresses(index, v.addresses)
    }
  }

  get received(): AsyncIterable<Received<M>> {
    return this.#inbox
  }

  poll(): Received<M> | undefined {
    return this.#inbox.poll()
  }

  async start(): Promise<void> {
    if (this.#node !== null) throw new TransportError('already-started', 'the transport is already started')
    const privateKey = this.#selfIndex < 0
      ? await generateKeyPairFromSeed('Ed25519', this.#options.seed)
      : await validatorPrivateKey(this.#options.seed, this.#selfIndex, this.#directory.peerId(this.#selfIndex))
    const isDenied = (peer: PeerId): boolean => {
      const index = this.#directory.indexOf(peer)
      if (index === undefined || index === this.#selfIndex) return true
      return this.#links[index]!.cooloffUntilMs > this.#now()
    }
    // Connection limits for the largest set a reconfiguration may name.
    const node = await createValidatorLibp2p({ privateKey, listen: this.#options.listen, n: Math.max(this.#directory.n, LIMITS.validatorsMax), isDenied })
    this.#node = node
    node.addEventListener('peer:connect', (event) => this.#onPeerConnect(event.detail))
    node.addEventListener('peer:disconnect', (event) => this.#onPeerDisconnect(event.detail))
    await node.handle(CONSENSUS_PROTOCOL, (stream, connection) => this.#receiver.onStream(stream, connection), {
      maxInboundStreams: NODE_LIMITS.streamsPerConnectionMax,
      maxOutboundStreams: NODE_LIMITS.streamsPerConnectionMax,
    })
    await this.sidecars.handle(node)
    for (const link of this.#links) {
      if (link === null) continue
      const addresses = this.#addresses[link.index] ?? []
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
    if (!link.pumping) void this.#sender.pump(link)
    return queued
  }

  penalise(peer: number, cause: PenaltyCause, reason: string): void {
    if (peer === this.#selfIndex || this.#links[peer] === undefined) return
    this.#penalties.penalise(peer, cause, reason)
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
    const multiaddrs = peerMultiaddrs(index, addresses, link.peerId.toString())
    await node.peerStore.patch(link.peerId, { multiaddrs })
    link.nextDialMs = 0
    link.redialDelayMs = NODE_LIMITS.redialDelayMsMin
  }

  #maintain(): void {
    const node = this.#node
    if (node === null || this.#stopped) return
    maintainLinks({
      node, links: this.#links, connectedPeers: () => this.connectedPeers(), now: this.#now,
      pump: (link) => { void this.#sender.pump(link) },
    })
  }

  #onPeerConnect(peer: PeerId): void {
    const index = this.#directory.indexOf(peer)
    if (index === undefined) return
    this.#onEvent({ type: 'peer-connected', peer: index })
    const link = this.#links[index]
    if (link !== null && link !== undefined && link.queue.length > 0 && !link.pumping) void this.#sender.pump(link)
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
}
