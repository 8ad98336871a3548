// GET /v1/subscribe (docs/api.md "Subscribe"): the committed log as server-sent events,
// from a log index (or Last-Event-ID + 1) on, in a stream slot (stream-slots.ts).
import type { FastifyInstance } from 'fastify'
import type { LogRecord, NodeBackend } from '../backend.ts'
import { ApiError, httpAnswerOf } from '../errors.ts'
import type { ApiLimits } from '../limits.ts'
import { onlyKnown, optionalNamespace, optionalUint } from '../params.ts'
import { errorBody, recordJson } from '../replies.ts'
import { pumpToClient, sseEvent } from '../stream.ts'
import type { StreamSlots } from '../stream-slots.ts'

export interface SubscribeRouteDependencies {
  readonly backend: NodeBackend
  readonly limits: Pick<ApiLimits, 'heartbeatMs' | 'slowClientMs'>
  readonly streams: StreamSlots
}

const SSE_RETRY_MS = 2000
const SSE_HEARTBEAT = ': keep-alive\n\n'
const SUBSCRIBE_QUERY = ['from', 'namespace'] as const

export function registerSubscribeRoutes(app: FastifyInstance, deps: SubscribeRouteDependencies): void {
  const { backend, limits, streams } = deps

  app.get('/v1/subscribe', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, SUBSCRIBE_QUERY)
    const namespace = optionalNamespace(q.namespace, 'namespace')
    const lastEventId = optionalUint(request.headers['last-event-id'], 'Last-Event-ID')
    if (lastEventId === Number.MAX_SAFE_INTEGER) throw new ApiError(400, 'invalid-parameter', 'Last-Event-ID: no log index follows it')
    const from = optionalUint(q.from, 'from')
    // A reconnecting EventSource repeats the URL and adds Last-Event-ID: that one wins.
    const fromIndex = lastEventId !== undefined ? lastEventId + 1 : from ?? backend.health().logSize
    const { controller, release } = streams.open(request, 'subscribe')
    let source: AsyncIterator<LogRecord>
    try {
      source = backend.subscribe({ fromIndex, ...(namespace === undefined ? {} : { namespace }) }, controller.signal)[Symbol.asyncIterator]()
    } catch (err) {
      release('error')
      throw err
    }
    streams.start(request, reply, controller, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    const res = reply.raw
    res.write(`retry: ${SSE_RETRY_MS}\n: synod subscribe from ${fromIndex}\n\n`)
    const result = await pumpToClient(source, res, (record) => sseEvent('entry', JSON.stringify(recordJson(record)), String(record.index)), {
      signal: controller.signal,
      heartbeat: SSE_HEARTBEAT,
      heartbeatMs: limits.heartbeatMs,
      slowClientMs: limits.slowClientMs,
    })
    const reason = streams.closeReason(result)
    if (reason === 'error') {
      const answer = httpAnswerOf(result.error)
      if (answer === null) request.log.error({ err: result.error }, 'subscribe stream failed')
      const code = answer?.code ?? 'internal'
      const message = answer?.message ?? 'internal error (logged on the node)'
      if (!res.destroyed) res.end(sseEvent('error', JSON.stringify(errorBody(code, message))))
    } else if (reason === 'server-closing' || reason === 'done') {
      if (!res.destroyed) res.end()
    } else {
      res.destroy()
    }
    release(reason)
  })
}
