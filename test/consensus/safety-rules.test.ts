import { describe, expect, it } from 'vitest'
import { SafetyRules, initialSafetyState } from '../../src/consensus/safety-rules.ts'
import { decodeSafetyState, encodeSafetyState } from '../../src/consensus/messages.ts'
import { blockHash } from '../../src/log/block.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { timeoutDataToCbor, voteDataToCbor, type TimeoutCertificate } from '../../src/log/certificates.ts'
import { commitNoteMessage } from '../../src/log/checkpoint.ts'
import { verifyDomain } from '../../src/crypto/domain.ts'
import { verifySignature } from '../../src/crypto/ed25519.ts'
import { AssertionError } from '../../src/assert.ts'
import { CHAIN, child, entry, genesisBlock, genesisQc, makeGenesis, qcFor } from './fixtures.ts'

const { genesis, seeds } = makeGenesis(4)
const g = genesisBlock(genesis)
const gQc = genesisQc(genesis)
const n = 4

function rules(state = initialSafetyState(gQc)): SafetyRules {
  return new SafetyRules({ chainId: CHAIN, validatorIndex: 0, seed: seeds[0]! }, state)
}

// Chain: genesis <- b1 (round 1) <- b2 (round 2)
const log = new MerkleAccumulator()
const b1 = child(g, gQc, 1, [entry(1)], log, n)
const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
const b2 = child(b1, qc1, 2, [], log, n)
const b1h = blockHash(b1.header)
const b2h = blockHash(b2.header)

describe('safety rules', () => {
  it('votes once per round and repeats the same vote for the same block', () => {
    const r = rules()
    const first = r.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null)
    expect(first.ok).toBe(true)
    if (!first.ok) return
    expect(first.persist).not.toBeNull()
    expect(first.persist!.lastVotedRound).toBe(1)
    const again = r.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null)
    expect(again.ok && again.message).toBe(first.message)
    expect(again.ok && again.persist).toBeNull()
  })

  it('refuses a second block in a round it voted in', () => {
    const r = rules()
    expect(r.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null).ok).toBe(true)
    const other = child(g, gQc, 1, [entry(2)], new MerkleAccumulator(), n)
    const res = r.signVote(other.header, blockHash(other.header), g.header, blockHash(g.header), null, gQc, null)
    expect(res.ok).toBe(false)
    expect(!res.ok && res.reason).toEqual({ code: 'vote-round-not-above-last-voted', round: 1, lastVoted: 1 })
  })

  it('signs the commit half only when the block directly follows its parent round', () => {
    const r = rules()
    r.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null)
    const v2 = r.signVote(b2.header, b2h, b1.header, b1h, null, qc1, null)
    expect(v2.ok).toBe(true)
    if (!v2.ok) return
    expect(v2.message.commit).not.toBeNull()
    expect(v2.message.commit!.height).toBe(1)
    expect(v2.persist!.oneChainRound).toBe(1)
    // Round 4 on QC round 1 is not justified without a TC.
    const gap = child(b1, qc1, 4, [], new MerkleAccumulator(), n)
    const res = rules().signVote(gap.header, blockHash(gap.header), b1.header, b1h, null, qc1, null)
    expect(res.ok).toBe(false)
  })

  it('after a timeout for round r, never votes in round r', () => {
    const r = rules()
    const t = r.signTimeout(1, gQc, null)
    expect(t.ok).toBe(true)
    const v = r.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null)
    expect(v.ok).toBe(false)
    // A repeated timeout for the same round is the same message.
    const again = r.signTimeout(1, gQc, null)
    expect(again.ok && t.ok && again.message).toBe(t.ok ? t.message : null)
  })

  it('votes after a TC only if the QC is at least the TC high-QC round', () => {
    const tc: TimeoutCertificate = { round: 2, highQcRounds: [1, 1, 0], signers: new Uint8Array([7]), sigs: [] }
    // Block at round 3 extending b1 (QC round 1) after TC(2) with max high-QC round 1: ok.
    const b3 = child(b1, qc1, 3, [], new MerkleAccumulator(), n)
    expect(rules().signVote(b3.header, blockHash(b3.header), b1.header, b1h, tc, qc1, tc).ok).toBe(true)
    // Block at round 3 extending genesis (QC round 0) after the same TC: refused.
    const b3g = child(g, gQc, 3, [], new MerkleAccumulator(), n)
    expect(rules().signVote(b3g.header, blockHash(b3g.header), g.header, blockHash(g.header), tc, gQc, tc).ok).toBe(false)
  })

  it('never double-votes across a restart from the persisted state', () => {
    const r = rules()
    const v = r.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null)
    expect(v.ok).toBe(true)
    if (!v.ok) return
    const restored = decodeSafetyState(encodeSafetyState(v.persist!))
    expect(restored.lastVotedRound).toBe(1)
    const r2 = rules(restored)
    const other = child(g, gQc, 1, [entry(5)], new MerkleAccumulator(), n)
    expect(r2.signVote(other.header, blockHash(other.header), g.header, blockHash(g.header), null, gQc, null).ok).toBe(false)
    // ...but the same vote is repeated identically.
    const same = r2.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null)
    expect(same.ok && same.message.sig).toEqual(v.message.sig)
    // and a timeout for round 1 is still allowed (it does not contradict the vote).
    expect(r2.signTimeout(1, gQc, null).ok).toBe(true)
  })

  it('refuses a timeout whose high QC is below what it observed', () => {
    const r = rules()
    r.signVote(b1.header, b1h, g.header, blockHash(g.header), null, gQc, null)
    r.signVote(b2.header, b2h, b1.header, b1h, null, qc1, null)
    const res = r.signTimeout(2, gQc, { round: 1, highQcRounds: [0, 0, 0], signers: new Uint8Array([7]), sigs: [] })
    expect(res.ok).toBe(false)
    expect(!res.ok && res.reason).toMatchObject({ code: 'timeout-high-qc-below-observed', observed: 1 })
  })
})

describe('safety rules on their own (the block rule would refuse these first)', () => {
  it('regression (injected bug vote-justify-not-checked): refuses to vote for a block whose justify QC names another block than the parent', () => {
    // b2 carries QC(b1); claimed here as a child of a sibling of b1 at the same height.
    const sibling = child(g, gQc, 1, [entry(2)], new MerkleAccumulator(), n)
    const res = rules().signVote(b2.header, b2h, sibling.header, blockHash(sibling.header), null, gQc, null)
    expect(!res.ok && res.reason).toEqual({ code: 'vote-justify-not-parent' })
    // With the parent it names, the same vote is signed.
    expect(rules().signVote(b2.header, b2h, b1.header, b1h, null, qc1, null).ok).toBe(true)
  })
})

describe('safety rules, rule by rule', () => {
  // More of the chain: b3 (round 3) on b2, and b4t (round 4) on b2 after a TC for round 3.
  const qc2 = qcFor(b2.header, seeds, [0, 1, 2], n)
  const b3 = child(b2, qc2, 3, [], log.clone(), n)
  const b3h = blockHash(b3.header)
  const gh = blockHash(g.header)
  const tcOf = (round: number, highQcRounds: number[]): TimeoutCertificate => ({ round, highQcRounds, signers: new Uint8Array([7]), sigs: [] })
  const voted = (r: SafetyRules, ...steps: [typeof b1, Uint8Array, typeof b1, Uint8Array, typeof qc1][]): void => {
    for (const [b, h, p, ph, q] of steps) expect(r.signVote(b.header, h, p.header, ph, null, q, null).ok).toBe(true)
  }
  const chainTo3 = (r: SafetyRules): void => voted(r, [b1, b1h, g, gh, gQc], [b2, b2h, b1, b1h, qc1], [b3, b3h, b2, b2h, qc2])

  it('signs a vote over (round, height, block) and a commit half over the parent\'s checkpoint', () => {
    const r = rules()
    voted(r, [b1, b1h, g, gh, gQc])
    const v = r.signVote(b2.header, b2h, b1.header, b1h, null, qc1, null)
    if (!v.ok) throw new Error('refused')
    const m = v.message
    expect([m.type, m.voter, m.round, m.height, m.block]).toEqual(['vote', 0, 2, 2, b2h])
    expect(verifyDomain(genesis.validators[0]!.publicKey, 'vote', CHAIN, voteDataToCbor({ round: 2, height: 2, block: b2h }), m.sig)).toBe(true)
    const data = { height: 1, block: b1h, logSize: b1.header.logSize, logRoot: b1.header.logRoot }
    expect({ ...m.commit!, sig: null }).toEqual({ ...data, sig: null })
    expect(verifySignature(genesis.validators[0]!.publicKey, commitNoteMessage(CHAIN, data), m.commit!.sig)).toBe(true)
    expect(v.persist!.lastVote).toBe(m)
  })

  it('signs no commit half for a child of genesis, nor across a round gap (a block after a TC)', () => {
    const first = rules().signVote(b1.header, b1h, g.header, gh, null, gQc, null)
    expect(first.ok && first.message.commit).toBeNull()
    const tc3 = tcOf(3, [2, 1, 2])
    const b4 = child(b2, qc2, 4, [], log.clone(), n)
    const after = rules().signVote(b4.header, blockHash(b4.header), b2.header, b2h, tc3, qc2, tc3)
    expect(after.ok).toBe(true)
    expect(after.ok && after.message.commit).toBeNull()
  })

  it('a TC justifies a vote only for the round right after it', () => {
    // Round 5 on QC round 2 with a TC for round 3: the TC is not for round 4.
    const b5 = child(b2, qc2, 5, [], log.clone(), n)
    const res = rules().signVote(b5.header, blockHash(b5.header), b2.header, b2h, tcOf(3, [2, 2, 2]), qc2, null)
    expect(!res.ok && res.reason).toEqual({ code: 'vote-round-unjustified', round: 5, qcRound: 2 })
    expect(rules().signVote(b5.header, blockHash(b5.header), b2.header, b2h, tcOf(4, [2, 2, 2]), qc2, null).ok).toBe(true)
    // ...and only when the QC is at least the TC's highest high-QC round (here 3, above 2).
    expect(rules().signVote(b5.header, blockHash(b5.header), b2.header, b2h, tcOf(4, [2, 3, 1]), qc2, null).ok).toBe(false)
  })

  it('records the parent\'s QC round as preferred and the block\'s QC round as observed, never lowering either', () => {
    const r = rules()
    chainTo3(r)
    expect(r.state.preferredRound).toBe(1) // b3's parent b2 carries QC round 1
    expect(r.state.oneChainRound).toBe(2) // b3 carries QC round 2
    // A vote after a TC on an older QC (round 1, the TC's high-QC round) lowers neither.
    const b5 = child(b1, qc1, 5, [], log.clone(), n)
    const v = r.signVote(b5.header, blockHash(b5.header), b1.header, b1h, tcOf(4, [1, 1, 1]), qc1, null)
    expect(v.ok).toBe(true)
    expect(r.state.preferredRound).toBe(1)
    expect(r.state.oneChainRound).toBe(2)
    expect(r.state.lastVotedRound).toBe(5)
  })

  it('keeps the highest QC and the newest TC it was given, whichever signing brings them', () => {
    const r = rules()
    const tc2 = tcOf(2, [1, 1, 1])
    const tc5 = tcOf(5, [1, 1, 1])
    expect(r.signVote(b1.header, b1h, g.header, gh, null, qc2, tc5).ok).toBe(true)
    expect(r.state.highQc).toBe(qc2)
    expect(r.state.highTc).toBe(tc5)
    // An older QC and TC (or none) do not replace them.
    expect(r.signVote(b2.header, b2h, b1.header, b1h, null, qc1, tc2).ok).toBe(true)
    expect(r.state.highQc).toBe(qc2)
    expect(r.state.highTc).toBe(tc5)
    expect(r.signTimeout(2, qc1, null).ok).toBe(true)
    expect(r.state.highQc).toBe(qc2)
    expect(r.state.highTc).toBe(tc5)
    // Newer ones do.
    const tc6 = tcOf(6, [2, 2, 2])
    const qc3 = qcFor(b3.header, seeds, [0, 1, 2], n)
    expect(r.signTimeout(7, qc3, tc6).ok).toBe(true)
    expect(r.state.highQc).toBe(qc3)
    expect(r.state.highTc).toBe(tc6)
    // A first TC is kept when there was none.
    const fresh = rules()
    expect(fresh.signTimeout(3, qc2, tc2).ok).toBe(true)
    expect(fresh.state.highTc).toBe(tc2)
  })

  it('signs a timeout over (round, high QC round) and records it', () => {
    const r = rules()
    const t = r.signTimeout(2, qc1, null)
    if (!t.ok) throw new Error('refused')
    expect([t.message.type, t.message.voter, t.message.round, t.message.highQc, t.message.highTc]).toEqual(['timeout', 0, 2, qc1, null])
    expect(verifyDomain(genesis.validators[0]!.publicKey, 'timeout', CHAIN, timeoutDataToCbor(2, 1), t.message.sig)).toBe(true)
    expect(t.persist).toBe(r.state)
    expect([r.state.lastVotedRound, r.state.highestTimeoutRound, r.state.lastTimeout]).toEqual([2, 2, t.message])
    // A timeout below the last voted round keeps that round.
    const voter = rules()
    chainTo3(voter)
    const tc = voter.signTimeout(3, qc2, null)
    expect(tc.ok && tc.persist!.lastVotedRound).toBe(3)
  })

  it('refuses a timeout for a round below the last voted round', () => {
    const r = rules()
    chainTo3(r)
    const res = r.signTimeout(2, qc1, null)
    expect(!res.ok && res.reason).toEqual({ code: 'timeout-round-below-last-voted', round: 2, lastVoted: 3 })
  })

  it('refuses a timeout at or below the highest timeout round of a restored state without its last timeout', () => {
    const restored = { ...initialSafetyState(gQc), lastVotedRound: 3, highestTimeoutRound: 3 }
    const res = rules(restored).signTimeout(3, qc2, null)
    expect(!res.ok && res.reason).toEqual({ code: 'timeout-round-not-above-highest', round: 3, highestTimeout: 3 })
    expect(rules(restored).signTimeout(4, { ...qc2, round: 3 }, null).ok).toBe(true)
  })

  it('a timeout must follow the high QC or the high TC', () => {
    const res = rules().signTimeout(3, qc1, null)
    expect(!res.ok && res.reason).toEqual({ code: 'timeout-round-not-following', round: 3, highQcRound: 1, highTcRound: -1 })
    const viaTc = rules().signTimeout(3, qc1, tcOf(2, [1, 1, 1]))
    expect(viaTc.ok).toBe(true)
    const stale = rules().signTimeout(3, qc1, tcOf(1, [0, 0, 0]))
    expect(!stale.ok && stale.reason).toEqual({ code: 'timeout-round-not-following', round: 3, highQcRound: 1, highTcRound: 1 })
    expect(rules().signTimeout(3, qc2, null).ok).toBe(true)
  })

  it('a timeout may claim exactly the QC round it observed', () => {
    const r = rules()
    chainTo3(r)
    expect(r.state.oneChainRound).toBe(2)
    expect(r.signTimeout(3, qc2, null).ok).toBe(true)
  })

  it('refuses to start from a safety state it could not have written', () => {
    const base = initialSafetyState(gQc)
    const broken = [
      { ...base, lastVotedRound: -1 },
      { ...base, lastVotedRound: -1, highestTimeoutRound: -1, oneChainRound: -1, preferredRound: -1 },
      { ...base, lastVotedRound: 1.5 },
      { ...base, lastVotedRound: 2, highestTimeoutRound: 3 },
      { ...base, lastVotedRound: 2, oneChainRound: 3 },
      { ...base, lastVotedRound: 3, oneChainRound: 1, preferredRound: 2 },
    ]
    for (const state of broken) expect(() => rules(state), JSON.stringify(state)).toThrow(AssertionError)
    const v = rules().signVote(b1.header, b1h, g.header, gh, null, gQc, null)
    const t = rules().signTimeout(1, gQc, null)
    if (!v.ok || !t.ok) throw new Error('refused')
    expect(() => rules({ ...base, lastVotedRound: 0, lastVote: v.message })).toThrow(AssertionError)
    expect(() => rules({ ...base, lastVotedRound: 2, highestTimeoutRound: 2, lastTimeout: t.message })).toThrow(AssertionError)
    // The states it writes are accepted.
    expect(() => rules({ ...base, lastVotedRound: 1, lastVote: v.message })).not.toThrow()
    expect(() => rules({ ...base, lastVotedRound: 1, highestTimeoutRound: 1, lastTimeout: t.message })).not.toThrow()
  })
})
