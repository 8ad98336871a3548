// The decisions vectors of docs/test-vectors.json (docs/formats.md section 12) read back
// from the file, as another implementation would: payloads classified, the log's
// decision states recomputed, and each proof verified against the vectors' genesis.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { entryFromCbor, entryId } from '../../src/log/entry.ts'
import { genesisFromJson } from '../../src/log/genesis.ts'
import { fromJson } from '../../src/log/json.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { readDecisionPayload } from '../../src/decisions/payload.ts'
import { approvalProofFromJson, verifyApprovalProof } from '../../src/decisions/proof.ts'
import { DecisionLedger } from '../../src/decisions/state.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
const file = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'))
const vectors = file.decisions
const genesis = genesisFromJson(file.genesis.json)

describe('decision vectors (docs/test-vectors.json)', () => {
  it.each(vectors.payloads as any[])('payload: $name', (p) => {
    const read = readDecisionPayload({ payload: p.payload, refs: Array.from({ length: p.refs }, () => new Uint8Array(32)) })
    expect(read.type === 'vote' ? `vote:${read.vote.kind}` : read.type).toBe(p.expect)
  })

  it('the log gives each decision its recorded state, and ignores the recorded votes', () => {
    const ledger = new DecisionLedger()
    for (const r of vectors.log) {
      const entry = entryFromCbor(fromJson(r.entry))
      expect(toHex(entryId(entry))).toBe(r.id)
      ledger.append({ entry, index: r.index, height: r.height })
    }
    ledger.advanceTo(vectors.logHeight)
    const states = [...ledger.states()].map((s) => ({
      id: s.id, status: s.status, approvals: s.approvals.map((v) => v.id), rejections: s.rejections.map((v) => v.id), decidedBy: s.decidedBy?.id ?? null,
    }))
    expect(states).toEqual(vectors.states)
    expect(new Set(states.map((s) => s.status))).toEqual(new Set(['approved', 'rejected', 'expired']))
    expect(ledger.anomalies().examples.map((a) => ({ entry: a.entry, code: a.code }))).toEqual(vectors.ignored)
  })

  it.each(vectors.proofs as any[])('proof: $name', (p) => {
    const v = verifyApprovalProof(approvalProofFromJson(p.proof), genesis)
    expect(v.ok ? { ok: true } : { code: v.code, ...(v.approval === undefined ? {} : { approval: v.approval }) }).toEqual(p.expect)
    if (v.ok) expect(v.decision).toBe(vectors.states[0].id)
  })
})
