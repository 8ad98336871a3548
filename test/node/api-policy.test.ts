// GET /v1/policy over the in-memory backend: the governance in force as policies commit,
// two organisations' admins each governing their own namespaces, and coded 4xx answers.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterEach, describe, expect, it } from 'vitest'
import { signEntry, type Entry } from '../../src/log/entry.ts'
import { policyPayloadText } from '../../src/governance/policy-payload.ts'
import { ROUTE_DOCS } from '../../node/api/route-docs.ts'
import { agent, CHAIN, request, startHarness, type Agent, type Harness } from './api-fixture.ts'

const acmeAdmin = agent('acme-admin')
const globexAdmin = agent('globex-admin')
const writer = agent('writer')

function signed(who: Agent, namespace: string, payload: string): Entry {
  return signEntry({ agent: who.key, namespace, seq: who.seq++, payload, refs: [], idempotencyKey: '' }, CHAIN, who.seed)
}

describe('GET /v1/policy', () => {
  let h: Harness
  const signal = new AbortController().signal
  afterEach(async () => {
    await h.close()
  })
  const governed = () => startHarness({ genesis: { governance: { admins: new Map([['acme', [acmeAdmin.key]], ['globex', [globexAdmin.key]]]) } } })
  const get = async (query: string) => request(`${h.url}/v1/policy?${query}`)

  it('follows two organisations\' policies as they commit, each admin governing only its own namespaces', async () => {
    h = await governed()
    let answer = await get('namespace=acme/desk')
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ namespace: 'acme/desk', height: 0, admins: [acmeAdmin.hex], policy: null })
    const acme = signed(acmeAdmin, 'acme', policyPayloadText({ writers: [writer.hex], admins: [writer.hex], approvers: { keys: [acmeAdmin.hex], threshold: 1 }, schema: { type: 'object' } }))
    const globex = signed(globexAdmin, 'globex', policyPayloadText({ writers: 'any' }))
    // acme's admin is not globex's: refused on submission, as a validator refuses it.
    const intrusion = signed(acmeAdmin, 'globex', policyPayloadText({ writers: [] }))
    for (const e of [acme, globex]) await h.backend.submitEntry(e, signal)
    await expect(h.backend.submitEntry(intrusion, signal)).rejects.toThrow(/not an admin of 'globex'/)
    h.backend.commit()
    answer = await get(`namespace=acme/desk&agent=${writer.hex}`)
    expect(answer.body).toMatchObject({
      namespace: 'acme/desk', height: 1, admins: [writer.hex, acmeAdmin.hex],
      policy: { namespace: 'acme', height: 1, agent: acmeAdmin.hex, writers: [writer.hex], admins: [writer.hex], approvers: { keys: [acmeAdmin.hex], threshold: 1 }, schema: { type: 'object' } },
      agent: { key: writer.hex, admin: true, writer: true },
    })
    answer = await get(`namespace=globex&agent=${acmeAdmin.hex}`)
    expect(answer.body).toMatchObject({ admins: [globexAdmin.hex], policy: { namespace: 'globex', writers: 'any', agent: globexAdmin.hex }, agent: { admin: false, writer: true } })
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true })
    expect(ajv.validate(ROUTE_DOCS.get('GET /v1/policy')!.response['200']!, answer.body), JSON.stringify(ajv.errors)).toBe(true)
  })

  it('answers bad input with coded 4xx errors, and 404 no-governance on a chain without governance', async () => {
    h = await governed()
    for (const [query, code] of [
      ['', 'invalid-parameter'], ['namespace=Acme', 'invalid-parameter'], ['namespace=acme//x', 'invalid-parameter'],
      ['namespace=acme&agent=xyz', 'invalid-parameter'], ['namespace=acme&extra=1', 'invalid-parameter'], ['namespace=constructor', null],
    ] as const) {
      const answer = await get(query)
      if (code === null) expect(answer.body).toEqual({ namespace: 'constructor', height: 0, admins: [], policy: null })
      else expect([answer.status, answer.body.error.code]).toEqual([400, code])
    }
    await h.close()
    h = await startHarness()
    const answer = await get('namespace=acme')
    expect([answer.status, answer.body.error.code]).toEqual([404, 'no-governance'])
  })
})
