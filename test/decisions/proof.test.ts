import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import {
  approvalProofFromCbor, approvalProofFromJson, approvalProofToCbor, approvalProofToJson, verifyApprovalProof, type ApprovalProof,
} from '../../src/decisions/proof.ts'
import { decisionPayloadText } from '../../src/decisions/payload.ts'
import { decisionStates } from '../../src/decisions/state.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { testNet } from '../support/chain-builder.ts'
import { decisionChain, validProof } from '../support/decision-chain.ts'

function codeOf(proof: ApprovalProof, c = decisionChain()): string {
  const v = verifyApprovalProof(proof, c.net.genesis)
  return v.ok ? 'ok' : v.code
}

describe('verifyApprovalProof', () => {
  it('accepts a proof of k approvals and agrees with the state function', () => {
    const c = decisionChain()
    const verdict = verifyApprovalProof(validProof(c), c.net.genesis)
    expect(verdict).toMatchObject({ ok: true, decision: toHex(entryId(c.decision)), spec: { threshold: 2, deadline: 10 } })
    const recs = c.entries.map((entry, index) => ({ entry, index, height: index < 2 ? 1 : 2 }))
    expect(decisionStates(recs, 2).get(toHex(entryId(c.decision)))?.status).toBe('approved')
  })

  it('survives its JSON and CBOR forms unchanged', () => {
    const c = decisionChain()
    const proof = validProof(c)
    const json = JSON.parse(JSON.stringify(approvalProofToJson(proof))) as unknown
    expect(verifyApprovalProof(approvalProofFromJson(json), c.net.genesis).ok).toBe(true)
    const bytes = encodeCanonical(approvalProofToCbor(proof))
    expect(encodeCanonical(approvalProofToCbor(approvalProofFromCbor(decodeCanonical(bytes))))).toEqual(bytes)
  })

  it('refuses a proof under another genesis (bad-decision-receipt)', () => {
    const c = decisionChain()
    const other = testNet(4, 'another-chain')
    const v = verifyApprovalProof(validProof(c), { ...other.genesis, chainId: c.net.genesis.chainId }) // same chain id, other validators
    expect(v).toMatchObject({ ok: false, code: 'bad-decision-receipt', receiptCode: 'bad-commit-certificate' })
  })

  it('refuses each broken proof with its code', () => {
    const c = decisionChain()
    const good = validProof(c)
    const cases: [string, ApprovalProof][] = [
      ['not-a-decision', { ...good, decision: c.receipt(1) }],
      ['not-an-approval', { ...good, approvals: [c.receipt(2), c.receipt(1)] }],
      ['too-few-approvals', { ...good, approvals: [c.receipt(2)] }],
      ['duplicate-approver', { ...good, approvals: [c.receipt(2), c.receipt(2)] }],
      ['approval-after-cutoff', { ...good, cutoff: c.cc(1) }],
    ]
    for (const [code, proof] of cases) expect(codeOf(proof, c), code).toBe(code)
  })

  it('refuses an approval by an agent the decision does not name (not-an-approver)', () => {
    const c = decisionChain()
    c.add([c.vote(c.outsider, 'approve')])
    expect(codeOf({ ...validProof(c), approvals: [c.receipt(2), c.receipt(4)], cutoff: c.cc(3) }, c)).toBe('not-an-approver')
  })

  it('refuses an approval of another decision (wrong-decision)', () => {
    const c = decisionChain()
    const other = c.approvers[2]!.entryText(c.net.genesis.chainId, 'org/decisions', decisionPayloadText({ approvers: [toHex(c.approvers[2]!.publicKey)], threshold: 1, deadline: 10 }))
    c.add([other])
    c.add([c.vote(c.approvers[2]!, 'approve', other)])
    expect(codeOf({ ...validProof(c), approvals: [c.receipt(2), c.receipt(5)], cutoff: c.cc(4) }, c)).toBe('wrong-decision')
  })

  it('refuses a cutoff above the deadline (cutoff-after-deadline)', () => {
    const c = decisionChain(2)
    c.add([])
    expect(codeOf({ ...validProof(c), cutoff: c.cc(3) }, c)).toBe('cutoff-after-deadline')
  })

  it('refuses a cutoff certificate that does not verify (bad-cutoff-certificate)', () => {
    const c = decisionChain()
    const cutoff = c.cc(2)
    expect(codeOf({ ...validProof(c), cutoff: { ...cutoff, logSize: cutoff.logSize + 1 } }, c)).toBe('bad-cutoff-certificate')
  })

  it('refuses a forged approval receipt (bad-approval-receipt at its position)', () => {
    const c = decisionChain()
    const good = validProof(c)
    const forged = { ...good.approvals[1]!, index: good.approvals[1]!.index - 1 }
    expect(verifyApprovalProof({ ...good, approvals: [good.approvals[0]!, forged] }, c.net.genesis)).toMatchObject({ ok: false, code: 'bad-approval-receipt', approval: 1, receiptCode: 'bad-inclusion-proof' })
  })

  it('refuses an approval committed before the decision (approval-before-decision)', () => {
    // An approver who saw the signed decision before it committed: its vote precedes it.
    const c = decisionChain()
    const later = c.approvers[0]!.entryText(c.net.genesis.chainId, 'org/decisions', decisionPayloadText({ approvers: c.approvers.map((a) => toHex(a.publicKey)), threshold: 1, deadline: 10 }))
    const early = c.vote(c.approvers[2]!, 'approve', later)
    c.add([early, later])
    expect(codeOf({ decision: c.receipt(5), approvals: [c.receipt(4)], cutoff: c.cc(3) }, c)).toBe('approval-before-decision')
  })
})

const seed = Number(process.env.FC_SEED ?? 20261203)
const numRuns = Number(process.env.FC_RUNS ?? 150)

describe(`tampered approval proofs (fast-check seed ${seed}, replay with FC_SEED=${seed})`, () => {
  const c = decisionChain()
  const bytes = encodeCanonical(approvalProofToCbor(validProof(c)))

  it('a proof with any one bit flipped is refused, at decoding or verification', () => {
    fc.assert(fc.property(fc.nat({ max: bytes.length * 8 - 1 }), (bit) => {
      const tampered = new Uint8Array(bytes)
      tampered[bit >> 3]! ^= 1 << (bit & 7)
      let proof: ApprovalProof
      try {
        proof = approvalProofFromCbor(decodeCanonical(tampered))
      } catch {
        return // refused when read
      }
      expect(verifyApprovalProof(proof, c.net.genesis).ok).toBe(false)
    }), { seed, numRuns })
  })
})
