// Stand-in signatures for simulation runs: a keyed hash instead of Ed25519, checked
// through the same SignatureScheme interface the core verifies with, so a run exercises
// every signature check at a fraction of the cost (docs/scenarios.md, "Signatures in the
// simulator").
//
// A signature by the holder of seed s over message m is SHA-512(s || len(m) || m), a keyed
// hash of 64 bytes (see mac() below), the length of an Ed25519 signature, so every length check and codec bound sees the same
// sizes. Keys stay real Ed25519 public keys (publicKeyFromSeed), so a run's genesis and
// agent keys are the same in both modes. The scheme keeps the run's registry of
// public key -> seed, filled as keys are registered or first sign; verify recomputes the
// MAC under the registered seed of the claimed key and compares all 64 bytes. Hence:
//   - random bytes, a flipped bit, another message's signature or another key's
//     signature differ from the recomputed MAC (except with probability 2^-512);
//   - a key nobody in the run holds the seed of (made-up bytes, a key copied from
//     elsewhere) has no registry entry and verifies nothing;
//   - a behaviour that signs with its own seed makes signatures that verify, exactly as
//     its Ed25519 signatures would, and one that lacks a seed cannot make any.
// The seeds never leave the process, and only code holding a seed signs with it: a
// Byzantine behaviour gets its own seed only, as with Ed25519.
//
// This module is the only maker of the stand-in; it lives in scenarios/, which the node,
// the SDK and the auditor cannot import (dependency-cruiser), so production code cannot
// be switched to it by any input.
import { hash } from 'node:crypto'
import { PUBLIC_KEY_BYTES, SEED_BYTES, SIGNATURE_BYTES, publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'

export const SIGNATURE_MODES = ['standin', 'ed25519'] as const
/** How a run signs: 'standin' (this module) or 'ed25519' (the real rule). */
export type SignatureMode = (typeof SIGNATURE_MODES)[number]

export function isSignatureMode(value: unknown): value is SignatureMode {
  return typeof value === 'string' && (SIGNATURE_MODES as readonly string[]).includes(value)
}

export class StandinSignatures implements SignatureScheme {
  readonly name = 'standin'
  /** public key (hex) -> seed. */
  readonly #seeds = new Map<string, Uint8Array>()
  /** seed (hex) -> public key, so that a sign costs no key derivation after the first. */
  readonly #keys = new Map<string, Uint8Array>()
  /** The same by seed object (a signer passes its one seed array on every sign), with a
   * copy of the bytes so that a changed array is a miss. */
  readonly #bySeedObject = new WeakMap<Uint8Array, { readonly seed: Uint8Array, readonly key: Uint8Array }>()
  /** What each signature this scheme made signed, by the signature object: in a run the
   * receivers share the sender's objects, so a verifier handed the very object compares
   * bytes instead of hashing (copies of all three, so a later change to any is a miss). */
  readonly #made = new WeakMap<Uint8Array, { readonly key: Uint8Array, readonly message: Uint8Array, readonly signature: Uint8Array }>()

  /** Registers a seed and returns its (Ed25519) public key. A caller that already derived
   * the key (publicKeyFromSeed, as simGenesis does) passes it, to save deriving it again. */
  register(seed: Uint8Array, publicKey?: Uint8Array): Uint8Array {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) throw new RangeError(`a seed is ${SEED_BYTES} bytes, got ${seed.length}`)
    const same = this.#bySeedObject.get(seed)
    if (same !== undefined && bytesEqual(same.seed, seed)) return same.key
    const seedHex = toHex(seed)
    const known = this.#keys.get(seedHex)
    if (known !== undefined) {
      this.#bySeedObject.set(seed, { seed: seed.slice(), key: known })
      return known
    }
    const key = publicKey === undefined ? publicKeyFromSeed(seed) : publicKey.slice()
    this.#keys.set(seedHex, key)
    this.#seeds.set(toHex(key), seed.slice())
    this.#bySeedObject.set(seed, { seed: seed.slice(), key })
    return key
  }

  sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
    const key = this.register(seed)
    const signature = mac(seed, message)
    if (message.length <= MEMO_MESSAGE_BYTES_MAX) this.#made.set(signature, { key, message: message.slice(), signature: signature.slice() })
    return signature
  }

  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    // The same shape checks as Ed25519's verification (ed25519.ts verifyWith).
    if (!(message instanceof Uint8Array)) return false
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) return false
    if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_BYTES) return false
    // The very signature object this scheme made: equal key, message and signature bytes
    // mean the recomputed MAC would be equal too (it is deterministic).
    const made = this.#made.get(signature)
    if (made !== undefined && bytesEqual(made.signature, signature) && bytesEqual(made.key, publicKey) && sameBytes(made.message, message)) return true
    const seed = this.#seeds.get(toHex(publicKey))
    if (seed === undefined) return false
    const expected = mac(seed, message)
    let diff = 0
    for (let i = 0; i < SIGNATURE_BYTES; i++) diff |= expected[i]! ^ signature[i]!
    return diff === 0
  }
}

/** Messages longer than this are compared natively: a JavaScript loop over a large
 * entry's signing bytes cost more than hashing them (the big-block-catch-up scenario,
 * payloads of tens of KB, ran slower than with Ed25519 before this). */
const JS_COMPARE_BYTES_MAX = 256
/** Signatures over longer messages are not remembered: each would keep a copy of its
 * message alive, and hashing a long message natively costs about what comparing it does. */
const MEMO_MESSAGE_BYTES_MAX = 4096

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  if (a.length <= JS_COMPARE_BYTES_MAX) return bytesEqual(a, b)
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
}

/** SHA-512 over the seed, the message's length and the message. The length after the key
 * rules out extension: a digest of k || len(m) || m extended with more bytes is the digest
 * of a longer message under the same length field, which the verifier, recomputing with
 * the longer length, never produces. (HMAC would do too, but Node's createHmac prepares a
 * key object on every call, which cost three times this hash in the simulator.) */
function mac(seed: Uint8Array, message: Uint8Array): Uint8Array {
  // One buffer and the one-shot hash, its digest as a 'binary' string copied out: the same
  // bytes as a Hash object fed the three parts, at about half the cost (the Hash object
  // and the Buffer digest were most of it; the copy of the message is cheap beside them).
  const input = new Uint8Array(seed.length + 4 + message.length)
  input.set(seed, 0)
  new DataView(input.buffer).setUint32(seed.length, message.length)
  input.set(message, seed.length + 4)
  const digest = hash('sha512', input, 'binary')
  const out = new Uint8Array(SIGNATURE_BYTES)
  for (let i = 0; i < SIGNATURE_BYTES; i++) out[i] = digest.charCodeAt(i)
  return out
}
