// GET /v1/export streams the export format of src/log/export.ts ("synod-export/v1"):
// uvarint-framed canonical CBOR records, a header first, then one {block, cc} record per
// block (docs/api.md). The format is defined there; this file only frames records that
// a backend already holds as canonical bytes, so a store can stream what it stored
// without decoding and re-encoding each block.
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { CodecError } from '../../src/codec/errors.ts'
import { chainItemToCbor } from '../../src/log/export.ts'
import type { ChainItem } from '../../src/log/verify.ts'
import { LIMITS } from '../../src/limits.ts'

/** The canonical CBOR of one block record, as NodeBackend.exportBlocks yields it. */
export function encodeChainItem(item: ChainItem): Uint8Array {
  return encodeCanonical(chainItemToCbor(item))
}

/** One frame of already-encoded record bytes: the same bytes as src/log/export.ts's
 * frameRecord(value) for the value they encode (unsigned LEB128 length, then the bytes). */
export function frameEncodedRecord(record: Uint8Array): Uint8Array {
  if (record.length === 0) throw new CodecError('export: an empty record cannot be framed')
  if (record.length > LIMITS.messageBytesMax) {
    throw new CodecError(`export: a record of ${record.length} bytes is over the limit of ${LIMITS.messageBytesMax}`)
  }
  const prefix: number[] = []
  let n = record.length
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 0x80)
  }
  prefix.push(n)
  const frame = new Uint8Array(prefix.length + record.length)
  frame.set(prefix)
  frame.set(record, prefix.length)
  return frame
}
