import { describe, expect, it } from 'vitest'
import { backoffMs, Pacemaker } from '../../src/consensus/pacemaker.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'
import { AssertionError } from '../../src/assert.ts'

const params = { ...DEFAULT_PARAMS, roundTimeoutMs: 1000, backoffPercent: 150, roundTimeoutMaxMs: 5000 }

describe('pacemaker', () => {
  it('backs off exponentially on consecutive timeouts, capped', () => {
    expect([0, 1, 2, 3, 4, 5, 60].map((k) => backoffMs(params, k))).toEqual([1000, 1500, 2250, 3375, 5000, 5000, 5000])
  })
  it('grows on rounds entered by TC and resets on a QC', () => {
    const p = new Pacemaker(params, 1)
    expect(p.timeoutMs()).toBe(1000)
    expect(p.advanceTo(2, true)).toBe(true)
    expect(p.advanceTo(3, true)).toBe(true)
    expect(p.timeoutMs()).toBe(2250)
    expect(p.advanceTo(3, false)).toBe(false) // not ahead: nothing changes
    expect(p.timeoutMs()).toBe(2250)
    expect(p.advanceTo(4, false)).toBe(true)
    expect(p.timeoutMs()).toBe(1000)
    expect(p.round).toBe(4)
  })

  it('starts at the round it is given, with no timeouts counted', () => {
    const p = new Pacemaker(params, 7)
    expect(p.round).toBe(7)
    expect(p.consecutiveTimeouts).toBe(0)
    expect(p.advanceTo(7, true)).toBe(false)
    expect(p.advanceTo(6, true)).toBe(false)
    expect(p.consecutiveTimeouts).toBe(0)
    expect(p.advanceTo(9, true)).toBe(true) // rounds may be skipped
    expect([p.round, p.consecutiveTimeouts]).toEqual([9, 1])
  })
  it('counts consecutive timeouts up to a bound, and a QC resets the count', () => {
    const p = new Pacemaker(params, 0)
    for (let r = 1; r <= 70; r++) expect(p.advanceTo(r, true)).toBe(true)
    expect(p.consecutiveTimeouts).toBe(64)
    expect(p.timeoutMs()).toBe(5000)
    expect(p.advanceTo(71, false)).toBe(true)
    expect(p.consecutiveTimeouts).toBe(0)
  })
  it('refuses a round that is not a whole non-negative number', () => {
    expect(() => new Pacemaker(params, -1)).toThrow(AssertionError)
    expect(() => new Pacemaker(params, 1.5)).toThrow(AssertionError)
    expect(() => new Pacemaker(params, 0)).not.toThrow()
    expect(() => new Pacemaker(params, 1).advanceTo(2.5, false)).toThrow(AssertionError)
  })
  it('rounds a fractional timer down, and a base at or above the cap is the cap', () => {
    const odd = { ...params, roundTimeoutMs: 1001, backoffPercent: 150, roundTimeoutMaxMs: 5000 }
    expect([0, 1, 2].map((k) => backoffMs(odd, k))).toEqual([1001, 1501, 2252])
    expect(backoffMs({ ...params, roundTimeoutMs: 6000 }, 0)).toBe(5000)
    expect(backoffMs({ ...params, roundTimeoutMs: 5000 }, 3)).toBe(5000)
  })
})
