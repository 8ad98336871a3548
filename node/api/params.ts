// Readers for URL path and query parameters. Each takes the raw value (a string, an
// array when the parameter was repeated, or undefined), checks it strictly and throws
// an ApiError 400 that names the parameter and says what was expected.
import { fromHex } from '../../src/crypto/hash.ts'
import { LIMITS } from '../../src/limits.ts'
import { ApiError } from './errors.ts'

function invalid(name: string, message: string): ApiError {
  return new ApiError(400, 'invalid-parameter', `${name}: ${message}`)
}

/** Shows at most 40 characters of a client's value in a message. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)
}

/** The raw value as one string, or undefined when absent. */
function single(raw: unknown, name: string): string | undefined {
  if (raw === undefined) return undefined
  if (typeof raw !== 'string') throw invalid(name, 'given more than once')
  return raw
}

const UINT = /^(?:0|[1-9][0-9]{0,15})$/

/** A decimal unsigned safe integer ("0", "17"; no sign, no leading zeros, no exponent). */
export function optionalUint(raw: unknown, name: string): number | undefined {
  const text = single(raw, name)
  if (text === undefined) return undefined
  const value = UINT.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(value)) throw invalid(name, `${quote(text)} is not an unsigned integer of at most ${Number.MAX_SAFE_INTEGER}`)
  return value
}

export function requiredUint(raw: unknown, name: string): number {
  const value = optionalUint(raw, name)
  if (value === undefined) throw invalid(name, 'is required')
  return value
}

const HASH_HEX = /^[0-9a-f]{64}$/

/** A 32-byte hash or key as 64 lower-case hex characters. */
export function requiredHash(raw: unknown, name: string): Uint8Array {
  const text = single(raw, name)
  if (text === undefined) throw invalid(name, 'is required')
  if (!HASH_HEX.test(text)) throw invalid(name, `${quote(text)} is not 64 lower-case hex characters`)
  return fromHex(text)
}

export function optionalHash(raw: unknown, name: string): Uint8Array | undefined {
  return raw === undefined ? undefined : requiredHash(raw, name)
}

// The namespace rule of src/log/entry.ts (entryFromCbor), repeated here to reject a bad
// filter before any work; test/node/api-params.test.ts checks that the two agree.
const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/
const utf8 = new TextEncoder()

export function optionalNamespace(raw: unknown, name: string): string | undefined {
  const text = single(raw, name)
  if (text === undefined) return undefined
  if (utf8.encode(text).length > LIMITS.namespaceBytesMax) throw invalid(name, `is over ${LIMITS.namespaceBytesMax} bytes`)
  if (!NAMESPACE_PATTERN.test(text)) throw invalid(name, `${quote(text)} is not lower-case segments of [a-z0-9._-] separated by '/'`)
  return text
}

const CURSOR = /^[A-Za-z0-9_.~-]+$/

/** An opaque cursor from a previous page: URL-safe characters, bounded length. */
export function optionalCursor(raw: unknown, name: string, charsMax: number): string | undefined {
  const text = single(raw, name)
  if (text === undefined) return undefined
  if (text.length > charsMax) throw invalid(name, `is over ${charsMax} characters`)
  if (!CURSOR.test(text)) throw invalid(name, `${quote(text)} is not a cursor from a previous page`)
  return text
}

/** A page size: at least 1; above max it is capped to max (documented behaviour). */
export function pageLimit(raw: unknown, name: string, fallback: number, max: number): number {
  const value = optionalUint(raw, name)
  if (value === undefined) return fallback
  if (value < 1) throw invalid(name, 'must be at least 1')
  return Math.min(value, max)
}

/** Rejects query parameters the route does not know, so a typo is not silently ignored. */
export function onlyKnown(query: unknown, known: readonly string[]): void {
  if (query === null || typeof query !== 'object') return
  for (const key of Object.keys(query)) {
    if (!known.includes(key)) throw invalid(quote(key), `unknown query parameter (this route takes ${known.length === 0 ? 'none' : known.join(', ')})`)
  }
}
