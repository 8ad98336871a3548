import { describe, expect, it } from 'vitest'
import { backoffMs, Pacemaker } from '../../src/consensus/pacemaker.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'

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
})
