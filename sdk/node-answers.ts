// Form-only decoding of a node's answers (node-api.ts): each turns a parsed JSON body
// into typed data or the NodeError the call reports. Nothing here checks content:
// signatures, proofs and quorums are the client's.
import { entryFromCbor, type Entry } from '../src/log/entry.ts'
import { fromJson } from '../src/log/json.ts'
import { receiptFromJson } from '../src/log/receipt.ts'
import { MalformedResponseError, NodeError, NodeResponseError } from './errors.ts'
import { type BatchReceiptAnswer, type BatchSubmitAnswer, type RawRecord, type ReceiptAnswer } from './node-api-types.ts'

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

export const HASH_HEX = /^[0-9a-f]{64}$/

/** `node`'s answer to `what` is malformed (`err`: why, when a decoder said). */
export function malformed(node: string, what: string, err?: unknown): MalformedResponseError {
  return new MalformedResponseError(node, `${what}${err === undefined ? '' : `: ${(err as Error).message}`}`)
}

/** An API error object's number and string fields other than its code and message. */
export function errorDetails(error: Record<string, unknown>): Record<string, unknown> {
  const details: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(error)) if (k !== 'code' && k !== 'message' && (typeof v === 'number' || typeof v === 'string')) details[k] = v
  return details
}

/** A 410 seq-superseded answer, or the malformed error when it lacks a seq and a lastSeq at or above it. */
export function supersededAnswer(node: string, err: NodeResponseError, where: string): ReceiptAnswer | MalformedResponseError {
  const { seq, lastSeq } = err.details
  if (!isUint(seq) || !isUint(lastSeq) || lastSeq < seq) return malformed(node, `${where}: 410 seq-superseded without a seq and a lastSeq at or above it`)
  return { status: 'superseded', seq, lastSeq, error: err }
}

/** Decodes one {id, index, height, entry} record (form only). */
export function decodeRecord(node: string, json: unknown, where: string): RawRecord {
  if (!isObject(json) || typeof json.id !== 'string' || !HASH_HEX.test(json.id) || !isUint(json.index) || !isUint(json.height)) {
    throw malformed(node, `${where}: a record lacks id, index or height`)
  }
  let entry: Entry
  try {
    entry = entryFromCbor(fromJson(json.entry, 'entry'))
  } catch (err) {
    throw malformed(node, `${where}: the entry of record ${json.index} does not decode`, err)
  }
  return { id: json.id, entry, height: json.height, index: json.index }
}

/** The `results` of a batch answer: exactly `count` objects with an httpStatus. */
export function batchItems(node: string, body: unknown, count: number, where: string): Record<string, unknown>[] {
  if (!isObject(body) || !Array.isArray(body.results) || body.results.length !== count) throw malformed(node, `${where}: not ${count} results`)
  for (const item of body.results) {
    if (!isObject(item) || !isUint(item.httpStatus)) throw malformed(node, `${where}: a result without an httpStatus`)
  }
  return body.results as Record<string, unknown>[]
}

/** A batch item's error, as the single request would have thrown it. */
export function itemError(node: string, item: Record<string, unknown>, where: string): NodeError {
  const status = item.httpStatus as number
  const error = isObject(item.error) ? item.error : null
  if (error === null || typeof error.code !== 'string') return malformed(node, `${where}: result ${status} without an error code`)
  const message = typeof error.message === 'string' ? error.message.slice(0, 500) : `HTTP ${status}`
  const details = errorDetails(error)
  const retryAfterMs = isUint(item.retryAfterMs) ? Math.min(item.retryAfterMs, 3_600_000) : null
  return new NodeResponseError(node, status, error.code.slice(0, 64), message, retryAfterMs, details)
}

/** One item of a POST /v1/entries/batch answer. */
export function submitBatchAnswer(node: string, item: Record<string, unknown>): BatchSubmitAnswer {
  const status = item.httpStatus
  if (status === 200 || status === 202) {
    if (typeof item.id !== 'string' || !HASH_HEX.test(item.id)) return { ok: false, error: malformed(node, 'POST /v1/entries/batch: a result without an entry id') }
    return { ok: true, answer: { id: item.id, status: status === 202 ? 'accepted' : 'duplicate' } }
  }
  return { ok: false, error: itemError(node, item, 'POST /v1/entries/batch') }
}

/** One item of a POST /v1/receipts/batch answer (`where` names the request and the id). */
export function receiptBatchAnswer(node: string, item: Record<string, unknown>, where: string): BatchReceiptAnswer {
  switch (item.httpStatus) {
    case 200:
      if (!isObject(item.receipt)) return malformed(node, `${where}: no receipt in the answer`)
      try {
        return { status: 'certified', receipt: receiptFromJson(item.receipt) }
      } catch (err) {
        return malformed(node, `${where}: the receipt does not decode`, err)
      }
    case 202:
      return { status: 'pending' }
    default: {
      const err = itemError(node, item, where)
      if (err instanceof NodeResponseError && err.status === 404 && err.code === 'unknown-entry') return { status: 'unknown' }
      if (err instanceof NodeResponseError && err.status === 410 && err.code === 'seq-superseded') return supersededAnswer(node, err, where)
      return err
    }
  }
}

/** After a long poll that ended because some id settled, the unsettled others are marked
 * early: they may settle soon. */
export function markEarly(answers: BatchReceiptAnswer[], waitMs: number): BatchReceiptAnswer[] {
  const settled = answers.some((a) => !(a instanceof NodeError) && (a.status === 'certified' || a.status === 'superseded'))
  if (waitMs === 0 || !settled) return answers
  return answers.map((a) => (a instanceof NodeError || (a.status !== 'pending' && a.status !== 'unknown') ? a : { status: a.status, early: true }))
}

/** The error a subscribe stream's `error` event reports (its raw text when it is not the API's JSON). */
export function streamError(node: string, data: string): NodeResponseError {
  let code = 'stream-error'
  let message = data.slice(0, 300)
  try {
    const body = JSON.parse(data) as { error?: { code?: unknown, message?: unknown } }
    if (typeof body.error?.code === 'string') code = body.error.code
    if (typeof body.error?.message === 'string') message = body.error.message
  } catch {
    // keep the raw text
  }
  return new NodeResponseError(node, 200, code, message, null)
}
