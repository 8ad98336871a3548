// The canonical codec: every allowed value has exactly one byte string, and every other
// byte string is refused with a CodecError (never another kind of error).
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bytesEqual, decodeCanonical, encodeCanonical, encodeCanonicalReference, type CborValue } from '../../src/codec/cbor.ts'
import { CodecError } from '../../src/codec/errors.ts'
import { LIMITS } from '../../src/limits.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'

const FC_SEED = Number(process.env.FC_SEED ?? 0x5e_70_d2)
console.info(`[cbor.test] fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`)
const fcParams = (numRuns: number) => ({ seed: FC_SEED, numRuns })

function codecError(fn: () => unknown): CodecError {
  try {
    fn()
  } catch (err) {
    expect((err as Error).name).toBe('CodecError')
    expect(err).toBeInstanceOf(CodecError)
    return err as CodecError
  }
  throw new Error('expected a CodecError, but nothing was thrown')
}

const rejects = (hex: string, maxBytes?: number) => codecError(() => decodeCanonical(fromHex(hex), maxBytes))
const enc = (value: unknown) => toHex(encodeCanonical(value as CborValue))

/** Either the bytes are the canonical encoding of what they decode to, or a CodecError. */
function decodesCanonicallyOrCodecError(bytes: Uint8Array): void {
  let value: CborValue
  try {
    value = decodeCanonical(bytes)
  } catch (err) {
    expect((err as Error).name, `${toHex(bytes)}: ${String(err)}`).toBe('CodecError')
    expect(err).toBeInstanceOf(CodecError)
    return
  }
  expect(toHex(encodeCanonical(value))).toBe(toHex(bytes))
}

// Values of the allowed types, nested a few levels deep.
const leafArb: fc.Arbitrary<CborValue> = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(0, -1, 23, 24, -24, -25, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ maxLength: 30 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }),
)
const { value: valueArb } = fc.letrec<{ value: CborValue; array: CborValue[]; object: Record<string, CborValue> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', maxDepth: 6 }, leafArb, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), tie('value'), { maxKeys: 6 }),
}))

describe('encoding', () => {
  it('matches RFC 8949 Appendix A for the allowed types', () => {
    // RFC 8949 Appendix A ("Examples of Encoded CBOR Data Items"), the entries whose types
    // Synod allows; for maps the keys are already in deterministic order there.
    const examples: [unknown, string][] = [
      [0, '00'], [1, '01'], [10, '0a'], [23, '17'], [24, '1818'], [25, '1819'], [100, '1864'],
      [1000, '1903e8'], [1000000, '1a000f4240'], [1000000000000, '1b000000e8d4a51000'],
      [-1, '20'], [-10, '29'], [-100, '3863'], [-1000, '3903e7'],
      [false, 'f4'], [true, 'f5'], [null, 'f6'],
      [new Uint8Array(), '40'], [Uint8Array.from([1, 2, 3, 4]), '4401020304'],
      ['', '60'], ['a', '6161'], ['IETF', '6449455446'], ['"\\', '62225c'], ['\u00fc', '62c3bc'],
      ['\u6c34', '63e6b0b4'], ['\ud800\udd51', '64f0908591'],
      [[], '80'], [[1, 2, 3], '83010203'], [[1, [2, 3], [4, 5]], '8301820203820405'],
      [Array.from({ length: 25 }, (_, i) => i + 1), '98190102030405060708090a0b0c0d0e0f101112131415161718181819'],
      [{}, 'a0'], [{ a: 1, b: [2, 3] }, 'a26161016162820203'], [['a', { b: 'c' }], '826161a161626163'],
      [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
    ]
    for (const [value, hex] of examples) {
      expect(enc(value), JSON.stringify(value)).toBe(hex)
      expect(decodeCanonical(fromHex(hex))).toEqual(value)
    }
  })

  it('uses the shortest integer and length heads at every boundary', () => {
    const cases: [number, string][] = [
      [23, '17'], [24, '1818'], [255, '18ff'], [256, '190100'], [65535, '19ffff'], [65536, '1a00010000'],
      [2 ** 32 - 1, '1affffffff'], [2 ** 32, '1b0000000100000000'], [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
      [-24, '37'], [-25, '3818'], [-256, '38ff'], [-257, '390100'], [Number.MIN_SAFE_INTEGER, '3b001ffffffffffffe'],
    ]
    for (const [n, hex] of cases) {
      expect(enc(n), String(n)).toBe(hex)
      expect(decodeCanonical(fromHex(hex))).toBe(n)
    }
    expect(enc('x'.repeat(23)).slice(0, 2)).toBe('77')
    expect(enc('x'.repeat(24)).slice(0, 4)).toBe('7818')
    expect(enc(new Uint8Array(256)).slice(0, 6)).toBe('590100')
  })

  it('sorts map keys by their encoded bytes, whatever the insertion order', () => {
    // "b" (0x6162) sorts before "aa" (0x626161): shorter keys first, then bytewise.
    expect(enc({ aa: 3, b: 2, a: 1 })).toBe('a3616101616202626161' + '03')
    expect(enc({ b: 2, aa: 3, a: 1 })).toBe(enc({ a: 1, b: 2, aa: 3 }))
    const nullProto = Object.assign(Object.create(null) as Record<string, number>, { z: 1, y: 2 })
    expect(enc(nullProto)).toBe(enc({ y: 2, z: 1 }))
  })

  it('encodes -0 as the integer 0', () => {
    expect(enc(-0)).toBe('00')
  })

  it('refuses values outside the format with CodecError', () => {
    class Thing {
      readonly a = 1
    }
    const bad: unknown[] = [
      undefined, NaN, Infinity, -Infinity, 1.5, -0.5, 2 ** 53, -(2 ** 53), 1e300, 1n, Symbol('s'), () => 0,
      new Date(0), new Map([['a', 1]]), new Set([1]), new Thing(), new Uint16Array(2), new ArrayBuffer(2),
      new DataView(new ArrayBuffer(2)), /re/, [undefined], Object.assign(new Array<number>(3), { 0: 1, 2: 2 }), { a: undefined }, { a: 1.5 }, [[[[2 ** 60]]]],
      // Lone surrogates have no UTF-8 form: they would be written as U+FFFD, so two
      // different strings (or map keys) would share one encoding.
      '\ud800', 'a\udc00b', '\udbff', { '\ud800': 1 }, ['\udfff'],
    ]
    for (const value of bad) codecError(() => encodeCanonical(value as CborValue))
  })

  it('refuses lone surrogates that would otherwise collide (bug fix)', () => {
    // Before the fix both encoded as a2 63efbfbd 01 63efbfbd 02: a map with a duplicate key
    // that decodeCanonical itself refuses, and '\ud800' === '\udc00' === '\ufffd' on the wire.
    codecError(() => encodeCanonical({ '\ud800': 1, '\udc00': 2 }))
    codecError(() => encodeCanonical('\ud800'))
    expect(enc('\ufffd')).toBe('63efbfbd')
    expect(enc('\ud83d\ude00')).toBe('64f09f9880') // a proper pair is fine
  })

  it('allows nesting down to LIMITS.cborDepthMax and no further', () => {
    const nest = (depth: number): CborValue => (depth === 0 ? 1 : [nest(depth - 1)])
    const nestMap = (depth: number): CborValue => (depth === 0 ? 1 : { k: nestMap(depth - 1) })
    expect(() => encodeCanonical(nest(LIMITS.cborDepthMax))).not.toThrow()
    expect(() => encodeCanonical(nestMap(LIMITS.cborDepthMax))).not.toThrow()
    codecError(() => encodeCanonical(nest(LIMITS.cborDepthMax + 1)))
    codecError(() => encodeCanonical(nestMap(LIMITS.cborDepthMax + 1)))
  })
})

describe('decoding refuses every non-canonical or foreign byte string', () => {
  it('non-shortest integers and lengths', () => {
    for (const hex of ['1817', '190017', '1a00000017', '1b0000000000000017']) rejects(hex) // 23
    expect(rejects('1817').message).toMatch(/more bytes than necessary/)
    for (const hex of ['1900ff', '1a0000ffff', '1b00000000ffffffff', '3817', '3800', '5800', '580141', '7800', '780161', '9800', '980101', 'b800', 'b80161610a']) rejects(hex)
  })

  it('unsorted and duplicate map keys', () => {
    rejects('a2616201616101') // {"b":1,"a":1}
    rejects('a2626161016162' + '02') // {"aa":1,"b":2}: "b" must come first
    rejects('a2616101616102') // {"a":1,"a":2}
    rejects('a2616101616101') // {"a":1,"a":1}
    expect(decodeCanonical(fromHex('a2616101616201'))).toEqual({ a: 1, b: 1 })
  })

  it('map keys that are not text', () => {
    for (const hex of ['a10101', 'a1410101', 'a1f401', 'a1f601', 'a18001', 'a1a001']) rejects(hex)
  })

  it('trailing bytes', () => {
    for (const hex of ['0000', 'f6f6', '8000', 'a0a0', '4100' + '00', '6161' + '61']) rejects(hex)
  })

  it('indefinite lengths and stray breaks', () => {
    for (const hex of ['9f01ff', '9fff', 'bf616101ff', 'bfff', '5f4101ff', '7f6161ff', 'ff', '81ff']) rejects(hex)
  })

  it('floats of every width, including integral values, NaN and infinities', () => {
    for (const hex of [
      'f93c00', 'f90000', 'f98000', 'f93e00', 'fa3f800000', 'fa47c35000', 'fb3ff0000000000000', 'fb3ff199999999999a',
      'f97c00', 'f9fc00', 'f97e00', 'fa7fc00000', 'fb7ff8000000000000', 'fb0000000000000000',
    ]) rejects(hex)
  })

  it('tags', () => {
    for (const hex of [
      'c074323031332d30332d32315432303a30343a30305a', 'c11a514b67b0', 'c249010000000000000000', 'c349010000000000000000',
      'd818456449455446', 'd8184101', 'd9d9f700', 'c000',
    ]) rejects(hex)
  })

  it('undefined and the other simple values', () => {
    for (const hex of ['f7', 'e0', 'f0', 'f3', 'f818', 'f8ff', 'f81f']) rejects(hex)
  })

  it('integers outside the safe range', () => {
    for (const hex of ['1b0020000000000000', '1bffffffffffffffff', '3b0020000000000000', '3bffffffffffffffff']) rejects(hex)
  })

  it('invalid UTF-8 in text', () => {
    for (const hex of ['62c328', '61ff', '61c3', '63eda080', '62c0af', '64f4908080']) rejects(hex)
  })

  it('truncated input', () => {
    for (const hex of ['18', '1a0000', '6261', '8201', 'a16161', '5801', '9a00000001']) rejects(hex)
  })

  it('empty input, and input that is not a Uint8Array', () => {
    rejects('')
    for (const bad of [undefined, null, [0], '00', new ArrayBuffer(1), new Uint16Array(1), new DataView(new ArrayBuffer(1)), 0, {}]) {
      codecError(() => decodeCanonical(bad as Uint8Array))
    }
    expect(decodeCanonical(Buffer.from([0x17]))).toBe(23)
  })

  it('input over maxBytes, by default LIMITS.messageBytesMax', () => {
    const encoded = encodeCanonical(new Uint8Array(100)) // 2-byte head + 100 bytes
    expect(decodeCanonical(encoded, encoded.length)).toEqual(new Uint8Array(100))
    const err = codecError(() => decodeCanonical(encoded, encoded.length - 1))
    expect(err.message).toMatch(/over the limit/)
    const huge = encodeCanonical(new Uint8Array(LIMITS.messageBytesMax - 5)) // head is 5 bytes
    expect(huge.length).toBe(LIMITS.messageBytesMax)
    expect((decodeCanonical(huge) as Uint8Array).length).toBe(LIMITS.messageBytesMax - 5)
    const tooHuge = encodeCanonical(new Uint8Array(LIMITS.messageBytesMax - 4))
    codecError(() => decodeCanonical(tooHuge))
  })

  it('heads that announce more data than there is', () => {
    for (const hex of ['9b7fffffffffffffff', '7b00000000ffffffff', 'bb00000000ffffffff', '5b0000000100000000', '9affffffff']) rejects(hex)
  })

  it(`nesting beyond LIMITS.cborDepthMax (${LIMITS.cborDepthMax}), however deep`, () => {
    const arrays = (depth: number) => {
      const bytes = new Uint8Array(depth + 1).fill(0x81)
      bytes[depth] = 0x01
      return bytes
    }
    const maps = (depth: number) => {
      const bytes = new Uint8Array(3 * depth + 1)
      for (let i = 0; i < depth; i++) bytes.set([0xa1, 0x61, 0x6b], 3 * i) // {"k": ...}
      bytes[3 * depth] = 0x01
      return bytes
    }
    expect(() => decodeCanonical(arrays(LIMITS.cborDepthMax))).not.toThrow()
    expect(() => decodeCanonical(maps(LIMITS.cborDepthMax))).not.toThrow()
    for (const depth of [LIMITS.cborDepthMax + 1, 1000, 100_000, 1_000_000]) {
      codecError(() => decodeCanonical(arrays(depth)))
      codecError(() => decodeCanonical(maps(Math.min(depth, 333_333))))
    }
  })

  it('accepts __proto__ as an ordinary key without touching the prototype', () => {
    const value = decodeCanonical(fromHex('a1695f5f70726f746f5f5fa1616101')) as Record<string, CborValue>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(Object.keys(value)).toEqual(['__proto__'])
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ a: 1 })
    expect(enc(value)).toBe('a1695f5f70726f746f5f5fa1616101')
  })
})

describe('properties', () => {
  it('the canonical writer gives exactly the bytes of cborg, the reference encoder', () => {
    const textArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ minLength: 60, maxLength: 70 }))
    const wideArb = fc.oneof(valueArb, textArb, fc.uint8Array({ minLength: 250, maxLength: 70_000 }).map((b) => [b] as CborValue),
      fc.dictionary(textArb, valueArb, { maxKeys: 30 }), fc.array(fc.maxSafeInteger(), { maxLength: 40 }))
    fc.assert(
      fc.property(wideArb, (value) => {
        expect(toHex(encodeCanonical(value))).toBe(toHex(encodeCanonicalReference(value)))
      }),
      fcParams(1500),
    )
  })

  it('the canonical writer and the reference refuse the same values, with CodecError', () => {
    const badLeafArb = fc.constantFrom<unknown>(undefined, NaN, 1.5, 2 ** 53, -(2 ** 53), 1n, new Date(0), new Map(), '\ud800', { '\udc00': 1 }, new Uint16Array(1))
    const badArb = fc.tuple(valueArb, badLeafArb, fc.boolean()).map(([v, bad, inMap]) => (inMap ? { v, bad } : [v, bad]))
    fc.assert(
      fc.property(badArb, (value) => {
        codecError(() => encodeCanonical(value as CborValue))
        codecError(() => encodeCanonicalReference(value as CborValue))
      }),
      fcParams(300),
    )
  })

  it('round trip: decode(encode(v)) equals v and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(valueArb, (value) => {
        const bytes = encodeCanonical(value)
        const decoded = decodeCanonical(bytes)
        expect(decoded).toEqual(value)
        expect(bytesEqual(encodeCanonical(decoded), bytes)).toBe(true)
      }),
      fcParams(500),
    )
  })

  it('key insertion order never changes the encoding', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), valueArb, { maxKeys: 8 }), (object) => {
        const reversed: Record<string, CborValue> = {}
        for (const key of Object.keys(object).reverse()) Object.defineProperty(reversed, key, { value: object[key], enumerable: true, writable: true, configurable: true })
        expect(enc(reversed)).toBe(enc(object))
      }),
      fcParams(200),
    )
  })

  it('different encodings mean different values', () => {
    fc.assert(
      fc.property(valueArb, valueArb, (a, b) => {
        if (enc(a) === enc(b)) expect(a).toEqual(b)
      }),
      fcParams(300),
    )
  })

  it('random bytes decode canonically or throw CodecError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), decodesCanonicallyOrCodecError), fcParams(3000))
  })

  it('random bytes after a valid head decode canonically or throw CodecError', () => {
    // Bias towards structure: start with a container or string head.
    const headArb = fc.constantFrom(0x80, 0x81, 0x82, 0x83, 0x98, 0xa1, 0xa2, 0xb8, 0x41, 0x42, 0x58, 0x61, 0x62, 0x78, 0x9f, 0xbf)
    fc.assert(
      fc.property(headArb, fc.uint8Array({ maxLength: 24 }), (head, rest) => decodesCanonicallyOrCodecError(Uint8Array.of(head, ...rest))),
      fcParams(3000),
    )
  })

  it('mutated valid encodings decode canonically or throw CodecError', () => {
    const mutationArb = fc.record({
      op: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate', 'append', 'duplicate'),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      bit: fc.integer({ min: 0, max: 7 }),
    })
    fc.assert(
      fc.property(valueArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (value, mutations) => {
        let bytes = Array.from(encodeCanonical(value))
        for (const m of mutations) {
          const at = bytes.length === 0 ? 0 : m.at % bytes.length
          switch (m.op) {
            case 'flip': if (bytes.length > 0) bytes[at]! ^= 1 << m.bit; break
            case 'set': if (bytes.length > 0) bytes[at] = m.byte; break
            case 'insert': bytes.splice(at, 0, m.byte); break
            case 'delete': bytes.splice(at, 1); break
            case 'truncate': bytes = bytes.slice(0, at); break
            case 'append': bytes.push(m.byte); break
            case 'duplicate': bytes = [...bytes.slice(0, at), ...bytes.slice(at, at + 1 + (m.byte % 8)), ...bytes.slice(at)]; break
          }
        }
        decodesCanonicallyOrCodecError(Uint8Array.from(bytes))
      }),
      fcParams(2000),
    )
  })

  it('anything JavaScript can hold either encodes and round-trips, or throws CodecError', () => {
    fc.assert(
      fc.property(fc.anything({ withTypedArray: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true }), (value) => {
        let bytes: Uint8Array
        try {
          bytes = encodeCanonical(value as CborValue)
        } catch (err) {
          expect((err as Error).name, String(err)).toBe('CodecError')
          return
        }
        expect(toHex(encodeCanonical(decodeCanonical(bytes)))).toBe(toHex(bytes))
      }),
      fcParams(1000),
    )
  })
})

describe('structure pre-scan (regression: deep nesting used to be caught only as a stack overflow)', () => {
  it('refuses 100,000 levels of nesting by the depth rule, before decoding', () => {
    const deep = new Uint8Array(100_001).fill(0x81)
    deep[100_000] = 0x00
    expect(() => decodeCanonical(deep)).toThrow(/nesting deeper than/)
  })
  it('refuses lengths and counts larger than the input', () => {
    expect(() => decodeCanonical(Uint8Array.of(0x5a, 0xff, 0xff, 0xff, 0xff))).toThrow(/string of 4294967295 bytes/)
    expect(() => decodeCanonical(Uint8Array.of(0x9b, 0, 0, 0, 1, 0, 0, 0, 0))).toThrow(/items declared/)
    expect(() => decodeCanonical(Uint8Array.of(0xbf))).toThrow(/indefinite/)
    expect(() => decodeCanonical(Uint8Array.of(0xc1, 0x00))).toThrow(/tags/)
  })
})
