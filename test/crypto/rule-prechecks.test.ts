// Checks 1-3 of the one Ed25519 rule (src/crypto/ed25519.ts) are Synod's own, done before
// any implementation's equation: so they must refuse on their own, whatever the equation
// would answer. Against an equation that accepts everything, each refusal below is the
// prechecks' alone (with a real implementation most of them are also refused by the
// library, which is how weakened prechecks went unnoticed by every other test).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { numberToBytesLE } from '@noble/curves/utils.js'
import { ed25519 } from '@noble/curves/ed25519.js'
import { nodeCrypto } from '../../src/crypto/impl-node.ts'
import type { CryptoImpl } from '../../src/crypto/impl.ts'
import { failedCanary, loadSodiumVerifier } from '../../src/crypto/impl-sodium.ts'
import {
  SMALL_ORDER_ENCODINGS, isCanonicalPointEncoding, passesStrictPrechecks, publicKeyFromSeed, signMessage, verifyWith,
} from '../../src/crypto/ed25519.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'

const L = ed25519.Point.Fn.ORDER
const P = 2n ** 255n - 19n

/** An implementation whose equation holds for every input: only the prechecks refuse. */
const acceptsAll: CryptoImpl = { ...nodeCrypto, verifyEquation: () => true }

const seed = new Uint8Array(32).fill(5)
const key = publicKeyFromSeed(seed)
const message = new TextEncoder().encode('prechecks')
const signature = signMessage(seed, message)

function withS(s: bigint): Uint8Array {
  const out = Uint8Array.from(signature)
  out.set(numberToBytesLE(s, 32), 32)
  return out
}

function withR(r: Uint8Array): Uint8Array {
  const out = Uint8Array.from(signature)
  out.set(r, 0)
  return out
}

const nonCanonicalY = numberToBytesLE(P, 32) // y = p: the encoding of y = 0 plus p

describe('the prechecks refuse on their own', () => {
  it('a well-formed input reaches the equation (the control)', () => {
    expect(passesStrictPrechecks(key, signature)).toBe(true)
    expect(verifyWith(acceptsAll, key, message, signature)).toBe(true)
  })

  const refused: [string, Uint8Array | unknown, Uint8Array | unknown, unknown][] = [
    ['a 31-byte public key', key.subarray(0, 31), signature, message],
    ['a 33-byte public key', Uint8Array.of(...key, 0), signature, message],
    ['a public key that is not a Uint8Array', [...key], signature, message],
    ['a 63-byte signature', key, signature.subarray(0, 63), message],
    ['a 65-byte signature', key, Uint8Array.of(...signature, 0), message],
    ['a signature that is not a Uint8Array', key, [...signature], message],
    ['S = L', key, withS(L), message],
    ['S = L + 1', key, withS(L + 1n), message],
    ['S = 2^256 - 1', key, withS((1n << 256n) - 1n), message],
    ['A with y = p (non-canonical)', nonCanonicalY, signature, message],
    ['R with y = p (non-canonical)', key, withR(nonCanonicalY), message],
    ...SMALL_ORDER_ENCODINGS.map((e): [string, Uint8Array, Uint8Array, unknown] => [`A of small order ${toHex(e).slice(0, 8)}`, e, signature, message]),
    ...SMALL_ORDER_ENCODINGS.map((e): [string, Uint8Array, Uint8Array, unknown] => [`R of small order ${toHex(e).slice(0, 8)}`, key, withR(e), message]),
    ['a message that is not a Uint8Array', key, signature, 'prechecks'],
  ]
  for (const [what, publicKey, sig, msg] of refused) {
    it(`refuses ${what}`, () => {
      expect(verifyWith(acceptsAll, publicKey as Uint8Array, msg as Uint8Array, sig as Uint8Array)).toBe(false)
    })
  }

  it('S = L - 1 is canonical and reaches the equation', () => {
    expect(verifyWith(acceptsAll, key, message, withS(L - 1n))).toBe(true)
  })
})

describe('canonical point encodings at the edges of each byte test', () => {
  const cases: [string, number[], boolean][] = [
    // Only a top byte of 0x7f (or 0xff, with the sign bit) can start a y >= p.
    ['every byte 0xff but a top byte of 0x00', [...Array(31).fill(0xff), 0x00], true],
    ['every byte 0xff but a top byte of 0x7e', [...Array(31).fill(0xff), 0x7e], true],
    // Then every byte from 30 down to 1 must be 0xff, the lowest one included.
    ['byte 1 below 0xff under a top of 0x7f', [0xff, 0x00, ...Array(29).fill(0xff), 0x7f], true],
    ['byte 30 below 0xff under a top of 0x7f', [0xff, ...Array(29).fill(0xff), 0xfe, 0x7f], true],
    // And byte 0 below 0xed (p = 2^255 - 19 ends in 0xed).
    ['y = p - 1', [0xec, ...Array(30).fill(0xff), 0x7f], true],
    ['y = p', [0xed, ...Array(30).fill(0xff), 0x7f], false],
    ['y = p + 18, with the sign bit', [0xff, ...Array(30).fill(0xff), 0xff], false],
  ]
  for (const [what, bytes, canonical] of cases) {
    it(`${what}: ${canonical ? 'canonical' : 'not canonical'}`, () => {
      expect(isCanonicalPointEncoding(Uint8Array.from(bytes))).toBe(canonical)
    })
  }
})

describe('seeds and hex', () => {
  it('signing and deriving a key refuse a seed that is not 32 bytes, with the lengths', () => {
    for (const length of [0, 31, 33]) {
      expect(() => signMessage(new Uint8Array(length), message)).toThrow(new RangeError(`an Ed25519 seed is 32 bytes, got ${length}`))
      expect(() => publicKeyFromSeed(new Uint8Array(length))).toThrow(new RangeError(`an Ed25519 seed is 32 bytes, got ${length}`))
    }
  })

  it('fromHex reads both cases and refuses anything but an even-length hex string', () => {
    expect(fromHex('')).toEqual(new Uint8Array(0))
    expect(fromHex('00AbcDff')).toEqual(Uint8Array.of(0x00, 0xab, 0xcd, 0xff))
    for (const bad of ['0', 'abc', 'zz', '0z', 'z0', 'ab cd', ' 00', '00 ', 'g0', 12 as unknown as string, null as unknown as string]) {
      expect(() => fromHex(bad), String(bad)).toThrow(new TypeError('expected an even-length hex string'))
    }
  })
})

describe('the canaries a hot-path verifier must pass', () => {
  it('name the first wrong verdict: accepting everything, refusing everything, throwing', () => {
    expect(failedCanary(() => true)).toMatch(/: accepted, expected reject$/)
    expect(failedCanary(() => false)).toMatch(/^RFC 8032 TEST 2: rejected, expected accept$/)
    expect(failedCanary(() => {
      throw new Error('boom')
    })).toBe('RFC 8032 TEST 2: threw boom')
    expect(failedCanary((pk, msg, sig) => nodeCrypto.verifyEquation(pk, msg, sig))).toBeNull()
  })
})

describe('a sodium-native that departs from the rule is not used', () => {
  /** Loads a stand-in sodium-native package whose index.js is `source`. */
  function loadFake(source: string): ReturnType<typeof loadSodiumVerifier> {
    const dir = mkdtempSync(join(tmpdir(), 'synod-fake-sodium-'))
    try {
      mkdirSync(join(dir, 'node_modules', 'sodium-native'), { recursive: true })
      writeFileSync(join(dir, 'node_modules', 'sodium-native', 'package.json'), JSON.stringify({ name: 'sodium-native', version: '0.0.0', main: 'index.js' }))
      writeFileSync(join(dir, 'node_modules', 'sodium-native', 'index.js'), source)
      return loadSodiumVerifier(pathToFileURL(join(dir, 'x.js')).href)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  it('without the verify function', () => {
    expect(loadFake('module.exports = {}')).toEqual({ ok: false, reason: 'sodium-native has no crypto_sign_verify_detached' })
  })

  it('accepting every signature', () => {
    const load = loadFake('module.exports = { crypto_sign_verify_detached: () => true }')
    expect(load.ok).toBe(false)
    if (!load.ok) expect(load.reason).toMatch(/^sodium-native's Ed25519 verify departs from Synod's rule \(RFC 8032 TEST 2, other message: accepted, expected reject\)$/)
  })

  it('throwing on every call (taken as a refusal, so the valid canary fails)', () => {
    const load = loadFake('module.exports = { crypto_sign_verify_detached: () => { throw new Error("assert") } }')
    expect(load.ok).toBe(false)
    if (!load.ok) expect(load.reason).toMatch(/\(RFC 8032 TEST 2: rejected, expected accept\)$/)
  })
})
