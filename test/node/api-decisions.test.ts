// GET /v1/decisions/:id over the in-memory backend: states as blocks commit, the proof
// once approved (verified here offline), and the answers for unknown or malformed ids.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { decisionPayloadText, votePayloadText, type VoteKind } from '../../src/decisions/payload.ts'
import { approvalProofFromJson, verifyApprovalProof } from '../../src/decisions/proof.ts'
import { ROUTE_DOCS } from '../../node/api/route-docs.ts'
import { agent, CHAIN, request, startHarness, type Agent, type Harness } from './api-fixture.ts'

const planner = agent('planner')
const reviewers = [agent('reviewer-0'), agent('reviewer-1'), agent('reviewer-2')]

function signed(who: Agent, namespace: string, payload: string, refs: Uint8Array[] = []): Entry {
  return signEntry({ agent: who.key, namespace, seq: who.seq++, payload, refs, idempotencyKey: '' }, CHAIN, who.seed)
}

function decision(threshold: number, deadline: number): Entry {
  return signed(planner, 'org/decisions', decisionPayloadText({ approvers: reviewers.map((r) => r.hex), threshold, deadline }, { action: 'deploy' }))
}

function vote(who: Agent, kind: VoteKind, d: Entry): Entry {
  return signed(who, 'org/reviews', votePayloadText(kind), [entryId(d)])
}

describe('GET /v1/decisions/:id', () => {
  let h: Harness
  const signal = new AbortController().signal
  const submit = async (...entries: Entry[]): Promise<void> => {
    for (const e of entries) await h.backend.submitEntry(e, signal)
  }
  const get = async (d: Entry) => request(`${h.url}/v1/decisions/${toHex(entryId(d))}`)

  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(async () => {
    await h.close()
  })

  it('follows a 2-of-3 decision to approved and serves a proof that verifies offline', async () => {
    const d = decision(2, 50)
    await submit(d)
    h.backend.commit()
    let answer = await get(d)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ status: 'pending', proof: null, decision: { threshold: 2, deadline: 50, proposer: planner.hex } })
    await submit(vote(reviewers[0]!, 'approve', d), vote(reviewers[2]!, 'reject', d))
    h.backend.commit()
    answer = await get(d)
    expect(answer.body).toMatchObject({ status: 'pending', approvals: [{ agent: reviewers[0]!.hex }], rejections: [{ agent: reviewers[2]!.hex }] })
    await submit(vote(reviewers[1]!, 'approve', d))
    h.backend.commit()
    answer = await get(d)
    expect(answer.body).toMatchObject({ status: 'approved', height: 3, proofUnavailable: null, decidedBy: { agent: reviewers[1]!.hex, height: 3 } })
    const proof = approvalProofFromJson(answer.body.proof)
    expect(verifyApprovalProof(proof, h.genesis)).toMatchObject({ ok: true, decision: toHex(entryId(d)) })
  })

  it('answers in the shape its documentation gives', async () => {
    const d = decision(1, 50)
    await submit(d)
    h.backend.commit()
    await submit(vote(reviewers[0]!, 'approve', d))
    h.backend.commit()
    const answer = await get(d)
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true })
    const schema = ROUTE_DOCS.get('GET /v1/decisions/:id')!.response['200']!
    expect(ajv.validate(schema, answer.body), JSON.stringify(ajv.errors)).toBe(true)
  })

  it('is rejected when k can no longer be reached, and expired after the deadline', async () => {
    const rejected = decision(2, 50)
    const expiring = decision(1, 3)
    await submit(rejected, expiring)
    h.backend.commit() // height 1
    await submit(vote(reviewers[0]!, 'reject', rejected), vote(reviewers[1]!, 'reject', rejected))
    h.backend.commit() // height 2
    expect((await get(rejected)).body).toMatchObject({ status: 'rejected', proof: null })
    h.backend.commit() // height 3: the deadline, still pending
    expect((await get(expiring)).body.status).toBe('pending')
    await submit(vote(reviewers[0]!, 'approve', expiring))
    h.backend.commit() // height 4: the approval is too late
    expect((await get(expiring)).body).toMatchObject({ status: 'expired', approvals: [] })
  })

  it('says uncertified while the approving block has no commit certificate', async () => {
    const d = decision(1, 50)
    await submit(d)
    h.backend.commit()
    await submit(vote(reviewers[0]!, 'approve', d))
    h.backend.commit({ certify: false })
    expect((await get(d)).body).toMatchObject({ status: 'approved', proof: null, proofUnavailable: 'uncertified' })
    h.backend.commit() // the next block's certificate covers the approval, below the deadline
    const answer = await get(d)
    expect(answer.body.proofUnavailable).toBeNull()
    expect(verifyApprovalProof(approvalProofFromJson(answer.body.proof), h.genesis).ok).toBe(true)
  })

  it('answers 404 for an entry that is not a decision, 400 for a malformed id', async () => {
    const plain = signed(planner, 'org/decisions', '{"plan":"x"}')
    await submit(plain)
    h.backend.commit()
    const missing = await get(plain)
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('unknown-decision')
    const bad = await request(`${h.url}/v1/decisions/xyz`)
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('invalid-parameter')
    const extra = await request(`${h.url}/v1/decisions/${toHex(entryId(plain))}?x=1`)
    expect(extra.status).toBe(400)
  })
})
