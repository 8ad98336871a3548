import { describe, expect, it } from 'vitest'
import { nodeCrypto } from '../../src/crypto/impl-node.ts'
import { nobleCrypto } from '../../src/crypto/impl-noble.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'

describe('publicKeyFromSeed (node implementation: the public half of the private key\'s JWK)', () => {
  it('gives RFC 8032\'s keys for TEST 1 and TEST 2', () => {
    expect(toHex(nodeCrypto.publicKeyFromSeed(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')))).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
    expect(toHex(nodeCrypto.publicKeyFromSeed(fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')))).toBe('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
  })
  it('agrees with the portable implementation, 32 bytes in a plain array of its own', () => {
    for (let i = 0; i < 40; i++) {
      const seed = Uint8Array.from({ length: 32 }, (_, j) => (i * 131 + j * 17 + (i >> 1)) & 0xff)
      const key = nodeCrypto.publicKeyFromSeed(seed)
      expect(key.length).toBe(32)
      expect(key.byteOffset).toBe(0)
      expect(key.buffer.byteLength).toBe(32)
      expect(key).toEqual(nobleCrypto.publicKeyFromSeed(seed))
    }
  })
})
