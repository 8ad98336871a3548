// The answer for one receipt request (GET /v1/receipts/:id), once the receipt has been
// read or waited for: shared by the single route and the batch route (batch.ts), so an
// id gets the same status, code and fields either way.
import { toHex } from '../../src/crypto/hash.ts'
import type { Hash } from '../../src/log/entry.ts'
import { receiptToJson, type Receipt } from '../../src/log/receipt.ts'
import type { JsonValue } from '../../src/log/json.ts'
import type { NodeBackend } from './backend.ts'
import { ApiError, EntrySupersededError } from './errors.ts'
import type { BackendCall } from './submit.ts'

export interface ReceiptAnswer {
  /** 200: certified (with the receipt); 202: known, not yet certified (ask again). */
  readonly httpStatus: 200 | 202
  readonly body: { readonly [key: string]: JsonValue }
}

/** The answer for `id` given its receipt (or null when there is none yet). Throws
 * ApiError 404 'unknown-entry' and EntrySupersededError (410, final) like the route. */
export async function receiptAnswer(backend: NodeBackend, id: Hash, receipt: Receipt | null, call: BackendCall): Promise<ReceiptAnswer> {
  if (receipt !== null) return { httpStatus: 200, body: { id: toHex(id), status: 'certified', receipt: receiptToJson(receipt) } }
  const found = await call((signal) => backend.getEntry(id, signal))
  if (found === null) throw new ApiError(404, 'unknown-entry', `entry ${toHex(id)} is not known to this node`)
  // Final: waiting longer would not help (410 seq-superseded).
  if (found.status === 'superseded') throw new EntrySupersededError(toHex(id), found.seq, found.lastSeq)
  const committed = found.status === 'committed'
  return {
    httpStatus: 202,
    body: { id: toHex(id), status: 'pending', height: committed ? found.height : null, index: committed ? found.index : null },
  }
}
