// Little-endian base-128 varints as LevelDB writes them in tables and its MANIFEST.

/** Reads a varint (at most 64 bits, kept exact up to 2^53) at `offset`. */
export function readVarint(bytes: Uint8Array, offset: number): { value: number, next: number } {
  let value = 0
  let scale = 1
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    const b = bytes[i]!
    value += (b & 0x7f) * scale
    if ((b & 0x80) === 0) {
      if (!Number.isSafeInteger(value)) throw new Error(`varint at ${offset} is above 2^53`)
      return { value, next: i + 1 }
    }
    scale *= 128
  }
  throw new Error(`varint at ${offset} is truncated`)
}
