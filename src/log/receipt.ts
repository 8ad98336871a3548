// Receipt: everything needed to prove, offline, that an entry is committed:
// the entry, its position in the log, an RFC 9162 inclusion proof, and a commit
// certificate (a quorum of validators signing the log's size and root). Every field is
// covered by a check in verifyReceipt: nothing here is informational only, so no byte of
// a receipt can change without verification failing.
import type { CborValue } from '../codec/cbor.ts'
import { CodecError } from '../codec/errors.ts'
import { readArray, readBytes, readMap, readUint } from '../codec/schema.ts'
import { HASH_BYTES } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'
import { headerFromCbor, headerToCbor, type BlockHeader } from './block.ts'
import { ccFromCbor, ccToCbor, type CommitCertificate } from './certificates.ts'
import { entryFromCbor, entryToCbor, type Entry, type Hash } from './entry.ts'
import { fromJson, toJson, type JsonValue } from './json.ts'

/** The four fields every receipt has (docs/formats.md section 8). */
export interface ReceiptBody {
  readonly entry: Entry
  /** The entry's leaf index in the log (0-based). */
  readonly index: number
  /** Inclusion proof of leaf `index` in the tree of size checkpoint.logSize. */
  readonly proof: readonly Hash[]
  readonly checkpoint: CommitCertificate
}

export interface Receipt extends ReceiptBody {
  /** The epoch changes from the genesis to the checkpoint's epoch (docs/formats.md
   * section 15.5). Absent (or empty) in epoch 0, where a receipt is encoded as before. */
  readonly epochs?: readonly EpochChange[]
}

/** One epoch change: the receipt of a reconfiguration entry under the boundary
 * certificate of the epoch it ends, and the boundary: the header of the reconfiguration
 * block, then the headers of the suffix blocks up to the one `checkpoint` certifies
 * (none when it certifies the reconfiguration block itself). */
export interface EpochChange extends ReceiptBody {
  readonly boundary: readonly BlockHeader[]
}

function receiptBodyToCbor(r: ReceiptBody): { [key: string]: CborValue } {
  return { entry: entryToCbor(r.entry), index: r.index, proof: r.proof as Uint8Array[], checkpoint: ccToCbor(r.checkpoint) }
}

export function epochChangeToCbor(change: EpochChange): CborValue {
  return { ...receiptBodyToCbor(change), boundary: change.boundary.map(headerToCbor) }
}

export function receiptToCbor(r: Receipt): CborValue {
  const body = receiptBodyToCbor(r)
  const epochs = r.epochs ?? []
  return epochs.length === 0 ? body : { ...body, epochs: epochs.map(epochChangeToCbor) }
}

const RECEIPT_FIELDS = ['entry', 'index', 'proof', 'checkpoint'] as const

function hasField(value: CborValue, key: string): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.hasOwn(value, key)
}

function receiptBodyFromMap(m: { readonly [key: string]: CborValue }, what: string): ReceiptBody {
  return {
    entry: entryFromCbor(m.entry as CborValue),
    index: readUint(m.index, `${what}.index`),
    proof: readArray(m.proof, `${what}.proof`, LIMITS.merkleProofHashesMax).map((h, i) => readBytes(h, `${what}.proof[${i}]`, HASH_BYTES)),
    checkpoint: ccFromCbor(m.checkpoint as CborValue, `${what}.checkpoint`),
  }
}

export function epochChangeFromCbor(value: CborValue, what = 'epochChange'): EpochChange {
  const m = readMap(value, what, [...RECEIPT_FIELDS, 'boundary'])
  const boundary = readArray(m.boundary, `${what}.boundary`, LIMITS.boundaryHeadersMax)
  if (boundary.length === 0) throw new CodecError(`${what}.boundary: at least the reconfiguration block's header`)
  return { ...receiptBodyFromMap(m, what), boundary: boundary.map((h) => headerFromCbor(h)) }
}

export function receiptFromCbor(value: CborValue): Receipt {
  // Epoch 0: no `epochs` field; a later epoch: a non-empty list (one encoding each).
  const withEpochs = hasField(value, 'epochs')
  const m = readMap(value, 'receipt', withEpochs ? [...RECEIPT_FIELDS, 'epochs'] : RECEIPT_FIELDS)
  const receipt = receiptBodyFromMap(m, 'receipt')
  if (!withEpochs) return receipt
  const list = readArray(m.epochs, 'receipt.epochs', LIMITS.epochChangesMax)
  if (list.length === 0) throw new CodecError('receipt.epochs: an epoch-0 receipt is written by leaving the field out')
  return { ...receipt, epochs: list.map((change, i) => epochChangeFromCbor(change, `receipt.epochs[${i}]`)) }
}

export function receiptToJson(r: Receipt): JsonValue {
  return toJson(receiptToCbor(r))
}

export function receiptFromJson(json: unknown): Receipt {
  return receiptFromCbor(fromJson(json))
}
