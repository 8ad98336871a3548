// Entry: one agent's signed decision. Its id is the SHA-256 of its canonical encoding
// (signature included), and the same bytes are the leaf of the log's Merkle tree.
import { decodeCanonical, encodeCanonical, type CborValue } from '../codec/cbor.ts'
import { readArray, readBytes, readMap, readText, readUint } from '../codec/schema.ts'
import { CodecError } from '../codec/errors.ts'
import { sha256 } from '../crypto/hash.ts'
import { domainMessage } from '../crypto/domain.ts'
import { PUBLIC_KEY_BYTES, SIGNATURE_BYTES } from '../crypto/ed25519.ts'
import { ED25519, type SignatureScheme } from '../crypto/signature-scheme.ts'
import { LIMITS } from '../limits.ts'
import { directEntryEncoding, directEntrySigningMessage } from './entry-encoding.ts'
import type { Entry, EntryBody, Hash } from './entry-types.ts'
import { leafHash } from './merkle.ts'
import { payloadJsonProblem } from './payload-json.ts'

export type { Entry, EntryBody, Hash } from './entry-types.ts'

const BODY_FIELDS = ['agent', 'namespace', 'seq', 'payload', 'refs', 'key'] as const
const ENTRY_FIELDS = [...BODY_FIELDS, 'sig'] as const
// docs/formats.md section 4; the byte bound (1 to 128) is checked by readText and this pattern.
const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/

/** Whether `text` is a namespace (docs/formats.md section 4): the grammar and the length bound. */
export function isNamespace(text: string): boolean {
  return NAMESPACE_PATTERN.test(text) && new TextEncoder().encode(text).length <= LIMITS.namespaceBytesMax
}

function bodyValue(body: EntryBody): { [key: string]: CborValue } {
  return {
    agent: body.agent,
    namespace: body.namespace,
    seq: body.seq,
    payload: body.payload,
    refs: body.refs as readonly Uint8Array[],
    key: body.idempotencyKey,
  }
}

export function entryToCbor(entry: Entry): CborValue {
  return { ...bodyValue(entry), sig: entry.sig }
}

/** Canonical encodings and ids of entry objects. An entry is an immutable value, and a
 * node needs its encoding many times over (its id, its leaf hash, each message and store
 * record that carries it: under load, re-encoding was ~7% of a validator's CPU), so each
 * object is encoded once. Weak keys: the cache lives exactly as long as the entries. The
 * bytes handed out are shared and must not be written to. */
const encodings = new WeakMap<Entry, Uint8Array>()
const ids = new WeakMap<Entry, Hash>()
const leaves = new WeakMap<Entry, Hash>()

export function encodeEntry(entry: Entry): Uint8Array {
  let bytes = encodings.get(entry)
  if (bytes === undefined) {
    bytes = directEntryEncoding(entry) ?? encodeCanonical(entryToCbor(entry))
    encodings.set(entry, bytes)
  }
  return bytes
}

/** Reads an entry from its decoded form, checking every field's type and bound. */
export function entryFromCbor(value: CborValue, payloadBytesMax: number = LIMITS.payloadBytesMax): Entry {
  const m = readMap(value, 'entry', ENTRY_FIELDS)
  const namespace = readText(m.namespace, 'entry.namespace', LIMITS.namespaceBytesMax)
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new CodecError(`entry.namespace: '${namespace}' is not a namespace: segments of [a-z0-9][a-z0-9._-]* (each starting with a lower-case letter or digit) separated by '/'`)
  }
  const payload = readText(m.payload, 'entry.payload', payloadBytesMax)
  checkJson(payload)
  return {
    agent: readBytes(m.agent, 'entry.agent', PUBLIC_KEY_BYTES),
    namespace,
    seq: readUint(m.seq, 'entry.seq'),
    payload,
    refs: readArray(m.refs, 'entry.refs', LIMITS.refsMax).map((r, i) => readBytes(r, `entry.refs[${i}]`, 32)),
    idempotencyKey: readText(m.key, 'entry.key', LIMITS.idempotencyKeyBytesMax),
    sig: readBytes(m.sig, 'entry.sig', SIGNATURE_BYTES),
  }
}

export function decodeEntry(bytes: Uint8Array, payloadBytesMax?: number): Entry {
  const entry = entryFromCbor(decodeCanonical(bytes), payloadBytesMax)
  // decodeCanonical accepts only the canonical form: these bytes are the entry's
  // encoding (copied: the caller's buffer may be reused).
  encodings.set(entry, new Uint8Array(bytes))
  return entry
}

/** The payload grammar (payload-json.ts): RFC 8259 JSON text with unique member names,
 * no lone surrogate escapes and no number out of a double's range. Checked wherever an
 * entry is read or signed, so the consensus core, the auditor and the SDK accept exactly
 * the same payloads. */
function checkJson(payload: string): void {
  const problem = payloadJsonProblem(payload)
  if (problem !== null) throw new CodecError(`entry.payload: not a valid payload JSON text: ${problem}`)
}

/** The entry id: SHA-256 of the canonical encoding, signature included. */
export function entryId(entry: Entry): Hash {
  let id = ids.get(entry)
  if (id === undefined) {
    id = sha256(encodeEntry(entry))
    ids.set(entry, id)
  }
  return id
}

/** The entry's Merkle leaf hash (RFC 9162: SHA-256 of 0x00 and its encoding), kept with
 * the object like its id: checking a block's entries root, appending to the log and
 * storing the entry all need it. */
export function entryLeaf(entry: Entry): Hash {
  let leaf = leaves.get(entry)
  if (leaf === undefined) {
    leaf = leafHash(encodeEntry(entry))
    leaves.set(entry, leaf)
  }
  return leaf
}

/** Each entry object's signing message, by chain id: every replica and checker that
 * verifies an entry (in the simulator, receivers share the sender's object) needs the same
 * bytes, and building them (UTF-8 of the payload, the body's encoding) was ~5% of a
 * simulated run. Kept like the encodings above; the bytes are shared, never written to. */
const signingMessages = new WeakMap<Entry, { readonly chainId: string, readonly message: Uint8Array }>()

export function signEntry(body: EntryBody, chainId: string, seed: Uint8Array, scheme: SignatureScheme = ED25519): Entry {
  checkJson(body.payload)
  const message = entrySigningMessage(body, chainId)
  const entry: Entry = { ...body, sig: scheme.sign(seed, message) }
  // The entry's signing message is the body's (the signature is not part of it).
  signingMessages.set(entry, { chainId, message })
  return entry
}

/** The exact bytes the agent signs: domainMessage('entry', chainId, body). */
export function entrySigningMessage(entry: EntryBody, chainId: string): Uint8Array {
  return directEntrySigningMessage(entry, chainId) ?? domainMessage('entry', chainId, bodyValue(entry))
}

export function verifyEntrySignature(entry: Entry, chainId: string, scheme: SignatureScheme = ED25519): boolean {
  let known = signingMessages.get(entry)
  if (known === undefined || known.chainId !== chainId) {
    known = { chainId, message: entrySigningMessage(entry, chainId) }
    signingMessages.set(entry, known)
  }
  return scheme.verify(entry.agent, known.message, entry.sig)
}
