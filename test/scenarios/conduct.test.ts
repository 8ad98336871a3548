// The watching checkers on hand-made actions (no simulation): each check code of the
// conduct checker (scenarios/checkers/conduct.ts) and of the safety-state checker
// (scenarios/checkers/safety-state.ts) is produced by the action that breaks it, and the
// valid counterpart produces nothing. Chains are built with every validator key at hand
// (test/support/chain-builder.ts).
import { describe, expect, it } from 'vitest'
import { signDomain } from '../../src/crypto/domain.ts'
import { signMessage } from '../../src/crypto/ed25519.ts'
import { blockHash, genesisQc, type Block } from '../../src/log/block.ts'
import { commitNoteMessage } from '../../src/log/checkpoint-note.ts'
import { timeoutDataToCbor, voteDataToCbor, type TimeoutCertificate } from '../../src/log/certificates.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import type { Action, ProposalMessage, SafetyState, VoteMessage } from '../../src/consensus/types.ts'
import { ConductChecker } from '../../scenarios/checkers/conduct.ts'
import type { Evidence } from '../../scenarios/checkers/run-evidence.ts'
import { SafetyStateChecker } from '../../scenarios/checkers/safety-state.ts'
import { ChainBuilder, signCc, signQc, testNet, TestAgent, type TestNet } from '../support/chain-builder.ts'

const ACTOR = { node: 'node 1', round: 3 }

function setUp(): { net: TestNet, chain: ChainBuilder, agent: TestAgent, evidence: Evidence[], conduct: ConductChecker } {
  const net = testNet(4)
  const evidence: Evidence[] = []
  return { net, chain: new ChainBuilder(net), agent: new TestAgent('a'), evidence, conduct: new ConductChecker(net.genesis, (e) => evidence.push(e)) }
}

function persist(block: Block): Action {
  return { type: 'persist-block', hash: blockHash(block.header), block }
}

function proposal(net: TestNet, block: Block, sig = signDomain(net.validatorSeeds[block.header.proposer]!, 'proposal', net.genesis.chainId, { block: blockHash(block.header) })): ProposalMessage {
  return { type: 'proposal', block, sig, tc: null, cc: null }
}

function vote(net: TestNet, voter: number, block: Block, commit: VoteMessage['commit'] = null): VoteMessage {
  const data = { round: block.header.round, height: block.header.height, block: blockHash(block.header) }
  return { type: 'vote', voter, ...data, sig: signDomain(net.validatorSeeds[voter]!, 'vote', net.genesis.chainId, voteDataToCbor(data)), commit }
}

function checks(evidence: readonly Evidence[]): string[] {
  return evidence.map((e) => (e.code === 'acted-on-invalid' ? `${e.act}:${e.object}:${e.check}` : e.code))
}

describe('conduct checker', () => {
  it('valid blocks, proposals, votes, certificates and entries produce no evidence', () => {
    const { net, chain, agent, evidence, conduct } = setUp()
    const b1 = chain.add([agent.entry(net.genesis.chainId, 'test', { n: 1 })])
    const b2 = chain.add([agent.entry(net.genesis.chainId, 'test', { n: 2 })])
    conduct.received(ACTOR.node, { type: 'message', now: 0, from: 1, message: proposal(net, b1) })
    conduct.executed(ACTOR, persist(b1))
    conduct.executed(ACTOR, { type: 'send', to: 2, message: vote(net, 1, b1) })
    conduct.received(ACTOR.node, { type: 'message', now: 0, from: 2, message: proposal(net, b2) })
    conduct.executed(ACTOR, persist(b2))
    const commit = { height: 1, block: blockHash(b1.header), logSize: b1.header.logSize, logRoot: b1.header.logRoot }
    conduct.executed(ACTOR, { type: 'send', to: 3, message: vote(net, 1, b2, { ...commit, sig: signMessage(net.validatorSeeds[1]!, commitNoteMessage(net.genesis.chainId, commit)) }) })
    conduct.executed(ACTOR, { type: 'broadcast', message: { type: 'sync-info', highQc: signQc(net, b2.header), highTc: null, highCc: signCc(net, b1.header) } })
    conduct.executed(ACTOR, { type: 'broadcast', message: { type: 'sync-info', highQc: genesisQc(net.genesis), highTc: null, highCc: null } })
    conduct.executed(ACTOR, { type: 'send', to: 0, message: { type: 'entries', entries: b2.entries } })
    conduct.executed(ACTOR, { type: 'commit', blocks: [b1], hashes: [blockHash(b1.header)], qc: signQc(net, b1.header), cc: signCc(net, b1.header), log: { size: 1, frontier: [] } })
    expect(evidence).toEqual([])
    expect(conduct.counts.get('vote')).toBe(2)
  })

  it('a block with a tampered entry (its signature no longer verifies), a block whose parent was never accepted, a block with a bad justify QC', () => {
    const { net, chain, agent, evidence, conduct } = setUp()
    const b1 = chain.add([agent.entry(net.genesis.chainId, 'test', { n: 1 })])
    const tampered = { ...b1, entries: [{ ...b1.entries[0]!, payload: '{"n":9}' }] }
    conduct.executed(ACTOR, persist(tampered))
    const orphanChain = new ChainBuilder(net)
    orphanChain.add([])
    const orphan = orphanChain.add([])
    conduct.executed(ACTOR, persist(orphan))
    conduct.executed(ACTOR, persist(b1))
    const badQc = { ...signQc(net, b1.header), sigs: signQc(net, b1.header).sigs.map((s, i) => (i === 1 ? new Uint8Array(64) : s)) }
    const b2 = chain.add([], true, badQc)
    conduct.executed(ACTOR, persist(b2))
    expect(checks(evidence)).toEqual(['accept-block:block:entry/bad-entry-signature', 'accept-block:block:parent-unseen', 'accept-block:block:bad-qc/certificate-bad-signature'])
  })

  it('an entry with a bad signature is judged before the roots when the header matches it', () => {
    const { net, agent, evidence, conduct } = setUp()
    const good = agent.entry(net.genesis.chainId, 'test', { n: 1 })
    const forged = { ...good, sig: new Uint8Array(64) }
    const chain = new ChainBuilder(net)
    const b1 = chain.add([forged])
    conduct.executed(ACTOR, persist(b1))
    conduct.executed(ACTOR, { type: 'send', to: 0, message: { type: 'entries', entries: [forged] } })
    expect(checks(evidence)).toEqual(['accept-block:block:entry/bad-entry-signature', 'forward-entries:entry:bad-entry-signature'])
  })

  it('votes: for a block never accepted, without a proposal, with only a badly signed proposal, with a wrong commit half', () => {
    const { net, chain, evidence, conduct } = setUp()
    const b1 = chain.add([])
    const b2 = chain.add([])
    const b3 = chain.add([])
    conduct.executed(ACTOR, { type: 'send', to: 2, message: vote(net, 1, b1) })
    conduct.executed(ACTOR, persist(b1))
    conduct.executed(ACTOR, { type: 'send', to: 2, message: vote(net, 1, b1) })
    conduct.received(ACTOR.node, { type: 'message', now: 0, from: 2, message: proposal(net, b2, new Uint8Array(64)) })
    conduct.executed(ACTOR, persist(b2))
    conduct.executed(ACTOR, { type: 'send', to: 3, message: vote(net, 1, b2) })
    conduct.received(ACTOR.node, { type: 'message', now: 0, from: 3, message: proposal(net, b3) })
    conduct.executed(ACTOR, persist(b3))
    const wrong = { height: 2, block: blockHash(b1.header), logSize: 0, logRoot: b1.header.logRoot }
    conduct.executed(ACTOR, { type: 'send', to: 0, message: vote(net, 1, b3, { ...wrong, sig: signMessage(net.validatorSeeds[1]!, commitNoteMessage(net.genesis.chainId, wrong)) }) })
    expect(checks(evidence)).toEqual(['vote:block:block-not-accepted', 'vote:block:no-proposal', 'vote:block:proposal-bad-signature', 'vote:vote:commit-vote-mismatch'])
  })

  it('certificates: a QC short of a quorum, a TC with a bad signature, a CC for another block, each time it is acted on', () => {
    const { net, chain, evidence, conduct } = setUp()
    const b1 = chain.add([])
    const b2 = chain.add([])
    conduct.executed(ACTOR, persist(b1))
    conduct.executed(ACTOR, persist(b2))
    const shortQc = signQc(net, b1.header, 2)
    const who = [0, 1, 2]
    const tc: TimeoutCertificate = { round: 5, highQcRounds: [1, 1, 1], signers: bitmapOf(who, 4), sigs: who.map((i) => signDomain(net.validatorSeeds[i]!, 'timeout', net.genesis.chainId, timeoutDataToCbor(5, i === 2 ? 0 : 1))) }
    conduct.executed(ACTOR, { type: 'broadcast', message: { type: 'timeout', voter: 1, round: 5, highQc: shortQc, highTc: tc, sig: new Uint8Array(64) } })
    // The same invalid objects again: the checker caches the failure, and reports again.
    conduct.executed(ACTOR, { type: 'broadcast', message: { type: 'sync-info', highQc: shortQc, highTc: tc, highCc: null } })
    conduct.executed(ACTOR, { type: 'commit', blocks: [b1], hashes: [blockHash(b1.header)], qc: null, cc: signCc(net, b2.header), log: { size: 0, frontier: [] } })
    expect(checks(evidence)).toEqual([
      'timeout:qc:certificate-quorum-short', 'timeout:tc:certificate-bad-signature',
      'sync-info:qc:certificate-quorum-short', 'sync-info:tc:certificate-bad-signature',
      'commit:cc:cc-not-for-block',
    ])
  })
})

describe('commit justification', () => {
  function commitOf(net: TestNet, block: Block, cc: boolean): Action {
    return { type: 'commit', blocks: [block], hashes: [blockHash(block.header)], qc: signQc(net, block.header), cc: cc ? signCc(net, block.header) : null, log: { size: 0, frontier: [] } }
  }

  it('a commit needs a certified child in the next round, a quorum of votes for one, or a CC', () => {
    const { net, chain, evidence, conduct } = setUp()
    const b1 = chain.add([])
    const b2 = chain.add([])
    const b3 = chain.add([])
    conduct.executed(ACTOR, persist(b1))
    conduct.executed(ACTOR, persist(b2))
    // b1 certified (b2 carries its QC) is not enough: one-chain.
    conduct.executed(ACTOR, commitOf(net, b1, false))
    conduct.stepEnded()
    expect(checks(evidence)).toEqual(['commit:block:commit-unjustified'])
    // Two votes for b2 are short of a quorum; the third makes b2 certified.
    for (const voter of [0, 2]) conduct.received('node 3', { type: 'message', now: 0, from: voter, message: vote(net, voter, b2) })
    conduct.executed(ACTOR, commitOf(net, b1, false))
    conduct.stepEnded()
    expect(evidence).toHaveLength(2)
    conduct.received('node 3', { type: 'message', now: 0, from: 1, message: vote(net, 1, b2) })
    conduct.executed(ACTOR, commitOf(net, b1, false))
    conduct.stepEnded()
    expect(evidence).toHaveLength(2)
    // b3 carries b2's QC: b2 certified, b2 committed by b3's QC once b3 is certified or by a CC.
    conduct.executed(ACTOR, persist(b3))
    conduct.executed(ACTOR, commitOf(net, b2, false))
    conduct.stepEnded()
    expect(evidence).toHaveLength(3)
    conduct.executed(ACTOR, commitOf(net, b2, true))
    conduct.stepEnded()
    expect(evidence).toHaveLength(3)
  })

  it('a certified child in a later round (after a timeout) does not justify a commit', () => {
    const net = testNet(4)
    const evidence: Evidence[] = []
    const conduct = new ConductChecker(net.genesis, (e) => evidence.push(e))
    const chain = new ChainBuilder(net)
    const b1 = chain.add([])
    // b2 in round b1.round + 2: build it by hand on b1.
    const b2h = { ...b1.header, height: 2, round: b1.header.round + 2, parent: blockHash(b1.header), justify: signQc(net, b1.header), proposer: (b1.header.round + 2) % 4 }
    const b2: Block = { header: b2h, entries: [] }
    conduct.executed(ACTOR, persist(b1))
    conduct.executed(ACTOR, persist(b2))
    conduct.executed(ACTOR, { type: 'broadcast', message: { type: 'sync-info', highQc: signQc(net, b2h), highTc: null, highCc: null } })
    conduct.executed(ACTOR, commitOf(net, b1, false))
    conduct.stepEnded()
    expect(checks(evidence)).toEqual(['commit:block:commit-unjustified'])
  })
})

function state(rounds: { voted: number, preferred?: number, oneChain?: number, timeout?: number }): SafetyState {
  const net = testNet(4)
  return { ...initialSafetyState(genesisQc(net.genesis)), lastVotedRound: rounds.voted, preferredRound: rounds.preferred ?? 0, oneChainRound: rounds.oneChain ?? 0, highestTimeoutRound: rounds.timeout ?? 0 }
}

describe('safety-state checker', () => {
  it('a persist below what was written, a step below the previous step, a restart below what was written', () => {
    const evidence: Evidence[] = []
    const s = new SafetyStateChecker((e) => evidence.push(e))
    s.persisted('n', 5, state({ voted: 5, preferred: 3, oneChain: 4 }))
    s.persisted('n', 6, state({ voted: 4, preferred: 3, oneChain: 4 }))
    s.stepped('n', 6, state({ voted: 6, preferred: 3, oneChain: 4 }))
    s.stepped('n', 6, state({ voted: 6, preferred: 2, oneChain: 4 }))
    s.crashed('n')
    s.restarted('n', 6, state({ voted: 5, preferred: 3, oneChain: 1 }))
    expect(evidence).toEqual([
      { code: 'safety-state-regressed', node: 'n', round: 6, moment: 'persist', field: 'lastVotedRound', before: 5, after: 4 },
      { code: 'safety-state-regressed', node: 'n', round: 6, moment: 'step', field: 'preferredRound', before: 3, after: 2 },
      { code: 'safety-state-regressed', node: 'n', round: 6, moment: 'restart', field: 'oneChainRound', before: 4, after: 1 },
    ])
  })

  it('a crash in the middle of a step: memory was ahead of storage, the restart resumes from storage, no evidence', () => {
    const evidence: Evidence[] = []
    const s = new SafetyStateChecker((e) => evidence.push(e))
    s.persisted('n', 5, state({ voted: 5 }))
    s.stepped('n', 7, state({ voted: 7 }))
    s.crashed('n')
    s.restarted('n', 5, state({ voted: 5 }))
    s.stepped('n', 8, state({ voted: 8 }))
    expect(evidence).toEqual([])
  })
})
