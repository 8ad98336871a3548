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
  checkValue(value, 0)
  try {
    return encode(value, rfc8949EncodeOptions)
  } catch (err) {
    throw new CodecError(`cannot encode: ${(err as Error).message}`, { cause: err })
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
  // Canonical form is checked by re-encoding: any other byte string for the same value
  // (unsorted map keys, non-shortest lengths) differs from the re-encoding.
  const again = encode(value, rfc8949EncodeOptions)
  if (!bytesEqual(again, bytes)) throw new CodecError('not in canonical (RFC 8949 section 4.2.1) form')
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

/** A lone surrogate has no UTF-8 form: the encoder would write U+FFFD, so two different
 * strings (or map keys) would share one encoding. */
function checkWellFormed(text: string): void {
  if (!text.isWellFormed()) throw new CodecError('string is not well-formed Unicode (lone surrogate)')
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Walks the item headers once, before the real decoder runs, so that hostile nesting and
 * impossible lengths are refused up front rather than by catching a stack overflow:
 * nesting deeper than LIMITS.cborDepthMax, indefinite lengths, tags, and any declared
 * length or item count larger than the bytes that remain.
 */
function scanStructure(bytes: Uint8Array): void {
  const pending: number[] = [] // items still to read in each open array or map
  let pos = 0
  let items = 1 // the top-level item
  while (items > 0 || pending.length > 0) {
    if (items === 0) {
      items = pending.pop()!
      continue
    }
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
    items -= 1
    const remaining = bytes.length - pos
    switch (major) {
      case 2:
      case 3:
        if (argument > remaining) throw new CodecError(`malformed CBOR: a string of ${argument} bytes with ${remaining} left`)
        pos += argument
        break
      case 4:
      case 5: {
        const count = major === 5 ? argument * 2 : argument
        if (count > remaining) throw new CodecError(`malformed CBOR: ${count} items declared with ${remaining} bytes left`)
        if (count > 0) {
          pending.push(items)
          if (pending.length > LIMITS.cborDepthMax) throw new CodecError(`nesting deeper than ${LIMITS.cborDepthMax}`)
          items = count
        }
        break
      }
      case 6:
        throw new CodecError('tags are not allowed')
      default:
        break // integers and simple values: the header was the whole item
    }
  }
}
