// The payload-schema subset of docs/formats.md section 13: what it reads, what it
// refuses, and what a payload must be to satisfy it.
import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../src/limits.ts'
import { readSchema, schemaMismatch, type Schema } from '../../src/governance/schema.ts'

function schema(value: unknown): Schema {
  const read = readSchema(value)
  if (typeof read === 'string') throw new Error(read)
  return read
}

function check(s: unknown, payload: string): string | null {
  return schemaMismatch(schema(s), JSON.parse(payload))
}

describe('payload schemas: reading', () => {
  it('refuses unknown keywords instead of ignoring them', () => {
    expect(readSchema({ type: 'object', pattern: '^a' })).toMatch(/unknown keyword "pattern"/)
    expect(readSchema({ $ref: '#/x' })).toMatch(/unknown keyword "\$ref"/)
    expect(readSchema({ properties: { a: { oneOf: [] } } })).toMatch(/schema\/properties\/"a": unknown keyword "oneOf"/)
  })

  it('refuses ill-typed keyword values', () => {
    expect(readSchema({ type: 'float' })).toMatch(/not one of/)
    expect(readSchema({ type: ['string', 'string'] })).toMatch(/repeats string/)
    expect(readSchema({ type: [] })).toMatch(/1 to 7/)
    expect(readSchema({ enum: [{}] })).toMatch(/null, booleans, numbers and strings/)
    expect(readSchema({ minLength: -1 })).toMatch(/integer from 0/)
    expect(readSchema({ minItems: 1.5 })).toMatch(/integer from 0/)
    expect(readSchema({ additionalProperties: {} })).toMatch(/true or false/)
    expect(readSchema({ required: ['a', 'a'] })).toMatch(/repeats "a"/)
    expect(readSchema([])).toMatch(/a schema is a JSON object/)
  })

  it('bounds the depth and the number of schema objects', () => {
    let deep: unknown = {}
    for (let i = 0; i < LIMITS.schemaDepthMax - 1; i++) deep = { items: deep }
    expect(typeof readSchema(deep)).toBe('object')
    expect(readSchema({ items: deep })).toMatch(/nested more than 8 deep/)
    const wide = { properties: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`p${i}`, { properties: { a: {} } }])) }
    expect(readSchema(wide)).toMatch(/more than 128 schema objects/)
  })

  it('keeps property names in a Map: "constructor" and "__proto__" are names like any other', () => {
    const s = schema(JSON.parse('{"properties":{"constructor":{"type":"string"},"__proto__":{"type":"integer"}},"additionalProperties":false}'))
    expect(s.properties?.has('constructor')).toBe(true)
    expect(s.properties?.has('__proto__')).toBe(true)
    expect(s.properties?.has('toString')).toBe(false)
    expect(schemaMismatch(s, JSON.parse('{"constructor":"x","__proto__":3}'))).toBeNull()
    expect(schemaMismatch(s, JSON.parse('{"constructor":1}'))).toBe('/constructor: an integer, not string')
    expect(schemaMismatch(s, JSON.parse('{"__proto__":"x"}'))).toBe('/__proto__: a string, not integer')
    expect(schemaMismatch(s, JSON.parse('{"toString":1}'))).toBe('/: member "toString" is not allowed')
    // `required` looks at own members only: the prototype's do not count.
    expect(schemaMismatch(schema({ required: ['hasOwnProperty'] }), {})).toBe('/: no member "hasOwnProperty"')
  })
})

describe('payload schemas: checking', () => {
  const order = {
    type: 'object',
    required: ['action', 'amount'],
    additionalProperties: false,
    properties: {
      action: { type: 'string', enum: ['buy', 'sell'] },
      amount: { type: 'integer', minimum: 1, maximum: 1000 },
      tags: { type: 'array', maxItems: 2, items: { type: 'string', minLength: 1, maxLength: 3 } },
      note: { type: ['string', 'null'] },
    },
  }

  it('accepts what satisfies every keyword', () => {
    expect(check(order, '{"action":"buy","amount":5}')).toBeNull()
    expect(check(order, '{"action":"sell","amount":1000,"tags":["a","bcd"],"note":null}')).toBeNull()
    expect(check(order, '{"amount":5.0,"action":"buy"}')).toBeNull() // 5.0 is the integer 5
  })

  it('names the first mismatch and where it is', () => {
    expect(check(order, '[]')).toBe('/: an array, not object')
    expect(check(order, '{"action":"buy"}')).toBe('/: no member "amount"')
    expect(check(order, '{"action":"hold","amount":5}')).toBe('/action: not one of the enum values')
    expect(check(order, '{"action":"buy","amount":5.5}')).toBe('/amount: a number, not integer')
    expect(check(order, '{"action":"buy","amount":0}')).toBe('/amount: 0 is below the minimum 1')
    expect(check(order, '{"action":"buy","amount":5,"tags":["a","b","c"]}')).toBe('/tags: 3 items, more than 2')
    expect(check(order, '{"action":"buy","amount":5,"tags":["abcd"]}')).toBe('/tags/0: 4 characters, more than 3')
    expect(check(order, '{"action":"buy","amount":5,"extra":1}')).toBe('/: member "extra" is not allowed')
  })

  it('counts string length in code points, and an integer is a number', () => {
    expect(check({ maxLength: 1 }, '"😀"')).toBeNull()
    expect(check({ minLength: 2 }, '"😀"')).toBe('/: 1 characters, fewer than 2')
    expect(check({ type: 'number' }, '3')).toBeNull()
    expect(check({ type: 'integer' }, '3e0')).toBeNull()
  })

  it('applies a keyword only to values of its type, and {} allows everything', () => {
    expect(check({ minLength: 5, minimum: 3, minItems: 2, required: ['a'] }, 'true')).toBeNull()
    for (const payload of ['null', '1', '"x"', '[1]', '{"a":{}}']) expect(check({}, payload)).toBeNull()
  })
})
