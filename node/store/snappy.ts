// Snappy decompression (the raw format, as LevelDB compresses table blocks). Only the
// store check needs it, to read a table's index block; LevelDB itself decompresses data.
import { readVarint } from './varint.ts'

/** Decompresses one snappy block; throws on any malformed input. */
export function snappyDecompress(input: Uint8Array, maxBytes: number): Uint8Array {
  const header = readVarint(input, 0)
  const length = header.value
  if (length > maxBytes) throw new Error(`snappy block declares ${length} bytes, above ${maxBytes}`)
  const out = new Uint8Array(length)
  let pos = header.next
  let o = 0
  while (pos < input.length) {
    const tag = input[pos++]!
    const kind = tag & 3
    if (kind === 0) {
      let len = (tag >>> 2) + 1
      if (len > 60) {
        const extra = len - 60
        if (pos + extra > input.length) throw new Error('snappy literal length runs past the input')
        len = 0
        for (let b = 0; b < extra; b++) len |= input[pos + b]! << (8 * b)
        len = (len >>> 0) + 1
        pos += extra
      }
      if (pos + len > input.length || o + len > length) throw new Error('snappy literal runs past the input or output')
      out.set(input.subarray(pos, pos + len), o)
      pos += len
      o += len
      continue
    }
    let len: number
    let offset: number
    if (kind === 1) {
      if (pos >= input.length) throw new Error('snappy copy runs past the input')
      len = ((tag >>> 2) & 7) + 4
      offset = ((tag >>> 5) << 8) | input[pos++]!
    } else {
      const width = kind === 2 ? 2 : 4
      if (pos + width > input.length) throw new Error('snappy copy runs past the input')
      len = (tag >>> 2) + 1
      offset = 0
      for (let b = 0; b < width; b++) offset |= input[pos + b]! << (8 * b)
      offset >>>= 0
      pos += width
    }
    if (offset === 0 || offset > o || o + len > length) throw new Error('snappy copy points outside the output')
    for (let b = 0; b < len; b++, o++) out[o] = out[o - offset]!
  }
  if (o !== length) throw new Error(`snappy block holds ${o} of its ${length} bytes`)
  return out
}
