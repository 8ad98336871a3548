// Encoders and decoders of the chain store's stored records (layout in keys.ts): the
// ChainStore writes and reads them, and so do readers that go under it (the store check).
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { readArray, readBytes, readMap, readUint } from '../../src/codec/schema.ts'
import { SYNC_LINKS_MAX } from '../../src/consensus/messages.ts'
import type { BoundaryCertificate } from '../../src/consensus/types.ts'
import { headerFromCbor, headerToCbor, type BlockHeader } from '../../src/log/block.ts'
import { ccFromCbor, ccToCbor } from '../../src/log/certificates.ts'
import type { MerkleAccumulatorState } from '../../src/log/merkle.ts'
import { readU64 } from './keys.ts'

export function encodeStoredHeader(header: BlockHeader): Uint8Array {
  return encodeCanonical(headerToCbor(header))
}

export function decodeStoredHeader(bytes: Uint8Array): BlockHeader {
  return headerFromCbor(decodeCanonical(bytes))
}

export function encodeStoredAccumulator(state: MerkleAccumulatorState): Uint8Array {
  return encodeCanonical({ size: state.size, frontier: state.frontier })
}

export function decodeStoredAccumulator(bytes: Uint8Array): MerkleAccumulatorState {
  const m = readMap(decodeCanonical(bytes), 'accumulator', ['size', 'frontier'])
  return {
    size: readUint(m.size, 'accumulator.size'),
    frontier: readArray(m.frontier, 'accumulator.frontier', 64).map((h, i) => readBytes(h, `accumulator.frontier[${i}]`, 32)),
  }
}

/** A 'K' value: the boundary certificate of a reconfiguration block, [cc, [links]]. */
export function encodeStoredBoundary(boundary: BoundaryCertificate): Uint8Array {
  return encodeCanonical([ccToCbor(boundary.cc), boundary.links.map(headerToCbor)])
}

export function decodeStoredBoundary(bytes: Uint8Array): BoundaryCertificate {
  const [cc, links] = readArray(decodeCanonical(bytes), 'boundary', 2)
  if (cc === undefined || links === undefined) throw new RangeError('a stored boundary certificate is [cc, links]')
  return { cc: ccFromCbor(cc, 'boundary.cc'), links: readArray(links, 'boundary.links', SYNC_LINKS_MAX).map(headerFromCbor) }
}

/** An 'E' value: where an entry id lives. */
export interface EntryLocation {
  readonly index: number
  readonly height: number
  readonly position: number
}

export function decodeEntryLocation(bytes: Uint8Array): EntryLocation {
  if (bytes.length !== 20) throw new RangeError(`an entry location is 20 bytes, got ${bytes.length}`)
  return { index: readU64(bytes, 0), height: readU64(bytes, 8), position: new DataView(bytes.buffer, bytes.byteOffset).getUint32(16, false) }
}
