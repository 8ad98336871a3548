// The OpenAPI description at /openapi.json (node/api/openapi.ts, route-docs.ts) against
// the server itself: every route fastify serves is in it and documented, and real answers
// of the routes validate (ajv, JSON Schema 2020-12) against the schemas it documents.
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { ROUTE_DOCS } from '../../node/api/route-docs.ts'
import { openApiPath, UNDOCUMENTED_SUMMARY } from '../../node/api/openapi.ts'
import { createApiServer } from '../../node/api/server.ts'
import { NodeMetrics } from '../../node/metrics/metrics.ts'
import { alice, entryJson, makeEntry, postJson, request, SseReader, startHarness, type Answer, type Harness } from './api-fixture.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
type Doc = { openapi: string, paths: Record<string, Record<string, any>> }

/** Routes a validator node adds to the server after createApiServer (run-node.ts). */
const RUNTIME_ROUTES = ['GET /v1/head', 'GET /v1/blocks/:height']

/** Every route fastify serves, "METHOD /url", from its route tree (printRoutes). */
function servedRoutes(h: Harness): string[] {
  // The prefix tree: with commonPrefix false, find-my-way prints a wildcard route
  // (/tile/*) as a bare "*", losing its static prefix.
  const tree = h.server.app.printRoutes()
  const stack: string[] = []
  const out: string[] = []
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+)(?: \(([^)]+)\))?$/.exec(line)
    if (m === null) continue
    const depth = m[1]!.length / 4
    stack.length = depth
    stack.push(m[2]!)
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0)) out.push(`${method} ${stack.join('')}`)
  }
  return out.sort()
}

describe('GET /openapi.json', () => {
  let h: Harness
  let doc: Doc
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true })

  beforeAll(async () => {
    h = await startHarness({ corsOrigins: '*' })
    const answer = await request(`${h.url}/openapi.json`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    doc = answer.body
  })
  afterAll(async () => {
    await h.close()
  })

  /** The documented JSON schema for this route and status (exact, or its 4XX/5XX range). */
  function documented(method: string, url: string, status: number): object {
    const op = doc.paths[openApiPath(url)]?.[method.toLowerCase()]
    expect(op, `${method} ${url} is in the description`).toBeDefined()
    const response = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`]
    expect(response, `${method} ${url} documents status ${status}`).toBeDefined()
    return response.content['application/json'].schema
  }

  function expectDocumented(method: string, url: string, answer: Answer): void {
    const validate = ajv.compile(documented(method, url, answer.status))
    const ok = validate(answer.body)
    expect(ok ? [] : validate.errors, `${method} ${url} ${answer.status}: ${answer.text.slice(0, 300)}`).toEqual([])
  }

  function mediaOf(method: string, url: string, status: number): string[] {
    return Object.keys(doc.paths[openApiPath(url)]![method.toLowerCase()].responses[String(status)].content)
  }

  it('is OpenAPI 3.1 and lists every route the server serves, each documented, nothing else', () => {
    expect(doc.openapi).toBe('3.1.0')
    const served = servedRoutes(h).filter((r) => !r.startsWith('OPTIONS '))
    // The CORS plugin's catch-all OPTIONS route answers preflights; it is no API route.
    expect(servedRoutes(h)).toContain('OPTIONS *')
    const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort()
    expect(described).toEqual(served.map((r) => { const [m, u] = r.split(' '); return `${m} ${openApiPath(u!)}` }).sort())
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(op.summary).not.toBe(UNDOCUMENTED_SUMMARY)
    // No stale documentation: each documented route is served here, or by a validator node.
    expect([...ROUTE_DOCS.keys()].sort()).toEqual([...served, ...RUNTIME_ROUTES].sort())
    // Every path template's parameter is documented as a path parameter.
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const op of Object.values(ops)) {
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1])
        expect((op.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(names)
      }
    }
    expectDocumented('GET', '/openapi.json', { status: 200, headers: new Headers(), body: doc, text: '' })
  })

  it('lists a route added after the server was made (as a node adds its own), undocumented when it is', async () => {
    const server = createApiServer({ port: 0 }, { backend: h.backend, metrics: new NodeMetrics({ processMetrics: false }) })
    try {
      server.app.get('/v1/late/:thing', async () => ({ ok: true }))
      const answer = await server.app.inject({ method: 'GET', url: '/openapi.json' })
      expect(answer.statusCode).toBe(200)
      const late = answer.json().paths['/v1/late/{thing}'].get
      expect(late.summary).toBe(UNDOCUMENTED_SUMMARY)
      expect(late.parameters).toEqual([{ name: 'thing', in: 'path', required: true, schema: {} }])
    } finally {
      await server.close()
    }
  })

  it('real answers of the entry routes match their documented schemas', async () => {
    const who = alice()
    const first = makeEntry(who)
    const id = toHex(entryId(first))
    expectDocumented('POST', '/v1/entries', await postJson(`${h.url}/v1/entries`, entryJson(first)))
    const duplicate = await postJson(`${h.url}/v1/entries`, entryJson(first))
    expect(duplicate.status).toBe(200)
    expectDocumented('POST', '/v1/entries', duplicate)
    const malformed = await postJson(`${h.url}/v1/entries`, { nonsense: true })
    expect(malformed.status).toBe(400)
    expectDocumented('POST', '/v1/entries', malformed)

    const pending = await request(`${h.url}/v1/entries/${id}`)
    expect(pending.body.status).toBe('pending')
    expectDocumented('GET', '/v1/entries/:id', pending)
    const pendingReceipt = await request(`${h.url}/v1/receipts/${id}`)
    expect(pendingReceipt.status).toBe(202)
    expectDocumented('GET', '/v1/receipts/:id', pendingReceipt)

    h.backend.commit({ certify: false })
    const committed = await request(`${h.url}/v1/entries/${id}`)
    expect(committed.body.status).toBe('committed')
    expectDocumented('GET', '/v1/entries/:id', committed)
    const committedReceipt = await request(`${h.url}/v1/receipts/${id}`)
    expect(committedReceipt.status).toBe(202)
    expectDocumented('GET', '/v1/receipts/:id', committedReceipt)

    const second = makeEntry(who, 'team/other', { n: 2 }, { refs: [entryId(first)], key: 'k-2' })
    await postJson(`${h.url}/v1/entries`, entryJson(second))
    h.backend.commit()
    const certified = await request(`${h.url}/v1/entries/${toHex(entryId(second))}`)
    expect(certified.body.status).toBe('certified')
    expectDocumented('GET', '/v1/entries/:id', certified)
    const receipt = await request(`${h.url}/v1/receipts/${toHex(entryId(second))}?wait=1000`)
    expect(receipt.status).toBe(200)
    expectDocumented('GET', '/v1/receipts/:id', receipt)
    const unknown = await request(`${h.url}/v1/receipts/${'ab'.repeat(32)}`)
    expect(unknown.status).toBe(404)
    expectDocumented('GET', '/v1/receipts/:id', unknown)
    expectDocumented('GET', '/v1/entries/:id', await request(`${h.url}/v1/entries/${'ab'.repeat(32)}`))

    const page = await request(`${h.url}/v1/entries?limit=1`)
    expect(page.body.items).toHaveLength(1)
    expect(page.body.nextCursor).not.toBeNull()
    expectDocumented('GET', '/v1/entries', page)
    const last = await request(`${h.url}/v1/entries?namespace=team/other`)
    expect(last.body.nextCursor).toBeNull()
    expectDocumented('GET', '/v1/entries', last)
    const badQuery = await request(`${h.url}/v1/entries?limit=x`)
    expect(badQuery.status).toBe(400)
    expectDocumented('GET', '/v1/entries', badQuery)
  })

  it('real answers of the chain and operations routes match their documented schemas', async () => {
    const fresh = await startHarness()
    try {
      const none = await request(`${fresh.url}/v1/checkpoint`)
      expect(none.status).toBe(404)
      expectDocumented('GET', '/v1/checkpoint', none)
    } finally {
      await fresh.close()
    }
    await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(alice(), 'team/chain', { n: 3 }, { seq: 100 })))
    h.backend.commit()
    const checkpoint = await request(`${h.url}/v1/checkpoint`)
    expect(checkpoint.status).toBe(200)
    expectDocumented('GET', '/v1/checkpoint', checkpoint)
    const size = checkpoint.body.checkpoint.logSize as number
    const consistency = await request(`${h.url}/v1/consistency?from=1&to=${size}`)
    expect(consistency.status).toBe(200)
    expectDocumented('GET', '/v1/consistency', consistency)
    const beyond = await request(`${h.url}/v1/consistency?from=1&to=${size + 100}`)
    expect(beyond.status).toBe(404)
    expectDocumented('GET', '/v1/consistency', beyond)
    const health = await request(`${h.url}/healthz`)
    expect(health.status).toBe(200)
    expectDocumented('GET', '/healthz', health)

    const metrics = await fetch(`${h.url}/metrics`)
    expect(metrics.headers.get('content-type')!.split(';')[0]).toBe(mediaOf('GET', '/metrics', 200)[0])
    await metrics.text()
    const exported = await fetch(`${h.url}/v1/export`)
    expect(exported.headers.get('content-type')).toBe(mediaOf('GET', '/v1/export', 200)[0])
    await exported.arrayBuffer()
    expectDocumented('GET', '/v1/export', await request(`${h.url}/v1/export?fromHeight=0`))

    // The event stream: its media type, and each event's data is a record as the query's items.
    const sse = await SseReader.open(`${h.url}/v1/subscribe?from=0`)
    try {
      expect(sse.headers?.get('content-type')!.split(';')[0]).toBe(mediaOf('GET', '/v1/subscribe', 200)[0])
      await sse.waitFor(3)
      const recordSchema = (documented('GET', '/v1/entries', 200) as any).properties.items.items
      const validate = ajv.compile(recordSchema)
      for (const message of sse.messages.slice(0, 3)) {
        expect(message.event).toBe('entry')
        expect(validate(JSON.parse(message.data)) ? [] : validate.errors).toEqual([])
      }
    } finally {
      sse.close()
    }
    expectDocumented('GET', '/v1/subscribe', await request(`${h.url}/v1/subscribe?from=x`))
  })
})
