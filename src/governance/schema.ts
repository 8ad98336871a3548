// Payload schemas (docs/formats.md section 13): a small, strict subset of JSON Schema
// that every implementation can apply the same way without a schema library. A schema
// is read once, from a policy entry's payload value, into a Schema whose member names
// (`properties`) live in a Map: they come from outside, and a plain object would answer
// `constructor` from its prototype. Unknown keywords are refused, never ignored, so a
// schema never means less than its author thought.
import { LIMITS } from '../limits.ts'

export const SCHEMA_TYPES = ['null', 'boolean', 'integer', 'number', 'string', 'array', 'object'] as const
export type SchemaType = (typeof SCHEMA_TYPES)[number]

export type SchemaScalar = null | boolean | number | string

export interface Schema {
  readonly types: ReadonlySet<SchemaType> | null
  readonly enumValues: readonly SchemaScalar[] | null
  readonly properties: ReadonlyMap<string, Schema> | null
  readonly required: readonly string[] | null
  readonly additionalProperties: boolean
  readonly items: Schema | null
  readonly minItems: number | null
  readonly maxItems: number | null
  readonly minLength: number | null
  readonly maxLength: number | null
  readonly minimum: number | null
  readonly maximum: number | null
}

const KEYWORDS = new Set([
  'type', 'enum', 'properties', 'required', 'additionalProperties', 'items',
  'minItems', 'maxItems', 'minLength', 'maxLength', 'minimum', 'maximum',
])
const TYPE_NAMES: ReadonlySet<string> = new Set(SCHEMA_TYPES)

type JsonObject = { readonly [key: string]: unknown }

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function own(object: JsonObject, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined
}

function isScalar(value: unknown): value is SchemaScalar {
  return value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string'
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

class SchemaProblem extends Error {}

function problem(path: string, what: string): never {
  throw new SchemaProblem(`schema${path}: ${what}`)
}

class SchemaReader {
  #nodes = 0

  read(value: unknown, path: string, depth: number): Schema {
    if (!isObject(value)) problem(path, 'a schema is a JSON object')
    this.#nodes += 1
    if (this.#nodes > LIMITS.schemaNodesMax) problem(path, `more than ${LIMITS.schemaNodesMax} schema objects`)
    if (depth > LIMITS.schemaDepthMax) problem(path, `nested more than ${LIMITS.schemaDepthMax} deep`)
    for (const name of Object.keys(value)) {
      if (!KEYWORDS.has(name)) problem(path, `unknown keyword ${JSON.stringify(name.slice(0, 40))} (the subset of docs/formats.md section 13)`)
    }
    return {
      types: this.#types(own(value, 'type'), path),
      enumValues: this.#enum(own(value, 'enum'), path),
      properties: this.#properties(own(value, 'properties'), path, depth),
      required: this.#required(own(value, 'required'), path),
      additionalProperties: this.#boolean(own(value, 'additionalProperties'), path, 'additionalProperties') ?? true,
      items: own(value, 'items') === undefined ? null : this.read(own(value, 'items'), `${path}/items`, depth + 1),
      minItems: this.#count(own(value, 'minItems'), path, 'minItems'),
      maxItems: this.#count(own(value, 'maxItems'), path, 'maxItems'),
      minLength: this.#count(own(value, 'minLength'), path, 'minLength'),
      maxLength: this.#count(own(value, 'maxLength'), path, 'maxLength'),
      minimum: this.#number(own(value, 'minimum'), path, 'minimum'),
      maximum: this.#number(own(value, 'maximum'), path, 'maximum'),
    }
  }

  #types(value: unknown, path: string): ReadonlySet<SchemaType> | null {
    if (value === undefined) return null
    const list = typeof value === 'string' ? [value] : value
    if (!Array.isArray(list) || list.length === 0 || list.length > SCHEMA_TYPES.length) problem(path, '"type" is a type name or a list of 1 to 7 of them')
    const types = new Set<SchemaType>()
    for (const t of list) {
      if (typeof t !== 'string' || !TYPE_NAMES.has(t)) problem(path, `"type" names ${JSON.stringify(String(t).slice(0, 40))}, not one of ${SCHEMA_TYPES.join(', ')}`)
      if (types.has(t as SchemaType)) problem(path, `"type" repeats ${t}`)
      types.add(t as SchemaType)
    }
    return types
  }

  #enum(value: unknown, path: string): readonly SchemaScalar[] | null {
    if (value === undefined) return null
    if (!Array.isArray(value) || value.length === 0 || value.length > LIMITS.schemaMembersMax) problem(path, `"enum" is a list of 1 to ${LIMITS.schemaMembersMax} values`)
    for (const v of value) if (!isScalar(v)) problem(path, '"enum" lists only null, booleans, numbers and strings')
    return value as SchemaScalar[]
  }

  #properties(value: unknown, path: string, depth: number): ReadonlyMap<string, Schema> | null {
    if (value === undefined) return null
    if (!isObject(value)) problem(path, '"properties" is an object of schemas')
    const names = Object.keys(value)
    if (names.length > LIMITS.schemaMembersMax) problem(path, `"properties" names more than ${LIMITS.schemaMembersMax} members`)
    const out = new Map<string, Schema>()
    for (const name of names) out.set(name, this.read(value[name], `${path}/properties/${JSON.stringify(name.slice(0, 40))}`, depth + 1))
    return out
  }

  #required(value: unknown, path: string): readonly string[] | null {
    if (value === undefined) return null
    if (!Array.isArray(value) || value.length > LIMITS.schemaMembersMax) problem(path, `"required" is a list of at most ${LIMITS.schemaMembersMax} names`)
    const seen = new Set<string>()
    for (const name of value) {
      if (typeof name !== 'string') problem(path, '"required" lists member names (strings)')
      if (seen.has(name)) problem(path, `"required" repeats ${JSON.stringify(name.slice(0, 40))}`)
      seen.add(name)
    }
    return value as string[]
  }

  #boolean(value: unknown, path: string, keyword: string): boolean | null {
    if (value === undefined) return null
    if (typeof value !== 'boolean') problem(path, `"${keyword}" is true or false`)
    return value
  }

  #count(value: unknown, path: string, keyword: string): number | null {
    if (value === undefined) return null
    if (!isCount(value)) problem(path, `"${keyword}" is an integer from 0 to 2^53 - 1`)
    return value
  }

  #number(value: unknown, path: string, keyword: string): number | null {
    if (value === undefined) return null
    if (typeof value !== 'number') problem(path, `"${keyword}" is a number`)
    return value
  }
}

/** Reads a schema from a parsed JSON value; the Schema, or the first problem (with its
 * path inside the schema). Total: never throws. */
export function readSchema(value: unknown): Schema | string {
  try {
    return new SchemaReader().read(value, '', 1)
  } catch (err) {
    if (err instanceof SchemaProblem) return err.message
    throw err
  }
}

function typeOf(value: unknown): SchemaType {
  if (value === null) return 'null'
  if (typeof value === 'boolean') return 'boolean'
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  if (typeof value === 'string') return 'string'
  if (Array.isArray(value)) return 'array'
  return 'object'
}

function codePoints(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}

/** Why `value` (a parsed payload) does not satisfy `schema`, with where (a JSON pointer
 * into the value), or null when it does. Recursion follows the schema, whose depth is
 * bounded, never the value's. */
export function schemaMismatch(schema: Schema, value: unknown, path = ''): string | null {
  const at = path === '' ? '/' : path
  const type = typeOf(value)
  if (schema.types !== null) {
    const ok = schema.types.has(type) || (type === 'integer' && schema.types.has('number'))
    if (!ok) return `${at}: ${type === 'integer' || type === 'array' || type === 'object' ? 'an' : 'a'} ${type}, not ${[...schema.types].join(' or ')}`
  }
  if (schema.enumValues !== null && !schema.enumValues.some((v) => v === value)) return `${at}: not one of the enum values`
  if (typeof value === 'string') {
    if (schema.minLength !== null || schema.maxLength !== null) {
      const length = codePoints(value)
      if (schema.minLength !== null && length < schema.minLength) return `${at}: ${length} characters, fewer than ${schema.minLength}`
      if (schema.maxLength !== null && length > schema.maxLength) return `${at}: ${length} characters, more than ${schema.maxLength}`
    }
  }
  if (typeof value === 'number') {
    if (schema.minimum !== null && value < schema.minimum) return `${at}: ${value} is below the minimum ${schema.minimum}`
    if (schema.maximum !== null && value > schema.maximum) return `${at}: ${value} is above the maximum ${schema.maximum}`
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== null && value.length < schema.minItems) return `${at}: ${value.length} items, fewer than ${schema.minItems}`
    if (schema.maxItems !== null && value.length > schema.maxItems) return `${at}: ${value.length} items, more than ${schema.maxItems}`
    if (schema.items !== null) {
      for (let i = 0; i < value.length; i++) {
        const inner = schemaMismatch(schema.items, value[i], `${path}/${i}`)
        if (inner !== null) return inner
      }
    }
  } else if (isObject(value)) {
    if (schema.required !== null) {
      for (const name of schema.required) if (!Object.hasOwn(value, name)) return `${at}: no member ${JSON.stringify(name.slice(0, 40))}`
    }
    if (schema.properties !== null) {
      for (const [name, inner] of schema.properties) {
        if (!Object.hasOwn(value, name)) continue
        const mismatch = schemaMismatch(inner, value[name], `${path}/${pointerToken(name)}`)
        if (mismatch !== null) return mismatch
      }
    }
    if (!schema.additionalProperties) {
      for (const name of Object.keys(value)) {
        if (schema.properties === null || !schema.properties.has(name)) return `${at}: member ${JSON.stringify(name.slice(0, 40))} is not allowed`
      }
    }
  }
  return null
}

/** A JSON pointer token (RFC 6901), cut short: the path is for people. */
function pointerToken(name: string): string {
  return name.slice(0, 40).replaceAll('~', '~0').replaceAll('/', '~1')
}
