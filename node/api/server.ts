// The validator node's HTTP API (docs/api.md): fastify routes over a NodeBackend.
//
// The server is the trust boundary for HTTP input: every parameter and body is checked
// here (params.ts, entryFromCbor) before the backend sees it, every bound comes from
// limits.ts, and every failure is one JSON shape, { error: { code, message } }, with
// its status. Nothing a client sends can crash the process: fastify catches what a
// handler throws, and unknown errors answer 500 without details.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { AddressInfo } from 'node:net'
import { toHex } from '../../src/crypto/hash.ts'
import { ccToCbor } from '../../src/log/certificates.ts'
import { entryToCbor, type Entry } from '../../src/log/entry.ts'
import { EXPORT_FORMAT, exportHeaderToCbor, frameBytes, frameRecord } from '../../src/log/export.ts'
import { toJson, type JsonValue } from '../../src/log/json.ts'
import { receiptToJson } from '../../src/log/receipt.ts'
import { LIMITS } from '../../src/limits.ts'
import type { BlockExport, LogRecord, NodeBackend } from './backend.ts'
import { ApiError, httpAnswerOf, type HttpErrorAnswer } from './errors.ts'
import { API_LIMITS, type ApiLimits } from './limits.ts'
import type { NodeMetrics, StreamCloseReason } from '../metrics/metrics.ts'
import { onlyKnown, optionalCursor, optionalHash, optionalNamespace, optionalUint, pageLimit, requiredHash, requiredUint } from './params.ts'
import { ConnectionGate } from './connection-gate.ts'
import { addressKey, TokenBuckets } from './rate-limit.ts'
import { pumpToClient, sseEvent, type PumpResult } from './stream.ts'
import { installCors, type CorsOrigins } from './cors.ts'
import { installOpenApi } from './openapi.ts'
import { admitEntry, parseEntryBody, submitStatus } from './submit.ts'
import { receiptAnswer } from './receipts.ts'
import { registerBatchRoutes } from './batch.ts'
import { registerTransparencyRoutes } from './routes/transparency.ts'

export interface ApiServerOptions {
  /** Address to listen on; default 127.0.0.1 (expose it on purpose). */
  readonly host?: string
  /** Port to listen on; 0 picks a free one (see listen()'s answer). */
  readonly port: number
  /** The chain's payload limit (genesis params.payloadBytesMax); default LIMITS.payloadBytesMax. */
  readonly payloadBytesMax?: number
  /** Overrides of API_LIMITS. */
  readonly limits?: Partial<ApiLimits>
  /** Trust X-Forwarded-For from these proxies (fastify's trustProxy); default false, so the
   * rate limits key on the socket address. */
  readonly trustProxy?: FastifyServerOptions['trustProxy']
  /** fastify logger options (pino), or an existing pino logger; default: no logging. */
  readonly logger?: FastifyServerOptions['logger']
  readonly loggerInstance?: FastifyBaseLogger
  /** Monotonic milliseconds for the rate limits (tests); default performance.now(). */
  readonly now?: () => number
  /** Web origins whose pages may call this API (cors.ts); default none. */
  readonly corsOrigins?: CorsOrigins
}

export interface ApiServerDependencies {
  readonly backend: NodeBackend
  readonly metrics: NodeMetrics
}

export interface ApiServer {
  /** The fastify instance (for inject() in tests, or to add routes before listen()). */
  readonly app: FastifyInstance
  /** Starts listening; answers the bound address (useful with port 0). */
  listen(): Promise<{ host: string, port: number, url: string }>
  /** Ends open streams, stops accepting, and waits for in-flight requests. */
  close(): Promise<void>
}

type StreamKind = 'subscribe' | 'export'

const SSE_RETRY_MS = 2000
const SSE_HEARTBEAT = ': keep-alive\n\n'
const METHODS = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
const SUBSCRIBE_QUERY = ['from', 'namespace'] as const
const QUERY_QUERY = ['namespace', 'agent', 'fromHeight', 'toHeight', 'cursor', 'limit'] as const
/** Routes a reserve connection may use (connection-gate.ts). */
const RESERVE_ROUTES = new Set(['/healthz', '/metrics'])
/** How often Node checks request and header deadlines (its default, 30 s, would let a
 * slow client hold a socket for up to twice its deadline). */
const DEADLINE_CHECK_MS_MAX = 1000

function errorBody(code: string, message: string, details: Readonly<Record<string, number | string>> = {}): { error: Record<string, number | string> } {
  // Details first: code and message keep their meaning whatever a class names its fields.
  return { error: { ...details, code, message } }
}

function entryJson(entry: Entry): JsonValue {
  return toJson(entryToCbor(entry))
}

function recordJson(record: LogRecord): JsonValue {
  return { id: toHex(record.id), index: record.index, height: record.height, entry: entryJson(record.entry) }
}

/** Maps fastify's own errors (body parsing, routing) to the API's codes. */
function fastifyAnswer(err: FastifyError): HttpErrorAnswer | null {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'body-too-large', message: err.message, retryAfterMs: null }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported-media-type', message: 'send the body as application/json', retryAfterMs: null }
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, code: 'malformed-json', message: err.message, retryAfterMs: null }
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 414, code: 'uri-too-long', message: 'a path parameter is too long', retryAfterMs: null }
    case 'FST_ERR_BAD_URL':
      return { status: 400, code: 'bad-url', message: 'the URL is not validly percent-encoded', retryAfterMs: null }
    default:
      break
  }
  const status = err.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    // JSON.parse's SyntaxError, prototype poisoning and the like come as plain 400s.
    const code = status === 400 && (err instanceof SyntaxError || /json|proto/i.test(err.message)) ? 'malformed-json' : 'bad-request'
    return { status, code, message: err.message, retryAfterMs: null }
  }
  return null
}

/** The headers hooks set on a reply, for a hand-written answer. */
function hookHeaders(reply: FastifyReply): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {}
  for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) out[name] = value
  return out
}

function sendError(reply: FastifyReply, answer: HttpErrorAnswer): FastifyReply {
  if (answer.retryAfterMs !== null) {
    const seconds = Number.isFinite(answer.retryAfterMs) ? Math.max(1, Math.ceil(answer.retryAfterMs / 1000)) : 3600
    void reply.header('retry-after', String(seconds))
  }
  return reply.code(answer.status).type('application/json; charset=utf-8').send(errorBody(answer.code, answer.message, answer.details))
}

export function createApiServer(options: ApiServerOptions, dependencies: ApiServerDependencies): ApiServer {
  const { backend, metrics } = dependencies
  const limits: ApiLimits = { ...API_LIMITS, ...options.limits }
  const payloadBytesMax = options.payloadBytesMax ?? LIMITS.payloadBytesMax
  const host = options.host ?? '127.0.0.1'
  const now = options.now ?? (() => performance.now())

  const app = Fastify({
    ...(options.loggerInstance === undefined ? { logger: options.logger ?? false } : { loggerInstance: options.loggerInstance }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: limits.bodyBytesMax,
    requestTimeout: limits.requestTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      connectionsCheckingInterval: Math.min(DEADLINE_CHECK_MS_MAX, limits.headersTimeoutMs),
    },
    trustProxy: options.trustProxy ?? false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    // No implicit HEAD routes: a HEAD on a stream would hold a stream slot for nothing.
    exposeHeadRoutes: false,
    routerOptions: { maxParamLength: limits.paramCharsMax },
    // Errors the router raises before any route runs (a bad URL encoding, an overlong
    // path parameter): the same JSON shape as every other error.
    frameworkErrors: (err, _request, reply) => {
      void sendError(reply, fastifyAnswer(err) ?? { status: 400, code: 'bad-request', message: err.message, retryAfterMs: null })
    },
  }) as unknown as FastifyInstance
  // Only JSON bodies: anything else is a 415.
  app.removeContentTypeParser('text/plain')
  // First, so that every answer below, errors included, carries the CORS headers.
  installCors(app, options.corsOrigins ?? [])

  const ipBuckets = new TokenBuckets({ ratePerSecond: limits.ipRatePerSecond, burst: limits.ipBurst, keysMax: limits.bucketsMax, now })
  const agentBuckets = new TokenBuckets({ ratePerSecond: limits.agentRatePerSecond, burst: limits.agentBurst, keysMax: limits.bucketsMax, now })
  /** Open streams: their controllers (aborted on close) and counts per client address. */
  const streams = new Set<AbortController>()
  const streamsPerIp = new Map<string, number>()
  /** Requests answered by a hand-written stream: their metrics are recorded by hand. */
  const streamed = new WeakSet<FastifyRequest>()
  let closing = false
  /** Receipt long polls (GET /v1/receipts/:id?wait=, and each waiting id of a batch) waiting now. */
  const receiptWaiters = { count: 0 }

  // --- errors ---

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const answer = httpAnswerOf(err) ?? fastifyAnswer(err)
    if (answer === null) {
      request.log.error({ err }, 'unexpected error')
      return sendError(reply, { status: 500, code: 'internal', message: 'internal error (logged on the node)', retryAfterMs: null })
    }
    if (answer.status >= 500) request.log.debug({ code: answer.code }, answer.message)
    return sendError(reply, answer)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!.slice(0, 80)
    return sendError(reply, { status: 404, code: 'no-route', message: `no route ${request.method} ${path} (see docs/api.md)`, retryAfterMs: null })
  })

  // --- hooks: reserve connections, per-address rate limit, request metrics, shutdown ---

  const gate = new ConnectionGate({
    connectionsMax: limits.connectionsMax,
    connectionsPerIpMax: limits.connectionsPerIpMax,
    connectionsReserve: limits.connectionsReserve,
    connectionsReservePerIpMax: limits.connectionsReservePerIpMax,
    connectionsReserveMs: limits.connectionsReserveMs,
  }, () => metrics.httpRateLimited('connections'))
  gate.attach(app.server)

  app.addHook('onRequest', async (request, reply) => {
    if (!gate.isReserve(request.raw.socket)) return
    // A reserve slot serves one health check or scrape, then the connection closes.
    void reply.header('connection', 'close')
    if (RESERVE_ROUTES.has(request.routeOptions.url ?? '')) return
    metrics.httpRateLimited('connections')
    return sendError(reply, { status: 503, code: 'connections-exhausted', message: 'this address, or the node, holds as many connections as it allows: close idle ones and retry', retryAfterMs: 1000 })
  })

  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url === '/healthz') return
    const taken = ipBuckets.take(addressKey(request.ip))
    if (!taken.ok) {
      metrics.httpRateLimited('ip')
      throw new ApiError(429, 'rate-limited', `over ${limits.ipRatePerSecond} requests per second from this address`, taken.retryAfterMs)
    }
  })

  app.addHook('onResponse', async (request, reply) => {
    if (streamed.has(request)) return
    recordRequest(request, reply.statusCode, reply.elapsedTime / 1000)
  })

  app.addHook('preClose', async () => {
    closing = true
    for (const controller of streams) controller.abort(new Error('server closing'))
  })

  function recordRequest(request: FastifyRequest, status: number, seconds: number): void {
    const method = METHODS.has(request.method) ? request.method : 'OTHER'
    metrics.httpRequest(method, request.routeOptions.url ?? 'unmatched', status, seconds)
  }

  // --- backend calls with a deadline ---

  // fastify 5's request.signal aborts on the IncomingMessage's 'close', which Node emits
  // as soon as the body has been read, not when the client leaves. The client has gone
  // when the *response* closes (finished, or the connection dropped), so track that.
  const clientGone = new WeakMap<FastifyRequest, AbortSignal>()
  app.addHook('onRequest', async (request, reply) => {
    const controller = new AbortController()
    reply.raw.once('close', () => controller.abort())
    clientGone.set(request, controller.signal)
  })

  /** Calls the backend with a signal that aborts when the client goes or the deadline
   * passes; a call that outlives its deadline answers 503 even if the backend ignores
   * the signal. */
  async function call<T>(request: FastifyRequest, run: (signal: AbortSignal) => Promise<T>, timeoutMs = limits.backendTimeoutMs): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs)
    const signal = AbortSignal.any([clientGone.get(request) ?? deadline, deadline])
    const timedOut = (): ApiError => new ApiError(503, 'timeout', `the node did not answer within ${timeoutMs} ms`, 1000)
    if (signal.aborted) throw timedOut()
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(timedOut())
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([run(signal), aborted])
    } catch (err) {
      // A backend that honours the signal rejects with its reason: report the deadline.
      if (deadline.aborted && !(err instanceof ApiError) && httpAnswerOf(err) === null) throw timedOut()
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort!)
      aborted.catch(() => {})
    }
  }

  // --- stream slots ---

  function openStream(request: FastifyRequest, kind: StreamKind): { controller: AbortController, release: (reason: StreamCloseReason) => void } {
    const key = addressKey(request.ip)
    const mine = streamsPerIp.get(key) ?? 0
    if (mine >= limits.streamsPerIpMax) {
      metrics.httpRateLimited('streams')
      throw new ApiError(429, 'too-many-streams', `this address already has ${mine} open streams, the limit`, 5000)
    }
    if (streams.size >= limits.streamsMax) {
      metrics.httpRateLimited('streams')
      throw new ApiError(503, 'streams-exhausted', `the node serves ${streams.size} streams, its limit`, 5000)
    }
    const controller = new AbortController()
    streams.add(controller)
    streamsPerIp.set(key, mine + 1)
    metrics.streamOpened(kind)
    let released = false
    const release = (reason: StreamCloseReason): void => {
      if (released) return
      released = true
      controller.abort()
      streams.delete(controller)
      const left = (streamsPerIp.get(key) ?? 1) - 1
      if (left <= 0) streamsPerIp.delete(key)
      else streamsPerIp.set(key, left)
      metrics.streamClosed(kind, reason)
    }
    return { controller, release }
  }

  /** Takes over the response for a stream: headers now, metrics by hand, and the
   * controller aborted when the client goes. */
  function startStream(request: FastifyRequest, reply: FastifyReply, controller: AbortController, headers: Record<string, string>): void {
    streamed.add(request)
    void reply.hijack()
    const res = reply.raw
    res.on('close', () => controller.abort())
    // Headers set by hooks on the reply (CORS, connection: close) are fastify's to send, and
    // a hijacked reply does not: send them here.
    res.writeHead(200, { ...hookHeaders(reply), ...headers })
    recordRequest(request, 200, reply.elapsedTime / 1000)
  }

  function closeReason(result: PumpResult): StreamCloseReason {
    return result.reason === 'client-gone' && closing ? 'server-closing' : result.reason
  }

  // --- routes ---

  // Before the routes: it collects them as they are added.
  installOpenApi(app)
  const admission = { backend, metrics, limits, agentBuckets }

  app.post('/v1/entries', async (request, reply) => {
    onlyKnown(request.query, [])
    const entry = parseEntryBody(request.body, payloadBytesMax)
    const result = await admitEntry(admission, entry, (run) => call(request, run))
    return reply.code(submitStatus(result)).send({ id: toHex(result.id), status: result.status })
  })

  app.get('/v1/entries/:id', async (request) => {
    onlyKnown(request.query, [])
    const id = requiredHash((request.params as { id?: unknown }).id, 'id')
    const found = await call(request, (signal) => backend.getEntry(id, signal))
    if (found === null) throw new ApiError(404, 'unknown-entry', `entry ${toHex(id)} is not known to this node`)
    if (found.status === 'pending') {
      return { id: toHex(id), status: 'pending', height: null, index: null, entry: entryJson(found.entry), receipt: null }
    }
    if (found.status === 'superseded') {
      return { id: toHex(id), status: 'superseded', height: null, index: null, entry: null, receipt: null, seq: found.seq, lastSeq: found.lastSeq }
    }
    const receipt = await call(request, (signal) => backend.getReceipt(id, signal))
    return {
      id: toHex(id),
      status: receipt === null ? 'committed' : 'certified',
      height: found.height,
      index: found.index,
      entry: entryJson(found.entry),
      receipt: receipt === null ? null : receiptToJson(receipt),
    }
  })

  app.get('/v1/receipts/:id', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['wait'])
    const id = requiredHash((request.params as { id?: unknown }).id, 'id')
    const waitMs = optionalUint(q.wait, 'wait') ?? 0
    if (waitMs > limits.receiptWaitMsMax) throw new ApiError(400, 'invalid-parameter', `wait: ${waitMs} ms is above the longest wait, ${limits.receiptWaitMsMax} ms`)
    let receipt
    if (waitMs === 0) {
      receipt = await call(request, (signal) => backend.getReceipt(id, signal))
    } else {
      if (receiptWaiters.count >= limits.receiptWaitersMax) {
        metrics.httpRateLimited('receipt-waiters')
        throw new ApiError(503, 'waiters-exhausted', `the node has ${receiptWaiters.count} receipt waits open, its limit: retry, or ask without wait`, 1000)
      }
      receiptWaiters.count++
      try {
        // The wait is the client's; the backend's own deadline comes on top of it.
        receipt = await call(request, (signal) => backend.awaitReceipt(id, waitMs, signal), waitMs + limits.backendTimeoutMs)
      } finally {
        receiptWaiters.count--
      }
    }
    const answer = await receiptAnswer(backend, id, receipt, (run) => call(request, run))
    if (answer.httpStatus === 202) void reply.header('retry-after', '1')
    return reply.code(answer.httpStatus).send(answer.body)
  })

  registerBatchRoutes(app, { admission, backend, metrics, limits, payloadBytesMax, ipBuckets, receiptWaiters, call })
  registerTransparencyRoutes(app, { backend, call })

  app.get('/v1/entries', async (request) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, QUERY_QUERY)
    const fromHeight = optionalUint(q.fromHeight, 'fromHeight')
    const toHeight = optionalUint(q.toHeight, 'toHeight')
    if (fromHeight !== undefined && toHeight !== undefined && fromHeight > toHeight) {
      throw new ApiError(400, 'invalid-parameter', `fromHeight ${fromHeight} is above toHeight ${toHeight}`)
    }
    const namespace = optionalNamespace(q.namespace, 'namespace')
    const agent = optionalHash(q.agent, 'agent')
    const cursor = optionalCursor(q.cursor, 'cursor', limits.cursorCharsMax)
    const limit = pageLimit(q.limit, 'limit', limits.pageLimitDefault, limits.pageLimitMax)
    const page = await call(request, (signal) => backend.query({
      ...(namespace === undefined ? {} : { namespace }),
      ...(agent === undefined ? {} : { agent }),
      ...(fromHeight === undefined ? {} : { fromHeight }),
      ...(toHeight === undefined ? {} : { toHeight }),
      ...(cursor === undefined ? {} : { cursor }),
      limit,
    }, signal))
    return { items: page.items.slice(0, limit).map(recordJson), nextCursor: page.nextCursor }
  })

  app.get('/v1/subscribe', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, SUBSCRIBE_QUERY)
    const namespace = optionalNamespace(q.namespace, 'namespace')
    const lastEventId = optionalUint(request.headers['last-event-id'], 'Last-Event-ID')
    if (lastEventId === Number.MAX_SAFE_INTEGER) throw new ApiError(400, 'invalid-parameter', 'Last-Event-ID: no log index follows it')
    const from = optionalUint(q.from, 'from')
    // A reconnecting EventSource repeats the URL and adds Last-Event-ID: that one wins.
    const fromIndex = lastEventId !== undefined ? lastEventId + 1 : from ?? backend.health().logSize
    const { controller, release } = openStream(request, 'subscribe')
    let source: AsyncIterator<LogRecord>
    try {
      source = backend.subscribe({ fromIndex, ...(namespace === undefined ? {} : { namespace }) }, controller.signal)[Symbol.asyncIterator]()
    } catch (err) {
      release('error')
      throw err
    }
    startStream(request, reply, controller, {
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
    const reason = closeReason(result)
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

  app.get('/v1/checkpoint', async (request) => {
    onlyKnown(request.query, [])
    const cc = await call(request, (signal) => backend.latestCheckpoint(signal))
    if (cc === null) throw new ApiError(404, 'no-checkpoint', 'no block has been certified yet')
    return { checkpoint: toJson(ccToCbor(cc)) }
  })

  app.get('/v1/consistency', async (request) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['from', 'to'])
    const from = requiredUint(q.from, 'from')
    const to = requiredUint(q.to, 'to')
    if (from > to) throw new ApiError(400, 'invalid-parameter', `from ${from} is above to ${to}`)
    const proof = await call(request, (signal) => backend.consistencyProof(from, to, signal))
    return { from, to, proof: proof.map(toHex) }
  })

  app.get('/v1/export', async (request, reply) => {
    const q = request.query as Record<string, unknown>
    onlyKnown(q, ['fromHeight', 'toHeight'])
    const fromHeight = optionalUint(q.fromHeight, 'fromHeight') ?? 1
    if (fromHeight < 1) throw new ApiError(400, 'invalid-parameter', 'fromHeight: exports start at height 1 or above (height 0 is the genesis block, implied by the genesis)')
    const given = optionalUint(q.toHeight, 'toHeight')
    // By default the export ends at the highest block with a commit certificate, not at the
    // committed head: a chain must end at a certified block to be proven committed, so a
    // default export always passes `synod audit`.
    const toHeight = given ?? (await call(request, (signal) => backend.latestCheckpoint(signal)))?.height ?? 0
    if (fromHeight > toHeight) {
      if (given === undefined) throw new ApiError(404, 'range-unavailable', `no block is certified at or above height ${fromHeight} yet`)
      throw new ApiError(400, 'invalid-parameter', `fromHeight ${fromHeight} is above toHeight ${toHeight}`)
    }
    const { controller, release } = openStream(request, 'export')
    let exported: BlockExport
    let source: AsyncIterator<Uint8Array>
    try {
      // The header is read before the response starts, so that a range error or a failing
      // backend still answers with a JSON error and its status.
      exported = await call(request, () => backend.exportBlocks(fromHeight, toHeight, controller.signal))
      source = exported.records[Symbol.asyncIterator]()
    } catch (err) {
      release('error')
      throw err
    }
    startStream(request, reply, controller, {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="synod-${fromHeight}-${toHeight}.export"`,
      'x-synod-export-format': EXPORT_FORMAT,
      'cache-control': 'no-store',
    })
    const res = reply.raw
    res.write(frameRecord(exportHeaderToCbor(exported.header)))
    const result = await pumpToClient(source, res, frameBytes, {
      signal: controller.signal,
      heartbeat: null,
      heartbeatMs: limits.heartbeatMs,
      slowClientMs: limits.slowClientMs,
    })
    const reason = closeReason(result)
    if (reason === 'error') request.log.error({ err: result.error }, 'export stream failed')
    // Only a complete export ends cleanly; any other end cuts the connection, so the
    // client sees a truncated stream rather than a short one that looks whole.
    if (reason === 'done') res.end()
    else res.destroy()
    release(reason)
  })

  app.get('/healthz', async (request, reply) => {
    onlyKnown(request.query, [])
    const health = backend.health()
    return reply.code(health.status === 'stopping' ? 503 : 200).send({
      status: health.status,
      chainId: health.chainId,
      height: health.height,
      lagHeights: health.lagHeights,
      logSize: health.logSize,
      round: health.round,
      peers: health.peers,
      mempoolEntries: health.mempoolEntries,
    })
  })

  app.get('/metrics', async (request, reply) => {
    onlyKnown(request.query, [])
    const { contentType, body } = await metrics.render()
    return reply.type(contentType).send(body)
  })

  return {
    app,
    async listen() {
      await app.listen({ host, port: options.port })
      const address = app.server.address() as AddressInfo
      const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
      return { host: address.address, port: address.port, url: `http://${shown}:${address.port}` }
    },
    async close() {
      const grace = setTimeout(() => app.server.closeAllConnections(), limits.closeGraceMs)
      try {
        await app.close()
      } finally {
        clearTimeout(grace)
      }
    },
  }
}
