// The libp2p length-prefixed decoder as patched (patches/@libp2p+utils+7.4.1.patch): it
// never asks the length decoder about an empty buffer (Noise's decoder answers that with a
// RangeError, built with its stack, for every received chunk consumed whole: 2.1% of a
// validator's CPU, docs/performance.md), and it still splits frames exactly, whatever the
// chunking.
import { LengthPrefixedDecoder } from '@libp2p/utils'
import type { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'

function decoder(): { decoder: LengthPrefixedDecoder, emptyAsks: () => number } {
  let empty = 0
  const lengthDecoder = (buf: Uint8ArrayList): number => {
    if (buf.byteLength === 0) empty += 1
    if (buf.byteLength < 2) throw new RangeError('Could not decode int16BE')
    return buf.getUint16(0)
  }
  return { decoder: new LengthPrefixedDecoder({ lengthDecoder, encodingLength: () => 2 }), emptyAsks: () => empty }
}

function frame(bytes: number, fill: number): Uint8Array {
  const out = new Uint8Array(2 + bytes).fill(fill)
  out[0] = bytes >> 8
  out[1] = bytes & 0xff
  return out
}

describe('the length-prefixed decoder (patched)', () => {
  it('does not ask the length decoder about an empty buffer', () => {
    const { decoder: d, emptyAsks } = decoder()
    for (let i = 0; i < 100; i++) expect([...d.decode(frame(10, i))].map((b) => b.byteLength)).toEqual([10])
    expect(emptyAsks()).toBe(0)
  })

  it('splits the same frames at every chunk boundary', () => {
    const stream = new Uint8Array([...frame(3, 1), ...frame(0, 0), ...frame(300, 2), ...frame(1, 3)])
    for (let cut = 0; cut <= stream.length; cut++) {
      const { decoder: d } = decoder()
      const got = [...d.decode(stream.subarray(0, cut)), ...d.decode(stream.subarray(cut))].map((b) => [b.byteLength, b.get(0)])
      // An empty frame yields nothing (the decoder's own rule), the others in order.
      expect(got).toEqual([[3, 1], [300, 2], [1, 3]])
    }
  })
})
