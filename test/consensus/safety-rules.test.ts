import { describe, expect, it } from 'vitest'
import { SafetyRules, initialSafetyState } from '../../src/consensus/safety-rules.ts'
import { decodeSafetyState, encodeSafetyState } from '../../src/consensus/messages.ts'
import { blockHash } from '../../src/log/block.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import type { TimeoutCertificate } from '../../src/log/certificates.ts'
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
