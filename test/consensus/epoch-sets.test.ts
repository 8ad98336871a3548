// Per-epoch sets (docs/protocol.md, "The replica at the boundary", step 4): the verifier
// checks each certificate against the set of its epoch (a QC and a CC by their block's
// epoch, a TC and a timeout by the epoch they name), votes and timeouts name their epoch
// on the wire (absent for epoch 0, so epoch 0 encodes as before), timeouts of epoch >= 1
// sign it, and the replica ignores (never penalises) a message of another epoch.
import { describe, expect, it } from 'vitest'
import { decodeMessage, decodeSafetyState, encodeMessage, encodeSafetyState } from '../../src/consensus/messages.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { initialSafetyState, SafetyRules } from '../../src/consensus/safety-rules.ts'
import type { TimeoutMessage, VoteMessage } from '../../src/consensus/types.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { signDomain } from '../../src/crypto/domain.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, genesisBlock, type BlockHeader } from '../../src/log/block.ts'
import { qcToCbor, timeoutDataToCbor, voteDataToCbor, type QuorumCertificate, type TimeoutCertificate } from '../../src/log/certificates.ts'
import { genesisEpoch, nextEpoch, type Epoch } from '../../src/log/epochs.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { CHAIN, child, genesisQc, makeGenesis, qcFor } from './fixtures.ts'

const { genesis, seeds } = makeGenesis(4)
/** Epoch 1: five validators that share no key with the genesis set. */
const seeds1 = Array.from({ length: 5 }, (_, i) => new Uint8Array(32).fill(60 + i))
const epoch1: Epoch = nextEpoch({
  epoch: 1, expires: 100,
  validators: seeds1.map((seed, i) => ({ name: `w${i}`, publicKey: publicKeyFromSeed(seed), addresses: [] })),
  approvals: { signers: new Uint8Array(1), sigs: [] },
}, 2)

function verifier(): Verifier {
  return new Verifier(genesis, validatorSetOf(genesis), 100, 100)
}

/** A header at height 5 (no parent needed: only its hash is signed). */
function header(epoch: number): BlockHeader {
  const h = child(genesisBlock(genesis), genesisQc(genesis), 3, [], new MerkleAccumulator(), 4).header
  return { ...h, height: 5, ...(epoch === 0 ? {} : { epoch }) }
}

function voteBy(seed: Uint8Array, voter: number, h: BlockHeader, epoch?: number): VoteMessage {
  const data = { round: h.round, height: h.height, block: blockHash(h) }
  return { type: 'vote', ...(epoch === undefined ? {} : { epoch }), voter, ...data, sig: signDomain(seed, 'vote', CHAIN, voteDataToCbor(data)), commit: null }
}

function tcBy(signerSeeds: readonly Uint8Array[], signers: number[], n: number, round: number, epoch: number): TimeoutCertificate {
  return {
    round, signers: bitmapOf(signers, n), highQcRounds: signers.map(() => 0),
    sigs: signers.map((i) => signDomain(signerSeeds[i]!, 'timeout', CHAIN, timeoutDataToCbor(round, 0, epoch))),
  }
}

describe('the verifier picks the set per certificate', () => {
  it('a QC or CC is checked against the epoch given (its block\'s), and a cached verdict for one set says nothing of another', () => {
    const v = verifier()
    const h = header(1)
    const qc1 = qcFor(h, seeds1, [0, 1, 2, 3], 5)
    expect(v.qc(qc1)).not.toBeNull() // the default: epoch 0's set
    expect(v.qc(qc1, epoch1)).toBeNull()
    expect(v.qc(qc1, epoch1)).toBeNull() // from the cache
    expect(v.counters.certificateCacheHits).toBe(1)
    expect(v.qc(qc1)).not.toBeNull() // still not a quorum of epoch 0, cache or not
    const qc0 = qcFor(header(0), seeds, [0, 1, 2], 4)
    expect(v.qc(qc0)).toBeNull()
    expect(v.qc(qc0, epoch1)).not.toBeNull()
  })

  it('a TC of epoch 1 is over epoch 1\'s timeout bodies: the same signers over epoch 0\'s bodies are no TC of it', () => {
    const v = verifier()
    expect(v.tc(tcBy(seeds1, [0, 1, 2, 3], 5, 4, 1), epoch1)).toBeNull()
    expect(v.tc(tcBy(seeds1, [0, 1, 2, 3], 5, 4, 0), epoch1)).toMatchObject({ code: 'certificate-bad-signature', certificate: 'TC' })
    expect(v.tc(tcBy(seeds, [0, 1, 2], 4, 4, 0))).toBeNull()
  })

  it('a vote or timeout is checked by the epoch it names; an epoch not entered is unknown', () => {
    const v = verifier()
    const vote1 = voteBy(seeds1[4]!, 4, header(1), 1)
    expect(v.vote(vote1)).toEqual({ code: 'epoch-unknown', epoch: 1 })
    v.enterEpoch(epoch1)
    expect(v.epoch).toBe(epoch1)
    expect(v.vote(vote1)).toBeNull()
    // Naming epoch 0 does not make an epoch-1 key a voter of epoch 0 (index 4 is not one).
    expect(v.vote({ ...vote1, epoch: undefined })).toEqual({ code: 'voter-unknown', voter: 4 })
    // An epoch-0 vote still verifies as epoch 0's (a stale message is told from a forgery).
    expect(v.vote(voteBy(seeds[1]!, 1, header(0)))).toBeNull()
    // Timeouts of epoch 1 sign the epoch: one signed over the epoch-0 body fails.
    const qc = qcFor(header(1), seeds1, [0, 1, 2, 3], 5)
    const body = (epoch: number) => signDomain(seeds1[2]!, 'timeout', CHAIN, timeoutDataToCbor(6, qc.round, epoch))
    const t: TimeoutMessage = { type: 'timeout', epoch: 1, voter: 2, round: 6, highQc: qc, highTc: null, sig: body(1) }
    expect(v.timeout(t)).toBeNull()
    expect(v.timeout({ ...t, sig: body(0) })).toEqual({ code: 'timeout-bad-signature', voter: 2 })
  })

  it('epochs only go forward, one at a time', () => {
    const v = verifier()
    v.enterEpoch(genesisEpoch(genesis)) // the epoch it is in: nothing changes
    expect(v.epoch.number).toBe(0)
    const epoch2 = { ...epoch1, number: 2 }
    expect(() => v.enterEpoch(epoch2)).toThrow(/cannot enter epoch 2/)
    v.enterEpoch(epoch1)
    expect(v.knownEpoch(0)?.number).toBe(0)
    expect(v.knownEpoch(1)).toBe(epoch1)
    expect(() => v.enterEpoch(genesisEpoch(genesis))).toThrow(/cannot enter epoch 0/)
  })
})

describe('the epoch on the wire', () => {
  const qc: QuorumCertificate = qcFor(header(0), seeds, [0, 1, 2], 4)

  it('epoch 0 votes, timeouts and sync-infos encode as before the field existed', () => {
    const vote = voteBy(seeds[0]!, 0, header(0))
    expect(toHex(encodeMessage(vote))).toBe(toHex(encodeCanonical({ type: 'vote', voter: 0, round: vote.round, height: vote.height, block: vote.block, sig: vote.sig, commit: null })))
    expect(decodeMessage(encodeMessage(vote))).toEqual(vote)
    const t: TimeoutMessage = { type: 'timeout', voter: 1, round: 9, highQc: qc, highTc: null, sig: new Uint8Array(64) }
    expect(toHex(encodeMessage(t))).toBe(toHex(encodeCanonical({ type: 'timeout', voter: 1, round: 9, highQc: qcToCbor(qc), highTc: null, sig: t.sig })))
    expect(toHex(encodeMessage({ ...t, epoch: 0 }))).toBe(toHex(encodeMessage(t)))
  })

  it('later epochs carry it and round-trip (the safety state too); epoch 0 written out is malformed', () => {
    const vote = voteBy(seeds1[0]!, 0, header(3), 3)
    expect(decodeMessage(encodeMessage(vote))).toEqual(vote)
    const t: TimeoutMessage = { type: 'timeout', epoch: 3, voter: 1, round: 9, highQc: qc, highTc: null, sig: new Uint8Array(64) }
    expect(decodeMessage(encodeMessage(t))).toEqual(t)
    const info = { type: 'sync-info' as const, epoch: 2, highQc: qc, highTc: null, highCc: null }
    expect(decodeMessage(encodeMessage(info))).toEqual(info)
    const state = { ...initialSafetyState(genesisQc(genesis)), lastVote: vote, lastTimeout: t, lastVotedRound: 9, highestTimeoutRound: 9 }
    expect(decodeSafetyState(encodeSafetyState(state))).toEqual(state)
    const raw = encodeCanonical({ type: 'vote', epoch: 0, voter: 0, round: vote.round, height: vote.height, block: vote.block, sig: vote.sig, commit: null })
    expect(() => decodeMessage(raw)).toThrow(/epoch 0 is written by leaving the field out/)
  })
})

describe('the safety rules sign the epoch', () => {
  it('a vote names its block\'s epoch; a timeout of epoch 1 signs it', () => {
    const rules = new SafetyRules({ chainId: CHAIN, validatorIndex: 2, seed: seeds1[2]! }, initialSafetyState(genesisQc(genesis)))
    // A state of epoch 1 (epoch-safety.test.ts has the rules of the switch), rooted here
    // at the genesis block: its round-1 block is the epoch's first.
    expect(rules.startEpoch(1, genesisQc(genesis)).ok).toBe(true)
    const parent = genesisBlock(genesis)
    const block = child(parent, genesisQc(genesis), 1, [], new MerkleAccumulator(), 5)
    const h: BlockHeader = { ...block.header, epoch: 1 }
    const signed = rules.signVote(h, blockHash(h), parent.header, blockHash(parent.header), null, genesisQc(genesis), null)
    expect(signed.ok && signed.message.epoch).toBe(1)
    const timeout = rules.signTimeout(1, genesisQc(genesis), null, 1)
    expect(timeout.ok).toBe(true)
    if (!timeout.ok) return
    expect(timeout.message.epoch).toBe(1)
    const v = verifier()
    v.enterEpoch(epoch1)
    expect(v.timeout(timeout.message)).toBeNull()
  })
})

describe('the replica and messages of another epoch', () => {
  it('is in its head\'s epoch, and ignores a vote, timeout or sync-info of another epoch without penalising it', () => {
    const r = new Replica({ genesis, validatorIndex: 2, seed: seeds[2]! })
    r.step({ type: 'start', now: 0 })
    expect(r.epoch.number).toBe(0)
    expect(r.set.n).toBe(4)
    const ignoredBefore = r.stats.ignored
    // Leader of round 2 is replica 2: a vote of round 1 would be for it, but names epoch 1.
    const vote = voteBy(seeds[1]!, 1, { ...header(1), round: 1 }, 1)
    const timeout: TimeoutMessage = { type: 'timeout', epoch: 1, voter: 1, round: 1, highQc: genesisQc(genesis), highTc: null, sig: new Uint8Array(64) }
    const info = { type: 'sync-info' as const, epoch: 1, highQc: qcFor(header(1), seeds1, [0, 1, 2, 3], 5), highTc: null, highCc: null }
    const out = [vote, timeout, info].flatMap((message) => r.step({ type: 'message', now: 0, from: 1, message }))
    expect(out.filter((a) => a.type === 'rejected')).toEqual([])
    expect(r.stats.ignored - ignoredBefore).toBe(3)
  })
})
