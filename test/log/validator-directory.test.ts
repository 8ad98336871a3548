import { describe, expect, it } from 'vitest'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { EpochReplay } from '../../src/log/epochs.ts'
import { EpochMembers, ValidatorDirectory } from '../../src/log/validator-directory.ts'
import { ValidatorSet } from '../../src/log/validator-set.ts'
import { reconfigurationEntry, validatorOf } from '../consensus/epoch-cluster.ts'
import { makeGenesis, seeds as seedsOf } from '../consensus/fixtures.ts'

const { genesis, seeds } = makeGenesis(4)
const extra = seedsOf(6).slice(4)
const v4 = validatorOf('v4', extra[0]!)
const v5 = validatorOf('v5', extra[1]!)

describe('the validator directory', () => {
  it('starts with the genesis set and only grows: a key keeps its index when its epoch ends', () => {
    const d = new ValidatorDirectory(genesis.validators)
    expect(d.size).toBe(4)
    expect(d.learn([genesis.validators[1]!, v4, genesis.validators[0]!])).toEqual([4])
    // A later set without validator 3 and with another new key: 3 keeps its index.
    expect(d.learn([v5, genesis.validators[0]!, v4])).toEqual([5])
    expect(d.keys.map(toHex)).toEqual([...genesis.validators, v4, v5].map((v) => toHex(v.publicKey)))
    expect(d.indexOf(genesis.validators[3]!.publicKey)).toBe(3)
    expect(d.has(5)).toBe(true)
    expect(d.has(6)).toBe(false)
    expect(d.has(-1)).toBe(false)
    expect(() => d.key(6)).toThrow(RangeError)
  })

  it('fromKeys refuses a repeated key; extends tells a prefix', () => {
    const keys = genesis.validators.map((v) => v.publicKey)
    expect(() => ValidatorDirectory.fromKeys([...keys, keys[2]!])).toThrow(/repeats the key at index 2/)
    const d = ValidatorDirectory.fromKeys([...keys, v4.publicKey])
    expect(d.extends(new ValidatorDirectory(genesis.validators))).toBe(true)
    expect(new ValidatorDirectory(genesis.validators).extends(d)).toBe(false)
    expect(ValidatorDirectory.fromKeys([keys[1]!, keys[0]!]).extends(ValidatorDirectory.fromKeys([keys[0]!]))).toBe(false)
  })

  it('EpochMembers maps set positions to directory indexes and back', () => {
    const d = new ValidatorDirectory(genesis.validators)
    d.learn([v4])
    const set = new ValidatorSet([genesis.validators[0]!, genesis.validators[1]!, genesis.validators[2]!, v4])
    const m = new EpochMembers(set, d)
    expect(m.indexes).toEqual([0, 1, 2, 4])
    expect(m.indexOf(3)).toBe(4)
    expect(m.positionOf(4)).toBe(3)
    expect(m.positionOf(3)).toBe(-1)
    expect(() => m.indexOf(4)).toThrow(RangeError)
    expect(() => new EpochMembers(new ValidatorSet([v5]), d)).toThrow(/not in the directory/)
  })

  it('EpochReplay grows it at each effective reconfiguration, in the order of first appearance', () => {
    const set1 = [...genesis.validators, v4]
    const set2 = [genesis.validators[0]!, genesis.validators[1]!, genesis.validators[2]!, v4, v5].filter((v) => v !== genesis.validators[1])
    const replay = new EpochReplay(genesis)
    replay.append(reconfigurationEntry(1, 1, genesis.validators, set1, [0, 1, 2].map((position) => ({ position, seed: seeds[position]! }))), 1)
    expect(replay.directory.size).toBe(5)
    replay.advanceTo(2)
    const approvers1 = [0, 1, 2, 4].map((position) => ({ position, seed: position === 4 ? extra[0]! : seeds[position]! }))
    replay.append(reconfigurationEntry(2, 2, set1, set2, approvers1), 3)
    expect(replay.position.ending?.next.number).toBe(2)
    expect(replay.directory.keys.map(toHex)).toEqual([...genesis.validators, v4, v5].map((v) => toHex(v.publicKey)))
    // An inert claim (wrong epoch) adds nothing.
    replay.advanceTo(4)
    replay.append(reconfigurationEntry(3, 5, set2, [validatorOf('v6', new Uint8Array(32).fill(66))], [{ position: 0, seed: seeds[0]! }]), 4)
    expect(replay.directory.size).toBe(6)
    expect(publicKeyFromSeed(extra[1]!)).toEqual(v5.publicKey)
  })
})
