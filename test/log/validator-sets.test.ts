// The validator set's arithmetic and invariants, signer bitmaps, the timeout's signed body
// and the leader elections: rules every certificate check stands on. Written against the
// survivors of a mutation run (docs/mutation.md, "src/log"): each weakening below passed
// every other unit test, because the suites use n = 3f+1 sets of distinct keys only.
import { describe, expect, it } from 'vitest'
import { signDomain } from '../../src/crypto/domain.ts'
import { timeoutDataToCbor, checkTc, tcHighQcRound, type TimeoutCertificate } from '../../src/log/certificates.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { RoundRobinLeaderElection, ScheduledLeaderElection, upcomingLeaders } from '../../src/log/leader-election.ts'
import { bitmapOf, signersOf } from '../../src/log/signer-bitmap.ts'
import { faultTolerance, quorumSize, ValidatorSet, type ValidatorInfo } from '../../src/log/validator-set.ts'
import { LIMITS } from '../../src/limits.ts'
import { testNet } from '../support/chain-builder.ts'

function validators(n: number): ValidatorInfo[] {
  // Distinct keys for any n: the index in the first two bytes.
  return Array.from({ length: n }, (_, i) => ({ name: `v${i}`, publicKey: Uint8Array.from({ length: 32 }, (_, j) => (j === 0 ? i >> 8 : j === 1 ? i & 0xff : j)), addresses: [] }))
}

describe('fault tolerance and quorum for every n, not only n = 3f+1', () => {
  // f = floor((n-1)/3); quorum = ceil((n+f+1)/2). A set changed by a reconfiguration can
  // have any n, so the table goes past the 3f+1 sizes.
  const table: [n: number, f: number, quorum: number][] = [
    [1, 0, 1], [2, 0, 2], [3, 0, 2], [4, 1, 3], [5, 1, 4], [6, 1, 4], [7, 2, 5], [8, 2, 6], [9, 2, 6],
    [10, 3, 7], [11, 3, 8], [12, 3, 8], [13, 4, 9], [16, 5, 11], [100, 33, 67], [256, 85, 171],
  ]
  for (const [n, f, quorum] of table) {
    it(`n = ${n}: f = ${f}, quorum = ${quorum}`, () => {
      expect(faultTolerance(n)).toBe(f)
      expect(quorumSize(n)).toBe(quorum)
      // Any two quorums share more than f validators: at least one honest.
      expect(2 * quorum - n).toBeGreaterThan(f)
      const set = new ValidatorSet(validators(n))
      expect([set.n, set.f, set.quorum, set.bitmapBytes]).toEqual([n, f, quorum, Math.ceil(n / 8)])
    })
  }
})

describe('a validator set', () => {
  it('has 1 to validatorsMax members', () => {
    expect(() => new ValidatorSet([])).toThrow(new RangeError(`a validator set has 1 to ${LIMITS.validatorsMax} validators, got 0`))
    expect(() => new ValidatorSet(validators(LIMITS.validatorsMax + 1))).toThrow(new RangeError(`a validator set has 1 to ${LIMITS.validatorsMax} validators, got ${LIMITS.validatorsMax + 1}`))
    expect(new ValidatorSet(validators(1)).n).toBe(1)
    expect(new ValidatorSet(validators(LIMITS.validatorsMax)).n).toBe(LIMITS.validatorsMax)
  })

  it('refuses a key that appears twice (one validator would count twice towards a quorum)', () => {
    const list = validators(4)
    expect(() => new ValidatorSet([...list, { ...list[1]!, name: 'again' }])).toThrow(new RangeError('validator 4 repeats the key of validator 1'))
  })

  it('finds each key at its index, and no other key', () => {
    const list = validators(5)
    const set = new ValidatorSet(list)
    list.forEach((v, i) => {
      expect(set.indexOf(v.publicKey)).toBe(i)
      expect(set.has(v.publicKey)).toBe(true)
      expect(set.key(i)).toBe(v.publicKey)
    })
    const stranger = new Uint8Array(32).fill(0xee)
    expect(set.indexOf(stranger)).toBeUndefined()
    expect(set.has(stranger)).toBe(false)
    expect(() => set.key(5)).toThrow(new RangeError('no validator at index 5 (n = 5)'))
    expect(() => set.key(-1)).toThrow(RangeError)
  })

  it('is the same as another only with the same keys in the same order', () => {
    const list = validators(4)
    const set = new ValidatorSet(list)
    expect(set.sameAs(new ValidatorSet(list.map((v) => ({ ...v, name: `${v.name}-renamed` }))))).toBe(true)
    expect(set.sameAs(new ValidatorSet([list[1]!, list[0]!, list[2]!, list[3]!]))).toBe(false)
    expect(set.sameAs(new ValidatorSet(list.slice(0, 3)))).toBe(false)
    expect(set.sameAs(new ValidatorSet([...list.slice(0, 3), validators(5)[4]!]))).toBe(false)
  })
})

describe('signer bitmaps', () => {
  it('name each signer by its bit, and refuse a signer outside the set', () => {
    expect(bitmapOf([0, 2, 9], 10)).toEqual(Uint8Array.of(0b101, 0b10))
    for (const bad of [-1, 10, 11, 1.5, Number.NaN]) expect(() => bitmapOf([bad], 10), String(bad)).toThrow(RangeError)
  })

  it('read back only at the length n needs, with no bit at or past n', () => {
    expect(signersOf(Uint8Array.of(0b101, 0b10), 10)).toEqual([0, 2, 9])
    expect(signersOf(Uint8Array.of(0b101), 10)).toBeNull()
    expect(signersOf(Uint8Array.of(0b101, 0b10, 0), 10)).toBeNull()
    expect(signersOf(Uint8Array.of(0, 0b100), 10)).toBeNull() // bit 10
    expect(signersOf(Uint8Array.of(0, 0b1000_0000), 16)).toEqual([15])
    expect(signersOf(Uint8Array.of(0b1000_0000), 7)).toBeNull() // bit 7 of a 7-validator set
  })
})

describe('the timeout a validator signs binds its round, its high QC round and its epoch', () => {
  const net = testNet(4, 'timeout-body')
  const set = validatorSetOf(net.genesis)
  const chainId = net.genesis.chainId

  function tc(round: number, highQcRounds: readonly number[], signedFor: (i: number) => { round: number, highQcRound: number, epoch?: number } = (i) => ({ round, highQcRound: highQcRounds[i]! })): TimeoutCertificate {
    const signers = [0, 1, 2]
    return {
      round, highQcRounds,
      signers: bitmapOf(signers, 4),
      sigs: signers.map((s, i) => {
        const body = signedFor(i)
        return signDomain(net.validatorSeeds[s]!, 'timeout', chainId, timeoutDataToCbor(body.round, body.highQcRound, body.epoch))
      }),
    }
  }

  it('its body is exactly {round, highQcRound} in epoch 0 and names the epoch after', () => {
    expect(timeoutDataToCbor(5, 3)).toEqual({ round: 5, highQcRound: 3 })
    expect(timeoutDataToCbor(5, 3, 0)).toEqual({ round: 5, highQcRound: 3 })
    expect(timeoutDataToCbor(5, 3, 2)).toEqual({ round: 5, highQcRound: 3, epoch: 2 })
  })

  it('a TC of its own statements verifies; a timeout of another round, high QC round or epoch does not join it', () => {
    expect(checkTc(set, chainId, tc(6, [3, 4, 5]))).toBeNull()
    expect(checkTc(set, chainId, tc(6, [3, 4, 5], (i) => ({ round: i === 2 ? 5 : 6, highQcRound: [3, 4, 5][i]! })))).toEqual({ code: 'certificate-bad-signature', signer: 2 })
    expect(checkTc(set, chainId, tc(6, [3, 4, 5], (i) => ({ round: 6, highQcRound: i === 1 ? 2 : [3, 4, 5][i]! })))).toEqual({ code: 'certificate-bad-signature', signer: 1 })
    expect(checkTc(set, chainId, tc(6, [3, 4, 5], (i) => ({ round: 6, highQcRound: [3, 4, 5][i]!, epoch: i === 0 ? 1 : 0 })))).toEqual({ code: 'certificate-bad-signature', signer: 0 })
    const ofEpoch1 = tc(6, [3, 4, 5], (i) => ({ round: 6, highQcRound: [3, 4, 5][i]!, epoch: 1 }))
    expect(checkTc(set, chainId, ofEpoch1, undefined, 1)).toBeNull()
    expect(checkTc(set, chainId, ofEpoch1)).toEqual({ code: 'certificate-bad-signature', signer: 0 })
  })

  it('its highest QC round is the largest of its signers\'', () => {
    expect(tcHighQcRound(tc(9, [3, 7, 5]))).toBe(7)
    expect(tcHighQcRound(tc(9, [0, 0, 0]))).toBe(0)
  })
})

describe('leader elections', () => {
  it('round-robin: r mod n, for a set of at least one', () => {
    expect(new RoundRobinLeaderElection(1).leaderOf(7)).toBe(0)
    expect(new ScheduledLeaderElection(1, [0]).leaderOf(3)).toBe(0)
    const rr = new RoundRobinLeaderElection(5)
    expect([0, 1, 4, 5, 11].map((r) => rr.leaderOf(r))).toEqual([0, 1, 4, 0, 1])
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new RoundRobinLeaderElection(bad), String(bad)).toThrow(new RangeError(`a validator set has at least 1 member, got ${bad}`))
  })

  it('scheduled: the listed leader for rounds 1..k, round-robin before and after', () => {
    const scheduled = new ScheduledLeaderElection(4, [3, 3, 0])
    expect([0, 1, 2, 3, 4, 5, 6].map((r) => scheduled.leaderOf(r))).toEqual([0, 3, 3, 0, 0, 1, 2])
    expect(new ScheduledLeaderElection(4, []).leaderOf(2)).toBe(2)
    expect(() => new ScheduledLeaderElection(0, [])).toThrow(new RangeError('a validator set has at least 1 member, got 0'))
    expect(() => new ScheduledLeaderElection(4, [1, 4])).toThrow(new RangeError('the leader of round 2 must be a validator index 0-3, got 4'))
    expect(() => new ScheduledLeaderElection(4, [-1])).toThrow(new RangeError('the leader of round 1 must be a validator index 0-3, got -1'))
    expect(() => new ScheduledLeaderElection(4, [0.5])).toThrow(RangeError)
  })

  it('upcoming leaders: distinct, not self, at most count, within 4n rounds', () => {
    const rr = new RoundRobinLeaderElection(4)
    expect(upcomingLeaders(rr, 5, 2, 1, 4)).toEqual([2, 3])
    expect(upcomingLeaders(rr, 5, 9, 1, 4)).toEqual([2, 3, 0])
    // An election that repeats one validator: only what 4n rounds name.
    const stuck = new ScheduledLeaderElection(4, Array.from({ length: 16 }, () => 2))
    expect(upcomingLeaders(stuck, 1, 2, 0, 4)).toEqual([2])
  })
})
