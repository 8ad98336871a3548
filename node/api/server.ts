// The validator node's HTTP API (docs/api.md): fastify routes over a NodeBackend.
//
// The server is the trust boundary for HTTP input: every parameter and body is checked
// here (params.ts, entryFromCbor) before the backend sees it, every bound comes from
// limits.ts, and every failure is one JSON shape, { error: { code, message } }, with
// its status. Nothing a client sends can crash the process: fastify catches what a
// handler throws, and unknown errors answer 500 without details.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { AddressInfo } from 'node:net'
import { LIMITS } from '../../src/limits.ts'
import type { NodeMetrics } from '../metrics/metrics.ts'
import type { NodeBackend } from './backend.ts'
import { installBackendCall } from './backend-call.ts'
import { ConnectionGate } from './connection-gate.ts'
import { installCors, type CorsOrigins } from './cors.ts'
import { ApiError, httpAnswerOf, type HttpErrorAnswer } from './errors.ts'
import { API_LIMITS, type ApiLimits } from './limits.ts'
import { installOpenApi } from './openapi.ts'
import { addressKey, TokenBuckets } from './rate-limit.ts'
import { sendError } from './replies.ts'
import { registerBatchRoutes } from './routes/batch.ts'
import { registerEntryRoutes } from './routes/entries.ts'
import { registerExportRoutes } from './routes/export.ts'
import { registerProofRoutes } from './routes/proofs.ts'
import { registerReceiptRoutes } from './routes/receipts.ts'
import { registerStatusRoutes } from './routes/status.ts'
import { registerSubscribeRoutes } from './routes/subscribe.ts'
import { registerTransparencyRoutes } from './routes/transparency.ts'
import { registerDecisionRoutes } from './routes/decisions.ts'
import { registerPolicyRoutes } from './routes/policies.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { registerSealedRoutes } from './routes/sealed.ts'
import { StreamSlots } from './stream-slots.ts'

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
  /** The chain's genesis, for the governance route (routes/policies.ts); without it that
   * route answers 404 no-governance. */
  readonly genesis?: Genesis
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

const METHODS = new Set(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
/** Routes a reserve connection may use (connection-gate.ts). */
const RESERVE_ROUTES = new Set(['/healthz', '/metrics'])
/** How often Node checks request and header deadlines (its default, 30 s, would let a
 * slow client hold a socket for up to twice its deadline). */
const DEADLINE_CHECK_MS_MAX = 1000

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
    // fastify's own JSON parser answers FST_ERR_CTP_INVALID_JSON_BODY (above) for bad JSON
    // and prototype poisoning alike; a body parser that throws JSON.parse's SyntaxError
    // with a 400 is told by its class, never by its message.
    const code = status === 400 && err instanceof SyntaxError ? 'malformed-json' : 'bad-request'
    return { status, code, message: err.message, retryAfterMs: null }
  }
  return null
}

/** The fastify instance with the API's bounds: body size, deadlines, no poisoned JSON. */
function fastifyOf(options: ApiServerOptions, limits: ApiLimits): FastifyInstance {
  return Fastify({
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
}

/** Every error, fastify's own included, in the one JSON shape with its status. */
function installErrorHandling(app: FastifyInstance): void {
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
}

interface RequestHookDependencies {
  readonly limits: ApiLimits
  readonly metrics: NodeMetrics
  readonly ipBuckets: TokenBuckets
  readonly streams: StreamSlots
  readonly recordRequest: (request: FastifyRequest, status: number, seconds: number) => void
}

/** Hooks: reserve connections, the per-address rate limit, request metrics, shutdown. */
function installRequestHooks(app: FastifyInstance, deps: RequestHookDependencies): void {
  const { limits, metrics, ipBuckets, streams, recordRequest } = deps
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
    if (streams.isStreamed(request)) return
    recordRequest(request, reply.statusCode, reply.elapsedTime / 1000)
  })

  app.addHook('preClose', async () => {
    streams.closeAll()
  })
}

export function createApiServer(options: ApiServerOptions, dependencies: ApiServerDependencies): ApiServer {
  const { backend, metrics } = dependencies
  const limits: ApiLimits = { ...API_LIMITS, ...options.limits }
  const payloadBytesMax = options.payloadBytesMax ?? LIMITS.payloadBytesMax
  const host = options.host ?? '127.0.0.1'
  const now = options.now ?? (() => performance.now())

  const app = fastifyOf(options, limits)
  // Only JSON bodies: anything else is a 415.
  app.removeContentTypeParser('text/plain')
  // First, so that every answer below, errors included, carries the CORS headers.
  installCors(app, options.corsOrigins ?? [])

  const ipBuckets = new TokenBuckets({ ratePerSecond: limits.ipRatePerSecond, burst: limits.ipBurst, keysMax: limits.bucketsMax, now })
  const agentBuckets = new TokenBuckets({ ratePerSecond: limits.agentRatePerSecond, burst: limits.agentBurst, keysMax: limits.bucketsMax, now })
  const streams = new StreamSlots({ limits, metrics, recordRequest })
  /** Receipt long polls (GET /v1/receipts/:id?wait=, and each waiting id of a batch) waiting now. */
  const receiptWaiters = { count: 0 }

  installErrorHandling(app)
  installRequestHooks(app, { limits, metrics, ipBuckets, streams, recordRequest })

  function recordRequest(request: FastifyRequest, status: number, seconds: number): void {
    const method = METHODS.has(request.method) ? request.method : 'OTHER'
    metrics.httpRequest(method, request.routeOptions.url ?? 'unmatched', status, seconds)
  }

  // --- routes (one module each under routes/; see docs/architecture.md) ---

  const call = installBackendCall(app, limits.backendTimeoutMs)
  // Before the routes: it collects them as they are added.
  installOpenApi(app)
  const admission = { backend, metrics, limits, agentBuckets }
  registerEntryRoutes(app, { admission, backend, limits, payloadBytesMax, call })
  registerReceiptRoutes(app, { backend, metrics, limits, receiptWaiters, call })
  registerBatchRoutes(app, { admission, backend, metrics, limits, payloadBytesMax, ipBuckets, receiptWaiters, call })
  registerSubscribeRoutes(app, { backend, limits, streams })
  registerProofRoutes(app, { backend, call })
  registerExportRoutes(app, { backend, limits, streams, call })
  registerStatusRoutes(app, { backend, metrics })
  registerTransparencyRoutes(app, { backend, call })
  registerDecisionRoutes(app, { backend, call })
  registerPolicyRoutes(app, { backend, call, genesis: options.genesis })
  registerSealedRoutes(app, { backend, call })

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
