import { describe, expect, it } from 'vitest'
import { deriveOptions, Simulation } from '../../scenarios/sim/simulator.ts'
import { fingerprint, runOne } from '../../scenarios/runner.ts'
import { Prng } from '../../scenarios/sim/prng.ts'

describe('simulator determinism', () => {
  it('the same seed gives the same run, a different seed a different one', () => {
    const seed = 424242
    console.log(`determinism seed ${seed}`)
    const a = new Simulation(deriveOptions(seed, { nodes: 4, byzantine: 1, behaviour: 'mixed' }))
    a.run()
    const b = new Simulation(deriveOptions(seed, { nodes: 4, byzantine: 1, behaviour: 'mixed' }))
    b.run()
    expect(fingerprint(a)).toBe(fingerprint(b))
    const c = new Simulation(deriveOptions(seed + 1, { nodes: 4, byzantine: 1, behaviour: 'mixed' }))
    c.run()
    expect(fingerprint(c)).not.toBe(fingerprint(a))
  })

  it('runs safe and live with every message round-tripped through the wire codec', () => {
    const seed = 77
    console.log(`wire encoding seed ${seed}`)
    const o = runOne(seed, { nodes: 4, byzantine: 1, behaviour: 'forge', wireEncoding: true })
    expect([...o.safetyViolations, ...o.livenessFailures, ...o.errors]).toEqual([])
    expect(o.entriesCommitted).toBeGreaterThan(0)
  })

  it('the PRNG is xoshiro128** with a fixed sequence', () => {
    const rng = new Prng(1)
    const first = [rng.nextU32(), rng.nextU32(), rng.nextU32()]
    expect(new Prng(1).nextU32()).toBe(first[0])
    expect(new Set(first).size).toBe(3)
    const counts = [0, 0, 0, 0]
    for (let i = 0; i < 4000; i++) counts[rng.int(4)]!++
    for (const c of counts) expect(c).toBeGreaterThan(850)
  })
})
