// Strict readers for decoded CBOR: a structure has exactly the fields it declares, each
// of the declared type and within its bound. Unknown or missing fields are errors, so
// two implementations can never disagree on what a signed structure means.
import { CodecError } from './errors.ts'
import type { CborValue } from './cbor.ts'

export type CborMap = { readonly [key: string]: CborValue }

export function readMap(value: CborValue, what: string, keys: readonly string[]): CborMap {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new CodecError(`${what}: expected a map`)
  }
  const map = value as CborMap
  const present = Object.keys(map)
  for (const key of present) {
    if (!keys.includes(key)) throw new CodecError(`${what}: unknown field '${key}'`)
  }
  for (const key of keys) {
    if (!Object.hasOwn(map, key)) throw new CodecError(`${what}: missing field '${key}'`)
  }
  return map
}

export function readUint(value: CborValue | undefined, what: string, max: number = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new CodecError(`${what}: expected an unsigned integer`)
  }
  if (value > max) throw new CodecError(`${what}: ${value} is over the limit of ${max}`)
  return value
}

export function readBytes(value: CborValue | undefined, what: string, length?: number, maxLength?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CodecError(`${what}: expected a byte string`)
  if (length !== undefined && value.length !== length) {
    throw new CodecError(`${what}: expected ${length} bytes, got ${value.length}`)
  }
  if (maxLength !== undefined && value.length > maxLength) {
    throw new CodecError(`${what}: ${value.length} bytes is over the limit of ${maxLength}`)
  }
  return value
}

const utf8 = new TextEncoder()

export function readText(value: CborValue | undefined, what: string, maxBytes: number): string {
  if (typeof value !== 'string') throw new CodecError(`${what}: expected a text string`)
  // A lone surrogate has no UTF-8 encoding: the encoder would write U+FFFD and change the value.
  if (!value.isWellFormed()) throw new CodecError(`${what}: not well-formed Unicode (lone surrogate)`)
  const bytes = utf8.encode(value).length
  if (bytes > maxBytes) throw new CodecError(`${what}: ${bytes} bytes is over the limit of ${maxBytes}`)
  return value
}

export function readBool(value: CborValue | undefined, what: string): boolean {
  if (typeof value !== 'boolean') throw new CodecError(`${what}: expected a boolean`)
  return value
}

export function readArray(value: CborValue | undefined, what: string, maxItems: number): readonly CborValue[] {
  if (!Array.isArray(value)) throw new CodecError(`${what}: expected an array`)
  if (value.length > maxItems) throw new CodecError(`${what}: ${value.length} items is over the limit of ${maxItems}`)
  return value as readonly CborValue[]
}

export function readOptional<T>(value: CborValue | undefined, read: (v: CborValue) => T): T | null {
  return value === null || value === undefined ? null : read(value)
}
