// Key layout of the chain store. Every key starts with one tag byte; numbers are 8-byte
// big-endian (safe integers < 2^53), so byte order is numeric order and range scans
// walk heights and log indexes in order.
//
//   'm' name                  -> meta: 'genesis' (genesis hash), 'safety' (safety state), 'version'
//   'B' height                -> block header (canonical CBOR)
//   'H' block hash            -> height
//   'Q' height                -> QC certifying the block at height (when the commit carried one)
//   'C' height                -> commit certificate for the block at height
//   'A' height                -> Merkle accumulator state after the block at height
//   'D' index                 -> height(8) || canonical entry bytes: the log, by leaf index
//   'E' entry id              -> index(8) || height(8) || position in block(4)
//   'T' level(1) k            -> root of perfect subtree k at level (level 0: leaf hashes)
//   'N' len(1) namespace index -> empty: namespace index
//   'G' agent key index        -> empty: agent index
//   'S' agent key             -> highest committed seq(8)
//   'P' height hash           -> pending (validated, uncommitted) block (canonical CBOR)
//   'R' hash                  -> height of a pending block
//   'X' entry id              -> the sidecar of a committed sealed entry: CBOR { blob, key }
//                                (docs/formats.md section 14; not part of the log)
//   'Z' entry id              -> the tombstone of an erased sealed entry: the id of the
//                                erase entry (32 bytes), or the height its retention
//                                erased it at (8 bytes); written in the commit batch that
//                                erases it, with the 'X' delete
//   'Y' height entry id       -> empty: the sealed entry's retention erases it at height
//                                (docs/formats.md section 14, "Retention"); deleted then
//   'W' entry id              -> empty: a committed sealed entry whose sidecar this node
//                                lacks (written in its commit batch; deleted with the 'X'
//                                put or the 'Z' tombstone): what sidecar replication pulls
//   'K' height                -> the boundary certificate of the committed reconfiguration
//                                block at height: CBOR [cc, [link headers]] (docs/formats.md
//                                section 15.3; what range sync serves across an epoch change)
import { writeUint64BE } from '../../src/codec/big-endian.ts'

export const TAG = {
  meta: 0x6d, // 'm'
  header: 0x42, // 'B'
  blockHash: 0x48, // 'H'
  qc: 0x51, // 'Q'
  cc: 0x43, // 'C'
  accumulator: 0x41, // 'A'
  data: 0x44, // 'D'
  entry: 0x45, // 'E'
  tree: 0x54, // 'T'
  namespace: 0x4e, // 'N'
  agent: 0x47, // 'G'
  seq: 0x53, // 'S'
  pending: 0x50, // 'P'
  pendingHash: 0x52, // 'R'
  sidecar: 0x58, // 'X'
  erased: 0x5a, // 'Z'
  expiry: 0x59, // 'Y'
  wanted: 0x57, // 'W'
  boundary: 0x4b, // 'K'
} as const

const TWO_32 = 2 ** 32

export function writeU64(out: Uint8Array, offset: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a safe non-negative integer`)
  if (offset < 0 || offset + 8 > out.length) throw new RangeError(`8 bytes at offset ${offset} do not fit in ${out.length}`)
  writeUint64BE(out, offset, value)
}

export function readU64(bytes: Uint8Array, offset: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const value = view.getUint32(offset, false) * TWO_32 + view.getUint32(offset + 4, false)
  if (!Number.isSafeInteger(value)) throw new RangeError(`stored number at offset ${offset} is not a safe integer`)
  return value
}

export function u64(value: number): Uint8Array {
  const out = new Uint8Array(8)
  writeU64(out, 0, value)
  return out
}

export function key(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 1
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  out[0] = tag
  let offset = 1
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** The first key after every key with this prefix (for exclusive upper bounds). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix)
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]! += 1
      return out.subarray(0, i + 1)
    }
  }
  throw new RangeError('a prefix of only 0xff bytes has no end')
}

const utf8 = new TextEncoder()

export const keys = {
  meta: (name: string) => key(TAG.meta, utf8.encode(name)),
  header: (height: number) => key(TAG.header, u64(height)),
  blockHash: (hash: Uint8Array) => key(TAG.blockHash, hash),
  qc: (height: number) => key(TAG.qc, u64(height)),
  cc: (height: number) => key(TAG.cc, u64(height)),
  accumulator: (height: number) => key(TAG.accumulator, u64(height)),
  data: (index: number) => key(TAG.data, u64(index)),
  entry: (id: Uint8Array) => key(TAG.entry, id),
  tree: (level: number, k: number) => key(TAG.tree, Uint8Array.of(level), u64(k)),
  namespacePrefix: (namespace: string) => {
    const ns = utf8.encode(namespace)
    if (ns.length > 255) throw new RangeError(`namespace of ${ns.length} bytes is too long for the index`)
    return key(TAG.namespace, Uint8Array.of(ns.length), ns)
  },
  agentPrefix: (agent: Uint8Array) => key(TAG.agent, agent),
  seq: (agent: Uint8Array) => key(TAG.seq, agent),
  pending: (height: number, hash: Uint8Array) => key(TAG.pending, u64(height), hash),
  pendingUpTo: (height: number) => key(TAG.pending, u64(height)),
  pendingHash: (hash: Uint8Array) => key(TAG.pendingHash, hash),
  sidecar: (id: Uint8Array) => key(TAG.sidecar, id),
  erased: (id: Uint8Array) => key(TAG.erased, id),
  expiry: (height: number, id: Uint8Array) => key(TAG.expiry, u64(height), id),
  expiryAt: (height: number) => key(TAG.expiry, u64(height)),
  wanted: (id: Uint8Array) => key(TAG.wanted, id),
  boundary: (height: number) => key(TAG.boundary, u64(height)),
} as const

/** A key under `prefix` ending with an 8-byte index. */
export function indexed(prefix: Uint8Array, index: number): Uint8Array {
  return key(prefix[0]!, prefix.subarray(1), u64(index))
}
