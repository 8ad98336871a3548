import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { nodeCrypto } from '../../src/crypto/impl-node.ts'
import { nobleCrypto } from '../../src/crypto/impl-noble.ts'

/** The plain definition: two lower-case digits per byte. */
function reference(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

describe('toHex', () => {
  it('spells every byte value as two lower-case digits', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i)
    expect(toHex(all)).toBe(reference(all))
    expect(toHex(new Uint8Array(0))).toBe('')
  })
  it('gives the plain definition for lengths of many sizes, and views into larger arrays', () => {
    let x = 12345
    const next = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff
    for (const n of [1, 31, 32, 33, 64, 127, 128, 129, 200, 1000]) {
      const bytes = Uint8Array.from({ length: n }, next)
      expect(toHex(bytes)).toBe(reference(bytes))
      expect(fromHex(toHex(bytes))).toEqual(bytes)
      const view = new Uint8Array(bytes.buffer, Math.floor(n / 3), n - Math.floor(n / 3))
      expect(toHex(view)).toBe(reference(view))
    }
  })
  it('the node and the portable implementations agree', () => {
    for (const n of [0, 1, 32, 64, 300]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff)
      expect(nodeCrypto.toHex(bytes)).toBe(reference(bytes))
      expect(nobleCrypto.toHex(bytes)).toBe(reference(bytes))
      const view = bytes.subarray(n >> 2)
      expect(nodeCrypto.toHex(view)).toBe(reference(view))
      expect(nobleCrypto.toHex(view)).toBe(reference(view))
    }
  })
  it('a view spells only its own bytes', () => {
    const long = new Uint8Array(300).fill(0xab)
    long[2] = 1
    expect(toHex(long.subarray(0, 3))).toBe('abab01')
    expect(toHex(long.subarray(2, 3))).toBe('01')
  })
})
