// audit/sidecars.ts: a node's answer for each sealed entry judged against the entry's
// commitments and the log's erasures, one case per verdict.
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { judgeSidecar, probeSidecars, SIDECAR_FAULTS, type SidecarAnswer } from '../../audit/sidecars.ts'
import type { AuditedSealed } from '../../audit/sealed.ts'
import { sealFixture } from '../support/sealed-entries.ts'

const f = sealFixture('audit/sidecars', '{"x":1}')
const sealed: AuditedSealed = {
  id: 'aa'.repeat(32), agent: 'bb'.repeat(32), namespace: 'org/notes', height: 3, index: 5, size: f.spec.size,
  commitment: toHex(f.spec.commitment), keyCommitment: toHex(f.spec.keyCommitment), status: 'sealed', erasure: null, erasedBy: null, erasedAtHeight: null, expiresAt: null,
}
const erased: AuditedSealed = { ...sealed, id: 'cc'.repeat(32), status: 'erased', erasure: 'erase', erasedBy: 'dd'.repeat(32), erasedAtHeight: 9 }
const flipped = Uint8Array.from(f.blob)
flipped[0]! ^= 1

describe('judging a node\'s sidecars', () => {
  const cases: { name: string, entry: AuditedSealed, answer: SidecarAnswer, verdict: string }[] = [
    { name: 'the committed blob', entry: sealed, answer: { status: 'stored', sidecar: { blob: f.blob, key: null } }, verdict: 'held' },
    { name: 'the blob and the deposited key', entry: sealed, answer: { status: 'stored', sidecar: { blob: f.blob, key: f.key } }, verdict: 'held' },
    { name: 'another blob', entry: sealed, answer: { status: 'stored', sidecar: { blob: flipped, key: null } }, verdict: 'tampered' },
    { name: 'another key', entry: sealed, answer: { status: 'stored', sidecar: { blob: f.blob, key: new Uint8Array(32) } }, verdict: 'tampered' },
    { name: 'nothing held', entry: sealed, answer: { status: 'missing' }, verdict: 'missing' },
    { name: 'erased, and the log agrees', entry: erased, answer: { status: 'erased' }, verdict: 'erased' },
    { name: 'erased in the log, still served', entry: erased, answer: { status: 'stored', sidecar: { blob: f.blob, key: null } }, verdict: 'kept-after-erasure' },
    { name: 'called erased with no erase in the log', entry: sealed, answer: { status: 'erased' }, verdict: 'erased-without-erase' },
    { name: 'no answer', entry: sealed, answer: { status: 'error', reason: 'ECONNREFUSED' }, verdict: 'unreachable' },
  ]
  it.each(cases)('$name: $verdict', (c) => {
    expect(judgeSidecar(c.entry, c.answer).verdict).toBe(c.verdict)
  })

  it('counts every verdict and lists all but held and erased; the faults are the node\'s', async () => {
    const answers = new Map<string, SidecarAnswer>([[sealed.id, { status: 'stored', sidecar: { blob: flipped, key: null } }], [erased.id, { status: 'erased' }]])
    const report = await probeSidecars([sealed, erased], async (id) => answers.get(id)!)
    expect(report).toMatchObject({ probed: 2, counts: { tampered: 1, erased: 1 } })
    expect(report.findings.map((x) => x.verdict)).toEqual(['tampered'])
    expect([...SIDECAR_FAULTS].sort()).toEqual(['erased-without-erase', 'kept-after-erasure', 'tampered'])
  })
})
