// C2SP signed notes (c2sp.org/signed-note): a UTF-8 text ending in a newline, a blank
// line, then one or more signature lines "— <key name> base64(key ID || signature)".
// Synod's checkpoints (checkpoint-note.ts) and witness cosignatures (cosignature.ts)
// are notes, so that any signed-note verifier can check them with public keys alone.
//
// Parsing is strict (a malformed note is refused, never repaired): valid UTF-8, no
// control character but newline, the text ends in a newline, at least one signature
// line, key names non-empty without Unicode spaces or '+', canonical base64 of at least
// 5 bytes. Verification follows the spec: signatures from unknown keys are ignored, a
// known key's signature that fails makes the whole note invalid, and so does a known
// key that signs twice (as golang.org/x/mod/sumdb/note does).
import { fromBase64, toBase64 } from '../codec/base64.ts'
import { CodecError } from '../codec/errors.ts'
import { verifySignature, PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../crypto/ed25519.ts'
import { sha256, toHex } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'

/** Signature type bytes of signed-note section "Signature types" that Synod uses. */
export const NOTE_SIG_ED25519 = 0x01
export const NOTE_SIG_COSIGNATURE_V1 = 0x04

const EM_DASH_PREFIX = '\u2014 '
const utf8Encoder = new TextEncoder()
// ignoreBOM: a leading U+FEFF is part of the text (and signed), not to be dropped.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** One signature line, decoded. `keyId` is the big-endian uint32 of the first 4 bytes. */
export interface NoteSignature {
  readonly name: string
  readonly keyId: number
  readonly signature: Uint8Array
}

export interface Note {
  /** The signed text: every byte before the separating blank line, final newline included. */
  readonly text: string
  readonly signatures: readonly NoteSignature[]
}

/** A key a verifier trusts: its name, key ID and how to check its signature over a text. */
export interface NoteVerifier {
  readonly name: string
  readonly keyId: number
  verify(text: Uint8Array, signature: Uint8Array): boolean
}

/** Unicode White_Space (Go's unicode.IsSpace, which x/mod's note uses for key names). */
// Stryker disable next-line Regex: its mutant of \v, \V, is no escape under the u flag, so the module would not load at all
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u

export function isKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !UNICODE_SPACE.test(name) && !name.includes('+') && !hasControl(name)
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 && c !== 0x0a) return true
  }
  return false
}

/** key ID = SHA-256(name || 0x0A || type || public key)[:4], as a big-endian uint32. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  if (!isKeyName(name)) throw new RangeError(`'${name}' is not a note key name`)
  const nameBytes = utf8Encoder.encode(name)
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length)
  input.set(nameBytes)
  input[nameBytes.length] = 0x0a
  input[nameBytes.length + 1] = type
  input.set(publicKey, nameBytes.length + 2)
  const h = sha256(input)
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0
}

/** An Ed25519 note key (type 0x01): signatures are Ed25519 over the note text itself,
 * checked with Synod's one verification rule (docs/formats.md section 2). */
export function ed25519NoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError(`an Ed25519 public key is ${PUBLIC_KEY_BYTES} bytes`)
  const key = new Uint8Array(publicKey)
  return {
    name,
    keyId: noteKeyId(name, NOTE_SIG_ED25519, key),
    verify: (text, signature) => signature.length === SIGNATURE_BYTES && verifySignature(key, text, signature),
  }
}

/** The verifier key string "<name>+<hex key ID>+base64(type || public key)". */
export function formatVerifierKey(name: string, type: number, publicKey: Uint8Array): string {
  const material = new Uint8Array(1 + publicKey.length)
  material[0] = type
  material.set(publicKey, 1)
  return `${name}+${noteKeyId(name, type, publicKey).toString(16).padStart(8, '0')}+${toBase64(material)}`
}

/** Parses a verifier key; throws CodecError unless its key ID matches its name and key. */
export function parseVerifierKey(vkey: string): { name: string, keyId: number, type: number, publicKey: Uint8Array } {
  // Split at the first two '+' only: the name and the hex ID have none, but the base64
  // key may (its alphabet has '+'), as golang.org/x/mod/sumdb/note's parser allows.
  const first = vkey.indexOf('+')
  const second = first < 0 ? -1 : vkey.indexOf('+', first + 1)
  if (second < 0) throw new CodecError('a verifier key is <name>+<key id>+<key>')
  const name = vkey.slice(0, first)
  const idHex = vkey.slice(first + 1, second)
  const keyB64 = vkey.slice(second + 1)
  if (!isKeyName(name)) throw new CodecError(`'${name}' is not a note key name`)
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw new CodecError('a verifier key ID is 8 lower-case hex digits')
  const material = fromBase64(keyB64)
  if (material.length < 2) throw new CodecError('a verifier key has a type byte and a key')
  const type = material[0]!
  const publicKey = material.slice(1)
  const keyId = parseInt(idHex, 16)
  if (noteKeyId(name, type, publicKey) !== keyId) throw new CodecError('the verifier key ID does not match its name and key')
  return { name, keyId, type, publicKey }
}

/** One signature line, with its newline. */
export function formatSignatureLine(sig: NoteSignature): string {
  if (!isKeyName(sig.name)) throw new RangeError(`'${sig.name}' is not a note key name`)
  const blob = new Uint8Array(4 + sig.signature.length)
  new DataView(blob.buffer).setUint32(0, sig.keyId >>> 0)
  blob.set(sig.signature, 4)
  return `${EM_DASH_PREFIX}${sig.name} ${toBase64(blob)}\n`
}

/** The signed note: text, blank line, signature lines in the order given. */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  checkText(text)
  if (signatures.length === 0) throw new RangeError('a signed note has at least one signature')
  return `${text}\n${signatures.map(formatSignatureLine).join('')}`
}

/** Decodes one signature line (without its newline). */
export function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(EM_DASH_PREFIX)) throw new CodecError('a signature line starts with an em dash and a space')
  const rest = line.slice(EM_DASH_PREFIX.length)
  const space = rest.indexOf(' ')
  if (space < 0) throw new CodecError('a signature line is "— <name> <signature>"')
  const name = rest.slice(0, space)
  if (!isKeyName(name)) throw new CodecError(`'${name}' is not a note key name`)
  const blob = fromBase64(rest.slice(space + 1))
  if (blob.length < 5) throw new CodecError('a note signature has a 4-byte key ID and at least one byte')
  const keyId = new DataView(blob.buffer, blob.byteOffset).getUint32(0)
  return { name, keyId, signature: blob.slice(4) }
}

/** Parses a signed note strictly (see the header); throws CodecError. */
export function parseNote(input: string | Uint8Array): Note {
  if (typeof input !== 'string' && input.length > LIMITS.noteBytesMax) throw new CodecError(`a note is at most ${LIMITS.noteBytesMax} bytes`)
  let note: string
  try {
    note = typeof input === 'string' ? input : utf8Decoder.decode(input)
  } catch {
    throw new CodecError('a note is valid UTF-8')
  }
  if (utf8Encoder.encode(note).length > LIMITS.noteBytesMax) throw new CodecError(`a note is at most ${LIMITS.noteBytesMax} bytes`)
  if (note.isWellFormed?.() === false) throw new CodecError('a note is valid UTF-8 (no lone surrogates)')
  if (hasControl(note)) throw new CodecError('a note has no control character but newline')
  if (!note.endsWith('\n')) throw new CodecError('a note ends with a newline')
  const split = note.lastIndexOf('\n\n')
  if (split < 0) throw new CodecError('a note has a blank line before its signatures')
  const text = note.slice(0, split + 1)
  const lines = note.slice(split + 2, -1).split('\n')
  if (lines.length > LIMITS.noteSignaturesMax) throw new CodecError(`a note has at most ${LIMITS.noteSignaturesMax} signatures`)
  return { text, signatures: lines.map(parseSignatureLine) }
}

/** The result of opening a note: the text and the keys whose signatures verified. */
export interface OpenedNote {
  readonly text: string
  readonly verified: readonly NoteVerifier[]
}

/**
 * Opens a note with the keys the caller trusts. Throws CodecError when the note is
 * malformed; returns null when a known key's signature fails, a known key signs twice,
 * or fewer than `threshold` distinct known keys signed. Signatures of unknown keys
 * (matching the name or the key ID of a known key but not both) are ignored.
 */
export function openNote(input: string | Uint8Array | Note, verifiers: readonly NoteVerifier[], threshold: number): OpenedNote | null {
  if (!Number.isSafeInteger(threshold) || threshold < 1) throw new RangeError('a note threshold is at least 1')
  const note = typeof input === 'object' && !(input instanceof Uint8Array) ? input : parseNote(input)
  const textBytes = utf8Encoder.encode(note.text)
  const byKey = new Map<string, NoteVerifier>()
  for (const v of verifiers) byKey.set(`${v.keyId}/${v.name}`, v)
  const seen = new Set<string>()
  const verified: NoteVerifier[] = []
  for (const sig of note.signatures) {
    const id = `${sig.keyId}/${sig.name}`
    const v = byKey.get(id)
    if (v === undefined) continue
    if (seen.has(id)) return null
    seen.add(id)
    if (!v.verify(textBytes, sig.signature)) return null
    verified.push(v)
  }
  return verified.length >= threshold ? { text: note.text, verified } : null
}

function checkText(text: string): void {
  if (!text.endsWith('\n')) throw new RangeError('a note text ends with a newline')
  if (hasControl(text)) throw new RangeError('a note text has no control character but newline')
  if (text.includes('\n\n') || text.startsWith('\n')) {
    // Allowed by the spec, but Synod's own texts never have empty lines, and a text
    // whose last line is empty would not parse back.
    throw new RangeError('a Synod note text has no empty line')
  }
}

/** Hex of a key ID, for messages and vectors. */
export function keyIdHex(keyId: number): string {
  return toHex(Uint8Array.of(keyId >>> 24, (keyId >>> 16) & 0xff, (keyId >>> 8) & 0xff, keyId & 0xff))
}
