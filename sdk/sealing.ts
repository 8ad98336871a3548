// Sealing and opening payloads (docs/formats.md section 14) with the platform's Web
// Crypto: AES-256-GCM, a 12-byte random nonce, the 16-byte tag, no associated data.
// `globalThis.crypto.subtle` is there in Node 19+ and in every current browser (on
// secure origins: https or localhost), so sealing needs no dependency of its own.
import { bytesEqual } from '../src/codec/cbor.ts'
import { LIMITS } from '../src/limits.ts'
import { payloadJsonProblem } from '../src/log/payload-json.ts'
import { SEALED_AEAD, SEALED_KEY_BYTES, SEALED_NONCE_BYTES, SEALED_TAG_BYTES, sealedPayloadText, type SealSpec } from '../src/sealed/payload.ts'
import { blobCommitment, checkSidecar, keyCommitment, type Sidecar } from '../src/sealed/sidecar.ts'
import { InvalidEntryError, SealedOpenError } from './errors.ts'

export interface Sealed {
  /** The entry's payload: the commitments only. */
  readonly payload: string
  readonly spec: SealSpec
  /** The blob and the key (which only the writer holds unless it deposits it). */
  readonly blob: Uint8Array
  readonly key: Uint8Array
}

type Subtle = typeof globalThis.crypto.subtle
type AesKey = Awaited<ReturnType<Subtle['importKey']>>

function subtle(): Subtle {
  const s = globalThis.crypto?.subtle
  if (s === undefined) throw new Error('sealing needs Web Crypto (globalThis.crypto.subtle): Node 19+, or a browser page on https or localhost')
  return s
}

function aesKey(key: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<AesKey> {
  return subtle().importKey('raw', key as Uint8Array<ArrayBuffer>, { name: 'AES-GCM' }, false, [usage])
}

/** A fresh random 256-bit key. */
export function newSealingKey(): Uint8Array {
  const key = new Uint8Array(SEALED_KEY_BYTES)
  globalThis.crypto.getRandomValues(key)
  return key
}

/** Seals a payload JSON text (checked against the log's payload grammar first, so what
 * a reader opens is a payload like any other) under `key` (default: a fresh one). A key
 * may be reused across entries (a per-subject key): each blob has its own random nonce. */
export async function sealPayloadText(plaintext: string, key: Uint8Array = newSealingKey()): Promise<Sealed> {
  if (key.length !== SEALED_KEY_BYTES) throw new InvalidEntryError(`a sealing key is ${SEALED_KEY_BYTES} bytes, not ${key.length}`)
  const problem = payloadJsonProblem(plaintext)
  if (problem !== null) throw new InvalidEntryError(`the payload to seal is not a valid payload JSON text: ${problem}`)
  const bytes = new TextEncoder().encode(plaintext)
  if (bytes.length > LIMITS.sealedPlaintextBytesMax) throw new InvalidEntryError(`a sealed payload is at most ${LIMITS.sealedPlaintextBytesMax} bytes, this one ${bytes.length}`)
  const nonce = new Uint8Array(SEALED_NONCE_BYTES)
  globalThis.crypto.getRandomValues(nonce)
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: nonce, tagLength: 8 * SEALED_TAG_BYTES }, await aesKey(key, 'encrypt'), bytes))
  const blob = new Uint8Array(SEALED_NONCE_BYTES + sealed.length)
  blob.set(nonce, 0)
  blob.set(sealed, SEALED_NONCE_BYTES)
  const spec: SealSpec = { aead: SEALED_AEAD, commitment: blobCommitment(blob), keyCommitment: keyCommitment(key), size: bytes.length }
  return { payload: sealedPayloadText(spec), spec, blob, key: Uint8Array.from(key) }
}

/** Opens a sealed blob: checks blob and key against the entry's commitments, decrypts,
 * and checks the plaintext's length and grammar. Throws SealedOpenError with a code. */
export async function openSealed(spec: SealSpec, sidecar: Sidecar & { readonly key: Uint8Array }): Promise<string> {
  const problem = checkSidecar(spec, sidecar)
  if (problem !== null) throw new SealedOpenError(problem.code, problem.reason)
  let plain: Uint8Array
  try {
    const nonce = sidecar.blob.subarray(0, SEALED_NONCE_BYTES)
    const body = sidecar.blob.subarray(SEALED_NONCE_BYTES)
    plain = new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, tagLength: 8 * SEALED_TAG_BYTES }, await aesKey(sidecar.key, 'decrypt'), body as Uint8Array<ArrayBuffer>))
  } catch (err) {
    // Not reachable for a blob and key that match the commitments and were sealed by the
    // SDK; a writer that committed to a blob it did not seal with that key lands here.
    throw new SealedOpenError('decrypt-failed', `the blob does not decrypt under the committed key: ${(err as Error).message}`)
  }
  if (plain.length !== spec.size) throw new SealedOpenError('size-mismatch', `the plaintext has ${plain.length} bytes, the entry says ${spec.size}`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plain)
  } catch {
    throw new SealedOpenError('bad-plaintext', 'the plaintext is not UTF-8')
  }
  const grammar = payloadJsonProblem(text)
  if (grammar !== null) throw new SealedOpenError('bad-plaintext', `the plaintext is not a payload JSON text: ${grammar}`)
  return text
}

/** Whether `key` is the one the entry commits to (without the blob). */
export function keyMatches(spec: SealSpec, key: Uint8Array): boolean {
  return key.length === SEALED_KEY_BYTES && bytesEqual(keyCommitment(key), spec.keyCommitment)
}
