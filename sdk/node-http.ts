// One node's HTTP transport, under node-api.ts: a request with a timeout, a body read up
// to a cap and parsed as JSON, and an error status turned into a NodeResponseError. A
// node that cannot be reached, or answers too much or not JSON, is a NodeError here.
// Browser-safe: fetch, ReadableStream and TextDecoder only.
import { MalformedResponseError, NodeError, NodeResponseError, NodeUnreachableError } from './errors.ts'
import { SDK_LIMITS } from './limits.ts'
import { errorDetails, isObject, malformed } from './node-answers.ts'
import { type FetchLike } from './node-api-types.ts'
import { anySignal } from './util.ts'

/** Reads a response body up to `bytesMax`; a longer body is a fault of the node. */
async function readCapped(node: string, res: Response, bytesMax: number): Promise<string> {
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    total += value.length
    if (total > bytesMax) {
      await reader.cancel().catch(() => {})
      throw new MalformedResponseError(node, `the answer is over ${bytesMax} bytes`)
    }
    chunks.push(value)
  }
  const all = new Uint8Array(total)
  let offset = 0
  for (const c of chunks) {
    all.set(c, offset)
    offset += c.length
  }
  return new TextDecoder().decode(all)
}

function retryAfterMsOf(res: Response): number | null {
  const header = res.headers.get('retry-after')
  if (header === null) return null
  const seconds = Number(header)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : null
}

export class NodeHttp {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8080. */
  readonly url: string
  readonly #fetch: FetchLike
  readonly #requestTimeoutMs: number

  constructor(url: string, options: { fetch: FetchLike, requestTimeoutMs: number }) {
    this.url = url.replace(/\/+$/, '')
    this.#fetch = options.fetch
    this.#requestTimeoutMs = options.requestTimeoutMs
  }

  /** One request; answers the response, or throws NodeUnreachableError / the caller's abort. */
  async request(path: string, init: RequestInit, signal: AbortSignal | undefined, timeoutMs = this.#requestTimeoutMs): Promise<Response> {
    const combined = anySignal([signal], timeoutMs)
    try {
      return await this.#fetch(`${this.url}${path}`, { ...init, signal: combined })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      const reason = combined.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message
      throw new NodeUnreachableError(this.url, `${init.method ?? 'GET'} ${path}: ${reason}`, { cause: err })
    }
  }

  async json(res: Response, signal: AbortSignal | undefined): Promise<unknown> {
    let text: string
    try {
      text = await readCapped(this.url, res, SDK_LIMITS.responseBytesMax)
    } catch (err) {
      if (err instanceof NodeError) throw err
      if (signal?.aborted) throw signal.reason
      throw new NodeUnreachableError(this.url, `reading the answer: ${(err as Error).message}`, { cause: err })
    }
    try {
      return JSON.parse(text)
    } catch {
      throw new MalformedResponseError(this.url, `HTTP ${res.status}: the answer is not JSON`)
    }
  }

  /** Turns an error status into a NodeResponseError with the API's code. */
  async error(res: Response, signal: AbortSignal | undefined): Promise<NodeResponseError> {
    let body: unknown = null
    try {
      body = await this.json(res, signal)
    } catch {
      // An error answer without a JSON body: keep the status alone.
      if (signal?.aborted) throw signal.reason
    }
    const error = isObject(body) && isObject(body.error) ? body.error : {}
    const code = typeof error.code === 'string' ? error.code.slice(0, 64) : `http-${res.status}`
    const message = typeof error.message === 'string' ? error.message.slice(0, 500) : res.statusText
    return new NodeResponseError(this.url, res.status, code, message, retryAfterMsOf(res), errorDetails(error))
  }

  malformed(what: string, err?: unknown): MalformedResponseError {
    return malformed(this.url, what, err)
  }
}
