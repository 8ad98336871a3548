// Witness cosignatures (c2sp.org/tlog-cosignature, the Ed25519 "cosignature/v1" type)
// and the request a witness's add-checkpoint call takes (c2sp.org/tlog-witness). A
// witness checks that a checkpoint is consistent with the last one it saw of the log and
// signs
//   "cosignature/v1\n" "time <timestamp>\n" <checkpoint text>
// as a note signature line whose signature is u64be(timestamp) || Ed25519 signature and
// whose key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4].
import { fromBase64, toBase64 } from '../codec/base64.ts'
import { CodecError } from '../codec/errors.ts'
import { signMessage, publicKeyFromSeed, verifySignature, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../crypto/ed25519.ts'
import { HASH_BYTES } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'
import { NOTE_SIG_COSIGNATURE_V1, noteKeyId, parseNote, parseSignatureLine, type NoteSignature, type NoteVerifier } from './note.ts'

export const COSIGNATURE_BYTES = 8 + SIGNATURE_BYTES
/** tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1. */
const TIMESTAMP_MAX = (1n << 63n) - 1n
const utf8 = new TextEncoder()

/** The message a cosignature/v1 signs. `timestamp` is POSIX seconds. */
export function cosignatureMessage(timestamp: bigint, checkpointText: string): Uint8Array {
  checkTimestamp(timestamp)
  if (!checkpointText.endsWith('\n')) throw new RangeError('a checkpoint text ends with a newline')
  return utf8.encode(`cosignature/v1\ntime ${timestamp.toString()}\n${checkpointText}`)
}

/** A witness's cosignature line over a checkpoint text (for tests, vectors and tools). */
export function cosign(seed: Uint8Array, name: string, timestamp: bigint, checkpointText: string): NoteSignature {
  const signature = new Uint8Array(COSIGNATURE_BYTES)
  new DataView(signature.buffer).setBigUint64(0, timestamp)
  signature.set(signMessage(seed, cosignatureMessage(timestamp, checkpointText)), 8)
  return { name, keyId: noteKeyId(name, NOTE_SIG_COSIGNATURE_V1, publicKeyFromSeed(seed)), signature }
}

/** The timestamp of a cosignature's signature bytes (null when not 72 bytes or too large). */
export function cosignatureTimestamp(signature: Uint8Array): bigint | null {
  if (signature.length !== COSIGNATURE_BYTES) return null
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0)
  return t > TIMESTAMP_MAX ? null : t
}

/** A witness key (type 0x04). Its verify() takes the checkpoint text, as openNote gives. */
export function cosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError(`an Ed25519 public key is ${PUBLIC_KEY_BYTES} bytes`)
  const key = new Uint8Array(publicKey)
  return {
    name,
    keyId: noteKeyId(name, NOTE_SIG_COSIGNATURE_V1, key),
    verify: (text, signature) => {
      const t = cosignatureTimestamp(signature)
      if (t === null) return false
      const message = cosignatureMessage(t, new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(text))
      return verifySignature(key, message, signature.subarray(8))
    },
  }
}

/** Parses a witness's add-checkpoint answer (or a list posted to Synod): one or more
 * signature lines, each ending in a newline. Throws CodecError. */
export function parseSignatureLines(body: string): NoteSignature[] {
  if (body.length === 0 || !body.endsWith('\n')) throw new CodecError('signature lines end with a newline')
  const lines = body.slice(0, -1).split('\n')
  if (lines.length > LIMITS.cosignaturesPerCheckpointMax) throw new CodecError(`at most ${LIMITS.cosignaturesPerCheckpointMax} signature lines`)
  return lines.map(parseSignatureLine)
}

export interface AddCheckpointRequest {
  readonly oldSize: number
  readonly proof: readonly Uint8Array[]
  /** The signed checkpoint note. */
  readonly checkpoint: string
}

/** The body of POST <witness>/add-checkpoint: "old <size>", proof lines, a blank line, the checkpoint. */
export function formatAddCheckpoint(r: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(r.oldSize) || r.oldSize < 0) throw new RangeError('old size is a non-negative integer')
  if (r.proof.length > 63) throw new RangeError('a witness takes at most 63 proof lines')
  if (r.oldSize === 0 && r.proof.length > 0) throw new RangeError('from size 0 the proof is empty')
  parseNote(r.checkpoint)
  return `old ${r.oldSize}\n${r.proof.map((h) => `${toBase64(h)}\n`).join('')}\n${r.checkpoint}`
}

/** Parses an add-checkpoint body strictly, as a witness reads it; throws CodecError. */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const blank = body.indexOf('\n\n')
  if (blank < 0) throw new CodecError('an add-checkpoint body has a blank line before the checkpoint')
  const [first, ...proofLines] = body.slice(0, blank).split('\n') as [string, ...string[]]
  const m = /^old (0|[1-9][0-9]*)$/.exec(first)
  if (m === null) throw new CodecError('the first line is "old <size>"')
  const oldSize = Number(m[1])
  if (!Number.isSafeInteger(oldSize)) throw new CodecError('old size is at most 2^53 - 1')
  if (proofLines.length > 63) throw new CodecError('at most 63 proof lines')
  const proof = proofLines.map((l) => {
    const h = fromBase64(l)
    if (h.length !== HASH_BYTES) throw new CodecError(`a proof line is a ${HASH_BYTES}-byte hash`)
    return h
  })
  if (oldSize === 0 && proof.length > 0) throw new CodecError('from size 0 the proof is empty')
  const checkpoint = body.slice(blank + 2)
  parseNote(checkpoint)
  return { oldSize, proof, checkpoint }
}

function checkTimestamp(t: bigint): void {
  if (typeof t !== 'bigint' || t < 0n || t > TIMESTAMP_MAX) throw new RangeError('a cosignature timestamp is 0..2^63-1')
}
