// Approval proofs across epochs (docs/formats.md section 15.6): the cutoff certificate is
// checked against its own epoch's set through the epoch changes it carries, and a proof
// whose receipts show that the cutoff's epoch had ended below the cutoff's height is
// refused (a retired set's keys could sign such a cutoff).
import { describe, expect, it } from 'vitest'
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { decisionPayloadText, votePayloadText } from '../../src/decisions/payload.ts'
import { approvalProofFromCbor, approvalProofToCbor, verifyApprovalProof, type ApprovalProof } from '../../src/decisions/proof.ts'
import { entryId } from '../../src/log/entry.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { ccBy, EpochChainBuilder, seedsFor } from '../support/epoch-chain.ts'

const CHAIN = 'decisions-epochs'

/** A 2-of-2 decision (deadline 20) in epoch 0, a reconfiguration 4 -> 5, both approvals in epoch 1. */
function setup() {
  const b = new EpochChainBuilder(testNet(4, CHAIN))
  const proposer = new TestAgent(`${CHAIN}/proposer`)
  const approvers = [0, 1].map((i) => new TestAgent(`${CHAIN}/approver-${i}`))
  const decision = proposer.entryText(CHAIN, 'org/decisions', decisionPayloadText({ approvers: approvers.map((a) => toHex(a.publicKey)), threshold: 2, deadline: 20 }))
  b.add([decision])
  b.reconfigure([...b.current.seeds, ...seedsFor(`${CHAIN}/joiner`, 1)], 'five')
  const votes = approvers.map((a) => a.entryText(CHAIN, 'org/reviews', votePayloadText('approve'), [entryId(decision)]))
  b.add(votes)
  b.add([])
  const votesHeight = b.epochs[1]!.firstHeight
  const proof: ApprovalProof = {
    decision: b.receipt(0, 1),
    approvals: votes.map((v) => b.receipt(b.entries.indexOf(v), votesHeight)),
    cutoff: b.items[votesHeight - 1]!.cc!,
    cutoffEpochs: b.epochChanges(1),
  }
  return { b, proof, votesHeight }
}

describe('approval proofs across epochs', () => {
  it('verify with the cutoff checked against its epoch\'s set, and round-trip through CBOR', () => {
    const { b, proof } = setup()
    expect(verifyApprovalProof(proof, b.net.genesis)).toMatchObject({ ok: true })
    const back = approvalProofFromCbor(decodeCanonical(encodeCanonical(approvalProofToCbor(proof))))
    expect(back.cutoffEpochs).toHaveLength(1)
    expect(verifyApprovalProof(back, b.net.genesis)).toMatchObject({ ok: true })
  })

  it('refuse a cutoff of a later epoch without its epoch changes', () => {
    const { b, proof } = setup()
    // Epoch 1 keeps the four genesis validators at their indexes, so its cutoff's first
    // four signatures also make an epoch-0 quorum: what refuses it is the approvals'
    // receipts, which show epoch 0 ended below it.
    expect(verifyApprovalProof({ ...proof, cutoffEpochs: undefined }, b.net.genesis)).toMatchObject({ ok: false, code: 'epochs-inconsistent' })
    // Epoch changes for the cutoff that are not one (here the decision's receipt).
    expect(verifyApprovalProof({ ...proof, cutoffEpochs: [{ ...proof.decision, boundary: [b.items[0]!.block.header] }] }, b.net.genesis)).toMatchObject({ ok: false, code: 'bad-cutoff-certificate' })
  })

  it('refuse a cutoff signed by the retired genesis set above the end of epoch 0', () => {
    const { b, proof, votesHeight } = setup()
    // Epoch 0's keys sign the checkpoint of a block of epoch 1: alone it verifies as an
    // epoch-0 cutoff, but the approvals' receipts show epoch 0 ended below it.
    const forged = ccBy(CHAIN, b.epochs[0]!.seeds, b.items[votesHeight - 1]!.block.header)
    expect(verifyApprovalProof({ ...proof, cutoff: forged, cutoffEpochs: undefined }, b.net.genesis)).toMatchObject({ ok: false, code: 'epochs-inconsistent' })
  })
})
