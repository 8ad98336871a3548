// Every bound of the HTTP API, in one place, each with why it has its value and the
// metric that tells when to revisit it. A node's config may override any of them
// (ApiServerOptions.limits); tests shrink them.
import { LIMITS } from '../../src/limits.ts'

export interface ApiLimits {
  /** Largest request body, in bytes. One entry in JSON: the payload is a JSON string
   * inside JSON, so escaping can grow it up to 6x ("\u0000" per byte); refs, keys and
   * the signature add about 2 KiB of hex. */
  readonly bodyBytesMax: number
  /** Longest URL path parameter (an entry id is 64 hex characters). */
  readonly paramCharsMax: number
  /** Longest opaque query cursor. */
  readonly cursorCharsMax: number
  /** Query page size when the client gives none. */
  readonly pageLimitDefault: number
  /** Largest query page: entries are up to 64 KiB, so 200 keeps a page under ~15 MiB of
   * JSON even with heavy escaping. Larger asks are capped to this. */
  readonly pageLimitMax: number
  /** Per client address (an IPv6 /64 counts as one): sustained requests per second... */
  readonly ipRatePerSecond: number
  /** ...and the burst above it. Watch synod_http_rate_limited_total{scope="ip"}. */
  readonly ipBurst: number
  /** Per agent: sustained accepted submissions per second, and burst. Charged only when
   * the backend accepts an entry (so a forged entry carrying a victim's key cannot
   * spend the victim's budget). Watch synod_http_rate_limited_total{scope="agent"}. */
  readonly agentRatePerSecond: number
  readonly agentBurst: number
  /** Most addresses, and most agents, with a live token bucket. When full, idle buckets
   * are dropped; if none is idle, newcomers share one overflow bucket, so an attacker
   * with many addresses cannot grow memory or reset its own limit. */
  readonly bucketsMax: number
  /** Concurrent streams (subscribe and export) per client address, and in total. Each
   * holds a socket, a backend cursor and up to one socket buffer of memory. */
  readonly streamsPerIpMax: number
  readonly streamsMax: number
  /** SSE comment sent when a stream has been quiet this long, so proxies and clients
   * see the connection alive. */
  readonly heartbeatMs: number
  /** A stream whose socket buffer stays full this long is closed (the client resumes
   * with Last-Event-ID); meanwhile the server stops pulling from the backend, so the
   * memory per slow client is one socket buffer. Watch
   * synod_http_stream_closed_total{reason="slow-client"}. */
  readonly slowClientMs: number
  /** Deadline for one backend call of a non-streaming request. */
  readonly backendTimeoutMs: number
  /** Longest wait a client may ask for with GET /v1/receipts/:id?wait=MS (long poll).
   * Bounded so a waiting request never outlives a client's or proxy's usual timeout. */
  readonly receiptWaitMsMax: number
  /** Receipt long polls waiting at once (each holds a connection and one small waiter);
   * over it the server answers 503 'waiters-exhausted' (retry, or poll without wait).
   * Below connectionsMax so that waiters cannot take every connection. */
  readonly receiptWaitersMax: number
  /** Most entries in one POST /v1/entries/batch (the body limit, bodyBytesMax, bounds
   * its bytes too). Each entry is checked and admitted as on the single path, entries of
   * one agent one after another: 256 small entries take a few ms of verification, far
   * inside backendTimeoutMs. Over it: 413 'batch-too-large'. */
  readonly batchEntriesMax: number
  /** Most ids in one POST /v1/receipts/batch. Each waiting id counts as one receipt
   * waiter (receiptWaitersMax); 256 ids of 64 hex characters are ~17 KiB of body. */
  readonly receiptBatchIdsMax: number
  /** Time to receive a whole request (headers and body): stops slow-loris uploads. */
  readonly requestTimeoutMs: number
  /** Time to receive a request's headers: a client that sends them a byte at a time (or
   * never) loses its socket after this long. */
  readonly headersTimeoutMs: number
  /** Open connections in total (ordinary ones: the reserve below comes on top). */
  readonly connectionsMax: number
  /** Open connections per client address (an IPv6 /64 counts as one), so that one
   * address cannot take every socket: 2,300 slow connections from one address once held
   * all 2,048 and /healthz went unanswered. Over it, a connection is closed at once
   * (or takes a reserve slot). Behind a proxy every client shares the proxy's address:
   * raise it to connectionsMax there. Watch synod_http_rate_limited_total{scope="connections"}. */
  readonly connectionsPerIpMax: number
  /** Connections kept for /healthz and /metrics when a client is over its share or all
   * connectionsMax are taken. A reserve connection is answered 503
   * 'connections-exhausted' on any other path, and is closed after connectionsReserveMs
   * whatever it does, so a flood cannot hold it. */
  readonly connectionsReserve: number
  /** Reserve slots one address may hold at once, so that one address cannot take the
   * whole reserve either. */
  readonly connectionsReservePerIpMax: number
  /** Lifetime of a reserve connection: ample for a health check or a scrape. */
  readonly connectionsReserveMs: number
  /** On close, time for in-flight requests to finish before every connection is cut
   * (including ones a client opened and never used). */
  readonly closeGraceMs: number
}

export const API_LIMITS: ApiLimits = {
  bodyBytesMax: 6 * LIMITS.payloadBytesMax + 64 * 1024,
  paramCharsMax: 128,
  cursorCharsMax: 256,
  pageLimitDefault: 50,
  pageLimitMax: 200,
  ipRatePerSecond: 100,
  ipBurst: 200,
  agentRatePerSecond: 20,
  agentBurst: 100,
  bucketsMax: 10_000,
  streamsPerIpMax: 8,
  streamsMax: 512,
  heartbeatMs: 15_000,
  slowClientMs: 30_000,
  backendTimeoutMs: 10_000,
  receiptWaitMsMax: 10_000,
  receiptWaitersMax: 1024,
  batchEntriesMax: 256,
  receiptBatchIdsMax: 256,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  connectionsMax: 2048,
  connectionsPerIpMax: 256,
  connectionsReserve: 64,
  connectionsReservePerIpMax: 4,
  connectionsReserveMs: 2000,
  closeGraceMs: 3000,
}

/** Browser access (cors.ts). */
export const CORS_LIMITS = {
  /** How long a browser may cache a preflight answer (Access-Control-Max-Age). Ten minutes:
   * a page's requests need one preflight per route and method, not one per request, and a
   * change of the node's allowed origins reaches browsers within that time (Chromium caps
   * the value at 2 hours anyway). */
  preflightMaxAgeSeconds: 600,
  /** Origins a node's config may list: a sanity bound on a list that is matched per request. */
  originsMax: 64,
  /** Characters in one origin (scheme, host and port; a DNS name is at most 253). */
  originCharsMax: 300,
} as const
