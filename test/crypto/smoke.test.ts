import { describe, expect, it } from 'vitest'
import { nodeCrypto, sodiumCrypto } from '../../src/crypto/impl-node.ts'
import { nobleCrypto } from '../../src/crypto/impl-noble.ts'
import { verifyWith, publicKeyFromSeed, signMessage, verifySignature, cryptoImplName } from '../../src/crypto/ed25519.ts'
import { sha256, toHex } from '../../src/crypto/hash.ts'

describe('crypto implementations agree', () => {
  it('picks the node implementation on Node (with libsodium verifying where it loads)', () => {
    expect(cryptoImplName).toBe(sodiumCrypto === null ? 'node' : 'sodium')
  })
  it('same keys, signatures and hashes', () => {
    const seed = new Uint8Array(32).fill(7)
    const msg = new TextEncoder().encode('hello synod')
    expect(toHex(nodeCrypto.publicKeyFromSeed(seed))).toBe(toHex(nobleCrypto.publicKeyFromSeed(seed)))
    const sig = nodeCrypto.sign(seed, msg)
    expect(toHex(sig)).toBe(toHex(nobleCrypto.sign(seed, msg)))
    const pub = publicKeyFromSeed(seed)
    expect(verifyWith(nodeCrypto, pub, msg, sig)).toBe(true)
    expect(verifyWith(nobleCrypto, pub, msg, sig)).toBe(true)
    expect(verifySignature(pub, msg, signMessage(seed, msg))).toBe(true)
    const bad = sig.slice(); bad[5]! ^= 1
    expect(verifyWith(nodeCrypto, pub, msg, bad)).toBe(false)
    expect(verifyWith(nobleCrypto, pub, msg, bad)).toBe(false)
    expect(toHex(sha256(msg))).toBe(toHex(nobleCrypto.sha256(msg)))
  })
})
