// The canonical encodings of an entry, and of the message its agent signs, written
// directly instead of through the generic encoder (src/codec/cbor.ts): byte for byte the
// same (a property test compares them), without the generic encoder's intermediate
// tokens and map-key sorting. Every entry is encoded at least twice on its way through a
// node (its id, its signature check), and a node catching up handles thousands a second.
//
// Only the usual shape is written here: text fields that are well-formed strings, a seq
// that is a safe non-negative integer, byte fields that are Uint8Arrays. For anything
// else the functions answer null and the caller uses the generic encoder, which encodes
// or refuses it as it always did.
import { DOMAIN_TAG } from '../crypto/domain.ts'
import type { Entry, EntryBody } from './entry-types.ts'
import { writeUint64BE } from '../codec/big-endian.ts'

const utf8 = new TextEncoder()

const MAJOR_UINT = 0
const MAJOR_BYTES = 2
const MAJOR_TEXT = 3
const MAJOR_ARRAY = 4
const MAJOR_MAP = 5

/** Bytes of an item head (shortest form) carrying `n`. */
function headLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9
}

/** Writes an item head (shortest form); returns the position after it. */
function writeHead(out: Uint8Array, pos: number, major: number, n: number): number {
  const m = major << 5
  if (n < 24) {
    out[pos] = m | n
    return pos + 1
  }
  if (n < 0x100) {
    out[pos] = m | 24
    out[pos + 1] = n
    return pos + 2
  }
  if (n < 0x10000) {
    out[pos] = m | 25
    out[pos + 1] = n >>> 8
    out[pos + 2] = n & 0xff
    return pos + 3
  }
  if (n < 0x100000000) {
    out[pos] = m | 26
    out[pos + 1] = n >>> 24
    out[pos + 2] = (n >>> 16) & 0xff
    out[pos + 3] = (n >>> 8) & 0xff
    out[pos + 4] = n & 0xff
    return pos + 5
  }
  out[pos] = m | 27
  writeUint64BE(out, pos + 1, n)
  return pos + 9
}

function writeBytes(out: Uint8Array, pos: number, major: number, bytes: Uint8Array): number {
  const at = writeHead(out, pos, major, bytes.length)
  out.set(bytes, at)
  return at + bytes.length
}

/** A map key or fixed text, encoded once. */
function encodedText(text: string): Uint8Array {
  const bytes = utf8.encode(text)
  const out = new Uint8Array(headLength(bytes.length) + bytes.length)
  writeBytes(out, 0, MAJOR_TEXT, bytes)
  return out
}

// Map keys in canonical order: by length, then bytewise (RFC 8949 section 4.2.1 orders
// keys by their encodings, whose first byte holds the length).
const KEY = encodedText('key')
const SEQ = encodedText('seq')
const SIG = encodedText('sig')
const REFS = encodedText('refs')
const AGENT = encodedText('agent')
const PAYLOAD = encodedText('payload')
const NAMESPACE = encodedText('namespace')
/** The start of every entry signing message: ["synod/v1", "entry", ... */
const SIGNING_PREFIX = (() => {
  const tag = encodedText(DOMAIN_TAG)
  const kind = encodedText('entry')
  const out = new Uint8Array(1 + tag.length + kind.length)
  out[0] = (MAJOR_ARRAY << 5) | 4
  out.set(tag, 1)
  out.set(kind, 1 + tag.length)
  return out
})()

interface BodyParts {
  readonly namespace: Uint8Array
  readonly payload: Uint8Array
  readonly key: Uint8Array
  readonly length: number
}

/** The body's text fields as UTF-8 and the length of its map's pairs, or null when a
 * field is outside the usual shape. */
function bodyParts(body: EntryBody): BodyParts | null {
  const { agent, namespace, seq, payload, refs, idempotencyKey } = body
  if (!(agent instanceof Uint8Array) || !Number.isSafeInteger(seq) || seq < 0 || !Array.isArray(refs)) return null
  if (typeof namespace !== 'string' || typeof payload !== 'string' || typeof idempotencyKey !== 'string') return null
  if (!namespace.isWellFormed() || !payload.isWellFormed() || !idempotencyKey.isWellFormed()) return null
  let refsLength = headLength(refs.length)
  for (const ref of refs) {
    if (!(ref instanceof Uint8Array)) return null
    refsLength += headLength(ref.length) + ref.length
  }
  const ns = utf8.encode(namespace)
  const text = utf8.encode(payload)
  const key = utf8.encode(idempotencyKey)
  const length = KEY.length + headLength(key.length) + key.length
    + SEQ.length + headLength(seq)
    + REFS.length + refsLength
    + AGENT.length + headLength(agent.length) + agent.length
    + PAYLOAD.length + headLength(text.length) + text.length
    + NAMESPACE.length + headLength(ns.length) + ns.length
  return { namespace: ns, payload: text, key, length }
}

/** Writes the body's pairs, with the signature's after seq when given (canonical order). */
function writeBody(out: Uint8Array, pos: number, body: EntryBody, parts: BodyParts, sig: Uint8Array | null): number {
  out.set(KEY, pos)
  pos = writeBytes(out, pos + KEY.length, MAJOR_TEXT, parts.key)
  out.set(SEQ, pos)
  pos = writeHead(out, pos + SEQ.length, MAJOR_UINT, body.seq)
  if (sig !== null) {
    out.set(SIG, pos)
    pos = writeBytes(out, pos + SIG.length, MAJOR_BYTES, sig)
  }
  out.set(REFS, pos)
  pos = writeHead(out, pos + REFS.length, MAJOR_ARRAY, body.refs.length)
  for (const ref of body.refs) pos = writeBytes(out, pos, MAJOR_BYTES, ref)
  out.set(AGENT, pos)
  pos = writeBytes(out, pos + AGENT.length, MAJOR_BYTES, body.agent)
  out.set(PAYLOAD, pos)
  pos = writeBytes(out, pos + PAYLOAD.length, MAJOR_TEXT, parts.payload)
  out.set(NAMESPACE, pos)
  return writeBytes(out, pos + NAMESPACE.length, MAJOR_TEXT, parts.namespace)
}

/** encodeCanonical(entryToCbor(entry)), or null when the generic encoder must do it. */
export function directEntryEncoding(entry: Entry): Uint8Array | null {
  const parts = bodyParts(entry)
  if (parts === null || !(entry.sig instanceof Uint8Array)) return null
  const length = 1 + parts.length + SIG.length + headLength(entry.sig.length) + entry.sig.length
  const out = new Uint8Array(length)
  out[0] = (MAJOR_MAP << 5) | 7
  writeBody(out, 1, entry, parts, entry.sig)
  return out
}

/** domainMessage('entry', chainId, body), or null when the generic encoder must do it. */
export function directEntrySigningMessage(body: EntryBody, chainId: string): Uint8Array | null {
  const parts = bodyParts(body)
  if (parts === null || typeof chainId !== 'string' || !chainId.isWellFormed()) return null
  const chain = utf8.encode(chainId)
  const out = new Uint8Array(SIGNING_PREFIX.length + headLength(chain.length) + chain.length + 1 + parts.length)
  out.set(SIGNING_PREFIX, 0)
  let pos = writeBytes(out, SIGNING_PREFIX.length, MAJOR_TEXT, chain)
  out[pos++] = (MAJOR_MAP << 5) | 6
  writeBody(out, pos, body, parts, null)
  return out
}
