// @noble: the portable implementation (browsers, cross-checks). noble's own verify uses
// the cofactored equation; OpenSSL uses the cofactorless one, and the two differ on
// crafted mixed-order keys. So the equation is written out here, cofactorless, exactly
// as OpenSSL computes it: R' = [S]B - [k]A, then R' must encode to the bytes of R.
import { ed25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE } from '@noble/curves/utils.js'
import { sha256 as nobleSha256, sha512 } from '@noble/hashes/sha2.js'
import { concatBytes } from '@noble/hashes/utils.js'
import type { CryptoImpl } from './impl.ts'

const Point = ed25519.Point
const ORDER = Point.Fn.ORDER

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export const nobleCrypto: CryptoImpl = {
  name: 'noble',
  sha256(data) {
    return nobleSha256(data)
  },
  toHex(bytes) {
    let out = ''
    for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
    return out
  },
  publicKeyFromSeed(seed) {
    return ed25519.getPublicKey(seed)
  },
  sign(seed, message) {
    return ed25519.sign(message, seed)
  },
  verifyEquation(publicKey, message, signature) {
    try {
      const r = signature.subarray(0, 32)
      const s = bytesToNumberLE(signature.subarray(32, 64))
      if (s >= ORDER) return false
      const A = Point.fromBytes(publicKey, false)
      const k = bytesToNumberLE(sha512(concatBytes(r, publicKey, message))) % ORDER
      const rPrime = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k))
      return equalBytes(rPrime.toBytes(), r)
    } catch {
      return false
    }
  },
}

export default nobleCrypto
