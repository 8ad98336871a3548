// The JSON form of Synod's structures (HTTP API, receipt files, SDK): the same fields as
// the canonical CBOR form, with every byte string written as lower-case hex. Which fields
// are bytes is fixed by name, so converting back is exact; the strict CBOR readers then
// validate the result, so JSON input gets exactly the checks binary input gets.
import type { CborValue } from '../codec/cbor.ts'
import { CodecError } from '../codec/errors.ts'
import { toHex } from '../crypto/hash.ts'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/** Fields whose value is a byte string, or a list of byte strings. */
const BYTE_FIELDS = new Set([
  'agent', 'sig', 'refs', 'block', 'logRoot', 'signers', 'sigs', 'parent', 'entriesRoot', 'proof', 'publicKey', 'id',
])

export function toJson(value: CborValue): JsonValue {
  if (value instanceof Uint8Array) return toHex(value)
  if (Array.isArray(value)) return value.map(toJson)
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a key `__proto__` stays a key, never a prototype.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v as CborValue)]))
  }
  return value as JsonValue
}

const HEX = /^(?:[0-9a-f]{2})*$/

function hexToBytes(value: unknown, path: string): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value)) throw new CodecError(`${path}: expected lower-case hex`)
  const out = new Uint8Array(value.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** The inverse of toJson. Throws CodecError on any value that toJson could not have produced. */
export function fromJson(value: unknown, path = '$', depth = 0): CborValue {
  if (depth > 32) throw new CodecError(`${path}: nested too deep`)
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new CodecError(`${path}: ${value} is not a safe integer`)
    return value
  }
  if (Array.isArray(value)) return value.map((v, i) => fromJson(v, `${path}[${i}]`, depth + 1))
  if (typeof value === 'object') {
    // fromEntries defines own properties: a key `__proto__` stays a key, never a prototype.
    return Object.fromEntries(Object.entries(value as object).map(([k, v]): [string, CborValue] => {
      const p = `${path}.${k}`
      if (BYTE_FIELDS.has(k)) return [k, Array.isArray(v) ? v.map((item, i) => hexToBytes(item, `${p}[${i}]`)) : hexToBytes(v, p)]
      return [k, fromJson(v, p, depth + 1)]
    }))
  }
  throw new CodecError(`${path}: a ${typeof value} is not JSON data`)
}
