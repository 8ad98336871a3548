// One node's HTTP API (docs/api.md), as the SDK sees it: typed calls that turn every
// answer into either decoded, well-formed data or a NodeError. Nothing here is trusted:
// decoding checks form only (node-answers.ts); the client verifies content (signatures,
// proofs, quorums). The transport (timeouts, capped bodies, error statuses) is
// node-http.ts; the answers' types are node-api-types.ts.
// Browser-safe: fetch, ReadableStream and TextDecoder only.
import { fromBase64, toBase64 } from '../src/codec/base64.ts'
import { fromHex, toHex } from '../src/crypto/hash.ts'
import { ccFromCbor, type CommitCertificate } from '../src/log/certificates.ts'
import { entryToCbor, type Entry } from '../src/log/entry.ts'
import { fromJson, toJson } from '../src/log/json.ts'
import { receiptFromJson } from '../src/log/receipt.ts'
import { NodeError, NodeUnreachableError } from './errors.ts'
import { SDK_LIMITS } from './limits.ts'
import { batchItems, decodeRecord, HASH_HEX, isObject, isUint, markEarly, receiptBatchAnswer, streamError, submitBatchAnswer, supersededAnswer } from './node-answers.ts'
import { type BatchReceiptAnswer, type BatchSubmitAnswer, type FetchLike, type NodeHealthAnswer, type QueryParams, type RawRecord, type ReceiptAnswer, type SubmitAnswer } from './node-api-types.ts'
import { NodeHttp } from './node-http.ts'
import { parseSse } from './sse.ts'

export type { BatchReceiptAnswer, BatchSubmitAnswer, FetchLike, NodeHealthAnswer, QueryParams, RawRecord, ReceiptAnswer, SubmitAnswer } from './node-api-types.ts'

/** The JSON body of POST /v1/entries for an entry. */
export function entryBody(entry: Entry): string {
  return JSON.stringify(toJson(entryToCbor(entry)))
}

export class NodeApi {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8080. */
  readonly url: string
  readonly #http: NodeHttp

  constructor(url: string, options: { fetch: FetchLike, requestTimeoutMs: number }) {
    this.#http = new NodeHttp(url, options)
    this.url = this.#http.url
  }

  /** POST /v1/entries (`body`: the entry's JSON, when the caller has it already). */
  async submit(entry: Entry, signal?: AbortSignal, json = entryBody(entry)): Promise<SubmitAnswer> {
    const res = await this.#http.request('/v1/entries', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    }, signal)
    if (res.status !== 200 && res.status !== 202) throw await this.#http.error(res, signal)
    const body = await this.#http.json(res, signal)
    if (!isObject(body) || typeof body.id !== 'string' || !HASH_HEX.test(body.id)) throw this.#http.malformed('POST /v1/entries: no entry id in the answer')
    return { id: body.id, status: res.status === 202 ? 'accepted' : 'duplicate' }
  }

  /**
   * POST /v1/entries/batch: the JSON bodies of several entries (as submit() would send
   * them) in one request; one answer per entry, in order. Throws for a failure of the
   * whole request (unreachable, 429, 404 no-route from a node without batches...).
   */
  async submitBatch(bodies: readonly string[], signal?: AbortSignal): Promise<BatchSubmitAnswer[]> {
    const res = await this.#http.request('/v1/entries/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"entries":[${bodies.join(',')}]}`,
    }, signal)
    if (res.status !== 200) throw await this.#http.error(res, signal)
    const items = batchItems(this.url, await this.#http.json(res, signal), bodies.length, 'POST /v1/entries/batch')
    return items.map((item) => submitBatchAnswer(this.url, item))
  }

  /**
   * POST /v1/receipts/batch: the receipts of several ids in one request; with `waitMs` > 0
   * a long poll that answers as soon as any id settles (or after waitMs). One answer per
   * id, in order; throws for a failure of the whole request.
   */
  async receiptBatch(idHexes: readonly string[], signal: AbortSignal | undefined, timeoutMs: number | undefined, waitMs: number): Promise<BatchReceiptAnswer[]> {
    const res = await this.#http.request('/v1/receipts/batch', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ids: idHexes, wait: Math.floor(waitMs) }),
    }, signal, timeoutMs)
    if (res.status !== 200) throw await this.#http.error(res, signal)
    const items = batchItems(this.url, await this.#http.json(res, signal), idHexes.length, 'POST /v1/receipts/batch')
    const answers = items.map((item, i) => receiptBatchAnswer(this.url, item, `POST /v1/receipts/batch ${idHexes[i]}`))
    // A long poll that ended because some id settled: the others may settle soon.
    return markEarly(answers, waitMs)
  }

  /** GET /v1/receipts/:id, or with `waitMs` > 0 the long poll GET /v1/receipts/:id?wait=MS
   * (the node answers when the receipt exists, or 'pending'/'unknown' after waitMs). */
  async receipt(idHex: string, signal?: AbortSignal, timeoutMs?: number, waitMs = 0): Promise<ReceiptAnswer> {
    const path = waitMs > 0 ? `/v1/receipts/${idHex}?wait=${Math.floor(waitMs)}` : `/v1/receipts/${idHex}`
    const res = await this.#http.request(path, {}, signal, timeoutMs)
    if (res.status === 404) {
      const err = await this.#http.error(res, signal)
      if (err.code === 'unknown-entry' || err.code === 'http-404') return { status: 'unknown' }
      throw err
    }
    if (res.status === 202) {
      await res.body?.cancel().catch(() => {})
      return { status: 'pending' }
    }
    if (res.status === 410) {
      const err = await this.#http.error(res, signal)
      if (err.code !== 'seq-superseded') throw err
      const answer = supersededAnswer(this.url, err, `GET /v1/receipts/${idHex}`)
      if (answer instanceof NodeError) throw answer
      return answer
    }
    if (res.status !== 200) throw await this.#http.error(res, signal)
    const body = await this.#http.json(res, signal)
    if (!isObject(body) || !isObject(body.receipt)) throw this.#http.malformed(`GET /v1/receipts/${idHex}: no receipt in the answer`)
    try {
      return { status: 'certified', receipt: receiptFromJson(body.receipt) }
    } catch (err) {
      throw this.#http.malformed(`GET /v1/receipts/${idHex}: the receipt does not decode`, err)
    }
  }

  /** PUT /v1/sealed/:id: uploads a sealed entry's sidecar (docs/api.md "Sealed entries").
   * Answers 'stored' or 'duplicate'; throws the node's refusal (e.g. 'erased',
   * 'entry-not-committed' while the node has not committed the entry yet). */
  async putSidecar(idHex: string, blob: Uint8Array, key: Uint8Array | null, signal?: AbortSignal): Promise<'stored' | 'duplicate'> {
    const res = await this.#http.request(`/v1/sealed/${idHex}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blob: toBase64(blob), key: key === null ? null : toHex(key) }),
    }, signal)
    if (res.status !== 200 && res.status !== 201) throw await this.#http.error(res, signal)
    await res.body?.cancel().catch(() => {})
    return res.status === 201 ? 'stored' : 'duplicate'
  }

  /** GET /v1/sealed/:id: the sidecar as this node holds it, decoded for form only (the
   * caller checks it against the entry's commitments), or that the entry is erased. */
  async sidecar(idHex: string, signal?: AbortSignal): Promise<{ status: 'stored', blob: Uint8Array, key: Uint8Array | null } | { status: 'erased', erase: string | null, expiredAt: number | null }> {
    const res = await this.#http.request(`/v1/sealed/${idHex}`, {}, signal)
    if (res.status === 410) {
      const err = await this.#http.error(res, signal)
      if (err.code !== 'erased') throw err
      const erase = err.details.erase
      const expiredAt = err.details.expiredAt
      return {
        status: 'erased', erase: typeof erase === 'string' && HASH_HEX.test(erase) ? erase : null,
        expiredAt: typeof expiredAt === 'number' && Number.isSafeInteger(expiredAt) && expiredAt > 0 ? expiredAt : null,
      }
    }
    if (res.status !== 200) throw await this.#http.error(res, signal)
    const body = await this.#http.json(res, signal)
    if (!isObject(body) || typeof body.blob !== 'string' || !(body.key === null || (typeof body.key === 'string' && HASH_HEX.test(body.key)))) {
      throw this.#http.malformed(`GET /v1/sealed/${idHex}: no { blob, key } in the answer`)
    }
    try {
      return { status: 'stored', blob: fromBase64(body.blob), key: body.key === null ? null : fromHex(body.key) }
    } catch (err) {
      throw this.#http.malformed(`GET /v1/sealed/${idHex}: the blob is not base64`, err)
    }
  }

  /** GET /v1/entries?...: one page of committed records. */
  async query(params: QueryParams, signal?: AbortSignal): Promise<{ items: RawRecord[], nextCursor: string | null }> {
    const search = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v))
    const res = await this.#http.request(`/v1/entries?${search}`, {}, signal)
    if (res.status !== 200) throw await this.#http.error(res, signal)
    const body = await this.#http.json(res, signal)
    if (!isObject(body) || !Array.isArray(body.items)) throw this.#http.malformed('GET /v1/entries: no items in the answer')
    const cursor = body.nextCursor
    if (cursor !== null && (typeof cursor !== 'string' || cursor.length > 256)) throw this.#http.malformed('GET /v1/entries: bad nextCursor')
    return { items: body.items.map((item: unknown) => this.record(item, 'GET /v1/entries')), nextCursor: cursor }
  }

  /** GET /v1/checkpoint: the latest commit certificate, or null before the first. */
  async checkpoint(signal?: AbortSignal): Promise<CommitCertificate | null> {
    const res = await this.#http.request('/v1/checkpoint', {}, signal)
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {})
      return null
    }
    if (res.status !== 200) throw await this.#http.error(res, signal)
    const body = await this.#http.json(res, signal)
    if (!isObject(body)) throw this.#http.malformed('GET /v1/checkpoint: not an object')
    try {
      return ccFromCbor(fromJson(body.checkpoint), 'checkpoint')
    } catch (err) {
      throw this.#http.malformed('GET /v1/checkpoint: the checkpoint does not decode', err)
    }
  }

  /** GET /healthz. */
  async health(signal?: AbortSignal): Promise<NodeHealthAnswer> {
    const res = await this.#http.request('/healthz', {}, signal)
    const body = await this.#http.json(res, signal)
    if (!isObject(body) || typeof body.chainId !== 'string' || !isUint(body.height) || !isUint(body.logSize)) throw this.#http.malformed('GET /healthz: unexpected answer')
    return { status: String(body.status), chainId: body.chainId, height: body.height, logSize: body.logSize }
  }

  /** GET /v1/export: the raw byte stream (for the auditor), and its framing header. */
  async export(fromHeight: number, toHeight: number | undefined, signal?: AbortSignal): Promise<{ format: string | null, body: ReadableStream<Uint8Array> }> {
    const search = new URLSearchParams({ fromHeight: String(fromHeight) })
    if (toHeight !== undefined) search.set('toHeight', String(toHeight))
    // No per-request timeout on a stream: the caller's signal bounds it.
    const res = await this.#http.request(`/v1/export?${search}`, {}, signal, 2 ** 31 - 1)
    if (res.status !== 200) throw await this.#http.error(res, signal)
    if (res.body === null) throw this.#http.malformed('GET /v1/export: no body')
    return { format: res.headers.get('x-synod-export-format'), body: res.body }
  }

  /**
   * GET /v1/subscribe: records from log index `from` on. Ends when the node closes the
   * stream; throws a NodeError when it fails or sends something malformed.
   */
  async *subscribe(from: number, namespace: string | undefined, signal: AbortSignal): AsyncGenerator<RawRecord> {
    const search = new URLSearchParams({ from: String(from) })
    if (namespace !== undefined) search.set('namespace', namespace)
    const res = await this.#http.request(`/v1/subscribe?${search}`, { headers: { accept: 'text/event-stream' } }, signal, 2 ** 31 - 1)
    if (res.status !== 200) throw await this.#http.error(res, signal)
    if (res.body === null) throw this.#http.malformed('GET /v1/subscribe: no body')
    try {
      for await (const event of parseSse(res.body, SDK_LIMITS.sseEventBytesMax, signal)) {
        if (event.event === 'error') throw streamError(this.url, event.data)
        if (event.event !== 'entry') continue
        let json: unknown
        try {
          json = JSON.parse(event.data)
        } catch {
          throw this.#http.malformed('GET /v1/subscribe: an event is not JSON')
        }
        const record = this.record(json, 'GET /v1/subscribe')
        if (event.id !== null && event.id !== String(record.index)) throw this.#http.malformed(`GET /v1/subscribe: event id ${event.id} is not the record's index ${record.index}`)
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
    return decodeRecord(this.url, json, where)
  }
}
