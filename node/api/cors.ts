// Browser access to the API (docs/api.md, "Browsers and CORS"): which web origins may
// call this node, answered by @fastify/cors. None by default: a browser page on another
// origin then cannot read any answer (same-origin policy), as before. A node operator
// lists the origins of the pages that should reach it, or '*' for any (the devnet does).
//
// Nothing here is a security boundary for the node: CORS only tells browsers which pages
// may read answers. Every route already treats every caller as untrusted, and no route
// uses cookies or other ambient credentials, so credentials are never allowed.
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import { CORS_LIMITS } from './limits.ts'

/** '*': any origin; a list: exactly these origins (`scheme://host[:port]`); empty: none. */
export type CorsOrigins = '*' | readonly string[]

/** Methods a page may use: the API's routes are GET (and HEAD) and POST. */
const CORS_METHODS = ['GET', 'HEAD', 'POST']
/** Request headers beyond the CORS-safelisted ones: JSON bodies, and the SSE resume header
 * (an EventSource sends Last-Event-ID when it reconnects). */
const CORS_REQUEST_HEADERS = ['content-type', 'last-event-id']
/** Answer headers a page must be able to read: Retry-After on 202/429/503 (the SDK backs
 * off by it), the export's format and file name. */
const CORS_EXPOSED_HEADERS = ['retry-after', 'x-synod-export-format', 'content-disposition']

/** A value given for the allowed origins is not '*' nor a list of origins. */
export class InvalidCorsOriginsError extends Error {
  override readonly name = 'InvalidCorsOriginsError'
  readonly value: string

  constructor(message: string, value: string) {
    super(message)
    this.value = value
  }
}

/** Checks a config value for the allowed origins: '*', or a list of distinct origins each
 * written exactly as a browser sends it in `Origin` (lower-case scheme and host, no path,
 * no trailing slash, default port left out), since the match is by string equality. */
export function checkCorsOrigins(value: unknown): CorsOrigins {
  if (value === '*') return '*'
  if (!Array.isArray(value)) throw new InvalidCorsOriginsError(`expected '*' or a list of origins such as ["https://app.example.com"]`, String(value).slice(0, 80))
  if (value.length > CORS_LIMITS.originsMax) throw new InvalidCorsOriginsError(`${value.length} origins, over the limit of ${CORS_LIMITS.originsMax} (use '*' to allow any)`, String(value.length))
  const seen = new Set<string>()
  value.forEach((origin: unknown, i) => {
    if (typeof origin !== 'string' || origin.length === 0 || origin.length > CORS_LIMITS.originCharsMax) {
      throw new InvalidCorsOriginsError(`[${i}]: expected an origin string of 1 to ${CORS_LIMITS.originCharsMax} characters`, String(origin).slice(0, 80))
    }
    if (origin === '*') throw new InvalidCorsOriginsError(`[${i}]: '*' allows any origin on its own, not inside a list`, origin)
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch {
      throw new InvalidCorsOriginsError(`[${i}]: '${origin}' is not a URL origin such as https://app.example.com`, origin)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InvalidCorsOriginsError(`[${i}]: '${origin}' is not an http or https origin`, origin)
    if (parsed.origin !== origin) throw new InvalidCorsOriginsError(`[${i}]: '${origin}' is not written as a browser sends it: '${parsed.origin}'`, origin)
    if (seen.has(origin)) throw new InvalidCorsOriginsError(`[${i}]: '${origin}' is listed twice`, origin)
    seen.add(origin)
  })
  return [...seen]
}

/** Registers CORS on the server. Call it before any other hook, so that even an answer
 * made early (a 429, a 503 on a reserve connection) carries the CORS headers and the page
 * can read its code and Retry-After. With no origins allowed, nothing is registered: no
 * CORS header is sent, and OPTIONS answers 404 like any unknown route. */
export function installCors(app: FastifyInstance, origins: CorsOrigins): void {
  if (origins !== '*' && origins.length === 0) return
  const allowed = origins === '*' ? null : new Set(origins)
  void app.register(cors, {
    // '*' answers `Access-Control-Allow-Origin: *`; a list reflects the page's origin when
    // it is listed (with `Vary: Origin`) and sends no CORS header otherwise.
    origin: allowed === null ? '*' : (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: CORS_METHODS,
    allowedHeaders: CORS_REQUEST_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    credentials: false,
    maxAge: CORS_LIMITS.preflightMaxAgeSeconds,
    // Preflights are answered in the onRequest hook (204), before the rate limits: they
    // carry no data and reach no backend.
    strictPreflight: true,
    hideOptionsRoute: true,
  })
}
