// Synod's one Ed25519 verification rule. Validators that disagree on a signature would
// disagree on a block, so every implementation must accept exactly the same set:
//   1. the public key is 32 bytes and the signature 64;
//   2. S < L (canonical scalar; RFC 8032 section 5.1.7);
//   3. A and R are canonical encodings (y < p) and neither is one of the 8 small-order
//      points (in any of their encodings);
//   4. the cofactorless equation [S]B = R + [k]A holds, R compared by its bytes.
// Checks 1-3 are byte comparisons, done here, identically for both implementations;
// check 4 is the implementation's (see impl-node.ts and impl-noble.ts).
import impl from '#crypto-impl'
import type { CryptoImpl } from './impl.ts'

export const PUBLIC_KEY_BYTES = 32
export const SIGNATURE_BYTES = 64
export const SEED_BYTES = 32

/** The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
const L_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
])

/** Encodings (y with the sign bit of x) of the 8 points of small order, with both sign
 * bits where x may be either sign, as in libsodium's blocklist. Checked by a test
 * against @noble's isSmallOrder(). Encodings with y >= p are caught by the canonical check. */
const SMALL_ORDER_HEX = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity, order 1
  '0100000000000000000000000000000000000000000000000000000000000080', // identity, x = -0
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // (0, -1), order 2
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // (0, -1), x = -0
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8
]
export const SMALL_ORDER_ENCODINGS: readonly Uint8Array[] = SMALL_ORDER_HEX.map((h) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16))))

/** True when the 32 bytes, read little-endian as a 256-bit integer, are below L. */
export function isCanonicalScalar(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! < L_LE[i]!) return true
    if (s[i]! > L_LE[i]!) return false
  }
  return false // equal to L
}

/** True when the y coordinate (the low 255 bits) is below p = 2^255 - 19. */
export function isCanonicalPointEncoding(point: Uint8Array): boolean {
  if ((point[31]! & 0x7f) !== 0x7f) return true
  for (let i = 30; i >= 1; i--) if (point[i] !== 0xff) return true
  return point[0]! < 0xed
}

export function isSmallOrderEncoding(point: Uint8Array): boolean {
  outer: for (const bad of SMALL_ORDER_ENCODINGS) {
    for (let i = 0; i < 32; i++) if (point[i] !== bad[i]) continue outer
    return true
  }
  return false
}

/** Checks 1-3 of the rule: cheap, and the same for every implementation. */
export function passesStrictPrechecks(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return false
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
  const r = signature.subarray(0, 32)
  if (!isCanonicalScalar(signature.subarray(32, 64))) return false
  if (!isCanonicalPointEncoding(publicKey) || isSmallOrderEncoding(publicKey)) return false
  if (!isCanonicalPointEncoding(r) || isSmallOrderEncoding(r)) return false
  return true
}

/** Verifies with a chosen implementation (tests cross-check both). */
export function verifyWith(crypto: CryptoImpl, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  // A message that is not a Uint8Array is read differently by each implementation
  // (OpenSSL takes strings and DataViews, noble any array-like), so it is rejected here.
  if (!(message instanceof Uint8Array)) return false
  if (!passesStrictPrechecks(publicKey, signature)) return false
  return crypto.verifyEquation(publicKey, message, signature)
}

/** Synod's Ed25519 verification, with this platform's implementation. */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  return verifyWith(impl, publicKey, message, signature)
}

export function signMessage(seed: Uint8Array, message: Uint8Array): Uint8Array {
  if (seed.length !== SEED_BYTES) throw new RangeError(`an Ed25519 seed is ${SEED_BYTES} bytes, got ${seed.length}`)
  return impl.sign(seed, message)
}

export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  if (seed.length !== SEED_BYTES) throw new RangeError(`an Ed25519 seed is ${SEED_BYTES} bytes, got ${seed.length}`)
  return impl.publicKeyFromSeed(seed)
}

export const cryptoImplName: CryptoImpl['name'] = impl.name
