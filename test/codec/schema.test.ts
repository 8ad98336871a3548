// The strict readers: exactly the declared fields, each of its declared type and bound.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeCanonical, encodeCanonical, type CborValue } from '../../src/codec/cbor.ts'
import { CodecError } from '../../src/codec/errors.ts'
import { readArray, readBool, readBytes, readMap, readOptional, readText, readUint } from '../../src/codec/schema.ts'

const FC_SEED = Number(process.env.FC_SEED ?? 0x5e_70_d2)
console.info(`[schema.test] fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`)

function codecError(fn: () => unknown, pattern?: RegExp): CodecError {
  try {
    fn()
  } catch (err) {
    expect((err as Error).name).toBe('CodecError')
    expect(err).toBeInstanceOf(CodecError)
    if (pattern) expect((err as Error).message).toMatch(pattern)
    return err as CodecError
  }
  throw new Error('expected a CodecError, but nothing was thrown')
}

const nonMaps: CborValue[] = [null, 0, 1, -1, '', 'map', true, false, [], [1], new Uint8Array(2)]

describe('readMap', () => {
  const keys = ['height', 'hash'] as const
  const valid = { height: 1, hash: new Uint8Array(32) }

  it('returns a map with exactly the declared fields, in any order', () => {
    expect(readMap(valid, 'header', keys)).toBe(valid)
    expect(readMap({ hash: new Uint8Array(32), height: 1 }, 'header', keys)).toBeTruthy()
    expect(readMap({}, 'empty', [])).toEqual({})
    // after a round trip through the codec, too
    expect(readMap(decodeCanonical(encodeCanonical(valid)), 'header', keys)).toEqual(valid)
  })

  it('refuses anything that is not a map', () => {
    for (const value of nonMaps) codecError(() => readMap(value, 'header', keys), /^header: expected a map$/)
  })

  it('refuses an unknown field, naming it', () => {
    codecError(() => readMap({ ...valid, extra: 1 }, 'header', keys), /^header: unknown field 'extra'$/)
    codecError(() => readMap({ height: 1 }, 'header', ['hash']), /unknown field 'height'/)
  })

  it('refuses a missing field, naming it', () => {
    codecError(() => readMap({ height: 1 }, 'header', keys), /^header: missing field 'hash'$/)
    codecError(() => readMap({}, 'header', keys), /missing field 'height'/)
  })

  it('does not count inherited properties as fields', () => {
    codecError(() => readMap({}, 'x', ['toString']), /missing field 'toString'/)
    codecError(() => readMap({}, 'x', ['constructor']), /missing field 'constructor'/)
  })

  it('treats a decoded __proto__ key as an ordinary, unknown field', () => {
    const decoded = decodeCanonical(encodeCanonical(JSON.parse('{"__proto__": 1, "height": 2}') as CborValue))
    codecError(() => readMap(decoded, 'header', ['height']), /unknown field '__proto__'/)
    expect(readMap(decoded, 'header', ['height', '__proto__'])).toBe(decoded)
  })

  it('property: a map is accepted exactly when its keys are the declared set', () => {
    const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e')
    fc.assert(
      fc.property(fc.uniqueArray(keyArb), fc.uniqueArray(keyArb), (present, declared) => {
        const map = Object.fromEntries(present.map((k) => [k, 0]))
        const same = present.length === declared.length && present.every((k) => declared.includes(k))
        if (same) expect(readMap(map, 'm', declared)).toBe(map)
        else codecError(() => readMap(map, 'm', declared), /^m: (unknown|missing) field/)
      }),
      { seed: FC_SEED, numRuns: 200 },
    )
  })
})

describe('readUint', () => {
  it('accepts 0 up to the bound, inclusive', () => {
    expect(readUint(0, 'n')).toBe(0)
    expect(readUint(Number.MAX_SAFE_INTEGER, 'n')).toBe(Number.MAX_SAFE_INTEGER)
    expect(readUint(10, 'n', 10)).toBe(10)
  })

  it('refuses values over the bound', () => {
    codecError(() => readUint(11, 'height', 10), /^height: 11 is over the limit of 10$/)
  })

  it('refuses negatives, non-integers and other types', () => {
    for (const value of [-1, Number.MIN_SAFE_INTEGER, 1.5, NaN, Infinity, 2 ** 53, '1', true, null, undefined, [1], new Uint8Array(1), { n: 1 }]) {
      codecError(() => readUint(value as CborValue, 'height'), /^height: expected an unsigned integer$/)
    }
  })
})

describe('readBytes', () => {
  it('accepts byte strings of the exact length, or within the maximum', () => {
    const b = new Uint8Array(32)
    expect(readBytes(b, 'hash', 32)).toBe(b)
    expect(readBytes(b, 'blob', undefined, 32)).toBe(b)
    expect(readBytes(new Uint8Array(0), 'blob')).toEqual(new Uint8Array(0))
  })

  it('refuses the wrong length and over-long values', () => {
    codecError(() => readBytes(new Uint8Array(31), 'hash', 32), /^hash: expected 32 bytes, got 31$/)
    codecError(() => readBytes(new Uint8Array(33), 'hash', 32), /expected 32 bytes, got 33/)
    codecError(() => readBytes(new Uint8Array(33), 'blob', undefined, 32), /^blob: 33 bytes is over the limit of 32$/)
  })

  it('refuses other types', () => {
    for (const value of ['00', [0], 0, null, undefined, true, { 0: 0 }, new Uint16Array(1)]) {
      codecError(() => readBytes(value as CborValue, 'hash'), /^hash: expected a byte string$/)
    }
  })
})

describe('readText', () => {
  it('bounds text by its UTF-8 byte length, not its JS length', () => {
    expect(readText('abc', 'ns', 3)).toBe('abc')
    expect(readText('é', 'ns', 2)).toBe('é') // 1 UTF-16 unit, 2 bytes
    codecError(() => readText('é', 'ns', 1), /^ns: 2 bytes is over the limit of 1$/)
    codecError(() => readText('😀', 'ns', 3), /4 bytes is over the limit of 3/) // 2 units, 4 bytes
    codecError(() => readText('abcd', 'ns', 3), /4 bytes is over the limit of 3/)
    expect(readText('', 'ns', 0)).toBe('')
  })

  it('refuses other types', () => {
    for (const value of [0, null, undefined, true, ['a'], new Uint8Array(1), { a: 'a' }]) {
      codecError(() => readText(value as CborValue, 'ns', 10), /^ns: expected a text string$/)
    }
  })
})

describe('readBool', () => {
  it('accepts only booleans', () => {
    expect(readBool(true, 'flag')).toBe(true)
    expect(readBool(false, 'flag')).toBe(false)
    for (const value of [0, 1, 'true', null, undefined, [], new Uint8Array(1)]) {
      codecError(() => readBool(value as CborValue, 'flag'), /^flag: expected a boolean$/)
    }
  })
})

describe('readArray', () => {
  it('accepts arrays up to maxItems', () => {
    expect(readArray([1, 2, 3], 'refs', 3)).toEqual([1, 2, 3])
    expect(readArray([], 'refs', 0)).toEqual([])
    codecError(() => readArray([1, 2, 3, 4], 'refs', 3), /^refs: 4 items is over the limit of 3$/)
  })

  it('refuses other types', () => {
    for (const value of [0, null, undefined, 'abc', new Uint8Array(3), { 0: 1, length: 1 }]) {
      codecError(() => readArray(value as CborValue, 'refs', 10), /^refs: expected an array$/)
    }
  })
})

describe('readOptional', () => {
  it('maps null and absence to null, and reads anything else', () => {
    const read = (v: CborValue) => readUint(v, 'n')
    expect(readOptional(null, read)).toBeNull()
    expect(readOptional(undefined, read)).toBeNull()
    expect(readOptional(5, read)).toBe(5)
    expect(readOptional(0, read)).toBe(0) // 0 is a value, not absence
  })

  it('passes the reader errors through', () => {
    codecError(() => readOptional('x', (v) => readUint(v, 'n')), /^n: expected an unsigned integer$/)
    codecError(() => readOptional(false, (v) => readText(v, 't', 5)), /^t: expected a text string$/)
  })
})

describe('readText regression: lone surrogates from JSON input', () => {
  it('rejects a string that has no UTF-8 encoding', () => {
    expect(() => readText('ok\ud800', 'field', 100)).toThrow(/well-formed/)
  })
})
