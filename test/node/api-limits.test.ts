// Token buckets, client address keys and parameter readers of the HTTP API.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CodecError } from '../../src/codec/errors.ts'
import { entryFromCbor, entryToCbor } from '../../src/log/entry.ts'
import { ApiError } from '../../node/api/errors.ts'
import { optionalCursor, optionalNamespace, optionalUint, pageLimit, requiredHash } from '../../node/api/params.ts'
import { addressKey, TokenBuckets } from '../../node/api/rate-limit.ts'
import { alice, makeEntry } from './api-fixture.ts'

const FC_SEED = Number(process.env.FC_SEED ?? 0x5a_91)
console.info(`[api-limits.test] fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`)

describe('TokenBuckets', () => {
  it('allows a burst, refills at the rate, and says when to retry', () => {
    let now = 0
    const buckets = new TokenBuckets({ ratePerSecond: 2, burst: 3, keysMax: 10, now: () => now })
    expect([1, 2, 3].map(() => buckets.take('a').ok)).toEqual([true, true, true])
    expect(buckets.take('a')).toEqual({ ok: false, retryAfterMs: 500 })
    expect(buckets.take('b').ok).toBe(true)
    now += 500
    expect(buckets.take('a').ok).toBe(true)
    expect(buckets.take('a').ok).toBe(false)
    now += 10_000
    expect(buckets.check('a').ok).toBe(true)
    expect([1, 2, 3, 4].map(() => buckets.take('a').ok)).toEqual([true, true, true, false])
  })

  it('charge() may leave a bucket in debt, bounded by the burst', () => {
    let now = 0
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 2, keysMax: 10, now: () => now })
    for (let i = 0; i < 10; i++) buckets.charge('a')
    expect(buckets.check('a')).toEqual({ ok: false, retryAfterMs: 3000 })
    now += 3000
    expect(buckets.check('a').ok).toBe(true)
  })

  it('keeps at most keysMax buckets: idle ones are swept, and newcomers share an overflow bucket', () => {
    let now = 0
    const buckets = new TokenBuckets({ ratePerSecond: 1, burst: 2, keysMax: 3, now: () => now })
    for (const key of ['a', 'b', 'c']) buckets.take(key)
    expect(buckets.size).toBe(3)
    // The map is full of busy buckets: d and e share the overflow bucket (2 tokens).
    expect(buckets.take('d').ok).toBe(true)
    expect(buckets.take('e').ok).toBe(true)
    expect(buckets.take('f').ok).toBe(false)
    expect(buckets.size).toBe(3)
    // Once the buckets are idle (refilled), a sweep frees their places.
    now += 5000
    expect(buckets.take('g').ok).toBe(true)
    expect(buckets.size).toBe(1)
  })

  it('never holds more than keysMax buckets whatever the keys', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.string({ maxLength: 3 }), fc.nat(2000)), { maxLength: 300 }), (ops) => {
      let now = 0
      const buckets = new TokenBuckets({ ratePerSecond: 5, burst: 3, keysMax: 8, now: () => now })
      for (const [key, dt] of ops) {
        now += dt
        buckets.take(key)
        if (buckets.size > 8) return false
      }
      return true
    }), { seed: FC_SEED, numRuns: 200 })
  })
})

describe('addressKey', () => {
  it('keys IPv4 as is, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3')
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3')
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8:1:2::7')).toBe('2001:db8:1:2::/64')
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(addressKey(undefined)).toBe('unknown')
  })
})

describe('parameter readers', () => {
  const code = (f: () => unknown): string | null => {
    try {
      f()
      return null
    } catch (err) {
      return err instanceof ApiError ? `${err.status} ${err.code}` : String(err)
    }
  }

  it('reads unsigned integers strictly', () => {
    expect(optionalUint(undefined, 'n')).toBeUndefined()
    expect(optionalUint('0', 'n')).toBe(0)
    expect(optionalUint('9007199254740991', 'n')).toBe(Number.MAX_SAFE_INTEGER)
    for (const bad of ['', '-1', '+1', '01', '1.0', '1e3', '0x10', ' 1', '9007199254740992', '99999999999999999999', 'NaN']) {
      expect(code(() => optionalUint(bad, 'n'))).toBe('400 invalid-parameter')
    }
    expect(code(() => optionalUint(['1', '2'], 'n'))).toBe('400 invalid-parameter')
    expect(pageLimit(undefined, 'limit', 50, 200)).toBe(50)
    expect(pageLimit('500', 'limit', 50, 200)).toBe(200)
    expect(code(() => pageLimit('0', 'limit', 50, 200))).toBe('400 invalid-parameter')
  })

  it('reads hashes and cursors strictly, and quotes at most 40 characters of bad input', () => {
    expect(requiredHash('ab'.repeat(32), 'id')).toHaveLength(32)
    expect(code(() => requiredHash('AB'.repeat(32), 'id'))).toBe('400 invalid-parameter')
    expect(code(() => requiredHash(undefined, 'id'))).toBe('400 invalid-parameter')
    expect(optionalCursor('i42', 'cursor', 10)).toBe('i42')
    expect(code(() => optionalCursor('a b', 'cursor', 10))).toBe('400 invalid-parameter')
    expect(code(() => optionalCursor('x'.repeat(11), 'cursor', 10))).toBe('400 invalid-parameter')
    try {
      requiredHash('z'.repeat(10_000), 'id')
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(150)
    }
  })

  it('accepts exactly the namespaces that entries accept', () => {
    const a = alice()
    const base = entryToCbor(makeEntry(a)) as Record<string, unknown>
    const namespaces = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,6}(\/[a-z0-9._-]{0,4}){0,3}$/),
      fc.string({ unit: fc.constantFrom('a', 'Z', '/', '.', '-', '_', '0', ' ', 'é'), maxLength: 12 }),
    )
    fc.assert(fc.property(namespaces, (ns) => {
      let byEntry: boolean
      try {
        entryFromCbor({ ...base, namespace: ns } as Parameters<typeof entryFromCbor>[0])
        byEntry = true
      } catch (err) {
        if (!(err instanceof CodecError)) throw err
        byEntry = false
      }
      let byParam: boolean
      try {
        optionalNamespace(ns, 'namespace')
        byParam = true
      } catch {
        byParam = false
      }
      return byEntry === byParam
    }), { seed: FC_SEED, numRuns: 500 })
  })
})
