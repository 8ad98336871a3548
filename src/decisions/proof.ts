// Approval proofs (docs/formats.md section 12): that a decision is approved, checked
// offline against nothing but the genesis, like a receipt. A proof is the decision's
// receipt, the receipts of `threshold` approvals by distinct named approvers, and one
// commit certificate (the cutoff) at or below the deadline height whose log covers
// every approval: that is what shows each approval was committed by the deadline.
import type { CborValue } from '../codec/cbor.ts'
import { CodecError } from '../codec/errors.ts'
import { readArray, readMap } from '../codec/schema.ts'
import { toHex } from '../crypto/hash.ts'
import { ccFromCbor, ccToCbor, checkCc, describeCertificateProblem, type CommitCertificate } from '../log/certificates.ts'
import { entryId } from '../log/entry.ts'
import { validatorSetOf, type Genesis } from '../log/genesis.ts'
import { fromJson, toJson, type JsonValue } from '../log/json.ts'
import { epochChangeFromCbor, epochChangeToCbor, receiptFromCbor, receiptToCbor, type EpochChange, type Receipt } from '../log/receipt.ts'
import { describeKnownEpochsProblem, KnownEpochs } from '../log/known-epochs.ts'
import type { ValidatorSet } from '../log/validator-set.ts'
import { verifyEpochChanges, verifyReceipt } from '../log/verify.ts'
import { LIMITS } from '../limits.ts'
import { readDecisionPayload, type DecisionSpec } from './payload.ts'

export interface ApprovalProof {
  readonly decision: Receipt
  /** Receipts of approvals by distinct approvers, at least `threshold` of them. */
  readonly approvals: readonly Receipt[]
  /** A commit certificate at a height at or below the deadline whose log size is above
   * every approval's index. */
  readonly cutoff: CommitCertificate
  /** The epoch changes up to the cutoff's epoch (docs/formats.md section 15.6), as a
   * receipt carries them; absent (or empty) when the cutoff is of epoch 0. */
  readonly cutoffEpochs?: readonly EpochChange[]
}

/** Why a proof is refused: the first check that fails, in the order of section 12. */
export type ApprovalProofFailureCode =
  | 'bad-decision-receipt'
  | 'not-a-decision'
  | 'bad-approval-receipt'
  | 'not-an-approval'
  | 'wrong-decision'
  | 'not-an-approver'
  | 'duplicate-approver'
  | 'approval-before-decision'
  | 'too-few-approvals'
  | 'bad-cutoff-certificate'
  | 'cutoff-after-deadline'
  | 'approval-after-cutoff'
  | 'epochs-inconsistent'

export type ApprovalProofVerdict =
  | { readonly ok: true, readonly decision: string, readonly spec: DecisionSpec, readonly approvers: readonly string[] }
  | {
    readonly ok: false
    readonly code: ApprovalProofFailureCode
    readonly reason: string
    /** Position in `approvals`, when the failure is about one. */
    readonly approval?: number
    /** The receipt's own failure code (verifyReceipt), for a bad receipt. */
    readonly receiptCode?: string
  }

type Failure = Extract<ApprovalProofVerdict, { ok: false }>

function fail(code: ApprovalProofFailureCode, reason: string, more: { approval?: number, receiptCode?: string } = {}): Failure {
  return { ok: false, code, reason, ...more }
}

function checkApproval(receipt: Receipt, i: number, decisionId: Uint8Array, decisionIndex: number, approvers: ReadonlySet<string>, seen: Set<string>, genesis: Genesis, set: ValidatorSet): Failure | null {
  const verdict = verifyReceipt(receipt, genesis, set)
  if (!verdict.ok) return fail('bad-approval-receipt', `approval ${i}: ${verdict.reason}`, { approval: i, receiptCode: verdict.code })
  const read = readDecisionPayload(receipt.entry)
  if (read.type !== 'vote' || read.vote.kind !== 'approve') return fail('not-an-approval', `approval ${i}: the entry is not an approval`, { approval: i })
  if (toHex(read.vote.decision) !== toHex(decisionId)) return fail('wrong-decision', `approval ${i} approves ${toHex(read.vote.decision)}, not this decision`, { approval: i })
  const agent = toHex(receipt.entry.agent)
  if (!approvers.has(agent)) return fail('not-an-approver', `approval ${i}: agent ${agent} is not an approver of the decision`, { approval: i })
  if (seen.has(agent)) return fail('duplicate-approver', `approval ${i}: agent ${agent} already approved in this proof`, { approval: i })
  seen.add(agent)
  if (receipt.index <= decisionIndex) {
    return fail('approval-before-decision', `approval ${i} is at log index ${receipt.index}, not after the decision's ${decisionIndex}`, { approval: i })
  }
  return null
}

/**
 * Verifies an approval proof offline. Checks, in this order (the first failure is
 * reported): the decision's receipt and its payload; each approval's receipt, payload,
 * decision, approver and position after the decision; their number against the
 * threshold; the cutoff certificate, its height against the deadline, and that its log
 * covers each approval.
 */
export function verifyApprovalProof(proof: ApprovalProof, genesis: Genesis): ApprovalProofVerdict {
  const set = validatorSetOf(genesis)
  const decided = verifyReceipt(proof.decision, genesis, set)
  if (!decided.ok) return fail('bad-decision-receipt', `the decision's receipt: ${decided.reason}`, { receiptCode: decided.code })
  const read = readDecisionPayload(proof.decision.entry)
  if (read.type !== 'decision') return fail('not-a-decision', read.type === 'malformed' ? `the decision's payload: ${read.problem}` : 'the entry is not a decision')
  const spec = read.spec
  const decisionId = entryId(proof.decision.entry)
  const approvers = new Set(spec.approvers)
  const seen = new Set<string>()
  for (const [i, receipt] of proof.approvals.entries()) {
    const failure = checkApproval(receipt, i, decisionId, proof.decision.index, approvers, seen, genesis, set)
    if (failure !== null) return failure
  }
  if (seen.size < spec.threshold) return fail('too-few-approvals', `${seen.size} approvals, the decision needs ${spec.threshold}`)
  // The cutoff is checked against its epoch's set, reached through its own epoch changes.
  const cutoffChanges = proof.cutoffEpochs ?? []
  const chain = verifyEpochChanges(cutoffChanges, genesis, set)
  if (!chain.ok) return fail('bad-cutoff-certificate', `the cutoff's epoch change ${chain.position + 1}: ${chain.reason}`)
  const cutoffEpoch = chain.epochs[chain.epochs.length - 1]!
  const quorum = checkCc(cutoffEpoch.set, genesis.chainId, proof.cutoff)
  if (quorum !== null) return fail('bad-cutoff-certificate', `the cutoff certificate at height ${proof.cutoff.height}: ${describeCertificateProblem(quorum)}`)
  if (proof.cutoff.height < cutoffEpoch.firstHeight) {
    return fail('bad-cutoff-certificate', `the cutoff certificate at height ${proof.cutoff.height} is below the first block of its epoch ${cutoffEpoch.number}, at height ${cutoffEpoch.firstHeight}`)
  }
  if (proof.cutoff.height > spec.deadline) {
    return fail('cutoff-after-deadline', `the cutoff certificate is at height ${proof.cutoff.height}, above the deadline ${spec.deadline}`)
  }
  for (const [i, receipt] of proof.approvals.entries()) {
    if (receipt.index >= proof.cutoff.logSize) {
      return fail('approval-after-cutoff', `approval ${i} is at log index ${receipt.index}, not inside the cutoff's log of ${proof.cutoff.logSize}`, { approval: i })
    }
  }
  const epochs = epochsProblem(proof, genesis, set)
  if (epochs !== null) return fail('epochs-inconsistent', epochs)
  return { ok: true, decision: toHex(decisionId), spec, approvers: [...seen] }
}

/**
 * Whether the proof's receipts and its cutoff tell one epoch history (docs/formats.md
 * section 15.6): their epoch changes agree, and none of their checkpoints is of an epoch
 * that another one's changes show had ended below its height (a retired set's keys,
 * compromised later, could sign such a cutoff). Two passes, so that the answer does not
 * depend on the order of the receipts: the first learns the longest history, the second
 * judges every checkpoint against it.
 */
function epochsProblem(proof: ApprovalProof, genesis: Genesis, set: ValidatorSet): string | null {
  const known = new KnownEpochs(genesis, set)
  const all = [proof.decision, ...proof.approvals]
  for (let pass = 0; pass < 2; pass++) {
    for (const [i, receipt] of all.entries()) {
      const problem = known.observe(receipt)
      if (problem !== null) return `${i === 0 ? 'the decision' : `approval ${i - 1}`}: ${describeKnownEpochsProblem(problem)}`
    }
    const problem = known.observeCheckpoint(proof.cutoffEpochs ?? [], proof.cutoff)
    if (problem !== null) return `the cutoff: ${describeKnownEpochsProblem(problem)}`
  }
  return null
}

export function approvalProofToCbor(p: ApprovalProof): CborValue {
  const changes = p.cutoffEpochs ?? []
  return {
    decision: receiptToCbor(p.decision), approvals: p.approvals.map(receiptToCbor), cutoff: ccToCbor(p.cutoff),
    ...(changes.length === 0 ? {} : { cutoffEpochs: changes.map(epochChangeToCbor) }),
  }
}

export function approvalProofFromCbor(value: CborValue): ApprovalProof {
  const withEpochs = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.hasOwn(value, 'cutoffEpochs')
  const m = readMap(value, 'approvalProof', withEpochs ? ['decision', 'approvals', 'cutoff', 'cutoffEpochs'] : ['decision', 'approvals', 'cutoff'])
  const proof: ApprovalProof = {
    decision: receiptFromCbor(m.decision as CborValue),
    approvals: readArray(m.approvals, 'approvalProof.approvals', LIMITS.decisionApproversMax).map((r) => receiptFromCbor(r)),
    cutoff: ccFromCbor(m.cutoff as CborValue, 'approvalProof.cutoff'),
  }
  if (!withEpochs) return proof
  const list = readArray(m.cutoffEpochs, 'approvalProof.cutoffEpochs', LIMITS.epochChangesMax)
  if (list.length === 0) throw new CodecError('approvalProof.cutoffEpochs: a cutoff of epoch 0 is written by leaving the field out')
  return {
    ...proof,
    cutoffEpochs: list.map((r, i) => epochChangeFromCbor(r, `approvalProof.cutoffEpochs[${i}]`)),
  }
}

export function approvalProofToJson(p: ApprovalProof): JsonValue {
  return toJson(approvalProofToCbor(p))
}

/** Reads a proof's JSON form; throws CodecError on anything malformed. */
export function approvalProofFromJson(json: unknown): ApprovalProof {
  return approvalProofFromCbor(fromJson(json))
}
