// Big-endian unsigned integers written byte by byte: the store's keys and the CBOR
// argument of a large length both need them in hot loops, where a DataView per call costs
// more. The caller checks the value (a safe non-negative integer) and the room.

const TWO_32 = 2 ** 32

/** Writes `value` (0 <= value <= 2^53 - 1) as 8 bytes big-endian at `offset`. */
export function writeUint64BE(out: Uint8Array, offset: number, value: number): void {
  const high = Math.floor(value / TWO_32)
  const low = value % TWO_32
  out[offset] = high >>> 24
  out[offset + 1] = (high >>> 16) & 0xff
  out[offset + 2] = (high >>> 8) & 0xff
  out[offset + 3] = high & 0xff
  out[offset + 4] = low >>> 24
  out[offset + 5] = (low >>> 16) & 0xff
  out[offset + 6] = (low >>> 8) & 0xff
  out[offset + 7] = low & 0xff
}
