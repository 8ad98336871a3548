// The safety rules across an epoch boundary (docs/protocol.md, "Safety at the boundary"
// 3, and step 5's safety-rules part): a fresh state per epoch rooted at the QC of the
// reconfiguration block (its round 0), signatures for the state's epoch only, the first
// block's vote with q = 0 and no commit half, timeouts that count the root QC as round 0.
import { describe, expect, it } from 'vitest'
import { decodeSafetyState, encodeSafetyState } from '../../src/consensus/messages.ts'
import { initialSafetyState, SafetyRules } from '../../src/consensus/safety-rules.ts'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { verifyDomain } from '../../src/crypto/domain.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, genesisBlock, type BlockHeader } from '../../src/log/block.ts'
import { qcToCbor, timeoutDataToCbor } from '../../src/log/certificates.ts'
import { merkleRoot, MerkleAccumulator } from '../../src/log/merkle.ts'
import { CHAIN, child, genesisQc, makeGenesis, qcFor } from './fixtures.ts'

const { genesis, seeds } = makeGenesis(4)
/** The reconfiguration block of epoch 0, at round 57, and its QC (the root of epoch 1). */
const bk = child(genesisBlock(genesis), genesisQc(genesis), 57, [], new MerkleAccumulator(), 4).header
const rootQc = qcFor(bk, seeds, [0, 1, 2], 4)

function next(parent: BlockHeader, round: number, justify = qcFor(parent, seeds, [0, 1, 2], 4)): BlockHeader {
  return {
    epoch: 1, height: parent.height + 1, round, parent: blockHash(parent), entriesRoot: merkleRoot([]), entryCount: 0,
    logSize: parent.logSize, logRoot: parent.logRoot, proposer: round % 4, justify,
  }
}

function rules(): SafetyRules {
  return new SafetyRules({ chainId: CHAIN, validatorIndex: 1, seed: seeds[1]! }, initialSafetyState(genesisQc(genesis)))
}

describe('a fresh safety state per epoch', () => {
  it('starts only a later epoch, rooted at the reconfiguration block\'s QC', () => {
    const r = rules()
    expect(r.startEpoch(0, rootQc)).toEqual({ ok: false, reason: { code: 'epoch-not-after', epoch: 0, current: 0 } })
    const started = r.startEpoch(1, rootQc)
    expect(started.ok).toBe(true)
    if (!started.ok) return
    expect(started.persist).toMatchObject({ epoch: 1, lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, highTc: null })
    expect(toHex(started.persist.epochRoot!)).toBe(toHex(blockHash(bk)))
    expect(r.epoch).toBe(1)
    expect(r.startEpoch(1, rootQc)).toEqual({ ok: false, reason: { code: 'epoch-not-after', epoch: 1, current: 1 } })
  })

  it('after it, nothing of the epoch before is signed', () => {
    const r = rules()
    r.startEpoch(1, rootQc)
    const old = child(genesisBlock(genesis), genesisQc(genesis), 1, [], new MerkleAccumulator(), 4)
    const g = genesisBlock(genesis).header
    expect(r.signVote(old.header, blockHash(old.header), g, blockHash(g), null, genesisQc(genesis), null)).toEqual({ ok: false, reason: { code: 'sign-epoch-not-current', epoch: 0, current: 1 } })
    expect(r.signTimeout(1, genesisQc(genesis), null, 0)).toEqual({ ok: false, reason: { code: 'sign-epoch-not-current', epoch: 0, current: 1 } })
    // Nor, before it, anything of the epoch after.
    const fresh = rules()
    const first = next(bk, 1, rootQc)
    expect(fresh.signVote(first, blockHash(first), bk, blockHash(bk), null, rootQc, null)).toEqual({ ok: false, reason: { code: 'sign-epoch-not-current', epoch: 1, current: 0 } })
  })

  it('the first block is voted with its justify as round 0 and no commit half; the next block locks nothing of the epoch before', () => {
    const r = rules()
    r.startEpoch(1, rootQc)
    const first = next(bk, 1, rootQc)
    const v1 = r.signVote(first, blockHash(first), bk, blockHash(bk), null, rootQc, null)
    expect(v1.ok).toBe(true)
    if (!v1.ok) return
    expect(v1.message).toMatchObject({ epoch: 1, round: 1, commit: null })
    expect(r.state).toMatchObject({ lastVotedRound: 1, preferredRound: 0, oneChainRound: 0 })
    const second = next(first, 2)
    const v2 = r.signVote(second, blockHash(second), first, blockHash(first), null, qcFor(first, seeds, [0, 1, 2], 4), null)
    expect(v2.ok).toBe(true)
    if (!v2.ok) return
    // Round 2 follows round 1 within the epoch: it signs the first block's CommitData.
    expect(v2.message.commit).toMatchObject({ height: first.height, block: blockHash(first) })
    // Its parent's justify is the root QC (round 57 of epoch 0): it counts as 0 here.
    expect(r.state).toMatchObject({ lastVotedRound: 2, preferredRound: 0, oneChainRound: 1 })
  })

  it('a first block whose justify is not the state\'s root is refused', () => {
    const r = rules()
    r.startEpoch(1, rootQc)
    const other = child(genesisBlock(genesis), genesisQc(genesis), 58, [], new MerkleAccumulator(), 4).header
    const otherQc = qcFor(other, seeds, [0, 1, 2], 4)
    const first = next(other, 1, otherQc)
    expect(r.signVote(first, blockHash(first), other, blockHash(other), null, otherQc, null)).toEqual({ ok: false, reason: { code: 'vote-justify-not-parent' } })
  })

  it('a timeout of round 1 follows the root QC as round 0, and signs that', () => {
    const r = rules()
    r.startEpoch(1, rootQc)
    const t = r.signTimeout(1, rootQc, null, 1)
    expect(t.ok).toBe(true)
    if (!t.ok) return
    expect(t.message).toMatchObject({ epoch: 1, round: 1, highQc: rootQc })
    expect(verifyDomain(publicKeyFromSeed(seeds[1]!), 'timeout', CHAIN, timeoutDataToCbor(1, 0, 1), t.message.sig)).toBe(true)
    // Round 58 would follow the root QC's own round: not in this epoch.
    expect(rules().signTimeout(58, rootQc, null, 0).ok).toBe(true) // (in epoch 0 it does)
    const r2 = rules()
    r2.startEpoch(1, rootQc)
    expect(r2.signTimeout(58, rootQc, null, 1)).toMatchObject({ ok: false, reason: { code: 'timeout-round-not-following', highQcRound: 0 } })
  })
})

describe('the safety state\'s encoding', () => {
  it('epoch 0 encodes as before; a later epoch\'s state carries its epoch and root and round-trips', () => {
    const s0 = initialSafetyState(genesisQc(genesis))
    const before = encodeCanonical({
      lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null,
      highQc: qcToCbor(genesisQc(genesis)), highTc: null,
    })
    expect(toHex(encodeSafetyState(s0))).toBe(toHex(before))
    const r = rules()
    r.startEpoch(1, rootQc)
    const first = next(bk, 1, rootQc)
    r.signVote(first, blockHash(first), bk, blockHash(bk), null, rootQc, null)
    expect(decodeSafetyState(encodeSafetyState(r.state))).toEqual(r.state)
    // A restored epoch-1 state keeps refusing epoch 0.
    const restored = new SafetyRules({ chainId: CHAIN, validatorIndex: 1, seed: seeds[1]! }, decodeSafetyState(encodeSafetyState(r.state)))
    expect(restored.epoch).toBe(1)
    expect(restored.signTimeout(2, rootQc, null, 0)).toMatchObject({ ok: false, reason: { code: 'sign-epoch-not-current' } })
  })
})
