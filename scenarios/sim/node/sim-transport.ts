// The simulated network for nodes under simulation: a Transport (node/net/transport.ts)
// per node incarnation, whose frames travel through the virtual clock's event queue with
// per-link latency and jitter, loss and partitions drawn from the seeded PRNG. The bytes
// are the node's real encoding and pass through the node's own inspect function, as
// with libp2p. Like the libp2p transport, every frame goes to one peer (no gossip).
import type { Message } from '../../../src/consensus/types.ts'
import { emptyTransportStats, type Inspect, type PenaltyCause, type Received, type Transport, type TransportEvent, type TransportStats } from '../../../node/net/transport.ts'
import type { Prng } from '../prng.ts'
import type { VirtualClock } from './virtual-clock.ts'

/** Received messages one endpoint holds until its node takes them; beyond, the oldest
 * go (like the real transport's bounded per-peer queues). */
const RECEIVE_QUEUE_MAX = 8192

export interface NetworkFaults {
  readonly lossRate: number
  /** Side per validator index; messages between different sides are dropped. */
  readonly partition: readonly number[] | null
}

export class SimNetwork {
  readonly #clock: VirtualClock
  readonly #rng: Prng
  /** Base one-way latency per link, ms. */
  readonly #latency: number[][]
  readonly #endpoints: (SimTransport | null)[]
  faults: NetworkFaults = { lossRate: 0, partition: null }
  /** Sees every direct frame as it is sent (the driver's vote watch). */
  onDirectSend: ((from: number, bytes: Uint8Array) => void) | null = null
  delivered = 0
  dropped = 0

  constructor(clock: VirtualClock, rng: Prng, nodes: number) {
    this.#clock = clock
    this.#rng = rng
    this.#latency = Array.from({ length: nodes }, () => Array.from({ length: nodes }, () => (rng.chance(0.1) ? rng.range(30, 120) : rng.range(2, 25))))
    this.#endpoints = Array.from({ length: nodes }, () => null)
  }

  get size(): number {
    return this.#endpoints.length
  }

  /** The transport for a new incarnation of node `index` (replacing any earlier one). */
  attach(index: number, inspect: Inspect<Message>, onEvent: (event: TransportEvent) => void): SimTransport {
    const transport = new SimTransport(this, index, inspect, onEvent)
    this.#endpoints[index] = transport
    return transport
  }

  /** Node `index` is gone (crashed): nothing reaches it until it attaches again. */
  detach(index: number): void {
    this.#endpoints[index]?.kill()
    this.#endpoints[index] = null
  }

  reachable(from: number, to: number): boolean {
    const p = this.faults.partition
    return p === null || p[from] === p[to]
  }

  isUp(index: number): boolean {
    return this.#endpoints[index]?.up === true
  }

  route(from: number, to: number, bytes: Uint8Array): void {
    if (from === to) return
    this.onDirectSend?.(from, bytes)
    if (!this.reachable(from, to) || (this.faults.lossRate > 0 && this.#rng.chance(this.faults.lossRate))) {
      this.dropped++
      return
    }
    const base = this.#latency[from]![to]!
    const delay = base + this.#rng.int(Math.floor(base / 2) + 3)
    this.#clock.after(delay, () => {
      // Whoever listens at the destination when the frame lands (a restarted node
      // gets frames sent to its previous incarnation, as a reconnect would).
      const endpoint = this.#endpoints[to]
      if (endpoint === null || endpoint === undefined || !endpoint.up || !this.reachable(from, to)) {
        this.dropped++
        return
      }
      this.delivered++
      endpoint.receive(from, bytes)
    })
  }
}

export class SimTransport implements Transport<Message> {
  readonly selfIndex: number
  readonly stats: TransportStats = emptyTransportStats()
  readonly #network: SimNetwork
  readonly #inspect: Inspect<Message>
  readonly #onEvent: (event: TransportEvent) => void
  readonly #queue: Received<Message>[] = []
  #waiter: ((value: IteratorResult<Received<Message>>) => void) | null = null
  #state: 'new' | 'up' | 'stopped' | 'dead' = 'new'

  constructor(network: SimNetwork, selfIndex: number, inspect: Inspect<Message>, onEvent: (event: TransportEvent) => void) {
    this.#network = network
    this.selfIndex = selfIndex
    this.#inspect = inspect
    this.#onEvent = onEvent
  }

  get up(): boolean {
    return this.#state === 'up'
  }

  async start(): Promise<void> {
    if (this.#state === 'new') this.#state = 'up'
  }

  async stop(): Promise<void> {
    if (this.#state === 'dead') return
    this.#state = 'stopped'
    this.#end()
  }

  /** The process crashed: no more frames in or out; its reader waits forever. */
  kill(): void {
    this.#state = 'dead'
    this.#queue.length = 0
    this.#waiter = null
  }

  #end(): void {
    const waiter = this.#waiter
    this.#waiter = null
    waiter?.({ done: true, value: undefined })
  }

  send(to: number, bytes: Uint8Array): boolean {
    if (this.#state !== 'up') return false
    this.stats.sentFrames++
    this.stats.sentBytes += bytes.length
    this.#network.route(this.selfIndex, to, bytes)
    return true
  }

  /** A frame lands: the node's inspect decides, as inside the real transport. */
  receive(from: number, bytes: Uint8Array): void {
    if (this.#state !== 'up') return
    this.stats.receivedFrames++
    this.stats.receivedBytes += bytes.length
    const verdict = this.#inspect(bytes, from)
    if (verdict.verdict !== 'accept') {
      if (verdict.verdict === 'reject') {
        this.stats.rejected++
        this.#onEvent({ type: 'penalty', peer: from, cause: verdict.cause, reason: verdict.reason })
      } else {
        this.stats.ignored++
      }
      return
    }
    const received: Received<Message> = { from, message: verdict.message, bytes: bytes.length }
    const waiter = this.#waiter
    if (waiter !== null) {
      this.#waiter = null
      waiter({ done: false, value: received })
      return
    }
    if (this.#queue.length >= RECEIVE_QUEUE_MAX) {
      this.#queue.shift()
      this.stats.receiveDropped++
    }
    this.#queue.push(received)
  }

  readonly received: AsyncIterable<Received<Message>> = {
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<Received<Message>>> => {
        const head = this.#queue.shift()
        if (head !== undefined) return Promise.resolve({ done: false, value: head })
        if (this.#state === 'stopped') return Promise.resolve({ done: true, value: undefined })
        return new Promise((resolve) => { this.#waiter = resolve })
      },
      return: (): Promise<IteratorResult<Received<Message>>> => {
        this.#end()
        return Promise.resolve({ done: true, value: undefined })
      },
    }),
  }

  poll(): Received<Message> | undefined {
    return this.#queue.shift()
  }

  connectedPeers(): number[] {
    const out: number[] = []
    if (this.#state !== 'up') return out
    for (let i = 0; i < this.#network.size; i++) if (i !== this.selfIndex && this.#network.isUp(i) && this.#network.reachable(this.selfIndex, i)) out.push(i)
    return out
  }

  listenAddresses(): string[] {
    return [`/sim/${this.selfIndex}`]
  }

  penalise(peer: number, cause: PenaltyCause, reason: string): void {
    this.#onEvent({ type: 'penalty', peer, cause, reason })
  }

  async setPeerAddresses(): Promise<void> {}
}
