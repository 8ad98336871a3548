// Receipt: everything needed to prove, offline, that an entry is committed:
// the entry, its position in the log, an RFC 9162 inclusion proof, and a commit
// certificate (a quorum of validators signing the log's size and root). Every field is
// covered by a check in verifyReceipt: nothing here is informational only, so no byte of
// a receipt can change without verification failing.
import type { CborValue } from '../codec/cbor.ts'
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
}

export function receiptToCbor(r: Receipt): CborValue {
  return { entry: entryToCbor(r.entry), index: r.index, proof: r.proof as Uint8Array[], checkpoint: ccToCbor(r.checkpoint) }
}

export function receiptFromCbor(value: CborValue): Receipt {
  const m = readMap(value, 'receipt', ['entry', 'index', 'proof', 'checkpoint'])
  return {
    entry: entryFromCbor(m.entry as CborValue),
    index: readUint(m.index, 'receipt.index'),
    proof: readArray(m.proof, 'receipt.proof', LIMITS.merkleProofHashesMax).map((h, i) => readBytes(h, `receipt.proof[${i}]`, HASH_BYTES)),
    checkpoint: ccFromCbor(m.checkpoint as CborValue, 'receipt.checkpoint'),
  }
}

export function receiptToJson(r: Receipt): JsonValue {
  return toJson(receiptToCbor(r))
}

export function receiptFromJson(json: unknown): Receipt {
  return receiptFromCbor(fromJson(json))
}
