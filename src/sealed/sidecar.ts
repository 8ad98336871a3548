// The sidecar of a sealed entry (docs/formats.md section 14): the sealed blob
// (nonce || ciphertext || tag) and, optionally, its key, which nodes keep beside the
// chain and never inside an entry, block or Merkle leaf. The entry commits to both by
// hash, so a node (or a reader) checks a sidecar against the entry alone, and deleting
// the sidecar changes nothing that is signed.
import { bytesEqual, encodeCanonical } from '../codec/cbor.ts'
import { DOMAIN_TAG } from '../crypto/domain.ts'
import { sha256, toHex } from '../crypto/hash.ts'
import type { Hash } from '../log/entry-types.ts'
import { SEALED_KEY_BYTES, SEALED_NONCE_BYTES, SEALED_TAG_BYTES, type SealSpec } from './payload.ts'

/** Bytes a blob has beyond its plaintext: the nonce and the tag. */
export const SEALED_OVERHEAD_BYTES = SEALED_NONCE_BYTES + SEALED_TAG_BYTES

/** H(CBOR(["synod/v1", "sealed-blob", blob])): what a sealed entry's `commitment` is. */
export function blobCommitment(blob: Uint8Array): Hash {
  return sha256(encodeCanonical([DOMAIN_TAG, 'sealed-blob', blob]))
}

/** H(CBOR(["synod/v1", "sealed-key", key])): what a sealed entry's `keyCommitment` is. */
export function keyCommitment(key: Uint8Array): Hash {
  return sha256(encodeCanonical([DOMAIN_TAG, 'sealed-key', key]))
}

/** A sidecar as a node keeps and serves it. `key` is null when the writer kept the key
 * to itself (readers then get it from the writer, not from the nodes). */
export interface Sidecar {
  readonly blob: Uint8Array
  readonly key: Uint8Array | null
}

/** What a node holds of a sealed entry's sidecar. */
export type SidecarLookup =
  | { readonly status: 'stored', readonly sidecar: Sidecar }
  /** The entry is erased: the sidecar is deleted and never stored again. `erase` is the
   * erase entry's id, or null when its namespace's retention erased it at `expiredAt`. */
  | { readonly status: 'erased', readonly erase: Hash, readonly expiredAt: null }
  | { readonly status: 'erased', readonly erase: null, readonly expiredAt: number }
  /** Never uploaded to this node (or the entry is not a committed sealed entry). */
  | { readonly status: 'missing' }

export type SidecarProblemCode = 'blob-size' | 'blob-commitment' | 'key-size' | 'key-commitment'

export interface SidecarProblem {
  readonly code: SidecarProblemCode
  readonly reason: string
}

/** Null when the blob (and the key, if any) is the one the sealed entry commits to. */
export function checkSidecar(spec: SealSpec, sidecar: Sidecar): SidecarProblem | null {
  const blobBytes = spec.size + SEALED_OVERHEAD_BYTES
  if (sidecar.blob.length !== blobBytes) {
    return { code: 'blob-size', reason: `the blob has ${sidecar.blob.length} bytes; the entry seals ${spec.size} bytes, so its blob has ${blobBytes}` }
  }
  const got = blobCommitment(sidecar.blob)
  if (!bytesEqual(got, spec.commitment)) {
    return { code: 'blob-commitment', reason: `the blob's commitment is ${toHex(got)}, the entry's ${toHex(spec.commitment)}` }
  }
  if (sidecar.key !== null) {
    if (sidecar.key.length !== SEALED_KEY_BYTES) return { code: 'key-size', reason: `the key has ${sidecar.key.length} bytes, not ${SEALED_KEY_BYTES}` }
    const k = keyCommitment(sidecar.key)
    if (!bytesEqual(k, spec.keyCommitment)) return { code: 'key-commitment', reason: `the key's commitment is ${toHex(k)}, the entry's ${toHex(spec.keyCommitment)}` }
  }
  return null
}

/** The stored form of a sidecar: CBOR({ blob: bytes, key: bytes or null }). */
export function encodeSidecar(sidecar: Sidecar): Uint8Array {
  return encodeCanonical({ blob: sidecar.blob, key: sidecar.key })
}

export function sidecarFromCbor(value: unknown): Sidecar {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('a sidecar is a map { blob, key }')
  const blob = Object.hasOwn(value, 'blob') ? (value as { blob: unknown }).blob : undefined
  const key = Object.hasOwn(value, 'key') ? (value as { key: unknown }).key : undefined
  if (Object.keys(value).length !== 2 || !(blob instanceof Uint8Array) || !(key === null || key instanceof Uint8Array)) {
    throw new TypeError('a sidecar is exactly { blob: bytes, key: bytes or null }')
  }
  return { blob, key }
}
