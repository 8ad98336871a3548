// libsodium's verify (sodium-native) as the node's hot-path equation: it is used only if
// its verdicts, behind Synod's prechecks, are exactly the one rule's (docs/formats.md
// section 2). The vectors are in ed25519.test.ts (run there against every implementation);
// here: the loader, its canaries, and larger random runs against OpenSSL and an independent
// computation of the cofactorless verdict.
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { nodeCrypto, sodiumCrypto, sodiumLoad } from '../../src/crypto/impl-node.ts'
import { nobleCrypto } from '../../src/crypto/impl-noble.ts'
import { failedCanary, loadSodiumVerifier, type VerifyEquation } from '../../src/crypto/impl-sodium.ts'
import { SMALL_ORDER_ENCODINGS, cryptoImplName, verifyWith } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { concatBytes as concat } from '../support/bytes.ts'

const FC_SEED = Number(process.env.FC_SEED ?? 0x50_d1_a3)
console.info(`[sodium.test] fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`)
const fcParams = (numRuns: number) => ({ seed: FC_SEED, numRuns })

const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('sodium-native')
    return true
  } catch {
    return false
  }
})()

const Point = ed25519.Point
const L = Point.Fn.ORDER
const P = 2n ** 255n - 19n
const torsion = ED25519_TORSION_SUBGROUP.map((h) => Point.fromHex(h))

/** Synod's verdict through OpenSSL and through libsodium; fails the test if they differ. */
function sameVerdict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const viaNode = verifyWith(nodeCrypto, publicKey, message, signature)
  const viaSodium = verifyWith(sodiumCrypto!, publicKey, message, signature)
  expect(viaSodium, `OpenSSL ${viaNode}, libsodium ${viaSodium}: pk=${toHex(publicKey)} msg=${toHex(message)} sig=${toHex(signature)}`).toBe(viaNode)
  return viaNode
}

describe('loading libsodium', () => {
  it('is used where sodium-native is installed (no silent fallback)', () => {
    console.info(`[sodium.test] sodium-native installed: ${installed}; in use: ${sodiumLoad.ok}${sodiumLoad.ok ? '' : ` (${sodiumLoad.reason})`}`)
    expect(sodiumLoad.ok, sodiumLoad.ok ? '' : sodiumLoad.reason).toBe(installed)
    expect(sodiumCrypto !== null).toBe(installed)
    expect(cryptoImplName).toBe(installed ? 'sodium' : 'node')
  })

  it('falls back, without throwing, where the package cannot be resolved', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-no-sodium-'))
    try {
      const load = loadSodiumVerifier(pathToFileURL(join(dir, 'x.js')).href)
      expect(load.ok).toBe(false)
      if (!load.ok) expect(load.reason).toMatch(/^sodium-native did not load: /)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('hashes and signs with OpenSSL: only the equation is libsodium\'s', () => {
    if (sodiumCrypto === null) return expect(installed).toBe(false)
    expect(sodiumCrypto.sign).toBe(nodeCrypto.sign)
    expect(sodiumCrypto.sha256).toBe(nodeCrypto.sha256)
    expect(sodiumCrypto.publicKeyFromSeed).toBe(nodeCrypto.publicKeyFromSeed)
    expect(sodiumCrypto.verifyEquation).not.toBe(nodeCrypto.verifyEquation)
  })
})

describe('the canaries refuse a verifier that departs from the rule', () => {
  it('OpenSSL, noble\'s cofactorless equation and the loaded libsodium pass them', () => {
    expect(failedCanary(nodeCrypto.verifyEquation)).toBeNull()
    expect(failedCanary(nobleCrypto.verifyEquation)).toBeNull()
    if (sodiumCrypto !== null) expect(failedCanary(sodiumCrypto.verifyEquation)).toBeNull()
  })

  it("a cofactored verifier (libsodium's development branch, ZIP-215) is refused", () => {
    // libsodium master: accept when R - ([S]B - [k]A) has small order.
    const cofactored: VerifyEquation = (pk, msg, sig) => {
      const A = Point.fromBytes(pk, true)
      const R = Point.fromBytes(sig.subarray(0, 32), true)
      const k = bytesToNumberLE(sha512(concat(sig.subarray(0, 32), pk, msg))) % L
      const s = bytesToNumberLE(sig.subarray(32))
      return R.subtract(Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k))).isSmallOrder()
    }
    expect(failedCanary(cofactored)).toMatch(/^speccheck 4: .*accepted, expected reject$/)
    expect(failedCanary((pk, msg, sig) => ed25519.verify(sig, msg, pk, { zip215: true }))).toMatch(/^speccheck 4: /)
  })

  it('a verifier that ignores the message, rejects everything or throws is refused', () => {
    expect(failedCanary((pk, _msg, sig) => nodeCrypto.verifyEquation(pk, Uint8Array.of(0x72), sig))).toMatch(/other message: accepted/)
    expect(failedCanary(() => false)).toMatch(/^RFC 8032 TEST 2: rejected, expected accept$/)
    expect(failedCanary(() => { throw new Error('boom') })).toMatch(/threw boom$/)
  })
})

describe('libsodium and OpenSSL agree under the rule at random', () => {
  const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 })
  const messageArb = fc.uint8Array({ maxLength: 300 })
  const badPoints = [
    ...SMALL_ORDER_ENCODINGS,
    // y >= p (non-canonical), both signs: y = p + d, up to p + 18 = 2^255 - 1.
    ...[0n, 1n, 2n, 3n, 9n, 18n].flatMap((d) => [0, 0x80].map((sign) => {
      const e = numberToBytesLE(P + d, 32)
      e[31]! |= sign
      return e
    })),
  ]

  it('valid signatures, then one mutation of signature, key or message', () => {
    if (sodiumCrypto === null) return expect(installed).toBe(false)
    let accepted = 0
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('none' as const) }),
      fc.record({ kind: fc.constant('flip' as const), target: fc.constantFrom('sig', 'pk', 'msg'), bit: fc.nat() }),
      fc.record({ kind: fc.constant('badR' as const), index: fc.nat() }),
      fc.record({ kind: fc.constant('badA' as const), index: fc.nat() }),
      fc.record({ kind: fc.constant('sPlusL' as const), times: fc.integer({ min: 1, max: 15 }) }),
      fc.record({ kind: fc.constant('sZero' as const) }),
      fc.record({ kind: fc.constant('swapKey' as const), other: seedArb }),
    )
    fc.assert(
      fc.property(seedArb, messageArb, mutation, (seed, message, m) => {
        const pk = nodeCrypto.publicKeyFromSeed(seed)
        const sig = nodeCrypto.sign(seed, message)
        const s = sig.slice()
        let [p, msg]: Uint8Array[] = [pk.slice(), message.slice()]
        if (m.kind === 'flip') {
          const bytes = m.target === 'sig' ? s : m.target === 'pk' ? p : msg
          if (bytes.length === 0) msg = Uint8Array.of(1)
          else bytes[(m.bit % (bytes.length * 8)) >> 3]! ^= 1 << (m.bit & 7)
        } else if (m.kind === 'badR') s.set(badPoints[m.index % badPoints.length]!, 0)
        else if (m.kind === 'badA') p = badPoints[m.index % badPoints.length]!.slice()
        else if (m.kind === 'sPlusL') {
          const big = bytesToNumberLE(s.subarray(32)) + BigInt(m.times) * L
          if (big < 2n ** 256n) s.set(numberToBytesLE(big, 32), 32)
          else s[63] = 0xff
        } else if (m.kind === 'sZero') s.fill(0, 32)
        else if (m.kind === 'swapKey') p = nodeCrypto.publicKeyFromSeed(m.other)
        const verdict = sameVerdict(p, msg, s)
        if (m.kind === 'none') expect(verdict).toBe(true)
        if (verdict) accepted++
      }),
      fcParams(1500),
    )
    console.info(`[sodium.test] mutated signatures: ${accepted} of 1500 accepted by both`)
    expect(accepted).toBeGreaterThan(0)
  })

  it('mixed-order keys and nonces: libsodium follows the cofactorless equation exactly', () => {
    if (sodiumCrypto === null) return expect(installed).toBe(false)
    // A = aB + T_A, R = rB + T_R, S = r + k a: [S]B - [k]A = R exactly when T_R + [k]T_A = 0.
    let [accepted, rejected] = [0, 0]
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: L - 1n }), fc.bigInt({ min: 1n, max: L - 1n }),
        fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 7 }), messageArb,
        (a, r, ta, tr, message) => {
          const [aBytes, rBytes] = [Point.BASE.multiply(a).add(torsion[ta]!).toBytes(), Point.BASE.multiply(r).add(torsion[tr]!).toBytes()]
          const k = bytesToNumberLE(sha512(concat(rBytes, aBytes, message))) % L
          const signature = concat(rBytes, numberToBytesLE((r + k * a) % L, 32))
          let kTA = Point.ZERO
          for (let i = 0n; i < k % 8n; i++) kTA = kTA.add(torsion[ta]!)
          const expected = torsion[tr]!.add(kTA).is0()
          expect(sameVerdict(aBytes, message, signature)).toBe(expected)
          if (expected) accepted++
          else rejected++
        },
      ),
      fcParams(400),
    )
    console.info(`[sodium.test] mixed-order constructions: ${accepted} accepted, ${rejected} rejected by both`)
    expect(accepted).toBeGreaterThan(0)
    expect(rejected).toBeGreaterThan(0)
  })

  it('random keys and signatures with a canonical S: both reject', () => {
    if (sodiumCrypto === null) return expect(installed).toBe(false)
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), messageArb, (pk, sig, msg) => {
        sig[63]! &= 0x0f
        expect(sameVerdict(pk, msg, sig)).toBe(false)
      }),
      fcParams(1000),
    )
  })
})
