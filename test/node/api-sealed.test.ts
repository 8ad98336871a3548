// PUT/GET /v1/sealed/:id over the in-memory backend (docs/api.md "Sealed entries"): a
// sidecar checked against the committed sealed entry, served back, deleted by the commit
// of its erase and refused after it; every bad upload gets a 4xx with its code, and the
// node serves the log whole afterwards. Answers are checked against the route docs.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { toBase64 } from '../../src/codec/base64.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { erasePayloadText } from '../../src/sealed/payload.ts'
import { ROUTE_DOCS } from '../../node/api/route-docs.ts'
import { sealFixture, type SealedFixture } from '../support/sealed-entries.ts'
import { agent, CHAIN, makeEntry, request, startHarness, type Agent, type Harness } from './api-fixture.ts'

const author = agent('sealed-author')
const stranger = agent('sealed-stranger')

function signed(who: Agent, namespace: string, payload: string, refs: Uint8Array[] = []): Entry {
  return signEntry({ agent: who.key, namespace, seq: who.seq++, payload, refs, idempotencyKey: '' }, CHAIN, who.seed)
}

function put(url: string, id: Entry | string, body: unknown) {
  const hex = typeof id === 'string' ? id : toHex(entryId(id))
  return request(`${url}/v1/sealed/${hex}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
}

function upload(f: SealedFixture, withKey: boolean): { blob: string, key: string | null } {
  return { blob: toBase64(f.blob), key: withKey ? toHex(f.key) : null }
}

const ajv = new Ajv2020({ strict: false })
function conforms(route: string, status: string, body: unknown): void {
  const doc = ROUTE_DOCS.get(route)
  expect(doc, route).toBeDefined()
  const schema = doc!.response[status]
  expect(schema, `${route} ${status}`).toBeDefined()
  const ok = ajv.validate(schema!, body)
  expect(ok, JSON.stringify(ajv.errors)).toBe(true)
}

describe('/v1/sealed/:id', () => {
  let h: Harness
  const signal = new AbortController().signal
  const commitNow = async (...entries: Entry[]): Promise<void> => {
    for (const e of entries) await h.backend.submitEntry(e, signal)
    h.backend.commit()
  }

  beforeEach(async () => {
    h = await startHarness()
  })
  afterEach(async () => {
    await h.close()
  })

  it('keeps a checked sidecar, serves it, and after the erase commits deletes it and refuses it again', async () => {
    const f = sealFixture('api/one', '{"patient":"A. Smith"}')
    const sealed = signed(author, 'clinic/notes', f.payload)
    await commitNow(sealed)
    const id = toHex(entryId(sealed))

    let answer = await request(`${h.url}/v1/sealed/${id}`)
    expect(answer.status).toBe(404)
    expect(answer.body).toMatchObject({ error: { code: 'sidecar-missing' } })
    answer = await put(h.url, sealed, upload(f, true))
    expect(answer.status).toBe(201)
    conforms('PUT /v1/sealed/:id', '201', answer.body)
    answer = await put(h.url, sealed, upload(f, true))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ id, status: 'duplicate' })
    answer = await request(`${h.url}/v1/sealed/${id}`)
    expect(answer.status).toBe(200)
    conforms('GET /v1/sealed/:id', '200', answer.body)
    expect(answer.body).toEqual({ id, blob: toBase64(f.blob), key: toHex(f.key) })

    // A stranger's erase in an open namespace is ignored: the sidecar stays.
    await commitNow(signed(stranger, 'clinic/notes', erasePayloadText(), [entryId(sealed)]))
    expect((await request(`${h.url}/v1/sealed/${id}`)).status).toBe(200)

    const erase = signed(author, 'clinic/notes', erasePayloadText('consent withdrawn'), [entryId(sealed)])
    await commitNow(erase)
    answer = await request(`${h.url}/v1/sealed/${id}`)
    expect(answer.status).toBe(410)
    conforms('GET /v1/sealed/:id', '4xx', answer.body)
    expect(answer.body).toMatchObject({ error: { code: 'erased', erase: toHex(entryId(erase)) } })
    expect(h.backend.sidecars.size).toBe(0)
    answer = await put(h.url, sealed, upload(f, true))
    expect(answer.status).toBe(410)
    expect(answer.body).toMatchObject({ error: { code: 'erased' } })

    // The entry and its receipt are as they were: the sidecar was never part of them.
    const entry = await request(`${h.url}/v1/entries/${id}`)
    expect(entry.status).toBe(200)
    expect((entry.body as { entry: { payload: string } }).entry.payload).toBe(f.payload)
    const receipt = await h.backend.getReceipt(entryId(sealed), signal)
    expect(verifyReceipt(receipt!, h.genesis)).toMatchObject({ ok: true })
  })

  it('refuses bad uploads with a 4xx and a code, and keeps serving', async () => {
    const f = sealFixture('api/two', '{"x":1}')
    const sealed = signed(author, 'clinic/notes', f.payload)
    const plain = makeEntry(author, 'clinic/notes', { x: 2 })
    await commitNow(sealed, plain)
    const other = sealFixture('api/other', '{"x":1}')
    const flipped = Uint8Array.from(f.blob)
    flipped[13]! ^= 0x04
    const cases: { name: string, id?: Entry | string, body: unknown, status: number, code: string }[] = [
      { name: 'another blob', body: upload(other, false), status: 422, code: 'sidecar-blob-commitment' },
      { name: 'a flipped bit', body: { blob: toBase64(flipped), key: null }, status: 422, code: 'sidecar-blob-commitment' },
      { name: 'a short blob', body: { blob: toBase64(f.blob.subarray(2)), key: null }, status: 422, code: 'sidecar-blob-size' },
      { name: 'another key', body: { blob: toBase64(f.blob), key: toHex(other.key) }, status: 422, code: 'sidecar-key-commitment' },
      { name: 'a key of 16 bytes', body: { blob: toBase64(f.blob), key: toHex(f.key.subarray(0, 16)) }, status: 400, code: 'malformed-sidecar' },
      { name: 'an oversize blob', body: { blob: 'A'.repeat(90_000), key: null }, status: 413, code: 'sidecar-too-large' },
      { name: 'blob not base64', body: { blob: 'not base64!', key: null }, status: 400, code: 'malformed-sidecar' },
      { name: 'blob missing', body: { key: null }, status: 400, code: 'malformed-sidecar' },
      { name: 'an unknown member', body: { blob: toBase64(f.blob), key: null, plaintext: 'x' }, status: 400, code: 'malformed-sidecar' },
      { name: 'an array body', body: [1], status: 400, code: 'malformed-sidecar' },
      { name: 'not JSON', body: '{"blob":', status: 400, code: 'malformed-json' },
      { name: 'a body over the limit', body: JSON.stringify({ blob: 'A'.repeat(1_000_000) }), status: 413, code: 'body-too-large' },
      { name: 'an unsealed entry', id: plain, body: upload(f, false), status: 409, code: 'not-sealed' },
      { name: 'an unknown entry', id: 'ab'.repeat(32), body: upload(f, false), status: 404, code: 'unknown-entry' },
      { name: 'a malformed id', id: 'xyz', body: upload(f, false), status: 400, code: 'invalid-parameter' },
    ]
    for (const c of cases) {
      const answer = await put(h.url, c.id ?? sealed, c.body)
      expect({ name: c.name, status: answer.status }).toEqual({ name: c.name, status: c.status })
      expect(answer.body, c.name).toMatchObject({ error: { code: c.code } })
      conforms('PUT /v1/sealed/:id', '4xx', answer.body)
    }
    // A pending sealed entry: not yet, with a Retry-After.
    const later = sealFixture('api/later', '{"x":3}')
    const pending = signed(author, 'clinic/notes', later.payload)
    await h.backend.submitEntry(pending, signal)
    const answer = await put(h.url, pending, upload(later, false))
    expect(answer.status).toBe(409)
    expect(answer.body).toMatchObject({ error: { code: 'entry-not-committed' } })
    expect(answer.headers.get('retry-after')).toBe('1')
    expect(h.backend.sidecars.size).toBe(0)
    // Still serving: the good upload is kept, the log reads whole.
    expect((await put(h.url, sealed, upload(f, false))).status).toBe(201)
    expect((await request(`${h.url}/v1/entries?namespace=clinic/notes`)).body).toMatchObject({ items: [{}, {}] })
    expect((await request(`${h.url}/v1/sealed/${toHex(entryId(plain))}`)).body).toMatchObject({ error: { code: 'not-sealed' } })
  })
})
