// Node's built-in crypto (OpenSSL): the hot path, 8-12x faster than @noble here.
// OpenSSL's Ed25519 verify computes R' = [S]B - [k]A and compares it byte for byte
// with R: the cofactorless equation that impl-noble.ts reproduces. Where the optional
// sodium-native package loads and passes its canaries (impl-sodium.ts), libsodium's
// verify, about 2.4x faster and with the same verdicts, takes the equation's place.
import { createPrivateKey, createPublicKey, hash, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import type { CryptoImpl } from './impl.ts'
import { loadSodiumVerifier, type SodiumLoad } from './impl-sodium.ts'

const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const SPKI_ED25519_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00])

/** Public keys repeat (validators, busy agents): parsing one into a KeyObject costs more
 * than a hash, so keep the recent ones. Bounded; cleared wholesale when full. */
const PUBLIC_KEY_CACHE_MAX = 16_384
const publicKeys = new Map<string, KeyObject>()
const PRIVATE_KEY_CACHE_MAX = 64
const privateKeys = new Map<string, KeyObject>()

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  const id = hex(seed)
  let key = privateKeys.get(id)
  if (key === undefined) {
    if (privateKeys.size >= PRIVATE_KEY_CACHE_MAX) privateKeys.clear()
    const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32)
    der.set(PKCS8_ED25519_PREFIX)
    der.set(seed, PKCS8_ED25519_PREFIX.length)
    key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    privateKeys.set(id, key)
  }
  return key
}

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const id = hex(publicKey)
  let key = publicKeys.get(id)
  if (key === undefined) {
    if (publicKeys.size >= PUBLIC_KEY_CACHE_MAX) publicKeys.clear()
    const der = new Uint8Array(SPKI_ED25519_PREFIX.length + 32)
    der.set(SPKI_ED25519_PREFIX)
    der.set(publicKey, SPKI_ED25519_PREFIX.length)
    try {
      key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    } catch {
      return null
    }
    publicKeys.set(id, key)
  }
  return key
}

/** Buffer's own hex writer, called on a plain Uint8Array (it takes any byte view) so that
 * no Buffer object is made per call: with the lookup of the string it makes, about 0.3x
 * the cost of concatenating two-digit pieces, whose rope each Map lookup must first
 * flatten (the core keys its maps by hex: in the simulator this was ~5% of a run).
 * Checked once at load; Buffer.from(...).toString('hex') where it is missing or differs. */
const hexSlice = (Buffer.prototype as { hexSlice?: (this: Uint8Array, start: number, end: number) => string }).hexSlice
const sliceHex = typeof hexSlice === 'function' && hexSlice.call(Uint8Array.of(0, 9, 10, 255), 0, 4) === '00090aff'
  ? (bytes: Uint8Array): string => hexSlice.call(bytes, 0, bytes.length)
  : (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')

const HASH_BYTES = 32
const PUBLIC_KEY_BYTES = 32

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

export const nodeCrypto: CryptoImpl = {
  name: 'node',
  sha256(data) {
    // The one-shot hash (Node >= 21.7) skips the Hash object a createHash() call builds:
    // about a third less CPU per call here, and the log hashes every leaf, node and id.
    // Its digest as a 'binary' (latin1) string, one code unit per byte, copied into 32
    // bytes, cost about 0.4 of asking it for a Buffer (380 ns against 900, 65 bytes in).
    const digest = hash('sha256', data, 'binary')
    const out = new Uint8Array(HASH_BYTES)
    for (let i = 0; i < HASH_BYTES; i++) out[i] = digest.charCodeAt(i)
    return out
  },
  toHex: sliceHex,
  publicKeyFromSeed(seed) {
    // The private key object holds its public half, and its JWK export carries it (x):
    // about 0.65x the CPU of building a public KeyObject and its SPKI encoding (a
    // simulation derives every validator's and agent's key from its seed, each run).
    const x = privateKeyObject(seed).export({ format: 'jwk' }).x
    if (typeof x !== 'string') throw new Error('OpenSSL exported an Ed25519 private key without its public half')
    const key = new Uint8Array(Buffer.from(x, 'base64url'))
    if (key.length !== PUBLIC_KEY_BYTES) throw new Error(`OpenSSL exported an Ed25519 public key of ${key.length} bytes`)
    return key
  },
  sign(seed, message) {
    return toBytes(nodeSign(null, message, privateKeyObject(seed)))
  },
  verifyEquation(publicKey, message, signature) {
    const key = publicKeyObject(publicKey)
    if (key === null) return false
    try {
      return nodeVerify(null, message, key, signature)
    } catch {
      return false
    }
  },
}

/** Whether libsodium's verify is in use, and if not, why (logged by the node at start). */
export const sodiumLoad: SodiumLoad = loadSodiumVerifier()

/** OpenSSL for hashing and signing, libsodium for verifying; null where sodium-native is unusable. */
export const sodiumCrypto: CryptoImpl | null = sodiumLoad.ok ? { ...nodeCrypto, name: 'sodium', verifyEquation: sodiumLoad.verifyEquation } : null

export default sodiumCrypto ?? nodeCrypto
