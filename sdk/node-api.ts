// One node's HTTP API (docs/api.md), as the SDK sees it: typed calls that turn every
// answer into either decoded, well-formed data or a NodeError. Nothing here is trusted:
// decoding checks form only; the client verifies content (signatures, proofs, quorums).
// Browser-safe: fetch, ReadableStream and TextDecoder only.
import { ccFromCbor, type CommitCertificate } from '../src/log/certificates.ts'
import { entryFromCbor, entryToCbor, type Entry } from '../src/log/entry.ts'
import { fromJson, toJson } from '../src/log/json.ts'
import { receiptFromJson, type Receipt } from '../src/log/receipt.ts'
import { MalformedResponseError, NodeError, NodeResponseError, NodeUnreachableError } from './errors.ts'
import { SDK_LIMITS } from './limits.ts'
import { parseSse } from './sse.ts'
import { anySignal } from './util.ts'

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** A committed entry as a node reports it (unverified until the client checks it). */
export interface RawRecord {
  readonly id: string
  readonly entry: Entry
  readonly height: number
  readonly index: number
}

export type ReceiptAnswer =
  | { readonly status: 'certified', readonly receipt: Receipt }
  /** Known to the node but not yet covered by a commit certificate. */
  | { readonly status: 'pending', readonly early?: boolean }
  /** `early`: a batch long poll ended before its wait because another of its ids
   * settled; this one may settle soon (ask again at once). */
  | { readonly status: 'unknown', readonly early?: boolean }
  /** The node says the entry can never commit: `lastSeq`, its agent's committed seq,
   * passed the entry's seq (HTTP 410 seq-superseded). One node's word: the client needs
   * f+1 of them. `error` is that answer, for the error the client may throw. */
  | { readonly status: 'superseded', readonly seq: number, readonly lastSeq: number, readonly error: NodeResponseError }

export interface SubmitAnswer {
  readonly id: string
  readonly status: 'accepted' | 'duplicate'
}

/** One entry's answer in a batch submit: what the single submit would answer or throw. */
export type BatchSubmitAnswer = { readonly ok: true, readonly answer: SubmitAnswer } | { readonly ok: false, readonly error: NodeError }

/** One id's answer in a batch receipt request, or the error the single request would throw. */
export type BatchReceiptAnswer = ReceiptAnswer | NodeError

export interface QueryParams {
  readonly namespace?: string
  readonly agent?: string
  readonly fromHeight?: number
  readonly toHeight?: number
  readonly cursor?: string
  readonly limit?: number
}

export interface NodeHealthAnswer {
  readonly status: string
  readonly chainId: string
  readonly height: number
  readonly logSize: number
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

const HASH_HEX = /^[0-9a-f]{64}$/

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

/** The JSON body of POST /v1/entries for an entry. */
export function entryBody(entry: Entry): string {
  return JSON.stringify(toJson(entryToCbor(entry)))
}

export class NodeApi {
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
  async #request(path: string, init: RequestInit, signal: AbortSignal | undefined, timeoutMs = this.#requestTimeoutMs): Promise<Response> {
    const combined = anySignal([signal], timeoutMs)
    try {
      return await this.#fetch(`${this.url}${path}`, { ...init, signal: combined })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      const reason = combined.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message
      throw new NodeUnreachableError(this.url, `${init.method ?? 'GET'} ${path}: ${reason}`, { cause: err })
    }
  }

  async #json(res: Response, signal: AbortSignal | undefined): Promise<unknown> {
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
  async #error(res: Response, signal: AbortSignal | undefined): Promise<NodeResponseError> {
    let body: unknown = null
    try {
      body = await this.#json(res, signal)
    } catch {
      // An error answer without a JSON body: keep the status alone.
      if (signal?.aborted) throw signal.reason
    }
    const error = isObject(body) && isObject(body.error) ? body.error : {}
    const code = typeof error.code === 'string' ? error.code.slice(0, 64) : `http-${res.status}`
    const message = typeof error.message === 'string' ? error.message.slice(0, 500) : res.statusText
    const details: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(error)) if (k !== 'code' && k !== 'message' && (typeof v === 'number' || typeof v === 'string')) details[k] = v
    return new NodeResponseError(this.url, res.status, code, message, retryAfterMsOf(res), details)
  }

  #malformed(what: string, err?: unknown): MalformedResponseError {
    return new MalformedResponseError(this.url, `${what}${err === undefined ? '' : `: ${(err as Error).message}`}`)
  }

  /** POST /v1/entries (`body`: the entry's JSON, when the caller has it already). */
  async submit(entry: Entry, signal?: AbortSignal, json = entryBody(entry)): Promise<SubmitAnswer> {
    const res = await this.#request('/v1/entries', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    }, signal)
    if (res.status !== 200 && res.status !== 202) throw await this.#error(res, signal)
    const body = await this.#json(res, signal)
    if (!isObject(body) || typeof body.id !== 'string' || !HASH_HEX.test(body.id)) throw this.#malformed('POST /v1/entries: no entry id in the answer')
    return { id: body.id, status: res.status === 202 ? 'accepted' : 'duplicate' }
  }

  /**
   * POST /v1/entries/batch: the JSON bodies of several entries (as submit() would send
   * them) in one request; one answer per entry, in order. Throws for a failure of the
   * whole request (unreachable, 429, 404 no-route from a node without batches...).
   */
  async submitBatch(bodies: readonly string[], signal?: AbortSignal): Promise<BatchSubmitAnswer[]> {
    const res = await this.#request('/v1/entries/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"entries":[${bodies.join(',')}]}`,
    }, signal)
    if (res.status !== 200) throw await this.#error(res, signal)
    const items = this.#batchItems(await this.#json(res, signal), bodies.length, 'POST /v1/entries/batch')
    return items.map((item): BatchSubmitAnswer => {
      const status = item.httpStatus
      if (status === 200 || status === 202) {
        if (typeof item.id !== 'string' || !HASH_HEX.test(item.id)) return { ok: false, error: this.#malformed('POST /v1/entries/batch: a result without an entry id') }
        return { ok: true, answer: { id: item.id, status: status === 202 ? 'accepted' : 'duplicate' } }
      }
      return { ok: false, error: this.#itemError(item, 'POST /v1/entries/batch') }
    })
  }

  /**
   * POST /v1/receipts/batch: the receipts of several ids in one request; with `waitMs` > 0
   * a long poll that answers as soon as any id settles (or after waitMs). One answer per
   * id, in order; throws for a failure of the whole request.
   */
  async receiptBatch(idHexes: readonly string[], signal: AbortSignal | undefined, timeoutMs: number | undefined, waitMs: number): Promise<BatchReceiptAnswer[]> {
    const res = await this.#request('/v1/receipts/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: idHexes, wait: Math.floor(waitMs) }),
    }, signal, timeoutMs)
    if (res.status !== 200) throw await this.#error(res, signal)
    const items = this.#batchItems(await this.#json(res, signal), idHexes.length, 'POST /v1/receipts/batch')
    const answers = items.map((item, i): BatchReceiptAnswer => {
      const where = `POST /v1/receipts/batch ${idHexes[i]}`
      switch (item.httpStatus) {
        case 200:
          if (!isObject(item.receipt)) return this.#malformed(`${where}: no receipt in the answer`)
          try {
            return { status: 'certified', receipt: receiptFromJson(item.receipt) }
          } catch (err) {
            return this.#malformed(`${where}: the receipt does not decode`, err)
          }
        case 202:
          return { status: 'pending' }
        default: {
          const err = this.#itemError(item, where)
          if (err instanceof NodeResponseError && err.status === 404 && err.code === 'unknown-entry') return { status: 'unknown' }
          if (err instanceof NodeResponseError && err.status === 410 && err.code === 'seq-superseded') {
            const { seq, lastSeq } = err.details
            if (!isUint(seq) || !isUint(lastSeq) || lastSeq < seq) return this.#malformed(`${where}: 410 seq-superseded without a seq and a lastSeq at or above it`)
            return { status: 'superseded', seq, lastSeq, error: err }
          }
          return err
        }
      }
    })
    // A long poll that ended because some id settled: the others may settle soon.
    const settled = answers.some((a) => !(a instanceof NodeError) && (a.status === 'certified' || a.status === 'superseded'))
    if (waitMs === 0 || !settled) return answers
    return answers.map((a) => (a instanceof NodeError || (a.status !== 'pending' && a.status !== 'unknown') ? a : { status: a.status, early: true }))
  }

  /** The `results` of a batch answer: exactly `count` objects with an httpStatus. */
  #batchItems(body: unknown, count: number, where: string): Record<string, unknown>[] {
    if (!isObject(body) || !Array.isArray(body.results) || body.results.length !== count) throw this.#malformed(`${where}: not ${count} results`)
    for (const item of body.results) {
      if (!isObject(item) || !isUint(item.httpStatus)) throw this.#malformed(`${where}: a result without an httpStatus`)
    }
    return body.results as Record<string, unknown>[]
  }

  /** A batch item's error, as the single request would have thrown it. */
  #itemError(item: Record<string, unknown>, where: string): NodeError {
    const status = item.httpStatus as number
    const error = isObject(item.error) ? item.error : null
    if (error === null || typeof error.code !== 'string') return this.#malformed(`${where}: result ${status} without an error code`)
    const message = typeof error.message === 'string' ? error.message.slice(0, 500) : `HTTP ${status}`
    const details: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(error)) if (k !== 'code' && k !== 'message' && (typeof v === 'number' || typeof v === 'string')) details[k] = v
    const retryAfterMs = isUint(item.retryAfterMs) ? Math.min(item.retryAfterMs, 3_600_000) : null
    return new NodeResponseError(this.url, status, error.code.slice(0, 64), message, retryAfterMs, details)
  }

  /** GET /v1/receipts/:id, or with `waitMs` > 0 the long poll GET /v1/receipts/:id?wait=MS
   * (the node answers when the receipt exists, or 'pending'/'unknown' after waitMs). */
  async receipt(idHex: string, signal?: AbortSignal, timeoutMs?: number, waitMs = 0): Promise<ReceiptAnswer> {
    const path = waitMs > 0 ? `/v1/receipts/${idHex}?wait=${Math.floor(waitMs)}` : `/v1/receipts/${idHex}`
    const res = await this.#request(path, {}, signal, timeoutMs)
    if (res.status === 404) {
      const err = await this.#error(res, signal)
      if (err.code === 'unknown-entry' || err.code === 'http-404') return { status: 'unknown' }
      throw err
    }
    if (res.status === 202) {
      await res.body?.cancel().catch(() => {})
      return { status: 'pending' }
    }
    if (res.status === 410) {
      const err = await this.#error(res, signal)
      if (err.code !== 'seq-superseded') throw err
      const { seq, lastSeq } = err.details
      if (!isUint(seq) || !isUint(lastSeq) || lastSeq < seq) throw this.#malformed(`GET /v1/receipts/${idHex}: 410 seq-superseded without a seq and a lastSeq at or above it`)
      return { status: 'superseded', seq, lastSeq, error: err }
    }
    if (res.status !== 200) throw await this.#error(res, signal)
    const body = await this.#json(res, signal)
    if (!isObject(body) || !isObject(body.receipt)) throw this.#malformed(`GET /v1/receipts/${idHex}: no receipt in the answer`)
    try {
      return { status: 'certified', receipt: receiptFromJson(body.receipt) }
    } catch (err) {
      throw this.#malformed(`GET /v1/receipts/${idHex}: the receipt does not decode`, err)
    }
  }

  /** GET /v1/entries?...: one page of committed records. */
  async query(params: QueryParams, signal?: AbortSignal): Promise<{ items: RawRecord[], nextCursor: string | null }> {
    const search = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v))
    const res = await this.#request(`/v1/entries?${search}`, {}, signal)
    if (res.status !== 200) throw await this.#error(res, signal)
    const body = await this.#json(res, signal)
    if (!isObject(body) || !Array.isArray(body.items)) throw this.#malformed('GET /v1/entries: no items in the answer')
    const cursor = body.nextCursor
    if (cursor !== null && (typeof cursor !== 'string' || cursor.length > 256)) throw this.#malformed('GET /v1/entries: bad nextCursor')
    return { items: body.items.map((item: unknown) => this.record(item, 'GET /v1/entries')), nextCursor: cursor }
  }

  /** GET /v1/checkpoint: the latest commit certificate, or null before the first. */
  async checkpoint(signal?: AbortSignal): Promise<CommitCertificate | null> {
    const res = await this.#request('/v1/checkpoint', {}, signal)
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {})
      return null
    }
    if (res.status !== 200) throw await this.#error(res, signal)
    const body = await this.#json(res, signal)
    if (!isObject(body)) throw this.#malformed('GET /v1/checkpoint: not an object')
    try {
      return ccFromCbor(fromJson(body.checkpoint), 'checkpoint')
    } catch (err) {
      throw this.#malformed('GET /v1/checkpoint: the checkpoint does not decode', err)
    }
  }

  /** GET /healthz. */
  async health(signal?: AbortSignal): Promise<NodeHealthAnswer> {
    const res = await this.#request('/healthz', {}, signal)
    const body = await this.#json(res, signal)
    if (!isObject(body) || typeof body.chainId !== 'string' || !isUint(body.height) || !isUint(body.logSize)) throw this.#malformed('GET /healthz: unexpected answer')
    return { status: String(body.status), chainId: body.chainId, height: body.height, logSize: body.logSize }
  }

  /** GET /v1/export: the raw byte stream (for the auditor), and its framing header. */
  async export(fromHeight: number, toHeight: number | undefined, signal?: AbortSignal): Promise<{ format: string | null, body: ReadableStream<Uint8Array> }> {
    const search = new URLSearchParams({ fromHeight: String(fromHeight) })
    if (toHeight !== undefined) search.set('toHeight', String(toHeight))
    // No per-request timeout on a stream: the caller's signal bounds it.
    const res = await this.#request(`/v1/export?${search}`, {}, signal, 2 ** 31 - 1)
    if (res.status !== 200) throw await this.#error(res, signal)
    if (res.body === null) throw this.#malformed('GET /v1/export: no body')
    return { format: res.headers.get('x-synod-export-format'), body: res.body }
  }

  /**
   * GET /v1/subscribe: records from log index `from` on. Ends when the node closes the
   * stream; throws a NodeError when it fails or sends something malformed.
   */
  async *subscribe(from: number, namespace: string | undefined, signal: AbortSignal): AsyncGenerator<RawRecord> {
    const search = new URLSearchParams({ from: String(from) })
    if (namespace !== undefined) search.set('namespace', namespace)
    const res = await this.#request(`/v1/subscribe?${search}`, { headers: { accept: 'text/event-stream' } }, signal, 2 ** 31 - 1)
    if (res.status !== 200) throw await this.#error(res, signal)
    if (res.body === null) throw this.#malformed('GET /v1/subscribe: no body')
    try {
      for await (const event of parseSse(res.body, SDK_LIMITS.sseEventBytesMax, signal)) {
        if (event.event === 'error') {
          let code = 'stream-error'
          let message = event.data.slice(0, 300)
          try {
            const body = JSON.parse(event.data) as { error?: { code?: unknown, message?: unknown } }
            if (typeof body.error?.code === 'string') code = body.error.code
            if (typeof body.error?.message === 'string') message = body.error.message
          } catch {
            // keep the raw text
          }
          throw new NodeResponseError(this.url, 200, code, message, null)
        }
        if (event.event !== 'entry') continue
        let json: unknown
        try {
          json = JSON.parse(event.data)
        } catch {
          throw this.#malformed('GET /v1/subscribe: an event is not JSON')
        }
        const record = this.record(json, 'GET /v1/subscribe')
        if (event.id !== null && event.id !== String(record.index)) throw this.#malformed(`GET /v1/subscribe: event id ${event.id} is not the record's index ${record.index}`)
        yield record
      }
    } catch (err) {
      if (signal.aborted) throw signal.reason
      if (err instanceof NodeError) throw err
      throw new NodeUnreachableError(this.url, `subscribe stream: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Decodes one {id, index, height, entry} record (form only). */
  record(json: unknown, where: string): RawRecord {
    if (!isObject(json) || typeof json.id !== 'string' || !HASH_HEX.test(json.id) || !isUint(json.index) || !isUint(json.height)) {
      throw this.#malformed(`${where}: a record lacks id, index or height`)
    }
    let entry: Entry
    try {
      entry = entryFromCbor(fromJson(json.entry, 'entry'))
    } catch (err) {
      throw this.#malformed(`${where}: the entry of record ${json.index} does not decode`, err)
    }
    return { id: json.id, entry, height: json.height, index: json.index }
  }
}
