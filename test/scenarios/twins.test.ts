// The Twins generator: cases are data (a twin, and per round a leader and a partition of
// the 5 instances), enumerated by index; a sample of them runs safe and live.
import { describe, expect, it } from 'vitest'
import { setPartitions, TwinsSpace } from '../../scenarios/twins/generator.ts'
import { runTwinsSweep } from '../../scenarios/twins/run-twins.ts'

describe('twins generator', () => {
  it('enumerates set partitions (Bell and Stirling numbers)', () => {
    const five = [0, 1, 2, 3, 4]
    expect(setPartitions(five, 1)).toHaveLength(1)
    expect(setPartitions(five, 2)).toHaveLength(16) // S(5,1) + S(5,2)
    expect(setPartitions(five, 3)).toHaveLength(41) // + S(5,3)
    expect(setPartitions(five, 5)).toHaveLength(52) // Bell(5)
    const keys = setPartitions(five, 2).map((p) => JSON.stringify(p.map((g) => [...g].sort()).sort()))
    expect(new Set(keys).size).toBe(16)
  })

  it('indexes the space: n = 4, one twin, R rounds = 4 x 16^R cases', () => {
    const space = new TwinsSpace({ nodes: 4, twins: 1, rounds: 3, groupsMax: 2 })
    expect(space.size).toBe(4 * 16 ** 3)
    const c = space.at(12345)
    expect(c).toEqual(space.at(12345))
    expect(c.rounds).toHaveLength(3)
    for (const r of c.rounds) {
      expect(r.leader).toBe(r.round % 4)
      expect(r.twinLeads).toBe(c.twins.includes(r.leader))
      const instances = r.partition.flat().map((x) => `${x.node}${x.copy === 1 ? "'" : ''}`).sort()
      expect(instances).toEqual(['0', '1', '2', '3', `${c.twins[0]}'`].sort())
    }
    const sample = space.sample(50, 7)
    expect(new Set(sample).size).toBe(50)
    expect(space.sample(50, 7)).toEqual(sample)
    expect(() => space.at(space.size)).toThrow(RangeError)
  })

  it('holds each drawn partition for holdRounds consecutive rounds', () => {
    const space = new TwinsSpace({ nodes: 4, twins: 2, rounds: 6, groupsMax: 2, holdRounds: 2 })
    // 6 twin pairs x 32 partitions of 6 instances, drawn for 3 two-round segments.
    expect(space.size).toBe(6 * 32 ** 3)
    const c = space.at(4242)
    for (const r of [0, 2, 4]) expect(c.rounds[r + 1]!.partition).toEqual(c.rounds[r]!.partition)
    expect(() => new TwinsSpace({ nodes: 4, twins: 1, rounds: 3, groupsMax: 2, holdRounds: 4 })).toThrow(/holdRounds must be 1-3/)
  })

  it('a sample of cases with one twin (within f) is safe and live', () => {
    const seed = 2024
    console.log(`twins sample: 16 cases, seed ${seed}`)
    const result = runTwinsSweep({ nodes: 4, twins: 1, rounds: 3, groupsMax: 2 }, 16, seed)
    console.log(`twins: generated ${result.generated}, run ${result.run}, safe ${result.safe}, live ${result.live}, met ${result.met}`)
    expect(result.generated).toBe(16_384)
    expect(result.run).toBe(16)
    expect(result.failures.map((f) => `${f.index}: ${f.problems[0]}\n  ${f.replay}`)).toEqual([])
    expect(result.safe).toBe(16)
    expect(result.live).toBe(16)
  }, 120_000)
})
