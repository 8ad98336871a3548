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
import { ccFromCbor, ccToCbor, type CommitCertificate } from './certificates.ts'
import { entryFromCbor, entryToCbor, type Entry, type Hash } from './entry.ts'
import { fromJson, toJson, type JsonValue } from './json.ts'

export interface Receipt {
  readonly entry: Entry
  /** The entry's leaf index in the log (0-based). */
  readonly index: number
  /** Inclusion proof of leaf `index` in the tree of size checkpoint.logSize. */
  readonly proof: readonly Hash[]
  readonly checkpoint: CommitCertificate
  /** The epoch changes from the genesis to the checkpoint's epoch: for each, the receipt
   * of its reconfiguration entry under the boundary certificate (docs/formats.md section
   * 13.5). Absent (or empty) in epoch 0, where a receipt is encoded as before; the
   * receipts inside have none. */
  readonly epochs?: readonly Receipt[]
}

function receiptBodyToCbor(r: Receipt): { [key: string]: CborValue } {
  return { entry: entryToCbor(r.entry), index: r.index, proof: r.proof as Uint8Array[], checkpoint: ccToCbor(r.checkpoint) }
}

export function receiptToCbor(r: Receipt): CborValue {
  const body = receiptBodyToCbor(r)
  const epochs = r.epochs ?? []
  if (epochs.length === 0) return body
  return { ...body, epochs: epochs.map((change, i) => {
    if ((change.epochs ?? []).length !== 0) throw new RangeError(`epoch change ${i} carries epoch changes of its own`)
    return receiptBodyToCbor(change)
  }) }
}

const RECEIPT_FIELDS = ['entry', 'index', 'proof', 'checkpoint'] as const
const RECEIPT_FIELDS_WITH_EPOCHS = [...RECEIPT_FIELDS, 'epochs'] as const

function hasField(value: CborValue, key: string): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.hasOwn(value, key)
}

function receiptBodyFromCbor(value: CborValue, what: string, withEpochs: boolean): Receipt {
  const m = readMap(value, what, withEpochs ? RECEIPT_FIELDS_WITH_EPOCHS : RECEIPT_FIELDS)
  return {
    entry: entryFromCbor(m.entry as CborValue),
    index: readUint(m.index, `${what}.index`),
    proof: readArray(m.proof, `${what}.proof`, LIMITS.merkleProofHashesMax).map((h, i) => readBytes(h, `${what}.proof[${i}]`, HASH_BYTES)),
    checkpoint: ccFromCbor(m.checkpoint as CborValue, `${what}.checkpoint`),
  }
}

export function receiptFromCbor(value: CborValue): Receipt {
  // Epoch 0: no `epochs` field; a later epoch: a non-empty list (one encoding each).
  const withEpochs = hasField(value, 'epochs')
  const receipt = receiptBodyFromCbor(value, 'receipt', withEpochs)
  if (!withEpochs) return receipt
  const list = readArray((value as { readonly [key: string]: CborValue }).epochs, 'receipt.epochs', LIMITS.epochChangesMax)
  if (list.length === 0) throw new CodecError('receipt.epochs: an epoch-0 receipt is written by leaving the field out')
  return { ...receipt, epochs: list.map((change, i) => receiptBodyFromCbor(change, `receipt.epochs[${i}]`, false)) }
}

export function receiptToJson(r: Receipt): JsonValue {
  return toJson(receiptToCbor(r))
}

export function receiptFromJson(json: unknown): Receipt {
  return receiptFromCbor(fromJson(json))
}
