// Canonical encoding: deterministic CBOR (RFC 8949 section 4.2.1, "core deterministic
// encoding"), restricted to the value types Synod hashes and signs. Floats, tags,
// undefined, indefinite lengths and big integers are not part of the format, so that
// an auditor in another language has exactly one byte string to produce per value.
import { decode, encode, rfc8949EncodeOptions } from 'cborg'
import { CodecError } from './errors.ts'
import { LIMITS } from '../limits.ts'

/** The values that may appear in a hashed or signed structure. */
export type CborValue =
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | readonly CborValue[]
  | { readonly [key: string]: CborValue }

const decodeOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  useMaps: false,
  tags: [],
} as const

/** Encodes a value in its one canonical form. Throws CodecError for values outside the format. */
export function encodeCanonical(value: CborValue): Uint8Array {
  // One writer for the module: encoding is synchronous and never re-enters itself, so its
  // buffer is reused (and kept at the size of the largest value written lately).
  sharedWriter.reset()
  try {
    sharedWriter.value(value, 0)
    return sharedWriter.result()
  } finally {
    sharedWriter.release()
  }
}

/** The canonical encoding through cborg, the library's reading of RFC 8949 4.2.1: the
 * reference that `encodeCanonical`'s own writer is tested against, byte for byte. */
export function encodeCanonicalReference(value: CborValue): Uint8Array {
  checkValue(value, 0)
  try {
    return encode(value, rfc8949EncodeOptions)
  } catch (err) {
    throw new CodecError(`cannot encode: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * The canonical writer: one pass over the value that checks it (as `checkValue` does,
 * with the same errors) and writes it into one growing buffer. Everything signed and
 * hashed is encoded here, in the validators and the simulator alike, and cborg's general
 * encoder (tokens, then bytes, with its own sorting of every map) cost 17% of a
 * simulated run; this writer gives the same bytes (test/codec/cbor.test.ts compares the
 * two on generated values) for the value model alone.
 */
class CanonicalWriter {
  #buf = new Uint8Array(WRITER_BYTES_KEPT)
  #at = 0

  reset(): void {
    this.#at = 0
  }

  /** Drops a buffer grown for one large value, so that it is not held for ever. */
  release(): void {
    if (this.#buf.length > WRITER_BYTES_KEPT) this.#buf = new Uint8Array(WRITER_BYTES_KEPT)
  }

  result(): Uint8Array {
    return this.#buf.slice(0, this.#at)
  }

  value(value: unknown, depth: number): void {
    if (depth > LIMITS.cborDepthMax) throw new CodecError(`nesting deeper than ${LIMITS.cborDepthMax}`)
    switch (typeof value) {
      case 'number':
        if (!Number.isSafeInteger(value)) throw new CodecError(`number ${value} is not a safe integer`)
        // -0 is the integer 0 (as cborg writes it): the sign of a zero is not part of the model.
        if (value >= 0) this.#head(0, value)
        else this.#head(1, -1 - value)
        return
      case 'string':
        checkWellFormed(value)
        this.#text(value)
        return
      case 'boolean':
        this.#byte(value ? 0xf5 : 0xf4)
        return
      case 'object': {
        if (value === null) {
          this.#byte(0xf6)
          return
        }
        if (value instanceof Uint8Array) {
          this.#head(2, value.length)
          this.#ensure(value.length)
          this.#buf.set(value, this.#at)
          this.#at += value.length
          return
        }
        if (Array.isArray(value)) {
          this.#head(4, value.length)
          for (const item of value) this.value(item, depth + 1)
          return
        }
        const proto = Object.getPrototypeOf(value)
        if (proto !== Object.prototype && proto !== null) throw new CodecError('only plain objects can be encoded as maps')
        this.#map(value as Record<string, unknown>, depth)
        return
      }
      default:
        throw new CodecError(`a ${typeof value} cannot be encoded`)
    }
  }

  #map(map: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(map)
    this.#head(5, keys.length)
    if (keys.every(isAscii)) {
      // ASCII keys: UTF-8 length is the string's length and bytewise order is code unit
      // order, so the canonical order needs no encoding.
      keys.sort(asciiKeyOrder)
      for (const key of keys) {
        this.#text(key)
        this.value(map[key], depth + 1)
      }
      return
    }
    const encoded = keys.map((key) => {
      checkWellFormed(key)
      return { key, bytes: utf8.encode(key) }
    })
    encoded.sort((a, b) => (keyBefore(a.bytes, b.bytes) ? -1 : keyBefore(b.bytes, a.bytes) ? 1 : 0))
    for (const { key, bytes } of encoded) {
      this.#head(3, bytes.length)
      this.#ensure(bytes.length)
      this.#buf.set(bytes, this.#at)
      this.#at += bytes.length
      this.value(map[key], depth + 1)
    }
  }

  #text(text: string): void {
    // Short ASCII text (nearly every string signed: names, kinds, hex) is copied code unit
    // by code unit; anything else goes through the UTF-8 encoder.
    const n = text.length
    if (n < 64) {
      if (isAscii(text)) {
        this.#head(3, n)
        this.#ensure(n)
        const buf = this.#buf
        let at = this.#at
        for (let i = 0; i < n; i++) buf[at++] = text.charCodeAt(i)
        this.#at = at
        return
      }
    }
    const bytes = utf8.encode(text)
    this.#head(3, bytes.length)
    this.#ensure(bytes.length)
    this.#buf.set(bytes, this.#at)
    this.#at += bytes.length
  }

  /** The head of an item of major type `major` with argument `n` (0 <= n < 2^53), shortest form. */
  #head(major: number, n: number): void {
    this.#ensure(9)
    const buf = this.#buf
    const m = major << 5
    let at = this.#at
    if (n < 24) buf[at++] = m | n
    else if (n < 0x100) {
      buf[at++] = m | 24
      buf[at++] = n
    } else if (n < 0x10000) {
      buf[at++] = m | 25
      buf[at++] = n >>> 8
      buf[at++] = n & 0xff
    } else if (n < 0x100000000) {
      buf[at++] = m | 26
      buf[at++] = n >>> 24
      buf[at++] = (n >>> 16) & 0xff
      buf[at++] = (n >>> 8) & 0xff
      buf[at++] = n & 0xff
    } else {
      const high = Math.floor(n / 0x100000000)
      const low = n >>> 0
      buf[at++] = m | 27
      buf[at++] = high >>> 24
      buf[at++] = (high >>> 16) & 0xff
      buf[at++] = (high >>> 8) & 0xff
      buf[at++] = high & 0xff
      buf[at++] = low >>> 24
      buf[at++] = (low >>> 16) & 0xff
      buf[at++] = (low >>> 8) & 0xff
      buf[at++] = low & 0xff
    }
    this.#at = at
  }

  #byte(b: number): void {
    this.#ensure(1)
    this.#buf[this.#at++] = b
  }

  #ensure(extra: number): void {
    const need = this.#at + extra
    if (need <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < need) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.#buf.subarray(0, this.#at))
    this.#buf = grown
  }
}

/**
 * Decodes bytes that must be the canonical encoding of one value, and nothing more.
 * Non-canonical forms, duplicate keys, trailing bytes, floats, tags and oversized input
 * are all rejected with CodecError.
 */
export function decodeCanonical(bytes: Uint8Array, maxBytes: number = LIMITS.messageBytesMax): CborValue {
  if (!(bytes instanceof Uint8Array)) throw new CodecError('input is not a byte array')
  if (bytes.length === 0) throw new CodecError('input is empty')
  if (bytes.length > maxBytes) throw new CodecError(`input is ${bytes.length} bytes, over the limit of ${maxBytes}`)
  scanStructure(bytes)
  let value: CborValue
  try {
    value = decode(bytes, decodeOptions) as CborValue
  } catch (err) {
    throw new CodecError(`malformed CBOR: ${(err as Error).message}`, { cause: err })
  }
  checkValue(value, 0)
  return value
}

function checkValue(value: unknown, depth: number): void {
  if (depth > LIMITS.cborDepthMax) throw new CodecError(`nesting deeper than ${LIMITS.cborDepthMax}`)
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) throw new CodecError(`number ${value} is not a safe integer`)
      return
    case 'string':
      checkWellFormed(value)
      return
    case 'boolean':
      return
    case 'object': {
      if (value === null || value instanceof Uint8Array) return
      if (Array.isArray(value)) {
        for (const item of value) checkValue(item, depth + 1)
        return
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) throw new CodecError('only plain objects can be encoded as maps')
      for (const key of Object.keys(value)) {
        checkWellFormed(key)
        checkValue((value as Record<string, unknown>)[key], depth + 1)
      }
      return
    }
    default:
      throw new CodecError(`a ${typeof value} cannot be encoded`)
  }
}

/** The writer's buffer between values: larger values grow it for their own encoding only. */
const WRITER_BYTES_KEPT = 64 * 1024

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false
  return true
}

/** Canonical order of ASCII keys: shorter first, then by code unit (= byte). */
function asciiKeyOrder(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

/** A lone surrogate has no UTF-8 form: the encoder would write U+FFFD, so two different
 * strings (or map keys) would share one encoding. */
function checkWellFormed(text: string): void {
  if (!text.isWellFormed()) throw new CodecError('string is not well-formed Unicode (lone surrogate)')
}

const utf8 = new TextEncoder()

/** Whether text key `a` comes before `b` in canonical order: the order of their
 * encodings, which is by UTF-8 length first (the length is in the head), then bytewise. */
function keyBefore(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return a.length < b.length
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!
  return false
}

/** The head of a definite-length item of major type `major` carrying `n` (shortest form). */
function itemHead(major: number, n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n >= 2 ** 32) throw new CodecError(`a length of ${n} cannot be encoded here`)
  const m = major << 5
  if (n < 24) return Uint8Array.of(m | n)
  if (n < 0x100) return Uint8Array.of(m | 24, n)
  if (n < 0x10000) return Uint8Array.of(m | 25, n >>> 8, n & 0xff)
  return Uint8Array.of(m | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff)
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/**
 * The canonical encoding of `map` with one more pair, whose value is given already
 * encoded (canonically): for large values encoded once and reused, such as the entries
 * of a block, or the blocks of a message. `key` must come after every key of `map` in
 * canonical order (checked), so the pair goes last; `map` has fewer than 23 pairs.
 */
export function encodeCanonicalMapWith(map: { readonly [key: string]: CborValue }, key: string, encodedValue: Uint8Array): Uint8Array {
  checkWellFormed(key)
  const keyBytes = utf8.encode(key)
  const keys = Object.keys(map)
  if (keys.length >= 23) throw new CodecError('encodeCanonicalMapWith takes maps of fewer than 23 pairs')
  for (const k of keys) {
    if (!keyBefore(utf8.encode(k), keyBytes)) throw new CodecError(`map key '${k}' does not come before '${key}' in canonical order`)
  }
  const head = encodeCanonical(map)
  // The map's head is its first byte (fewer than 24 pairs): one more pair.
  const start = Uint8Array.of(0xa0 | (keys.length + 1))
  return concatBytes([start, head.subarray(1), itemHead(3, keyBytes.length), keyBytes, encodedValue])
}

/** The canonical encoding of an array whose items are given already encoded (canonically). */
export function encodeCanonicalArrayOf(encodedItems: readonly Uint8Array[]): Uint8Array {
  return concatBytes([itemHead(4, encodedItems.length), ...encodedItems])
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Smallest argument that needs 1, 2, 4 or 8 extra bytes: anything below is not shortest form. */
const SHORTEST_MIN = [24, 0x100, 0x10000, 0x100000000]
const SIMPLE_FALSE = 20
const SIMPLE_NULL = 22
const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

interface OpenContainer {
  /** Items of this container still to read (a map counts keys and values). */
  items: number
  readonly isMap: boolean
  /** Byte range of the previous key in this map, for the order check. */
  lastKeyStart: number
  lastKeyEnd: number
}

/**
 * Checks, in one pass over the item headers and before the real decoder runs, that the
 * input is in canonical form (RFC 8949 section 4.2.1) within Synod's value model:
 * shortest-form arguments, definite lengths, no tags, no floats or simple values other
 * than false/true/null, well-formed UTF-8 text, text map keys in strictly increasing
 * bytewise order of their encodings (which also rules out duplicates), nesting no deeper
 * than LIMITS.cborDepthMax, and no declared length larger than the bytes that remain.
 * Hostile input is refused here rather than by catching a stack overflow, and canonical
 * form needs no re-encoding to confirm.
 */
function scanStructure(bytes: Uint8Array): void {
  const open: OpenContainer[] = []
  let pos = 0
  let topLevelRead = false
  for (;;) {
    const container = open.length > 0 ? open[open.length - 1]! : null
    if (container === null && topLevelRead) return
    if (container !== null && container.items === 0) {
      open.pop()
      continue
    }
    const isKey = container !== null && container.isMap && container.items % 2 === 0
    const itemStart = pos
    if (pos >= bytes.length) throw new CodecError('malformed CBOR: input ends inside an item')
    const initial = bytes[pos]!
    const major = initial >> 5
    const info = initial & 0x1f
    pos += 1
    // The argument: in the initial byte (info < 24), or in the next 1, 2, 4 or 8 bytes.
    if (info >= 28) throw new CodecError(info === 31 ? 'indefinite lengths are not allowed' : 'malformed CBOR: reserved additional information')
    const argumentBytes = info < 24 ? 0 : 2 ** (info - 24)
    let argument = info < 24 ? info : 0
    for (let i = 0; i < argumentBytes; i++) argument = argument * 256 + (bytes[pos + i] ?? 0)
    pos += argumentBytes
    if (pos > bytes.length) throw new CodecError('malformed CBOR: input ends inside an item header')
    if (major !== 7 && info >= 24 && argument < SHORTEST_MIN[info - 24]!) {
      throw new CodecError('not in canonical (RFC 8949 section 4.2.1) form: an argument is encoded with more bytes than necessary')
    }
    if (container === null) topLevelRead = true
    else container.items -= 1
    if (isKey && major !== 3) throw new CodecError('map keys must be text strings')
    const remaining = bytes.length - pos
    switch (major) {
      case 2:
      case 3:
        if (argument > remaining) throw new CodecError(`malformed CBOR: a string of ${argument} bytes with ${remaining} left`)
        if (major === 3) checkUtf8(bytes, pos, pos + argument)
        pos += argument
        break
      case 4:
      case 5: {
        const count = major === 5 ? argument * 2 : argument
        if (count > remaining) throw new CodecError(`malformed CBOR: ${count} items declared with ${remaining} bytes left`)
        if (count > 0) {
          if (open.length >= LIMITS.cborDepthMax) throw new CodecError(`nesting deeper than ${LIMITS.cborDepthMax}`)
          open.push({ items: count, isMap: major === 5, lastKeyStart: -1, lastKeyEnd: -1 })
        }
        break
      }
      case 6:
        throw new CodecError('tags are not allowed')
      case 7:
        if (info < SIMPLE_FALSE || info > SIMPLE_NULL) throw new CodecError('floats, undefined and simple values other than false, true and null are not allowed')
        break
      default:
        break // integers: the header was the whole item
    }
    if (isKey) {
      if (container.lastKeyStart >= 0 && compareBytes(bytes, container.lastKeyStart, container.lastKeyEnd, itemStart, pos) >= 0) {
        throw new CodecError('not in canonical (RFC 8949 section 4.2.1) form: map keys are not in strictly increasing order')
      }
      container.lastKeyStart = itemStart
      container.lastKeyEnd = pos
    }
  }
}

function checkUtf8(bytes: Uint8Array, start: number, end: number): void {
  for (let i = start; i < end; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        strictUtf8.decode(bytes.subarray(start, end))
      } catch {
        throw new CodecError('a text string is not well-formed UTF-8')
      }
      return
    }
  }
}

/** Bytewise lexicographic comparison of two ranges of one array. */
function compareBytes(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  const n = Math.min(aEnd - aStart, bEnd - bStart)
  for (let i = 0; i < n; i++) {
    const d = bytes[aStart + i]! - bytes[bStart + i]!
    if (d !== 0) return d
  }
  return (aEnd - aStart) - (bEnd - bStart)
}

/** The writer `encodeCanonical` reuses (declared last: it needs the class and the constants above). */
const sharedWriter = new CanonicalWriter()
