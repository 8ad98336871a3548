// The reserved payload shapes of sealed entries and erasures (docs/formats.md section 14).
// Like decisions (section 12), both are ordinary entries: nothing in the entry's
// encoding, signature, id, the block rule or the receipt changes. A sealed entry's
// payload holds only a commitment to an encrypted blob that nodes keep beside the chain
// (the sidecar, sidecar.ts); an erase entry names a sealed entry by its one ref, and
// committing it makes every honest node delete that sidecar (erasure.ts). The shapes are
// read from the parsed payload value, so whitespace, member order and escapes do not
// matter; a payload that claims a reserved value and breaks its shape is malformed.
import { LIMITS } from '../limits.ts'
import type { Entry, Hash } from '../log/entry-types.ts'
import { ownMember as member, RESERVED_MEMBER, reservedPayload, unknownMember } from '../codec/json-members.ts'

/** The one AEAD a sealed entry may name: AES-256-GCM (NIST SP 800-38D), 12-byte nonce,
 * 16-byte tag, no associated data. Available in Node's crypto and in every browser's
 * WebCrypto, so the SDK seals and opens with no extra dependency. */
export const SEALED_AEAD = 'aes-256-gcm'
export const SEALED_NONCE_BYTES = 12
export const SEALED_TAG_BYTES = 16
export const SEALED_KEY_BYTES = 32

/** What a sealed entry commits to. */
export interface SealSpec {
  readonly aead: typeof SEALED_AEAD
  /** H(CBOR(["synod/v1", "sealed-blob", blob])), blob = nonce || ciphertext || tag. */
  readonly commitment: Hash
  /** H(CBOR(["synod/v1", "sealed-key", key])): binds the key, so that one plaintext only
   * can be read from the entry (AES-GCM alone is not key-committing). */
  readonly keyCommitment: Hash
  /** The plaintext's length in bytes (the blob is 28 bytes longer). */
  readonly size: number
}

/** How an entry reads under section 14. `malformed` claims a reserved value ("synod":
 * "sealed" or "erase") but breaks its shape: it is neither, and an audit reports it. */
export type SealedPayload =
  | { readonly type: 'none' }
  | { readonly type: 'sealed', readonly spec: SealSpec }
  | { readonly type: 'erase', readonly target: Hash }
  | { readonly type: 'malformed', readonly reserved: string, readonly problem: string }

const SEALED_MEMBERS = new Set([RESERVED_MEMBER, 'aead', 'commitment', 'keyCommitment', 'size'])
const ERASE_MEMBERS = new Set([RESERVED_MEMBER, 'reason'])
const HASH_HEX = /^[0-9a-f]{64}$/
const NONE: SealedPayload = { type: 'none' }


function hashFromHex(hex: string): Hash {
  const out = new Uint8Array(32)
  for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

function readSpec(payload: { readonly [key: string]: unknown }): SealSpec | string {
  const extra = unknownMember(payload, SEALED_MEMBERS)
  if (extra !== null) return `unknown member ${JSON.stringify(extra.slice(0, 40))}`
  const aead = member(payload, 'aead')
  if (aead !== SEALED_AEAD) return `"aead" must be "${SEALED_AEAD}"`
  const commitment = member(payload, 'commitment')
  if (typeof commitment !== 'string' || !HASH_HEX.test(commitment)) return '"commitment" must be 64 lower-case hex characters'
  const keyCommitment = member(payload, 'keyCommitment')
  if (typeof keyCommitment !== 'string' || !HASH_HEX.test(keyCommitment)) return '"keyCommitment" must be 64 lower-case hex characters'
  const size = member(payload, 'size')
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > LIMITS.sealedPlaintextBytesMax) {
    return `"size" must be an integer from 0 to ${LIMITS.sealedPlaintextBytesMax}`
  }
  return { aead: SEALED_AEAD, commitment: hashFromHex(commitment), keyCommitment: hashFromHex(keyCommitment), size }
}

function readErase(payload: { readonly [key: string]: unknown }, refs: readonly Hash[]): Hash | string {
  const extra = unknownMember(payload, ERASE_MEMBERS)
  if (extra !== null) return `unknown member ${JSON.stringify(extra.slice(0, 40))}`
  if (refs.length !== 1) return `an erase has exactly one ref, the sealed entry's id; this entry has ${refs.length}`
  return refs[0]!
}

/** Reads an entry as a sealed entry, an erase or neither. Total: never throws. */
export function readSealedPayload(entry: Pick<Entry, 'payload' | 'refs'>): SealedPayload {
  const read = reservedPayload(entry.payload)
  if (read === null) return NONE
  const { object: value, reserved } = read
  if (reserved === 'sealed') {
    const spec = readSpec(value)
    return typeof spec === 'string' ? { type: 'malformed', reserved, problem: spec } : { type: 'sealed', spec }
  }
  if (reserved === 'erase') {
    const target = readErase(value, entry.refs)
    return typeof target === 'string' ? { type: 'malformed', reserved, problem: target } : { type: 'erase', target }
  }
  return NONE
}

function hex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += b.toString(16).padStart(2, '0')
  return out
}

/** The payload of a sealed entry, as the SDK writes it. */
export function sealedPayloadText(spec: SealSpec): string {
  if (!Number.isSafeInteger(spec.size) || spec.size < 0 || spec.size > LIMITS.sealedPlaintextBytesMax) {
    throw new RangeError(`a sealed plaintext of ${spec.size} bytes is not within 0..${LIMITS.sealedPlaintextBytesMax}`)
  }
  return JSON.stringify({ synod: 'sealed', aead: spec.aead, commitment: hex(spec.commitment), keyCommitment: hex(spec.keyCommitment), size: spec.size })
}

/** The payload of an erase; its entry carries the sealed entry's id as its one ref. The
 * reason is public and stays in the log: it must not repeat what is erased. */
export function erasePayloadText(reason?: string): string {
  return JSON.stringify(reason === undefined ? { synod: 'erase' } : { synod: 'erase', reason })
}
