// Batch routes (docs/api.md "Batches"): many entries, or many receipt requests, in one
// HTTP request. Each item is handled by the single path's own functions (../submit.ts,
// ../receipts.ts) and answered with the status, code and message it would get alone; only
// a malformed envelope fails the whole request (one 400). Rate limits count items, not
// requests: a batch of n costs what n single requests cost.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { toHex } from '../../../src/crypto/hash.ts'
import { entryId, type Entry, type Hash } from '../../../src/log/entry.ts'
import type { JsonValue } from '../../../src/log/json.ts'
import type { Receipt } from '../../../src/log/receipt.ts'
import type { NodeMetrics } from '../../metrics/metrics.ts'
import type { NodeBackend } from '../backend.ts'
import type { BackendCall } from '../backend-call.ts'
import { ApiError, httpAnswerOf } from '../errors.ts'
import type { ApiLimits } from '../limits.ts'
import { onlyKnown, requiredHash } from '../params.ts'
import { addressKey, type TokenBuckets } from '../rate-limit.ts'
import { receiptAnswer } from '../receipts.ts'
import { admitEntry, parseEntryBody, submitStatus, type EntryAdmissionDependencies } from '../submit.ts'

export interface BatchRouteDependencies {
  readonly admission: EntryAdmissionDependencies
  readonly backend: NodeBackend
  readonly metrics: NodeMetrics
  readonly limits: ApiLimits
  readonly payloadBytesMax: number
  /** The per-address buckets of the server's request limit (one token per item). */
  readonly ipBuckets: TokenBuckets
  /** The server's count of receipt waits open (shared with GET /v1/receipts/:id?wait=). */
  readonly receiptWaiters: { count: number }
  /** The server's backend call with a deadline (backend-call.ts). */
  readonly call: BackendCall
}

/** One item's answer: the single path's HTTP status and body fields, or its error. */
type BatchItem = { readonly [key: string]: JsonValue }

/** Retry-After of an item in ms (the single path sends it as a header, in seconds). */
const RETRY_AFTER_MS_MAX = 3_600_000

function malformed(message: string): ApiError {
  return new ApiError(400, 'malformed-batch', message)
}

/** The items of a batch envelope `{ <key>: [...], ...fields }`: a JSON object with only
 * the known fields and a non-empty array of at most countMax items. */
function envelopeItems(body: unknown, key: string, known: readonly string[], countMax: number): { items: readonly unknown[], fields: Map<string, unknown> } {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw malformed(`send the batch as a JSON object { "${key}": [...] }`)
  }
  const fields = new Map<string, unknown>(Object.entries(body))
  for (const name of fields.keys()) {
    if (!known.includes(name)) throw malformed(`unknown field ${JSON.stringify(name.slice(0, 40))} (a batch takes ${known.join(', ')})`)
  }
  const items = fields.get(key)
  if (!Array.isArray(items)) throw malformed(`"${key}" must be an array`)
  if (items.length === 0) throw malformed(`"${key}" is empty: send at least one`)
  if (items.length > countMax) throw new ApiError(413, 'batch-too-large', `${items.length} ${key} in one batch, over the limit of ${countMax}`)
  return { items, fields }
}

/** POST /v1/entries/batch, POST /v1/receipts/batch. */
export function registerBatchRoutes(app: FastifyInstance, deps: BatchRouteDependencies): void {
  registerEntryBatchRoute(app, deps)
  registerReceiptBatchRoute(app, deps)
}

/** An item's error answer; an error the server does not know is logged and answered
 * 500 for that item only (the other items' results stand: some may be admitted). */
function itemError(request: FastifyRequest, err: unknown, id: string | null): BatchItem {
  const answer = httpAnswerOf(err)
  if (answer === null) request.log.error({ err }, 'unexpected error in a batch item')
  const status = answer?.status ?? 500
  const code = answer?.code ?? 'internal'
  const message = answer?.message ?? 'internal error (logged on the node)'
  const item: Record<string, JsonValue> = { httpStatus: status, error: { ...answer?.details, code, message } }
  if (id !== null) item.id = id
  if (answer !== undefined && answer !== null && answer.retryAfterMs !== null) item.retryAfterMs = Math.min(RETRY_AFTER_MS_MAX, Math.ceil(answer.retryAfterMs))
  return item
}

/** One request token per item after the first (the request hook paid for that one). */
function takeItemToken(deps: BatchRouteDependencies, request: FastifyRequest, index: number): void {
  if (index === 0) return
  const taken = deps.ipBuckets.take(addressKey(request.ip))
  if (taken.ok) return
  deps.metrics.httpRateLimited('ip')
  throw new ApiError(429, 'rate-limited', `over ${deps.limits.ipRatePerSecond} requests (or batch items) per second from this address`, taken.retryAfterMs)
}

function registerEntryBatchRoute(app: FastifyInstance, deps: BatchRouteDependencies): void {
  const { admission, limits, payloadBytesMax, call } = deps
  app.post('/v1/entries/batch', async (request) => {
    onlyKnown(request.query, [])
    const { items } = envelopeItems(request.body, 'entries', ['entries'], limits.batchEntriesMax)
    const results: BatchItem[] = new Array<BatchItem>(items.length)
    // An agent's entries are admitted one after another in batch order (a node refuses a
    // seq below one it has, so order matters); different agents' entries in parallel.
    const byAgent = new Map<string, { index: number, entry: Entry }[]>()
    items.forEach((body, index) => {
      try {
        takeItemToken(deps, request, index)
        const entry = parseEntryBody(body, payloadBytesMax)
        const agent = toHex(entry.agent)
        const queue = byAgent.get(agent)
        if (queue === undefined) byAgent.set(agent, [{ index, entry }])
        else queue.push({ index, entry })
      } catch (err) {
        results[index] = itemError(request, err, null)
      }
    })
    // One deadline for the whole batch, so that a batch holds its connection no longer
    // than one single request may (the entries after it answer 503 'timeout').
    const deadline = performance.now() + limits.backendTimeoutMs
    await Promise.all([...byAgent.values()].map(async (queue) => {
      for (const { index, entry } of queue) {
        try {
          const result = await admitEntry(admission, entry, (run) => call(request, run, Math.max(1, Math.ceil(deadline - performance.now()))))
          results[index] = { httpStatus: submitStatus(result), id: toHex(result.id), status: result.status }
        } catch (err) {
          results[index] = itemError(request, err, toHex(entryId(entry)))
        }
      }
    }))
    return { results }
  })
}

function registerReceiptBatchRoute(app: FastifyInstance, deps: BatchRouteDependencies): void {
  const { backend, metrics, limits, receiptWaiters, call } = deps
  app.post('/v1/receipts/batch', async (request) => {
    onlyKnown(request.query, [])
    const { items, fields } = envelopeItems(request.body, 'ids', ['ids', 'wait'], limits.receiptBatchIdsMax)
    const wait = fields.has('wait') ? fields.get('wait') : 0
    if (typeof wait !== 'number' || !Number.isSafeInteger(wait) || wait < 0) throw new ApiError(400, 'invalid-parameter', 'wait: must be a whole number of milliseconds, 0 or more')
    if (wait > limits.receiptWaitMsMax) throw new ApiError(400, 'invalid-parameter', `wait: ${wait} ms is above the longest wait, ${limits.receiptWaitMsMax} ms`)
    const results: BatchItem[] = new Array<BatchItem>(items.length)
    const asked: { index: number, id: Hash }[] = []
    items.forEach((value, index) => {
      try {
        takeItemToken(deps, request, index)
        if (typeof value !== 'string') throw new ApiError(400, 'invalid-parameter', `ids[${index}]: not a string`)
        asked.push({ index, id: requiredHash(value, `ids[${index}]`) })
      } catch (err) {
        results[index] = itemError(request, err, null)
      }
    })
    let receipts: (Receipt | null | { error: unknown })[]
    if (wait === 0 || asked.length === 0) {
      receipts = await Promise.all(asked.map(({ id }) => call(request, (signal) => backend.getReceipt(id, signal)).catch((err: unknown) => ({ error: err }))))
    } else {
      if (receiptWaiters.count + asked.length > limits.receiptWaitersMax) {
        metrics.httpRateLimited('receipt-waiters')
        throw new ApiError(503, 'waiters-exhausted', `the node has ${receiptWaiters.count} receipt waits open, and ${asked.length} more would pass its limit of ${limits.receiptWaitersMax}: retry, or ask without wait`, 1000)
      }
      receiptWaiters.count += asked.length
      try {
        // The wait is the client's; the backend's own deadline comes on top of it.
        receipts = await call(request, (signal) => awaitFirstSettled(backend, asked.map((a) => a.id), wait, signal), wait + limits.backendTimeoutMs)
      } finally {
        receiptWaiters.count -= asked.length
      }
    }
    await Promise.all(asked.map(async ({ index, id }, k) => {
      try {
        const got = receipts[k]!
        if (got !== null && 'error' in got) throw got.error
        const answer = await receiptAnswer(backend, id, got, (run) => call(request, run))
        results[index] = { httpStatus: answer.httpStatus, ...answer.body }
      } catch (err) {
        results[index] = itemError(request, err, toHex(id))
      }
    }))
    return { results }
  })
}

/**
 * Waits for the receipts of `ids` until one of them settles (its receipt exists, or it
 * can never have one) or `waitMs` passes, then answers what each has at that moment
 * (null: none yet). So a batch answers as soon as there is news for any id, like one
 * long poll per id would; the client asks again for the rest.
 */
async function awaitFirstSettled(backend: NodeBackend, ids: readonly Hash[], waitMs: number, signal: AbortSignal): Promise<(Receipt | null)[]> {
  const stop = new AbortController()
  const both = AbortSignal.any([signal, stop.signal])
  const receipts: (Receipt | null)[] = ids.map(() => null)
  let settled!: () => void
  const first = new Promise<void>((resolve) => { settled = resolve })
  const waits = ids.map((id, k) => backend.awaitReceipt(id, waitMs, both).then(
    (receipt) => {
      receipts[k] = receipt
      settled()
    },
    (err: unknown) => {
      // Ended by this function (some other id settled): not an error.
      if (!stop.signal.aborted) throw err
    },
  ))
  try {
    await Promise.race([first, Promise.all(waits)])
    // Receipts certified by one event settle in the same turn: let them all land.
    await new Promise<void>((resolve) => setImmediate(resolve))
  } finally {
    stop.abort()
  }
  await Promise.all(waits)
  return receipts
}
