import { describe, expect, it } from 'vitest'
import { assert, AssertionError } from '../../src/assert.ts'
import { Pacemaker } from '../../src/consensus/pacemaker.ts'
import { SafetyRules, initialSafetyState } from '../../src/consensus/safety-rules.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'
import { CHAIN, genesisQc, makeGenesis } from './fixtures.ts'

describe('assertions on invariants', () => {
  it('throw an AssertionError with a stable name and the message', () => {
    expect(() => assert(true, 'holds')).not.toThrow()
    let caught: unknown
    try {
      assert(false, 'the thing holds')
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(AssertionError)
    expect((caught as Error).name).toBe('AssertionError')
    expect((caught as Error).message).toBe('the thing holds')
  })

  it('refuse a safety state this module could not have written', () => {
    const { genesis, seeds } = makeGenesis(4)
    const gQc = genesisQc(genesis)
    const options = { chainId: CHAIN, validatorIndex: 0, seed: seeds[0]! }
    expect(() => new SafetyRules(options, initialSafetyState(gQc))).not.toThrow()
    // A timeout above the last voted round would let this replica vote in a round it timed out in.
    expect(() => new SafetyRules(options, { ...initialSafetyState(gQc), highestTimeoutRound: 3 })).toThrow(AssertionError)
    expect(() => new SafetyRules(options, { ...initialSafetyState(gQc), lastVotedRound: -1 })).toThrow(AssertionError)
  })

  it('keep the pacemaker on whole rounds', () => {
    expect(() => new Pacemaker(DEFAULT_PARAMS, 1.5)).toThrow(AssertionError)
    const p = new Pacemaker(DEFAULT_PARAMS, 1)
    expect(p.advanceTo(3, true)).toBe(true)
    expect(p.consecutiveTimeouts).toBe(1)
    expect(p.advanceTo(2, false)).toBe(false)
    expect(() => p.advanceTo(Number.NaN, false)).toThrow(AssertionError)
  })
})
