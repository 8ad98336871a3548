// A proposal justified by a TC must extend a QC at least as high as the highest QC
// round among the TC's signers (docs/protocol.md): the replica refuses one that
// extends a lower QC with proposal-qc-below-tc, before any block validation.
import { describe, expect, it } from 'vitest'
import { Replica } from '../../src/consensus/replica.ts'
import type { ProposalMessage } from '../../src/consensus/types.ts'
import { signDomain } from '../../src/crypto/domain.ts'
import { blockHash, genesisBlock, type Block } from '../../src/log/block.ts'
import { timeoutDataToCbor, type TimeoutCertificate } from '../../src/log/certificates.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { CHAIN, child, entry, genesisQc, makeGenesis, qcFor } from './fixtures.ts'

const n = 4
const { genesis, seeds } = makeGenesis(n)
const quorum = [0, 1, 2]

function tcFor(round: number, highQcRound: number): TimeoutCertificate {
  return {
    round, highQcRounds: quorum.map(() => highQcRound), signers: bitmapOf(quorum, n),
    sigs: quorum.map((i) => signDomain(seeds[i]!, 'timeout', CHAIN, timeoutDataToCbor(round, highQcRound))),
  }
}

function proposalOf(block: Block, tc: TimeoutCertificate): ProposalMessage {
  const proposer = block.header.proposer
  return { type: 'proposal', block, sig: signDomain(seeds[proposer]!, 'proposal', CHAIN, { block: blockHash(block.header) }), tc, cc: null }
}

describe('a proposal after a TC', () => {
  // A (round 1) <- B (round 2, certified); the TC for round 3 says its signers saw QC(B).
  const logA = new MerkleAccumulator()
  const a = child(genesisBlock(genesis), genesisQc(genesis), 1, [entry(1)], logA, n)
  const logB = MerkleAccumulator.fromState(logA.toState())
  const b = child(a, qcFor(a.header, seeds, quorum, n), 2, [entry(2)], logB, n)
  const tc = tcFor(3, 2)

  it('regression (injected bug proposal-tc-high-qc-ignored): extending QC(A), below the TC\'s QC(B), is refused as proposal-qc-below-tc', () => {
    const replica = new Replica({ genesis, validatorIndex: 1, seed: seeds[1]! })
    replica.step({ type: 'start', now: 0 })
    const low = child(a, qcFor(a.header, seeds, quorum, n), 4, [], MerkleAccumulator.fromState(logA.toState()), n)
    const out = replica.step({ type: 'message', now: 0, from: low.header.proposer, message: proposalOf(low, tc) })
    expect(out.filter((x) => x.type === 'rejected')).toEqual([
      expect.objectContaining({ reason: { code: 'proposal-qc-below-tc', qcRound: 1, tcHighQcRound: 2 } }),
    ])
  })

  it('extending QC(B) itself is not refused (the only difference is the QC)', () => {
    const replica = new Replica({ genesis, validatorIndex: 1, seed: seeds[1]! })
    replica.step({ type: 'start', now: 0 })
    const high = child(b, qcFor(b.header, seeds, quorum, n), 4, [], MerkleAccumulator.fromState(logB.toState()), n)
    const out = replica.step({ type: 'message', now: 0, from: high.header.proposer, message: proposalOf(high, tc) })
    expect(out.filter((x) => x.type === 'rejected')).toEqual([])
    // It moved to the round after the TC (the TC was verified and applied).
    expect(replica.round).toBeGreaterThanOrEqual(4)
  })
})
