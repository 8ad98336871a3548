// Stream slots: the bounded set of long-lived responses (subscriptions, exports) a node
// serves, per client address and in all, and the hand-over of a response to a stream.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { NodeMetrics, StreamCloseReason } from '../metrics/metrics.ts'
import { ApiError } from './errors.ts'
import type { ApiLimits } from './limits.ts'
import { addressKey } from './rate-limit.ts'
import type { PumpResult } from './stream.ts'

export type StreamKind = 'subscribe' | 'export'

export interface StreamSlotDependencies {
  readonly limits: Pick<ApiLimits, 'streamsMax' | 'streamsPerIpMax'>
  readonly metrics: NodeMetrics
  /** Records a request's metrics (a streamed response is recorded when it starts). */
  readonly recordRequest: (request: FastifyRequest, status: number, seconds: number) => void
}

/** The headers hooks set on a reply, for a hand-written answer. */
function hookHeaders(reply: FastifyReply): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) out[name] = value
  return out
}

export class StreamSlots {
  readonly #deps: StreamSlotDependencies
  /** Open streams: their controllers (aborted on close) and counts per client address. */
  readonly #streams = new Set<AbortController>()
  readonly #streamsPerIp = new Map<string, number>()
  /** Requests answered by a hand-written stream: their metrics are recorded by hand. */
  readonly #streamed = new WeakSet<FastifyRequest>()
  #closing = false

  constructor(deps: StreamSlotDependencies) {
    this.#deps = deps
  }

  /** Whether this request's response was taken over by a stream. */
  isStreamed(request: FastifyRequest): boolean {
    return this.#streamed.has(request)
  }

  /** The server closes: every open stream ends ('server-closing'). */
  closeAll(): void {
    this.#closing = true
    for (const controller of this.#streams) controller.abort(new Error('server closing'))
  }

  /** Takes a slot (429 / 503 when this address or the node has none left); `release`
   * gives it back, once, with the reason the stream ended. */
  open(request: FastifyRequest, kind: StreamKind): { controller: AbortController, release: (reason: StreamCloseReason) => void } {
    const { limits, metrics } = this.#deps
    const key = addressKey(request.ip)
    const mine = this.#streamsPerIp.get(key) ?? 0
    if (mine >= limits.streamsPerIpMax) {
      metrics.httpRateLimited('streams')
      throw new ApiError(429, 'too-many-streams', `this address already has ${mine} open streams, the limit`, 5000)
    }
    if (this.#streams.size >= limits.streamsMax) {
      metrics.httpRateLimited('streams')
      throw new ApiError(503, 'streams-exhausted', `the node serves ${this.#streams.size} streams, its limit`, 5000)
    }
    const controller = new AbortController()
    this.#streams.add(controller)
    this.#streamsPerIp.set(key, mine + 1)
    metrics.streamOpened(kind)
    let released = false
    const release = (reason: StreamCloseReason): void => {
      if (released) return
      released = true
      controller.abort()
      this.#streams.delete(controller)
      const left = (this.#streamsPerIp.get(key) ?? 1) - 1
      if (left <= 0) this.#streamsPerIp.delete(key)
      else this.#streamsPerIp.set(key, left)
      metrics.streamClosed(kind, reason)
    }
    return { controller, release }
  }

  /** Takes over the response for a stream: headers now, metrics by hand, and the
   * controller aborted when the client goes. */
  start(request: FastifyRequest, reply: FastifyReply, controller: AbortController, headers: Record<string, string>): void {
    this.#streamed.add(request)
    void reply.hijack()
    const res = reply.raw
    res.on('close', () => controller.abort())
    // Headers set by hooks on the reply (CORS, connection: close) are fastify's to send, and
    // a hijacked reply does not: send them here.
    res.writeHead(200, { ...hookHeaders(reply), ...headers })
    this.#deps.recordRequest(request, 200, reply.elapsedTime / 1000)
  }

  /** Why a stream ended, as its metrics say it: a client gone while the server closes
   * was sent away by the close. */
  closeReason(result: PumpResult): StreamCloseReason {
    return result.reason === 'client-gone' && this.#closing ? 'server-closing' : result.reason
  }
}
