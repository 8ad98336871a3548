// The decisions part of docs/test-vectors.json (docs/formats.md section 12): payloads to
// classify, a committed log with the state of each decision and the votes the rules
// ignore, and approval proofs to accept or refuse with their failure code. Built on the
// vectors' own genesis (testNet(4, 'vectors')), from fixed seeds.
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, entryToCbor, type Entry } from '../../src/log/entry.ts'
import { toJson } from '../../src/log/json.ts'
import { readDecisionPayload } from '../../src/decisions/payload.ts'
import { approvalProofToJson, verifyApprovalProof, type ApprovalProof } from '../../src/decisions/proof.ts'
import { DecisionLedger } from '../../src/decisions/state.ts'
import { decisionChainWithOutcomes, validProof } from './decision-chain.ts'

const KEY = 'a'.repeat(64)
const OTHER = 'b'.repeat(64)

/** Payload texts and what section 12 reads them as: decision, vote, none or malformed. */
const PAYLOADS: readonly { name: string, payload: string, refs: number, expect: string }[] = [
  { name: 'a decision', payload: `{"synod":"decision","approvers":["${KEY}","${OTHER}"],"threshold":1,"deadline":7,"subject":{"x":1}}`, refs: 0, expect: 'decision' },
  { name: 'whitespace and member order do not matter', payload: ` { "deadline" : 7 , "threshold":2, "approvers":["${KEY}","${OTHER}"], "synod":"decision" } `, refs: 0, expect: 'decision' },
  { name: 'numbers are read by value', payload: `{"synod":"decision","approvers":["${KEY}"],"threshold":1.0,"deadline":7e0}`, refs: 0, expect: 'decision' },
  { name: 'an approval', payload: '{"synod":"approve"}', refs: 1, expect: 'vote:approve' },
  { name: 'the reserved name and value written with \\u escapes', payload: '{"\\u0073ynod":"\\u0061pprove"}', refs: 1, expect: 'vote:approve' },
  { name: 'numbers are read as IEEE 754 doubles: 2.0000000000000001 is 2', payload: `{"synod":"decision","approvers":["${KEY}","${OTHER}"],"threshold":2.0000000000000001,"deadline":7}`, refs: 0, expect: 'decision' },
  { name: 'a rejection with a note', payload: '{"synod":"reject","note":{"why":"risky"}}', refs: 1, expect: 'vote:reject' },
  { name: 'not reserved: another value of "synod"', payload: '{"synod":"vote"}', refs: 1, expect: 'none' },
  { name: 'not reserved: not an object', payload: '["synod","decision"]', refs: 0, expect: 'none' },
  { name: 'not reserved: no "synod" member', payload: '{"approvers":[],"threshold":1}', refs: 0, expect: 'none' },
  { name: 'malformed: threshold above m', payload: `{"synod":"decision","approvers":["${KEY}"],"threshold":2,"deadline":7}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: deadline 0', payload: `{"synod":"decision","approvers":["${KEY}"],"threshold":1,"deadline":0}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: fractional threshold', payload: `{"synod":"decision","approvers":["${KEY}","${OTHER}"],"threshold":1.5,"deadline":7}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: repeated approver', payload: `{"synod":"decision","approvers":["${KEY}","${KEY}"],"threshold":1,"deadline":7}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: upper-case key', payload: `{"synod":"decision","approvers":["${KEY.toUpperCase()}"],"threshold":1,"deadline":7}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: unknown member', payload: `{"synod":"decision","approvers":["${KEY}"],"threshold":1,"deadline":7,"quorum":1}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: a vote with two refs', payload: '{"synod":"approve"}', refs: 2, expect: 'malformed' },
  { name: 'malformed: a vote with no ref', payload: '{"synod":"reject"}', refs: 0, expect: 'malformed' },
  { name: 'malformed: a vote with an unknown member', payload: '{"synod":"approve","weight":2}', refs: 1, expect: 'malformed' },
]

function entryJson(e: Entry) {
  return toJson(entryToCbor(e))
}

/** A proof and the verdict section 12 gives it (checked here, so that the vectors
 * never record what the code happens to answer). */
function proofCase(name: string, proof: ApprovalProof, genesis: Parameters<typeof verifyApprovalProof>[1], expect: { ok: true } | { code: string, approval?: number }) {
  const v = verifyApprovalProof(proof, genesis)
  const got = v.ok ? { ok: true } : { code: v.code, ...(v.approval === undefined ? {} : { approval: v.approval }) }
  if (JSON.stringify(got) !== JSON.stringify(expect)) throw new Error(`proof vector '${name}': ${JSON.stringify(got)}, not ${JSON.stringify(expect)}`)
  return { name, proof: approvalProofToJson(proof), expect }
}

export function buildDecisionVectors() {
  const { c } = decisionChainWithOutcomes('vectors')
  const genesis = c.net.genesis
  const heights = c.chain.items.flatMap((it) => it.block.entries.map(() => it.block.header.height))
  const ledger = new DecisionLedger()
  c.entries.forEach((entry, index) => ledger.append({ entry, index, height: heights[index]! }))
  const logHeight = c.chain.head.height
  ledger.advanceTo(logHeight)
  const good = validProof(c)
  return {
    description: 'docs/formats.md section 12. payloads: how each payload (with that many refs) reads. log: committed entries with their block heights, the log at height logHeight; states: each decision\'s state and counted votes; ignored: the votes the rules ignore, with the code. proofs: approval proofs against the vectors\' genesis, with the verdict.',
    payloads: PAYLOADS.map((p) => {
      const read = readDecisionPayload({ payload: p.payload, refs: Array.from({ length: p.refs }, () => new Uint8Array(32)) })
      const got = read.type === 'vote' ? `vote:${read.vote.kind}` : read.type
      if (got !== p.expect) throw new Error(`vector '${p.name}' reads as ${got}, not ${p.expect}`)
      return p
    }),
    log: c.entries.map((entry, index) => ({ index, height: heights[index]!, id: toHex(entryId(entry)), entry: entryJson(entry) })),
    logHeight,
    states: [...ledger.states()].map((s) => ({
      id: s.id, status: s.status, approvals: s.approvals.map((v) => v.id), rejections: s.rejections.map((v) => v.id), decidedBy: s.decidedBy?.id ?? null,
    })),
    ignored: ledger.anomalies().examples.map((a) => ({ entry: a.entry, code: a.code })),
    proofs: [
      proofCase('valid: the decision, two approvals, the cutoff at height 2', good, genesis, { ok: true }),
      proofCase('one approval short of the threshold', { ...good, approvals: [good.approvals[0]!] }, genesis, { code: 'too-few-approvals' }),
      proofCase('the same approver twice', { ...good, approvals: [good.approvals[0]!, good.approvals[0]!] }, genesis, { code: 'duplicate-approver', approval: 1 }),
      proofCase('an unrelated entry as the decision', { ...good, decision: c.receipt(1) }, genesis, { code: 'not-a-decision' }),
      proofCase('valid: all three approvals, the cutoff at height 3', { ...good, approvals: [...good.approvals, c.receipt(6)], cutoff: c.cc(3) }, genesis, { ok: true }),
      proofCase('an approval after the cutoff', { ...good, approvals: [good.approvals[0]!, c.receipt(6)] }, genesis, { code: 'approval-after-cutoff', approval: 1 }),
      proofCase('a rejection as an approval', { ...good, approvals: [good.approvals[0]!, c.receipt(7)] }, genesis, { code: 'not-an-approval', approval: 1 }),
      proofCase('an approval of another decision', { ...good, approvals: [good.approvals[0]!, c.receipt(11)] }, genesis, { code: 'wrong-decision', approval: 1 }),
      proofCase('a decision receipt with a changed index', { ...good, decision: { ...good.decision, index: 1 } }, genesis, { code: 'bad-decision-receipt' }),
      proofCase('the cutoff before the approvals', { ...good, cutoff: c.cc(1) }, genesis, { code: 'approval-after-cutoff', approval: 0 }),
      proofCase('a cutoff certificate with a changed log size', { ...good, cutoff: { ...good.cutoff, logSize: good.cutoff.logSize + 1 } }, genesis, { code: 'bad-cutoff-certificate' }),
      proofCase('an approval receipt with a changed index', { ...good, approvals: [good.approvals[0]!, { ...good.approvals[1]!, index: 2 }] }, genesis, { code: 'bad-approval-receipt', approval: 1 }),
    ],
  }
}
