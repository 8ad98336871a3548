// Admission of TCP connections to the HTTP API, before any byte of a request is read.
//
// A socket costs the node a file descriptor and a parser whatever the client sends, so a
// client that opens many and sends nothing (or one header byte at a time) can take every
// socket. The gate counts open connections per client address and in total:
// - within both shares, a connection is ordinary;
// - over a share, it may take a slot of a small reserve that serves only /healthz and
//   /metrics (server.ts answers anything else 503 'connections-exhausted'), and that
//   closes after its deadline whatever the client does: a health check needs milliseconds;
// - otherwise (reserve full, or this address already holds its share of it) the socket
//   is destroyed at once.
// So one address holds at most connectionsPerIpMax + connectionsReservePerIpMax sockets,
// and health stays reachable from every address that is not itself flooding.
import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import { addressKey } from './rate-limit.ts'

export interface ConnectionGateLimits {
  readonly connectionsMax: number
  readonly connectionsPerIpMax: number
  readonly connectionsReserve: number
  readonly connectionsReservePerIpMax: number
  readonly connectionsReserveMs: number
}

export type Admission = 'ordinary' | 'reserve' | 'refused'

class Counts {
  readonly #byKey = new Map<string, number>()
  #total = 0
  get total(): number {
    return this.#total
  }
  of(key: string): number {
    return this.#byKey.get(key) ?? 0
  }
  add(key: string): void {
    this.#byKey.set(key, this.of(key) + 1)
    this.#total++
  }
  remove(key: string): void {
    const left = this.of(key) - 1
    if (left < 0) throw new Error(`connection count of ${key} would go below zero`)
    if (left === 0) this.#byKey.delete(key)
    else this.#byKey.set(key, left)
    this.#total--
  }
}

export class ConnectionGate {
  readonly #limits: ConnectionGateLimits
  readonly #onRefused: () => void
  readonly #ordinary = new Counts()
  readonly #reserve = new Counts()
  readonly #reserveSockets = new WeakSet<Socket>()

  constructor(limits: ConnectionGateLimits, onRefused: () => void) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`)
    }
    if (limits.connectionsMax < 1 || limits.connectionsPerIpMax < 1) throw new RangeError('connectionsMax and connectionsPerIpMax must be at least 1')
    this.#limits = limits
    this.#onRefused = onRefused
  }

  /** Counts connections on `server` from now on; the hard socket limit covers the reserve. */
  attach(server: Server): void {
    server.maxConnections = this.#limits.connectionsMax + this.#limits.connectionsReserve
    server.on('connection', (socket: Socket) => this.#admit(socket))
  }

  /** Whether this socket holds a reserve slot (serve it health and metrics only). */
  isReserve(socket: Socket): boolean {
    return this.#reserveSockets.has(socket)
  }

  /** Open connections (ordinary, reserve): for tests and metrics. */
  get open(): { ordinary: number, reserve: number } {
    return { ordinary: this.#ordinary.total, reserve: this.#reserve.total }
  }

  #admit(socket: Socket): void {
    const key = addressKey(socket.remoteAddress)
    const admission = this.#decide(key)
    if (admission === 'refused') {
      this.#onRefused()
      socket.destroy()
      return
    }
    const counts = admission === 'ordinary' ? this.#ordinary : this.#reserve
    counts.add(key)
    socket.once('close', () => counts.remove(key))
    if (admission === 'reserve') {
      this.#reserveSockets.add(socket)
      const deadline = setTimeout(() => socket.destroy(), this.#limits.connectionsReserveMs)
      deadline.unref()
      socket.once('close', () => clearTimeout(deadline))
    }
  }

  #decide(key: string): Admission {
    const l = this.#limits
    if (this.#ordinary.of(key) < l.connectionsPerIpMax && this.#ordinary.total < l.connectionsMax) return 'ordinary'
    if (this.#reserve.of(key) < l.connectionsReservePerIpMax && this.#reserve.total < l.connectionsReserve) return 'reserve'
    return 'refused'
  }
}
