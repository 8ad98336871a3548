import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { nodeCrypto } from '../../src/crypto/impl-node.ts'
import { nobleCrypto } from '../../src/crypto/impl-noble.ts'

describe('sha256 (node implementation: the digest copied out of its binary string)', () => {
  it('the empty string and "abc" give the FIPS 180-2 digests', () => {
    expect(nodeCrypto.toHex(nodeCrypto.sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    expect(nodeCrypto.toHex(nodeCrypto.sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  })
  it('agrees with a Hash object and with the portable implementation on inputs of many lengths, views included', () => {
    let x = 99
    const next = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff
    for (let n = 0; n < 300; n += 7) {
      const bytes = Uint8Array.from({ length: n + 3 }, next).subarray(3)
      const got = nodeCrypto.sha256(bytes)
      expect(got).toBeInstanceOf(Uint8Array)
      expect(got.length).toBe(32)
      expect(Buffer.from(got).equals(createHash('sha256').update(bytes).digest())).toBe(true)
      expect(got).toEqual(nobleCrypto.sha256(bytes))
    }
  })
  it('every digest byte value survives the copy (bytes above 0x7f included)', () => {
    const seen = new Set<number>()
    for (let i = 0; i < 200 && seen.size < 256; i++) for (const b of nodeCrypto.sha256(Uint8Array.of(i, i >> 8))) seen.add(b)
    expect(seen.size).toBe(256)
  })
})
