// The HTTP API end to end: a real server on 127.0.0.1 over the in-memory test backend,
// real signed entries, every route, and what each answers to bad input.
import { afterEach, describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { checkCc, ccFromCbor } from '../../src/log/certificates.ts'
import { entryId } from '../../src/log/entry.ts'
import { chainItemFromCbor, exportHeaderFromCbor, RecordReader } from '../../src/log/export.ts'
import { fromJson } from '../../src/log/json.ts'
import { verifyConsistency } from '../../src/log/merkle.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { verifyChain, verifyReceipt, type ChainItem } from '../../src/log/verify.ts'
import { MempoolBytesFullError } from '../../node/api/errors.ts'
import { agent, alice, delegate, entryJson, makeEntry, postJson, request, SseReader, startHarness, waitUntil, type Harness } from './api-fixture.ts'

let harness: Harness | null = null
afterEach(async () => {
  await harness?.close()
  harness = null
})

async function start(options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  harness = await startHarness(options)
  return harness
}

async function expectAlive(h: Harness): Promise<void> {
  const health = await request(`${h.url}/healthz`)
  expect(health.status).toBe(200)
  expect(health.body.status).toBe('ok')
}

function expectError(answer: { status: number, body: { error?: { code?: string, message?: string } } }, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code })
  expect(typeof answer.body.error!.message).toBe('string')
}

describe('POST /v1/entries', () => {
  it('accepts a signed entry with 202 and answers a resubmission with 200 duplicate, same id', async () => {
    const h = await start()
    const entry = makeEntry(alice())
    const first = await postJson(`${h.url}/v1/entries`, entryJson(entry))
    expect(first.status).toBe(202)
    expect(first.body).toEqual({ id: toHex(entryId(entry)), status: 'accepted' })
    const again = await postJson(`${h.url}/v1/entries`, entryJson(entry))
    expect(again.status).toBe(200)
    expect(again.body).toEqual({ id: toHex(entryId(entry)), status: 'duplicate' })
    expect(h.backend.mempoolSize).toBe(1)
    h.backend.commit()
    const afterCommit = await postJson(`${h.url}/v1/entries`, entryJson(entry))
    expect(afterCommit.status).toBe(200)
    expect(afterCommit.body.status).toBe('duplicate')
  })

  it('rejects a bad signature with 422, a denied namespace with 403, a stale seq with 409', async () => {
    const a = alice()
    const other = agent('mallory')
    const h = await start({ genesis: { policy: { open: true, namespaces: { locked: [other.key] } } } })
    const entry = makeEntry(a)
    const forged = { ...(entryJson(entry) as Record<string, unknown>), payload: '{"decision":"forged"}' }
    expectError(await postJson(`${h.url}/v1/entries`, forged), 422, 'invalid-signature')
    const wrongKey = { ...(entryJson(entry) as Record<string, unknown>), agent: other.hex }
    expectError(await postJson(`${h.url}/v1/entries`, wrongKey), 422, 'invalid-signature')
    expectError(await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, 'locked/x'))), 403, 'policy-denied')
    expect((await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, 'team/plans', 1, { seq: 10 })))).status).toBe(202)
    const stale = await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, 'team/plans', 2, { seq: 10 })))
    expectError(stale, 409, 'stale-seq')
    expect(stale.body.error.message).toContain('seq 10 is not above')
    // The body says why: another entry with this seq is pending (not final).
    expect(stale.body.error).toMatchObject({ seq: 10, lastSeq: 10, reason: 'pending' })
    await expectAlive(h)
  })

  it('answers 503 with Retry-After when the mempool is full', async () => {
    const h = await start({ mempoolEntriesMax: 2 })
    const a = alice()
    for (let i = 0; i < 2; i++) expect((await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))).status).toBe(202)
    const full = await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))
    expectError(full, 503, 'mempool-full')
    expect(full.headers.get('retry-after')).toBe('1')
    await expectAlive(h)
  })

  it('answers 503 mempool-bytes-full with Retry-After when the entry does not fit the mempool\'s byte budget', async () => {
    const h = await start({ wrap: (backend) => delegate(backend, { submitEntry: () => Promise.reject(new MempoolBytesFullError(4242)) }) })
    const full = await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(alice())))
    expectError(full, 503, 'mempool-bytes-full')
    expect(full.body.error.message).toContain('4242 bytes')
    expect(full.headers.get('retry-after')).toBe('1')
    await expectAlive(h)
  })

  it('rejects malformed input with a clear 4xx and keeps serving', async () => {
    const h = await start()
    const url = `${h.url}/v1/entries`
    const good = entryJson(makeEntry(alice())) as Record<string, unknown>
    const cases: [string, () => Promise<Awaited<ReturnType<typeof request>>>, number, string][] = [
      ['malformed JSON', () => postJson(url, '{"agent": '), 400, 'malformed-json'],
      ['empty body', () => request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }), 400, 'malformed-json'],
      ['null body', () => postJson(url, 'null'), 400, 'missing-body'],
      ['an array', () => postJson(url, [good]), 400, 'malformed-entry'],
      ['a number', () => postJson(url, '42'), 400, 'malformed-entry'],
      ['wrong type: seq as string', () => postJson(url, { ...good, seq: '1' }), 400, 'malformed-entry'],
      ['wrong type: seq negative', () => postJson(url, { ...good, seq: -1 }), 400, 'malformed-entry'],
      ['wrong type: seq fraction', () => postJson(url, { ...good, seq: 1.5 }), 400, 'malformed-entry'],
      ['seq beyond 2^53', () => postJson(url, JSON.stringify(good).replace(/"seq":\d+/, '"seq":9007199254740993')), 400, 'malformed-entry'],
      ['wrong type: payload object', () => postJson(url, { ...good, payload: { a: 1 } }), 400, 'malformed-entry'],
      ['payload not JSON text', () => postJson(url, { ...good, payload: 'not json' }), 400, 'malformed-entry'],
      ['unknown field', () => postJson(url, { ...good, extra: 1 }), 400, 'malformed-entry'],
      ['missing field', () => postJson(url, { ...good, sig: undefined }), 400, 'malformed-entry'],
      ['bad hex', () => postJson(url, { ...good, agent: 'zz'.repeat(32) }), 400, 'malformed-entry'],
      ['upper-case hex', () => postJson(url, { ...good, agent: (good.agent as string).toUpperCase() }), 400, 'malformed-entry'],
      ['odd hex', () => postJson(url, { ...good, sig: 'abc' }), 400, 'malformed-entry'],
      ['short key', () => postJson(url, { ...good, agent: 'ab'.repeat(31) }), 400, 'malformed-entry'],
      ['bad namespace', () => postJson(url, { ...good, namespace: 'Team//X' }), 400, 'malformed-entry'],
      ['too many refs', () => postJson(url, { ...good, refs: Array(17).fill('00'.repeat(32)) }), 400, 'malformed-entry'],
      ['__proto__ key', () => postJson(url, `{"__proto__": {"x": 1}, "agent": "${good.agent as string}"}`), 400, 'malformed-json'],
      // Told by fastify's error code (FST_ERR_CTP_INVALID_JSON_BODY), not by the words of its message.
      ['constructor.prototype key', () => postJson(url, `{"constructor": {"prototype": {"x": 1}}, "agent": "${good.agent as string}"}`), 400, 'malformed-json'],
      ['lone surrogate', () => postJson(url, JSON.stringify({ ...good, payload: '"\ud800"' })), 400, 'malformed-entry'],
      ['deep nesting', () => postJson(url, '['.repeat(5000) + ']'.repeat(5000)), 400, 'malformed-entry'],
      ['wrong content type', () => request(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(good) }), 415, 'unsupported-media-type'],
      ['form content type', () => request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }), 415, 'unsupported-media-type'],
      ['oversized body', () => postJson(url, { ...good, payload: JSON.stringify('x'.repeat(2 * 1024 * 1024)) }), 413, 'body-too-large'],
      ['payload over the chain limit', () => postJson(url, { ...good, payload: JSON.stringify('x'.repeat(20 * 1024)) }), 400, 'malformed-entry'],
      ['unknown query parameter', () => postJson(`${url}?debug=1`, good), 400, 'invalid-parameter'],
    ]
    for (const [name, send, status, code] of cases) {
      const answer = await send()
      expect({ name, status: answer.status, code: answer.body?.error?.code }).toEqual({ name, status, code })
      await expectAlive(h)
    }
    expect(h.backend.mempoolSize).toBe(0)
  })
})

describe('GET /v1/entries/:id and /v1/receipts/:id', () => {
  it('follows an entry from pending to committed to certified, with a receipt that verifies offline', async () => {
    const h = await start()
    const entry = makeEntry(alice())
    const id = toHex(entryId(entry))
    expectError(await request(`${h.url}/v1/receipts/${id}`), 404, 'unknown-entry')
    expectError(await request(`${h.url}/v1/entries/${id}`), 404, 'unknown-entry')
    await postJson(`${h.url}/v1/entries`, entryJson(entry))

    const pending = await request(`${h.url}/v1/entries/${id}`)
    expect(pending.status).toBe(200)
    expect(pending.body).toMatchObject({ id, status: 'pending', height: null, index: null, receipt: null })
    expect(pending.body.entry).toEqual(entryJson(entry))
    const pendingReceipt = await request(`${h.url}/v1/receipts/${id}`)
    expect(pendingReceipt.status).toBe(202)
    expect(pendingReceipt.body).toEqual({ id, status: 'pending', height: null, index: null })
    expect(pendingReceipt.headers.get('retry-after')).toBe('1')

    h.backend.commit({ certify: false })
    const committed = await request(`${h.url}/v1/entries/${id}`)
    expect(committed.body).toMatchObject({ id, status: 'committed', height: 1, index: 0, receipt: null })
    const notCertified = await request(`${h.url}/v1/receipts/${id}`)
    expect(notCertified.status).toBe(202)
    expect(notCertified.body).toEqual({ id, status: 'pending', height: 1, index: 0 })

    h.backend.certify()
    const certified = await request(`${h.url}/v1/entries/${id}`)
    expect(certified.body.status).toBe('certified')
    const answer = await request(`${h.url}/v1/receipts/${id}`)
    expect(answer.status).toBe(200)
    expect(answer.body.status).toBe('certified')
    const receipt = receiptFromJson(answer.body.receipt)
    expect(verifyReceipt(receipt, h.genesis)).toEqual({ ok: true })
    expect(certified.body.receipt).toEqual(answer.body.receipt)
  })

  it('rejects bad ids with 400, long ones with 414, unknown routes with 404', async () => {
    const h = await start()
    expectError(await request(`${h.url}/v1/entries/xyz`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/receipts/${'AB'.repeat(32)}`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/receipts/${'ab'.repeat(31)}`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/entries/${'a'.repeat(5000)}`), 414, 'uri-too-long')
    expectError(await request(`${h.url}/v1/entries/${'ab'.repeat(32)}?x=1`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/nothing`), 404, 'no-route')
    expectError(await request(`${h.url}/v1/entries`, { method: 'DELETE' }), 404, 'no-route')
    await expectAlive(h)
  })
})

describe('GET /v1/receipts/:id?wait= (long poll)', () => {
  it('answers as soon as a commit certificate lands, not at the deadline', async () => {
    const h = await start()
    const entry = makeEntry(alice())
    const id = toHex(entryId(entry))
    await postJson(`${h.url}/v1/entries`, entryJson(entry))
    const began = performance.now()
    const waiting = request(`${h.url}/v1/receipts/${id}?wait=5000`)
    await waitUntil(() => h.backend.receiptWaiters === 1)
    h.backend.commit({ certify: false }) // committed, not yet certified: keeps waiting
    await new Promise((r) => setTimeout(r, 50))
    expect(h.backend.receiptWaiters).toBe(1)
    h.backend.certify()
    const answer = await waiting
    expect(performance.now() - began).toBeLessThan(2000)
    expect(answer.status).toBe(200)
    expect(answer.body.status).toBe('certified')
    expect(verifyReceipt(receiptFromJson(answer.body.receipt), h.genesis)).toEqual({ ok: true })
    // Already certified: a wait answers at once.
    const again = await request(`${h.url}/v1/receipts/${id}?wait=10000`)
    expect(again.status).toBe(200)
    expect(h.backend.receiptWaiters).toBe(0)
  })

  it('waits for an entry it does not know yet, then answers 202 pending or 404 at the deadline', async () => {
    const h = await start()
    const entry = makeEntry(alice())
    const id = toHex(entryId(entry))
    const began = performance.now()
    expectError(await request(`${h.url}/v1/receipts/${id}?wait=150`), 404, 'unknown-entry')
    expect(performance.now() - began).toBeGreaterThanOrEqual(140)
    await postJson(`${h.url}/v1/entries`, entryJson(entry))
    const pending = await request(`${h.url}/v1/receipts/${id}?wait=100`)
    expect(pending.status).toBe(202)
    expect(pending.body).toEqual({ id, status: 'pending', height: null, index: null })
    expect(pending.headers.get('retry-after')).toBe('1')
    expect(h.backend.receiptWaiters).toBe(0)
  })

  it('rejects bad wait values with 400 and answers 503 waiters-exhausted over the bound', async () => {
    const h = await start({ limits: { receiptWaitMsMax: 10_000, receiptWaitersMax: 2 } })
    const id = toHex(entryId(makeEntry(alice())))
    for (const bad of ['-1', '1.5', 'abc', '', '1e3', '10001', '99999999999999999999']) {
      expectError(await request(`${h.url}/v1/receipts/${id}?wait=${bad}`), 400, 'invalid-parameter')
    }
    expectError(await request(`${h.url}/v1/receipts/${id}?wait=1&wait=2`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/receipts/${id}?wait=0`), 404, 'unknown-entry') // 0: no wait
    const held = [request(`${h.url}/v1/receipts/${id}?wait=400`), request(`${h.url}/v1/receipts/${id}?wait=400`)]
    await waitUntil(() => h.backend.receiptWaiters === 2)
    const over = await request(`${h.url}/v1/receipts/${id}?wait=400`)
    expectError(over, 503, 'waiters-exhausted')
    expect(over.headers.get('retry-after')).toBe('1')
    for (const answer of await Promise.all(held)) expectError(answer, 404, 'unknown-entry')
    expectError(await request(`${h.url}/v1/receipts/${id}?wait=10`), 404, 'unknown-entry') // slots released
    await expectAlive(h)
  })

  it('stops waiting when the client goes away', async () => {
    const h = await start()
    const id = toHex(entryId(makeEntry(alice())))
    const controller = new AbortController()
    const gone = fetch(`${h.url}/v1/receipts/${id}?wait=10000`, { signal: controller.signal }).catch(() => null)
    await waitUntil(() => h.backend.receiptWaiters === 1)
    controller.abort()
    await gone
    await waitUntil(() => h.backend.receiptWaiters === 0, 2000)
  })
})

describe('GET /v1/entries (query)', () => {
  async function filled(): Promise<Harness> {
    const h = await start({ limits: { pageLimitMax: 20 } })
    const a = alice()
    const b = agent('bob')
    for (let block = 0; block < 3; block++) {
      for (let i = 0; i < 10; i++) {
        const who = i % 2 === 0 ? a : b
        const r = await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(who, i % 3 === 0 ? 'team/audit' : 'team/plans', { block, i })))
        expect(r.status).toBe(202)
      }
      h.backend.commit()
    }
    return h
  }

  it('pages through the whole log in order with cursors', async () => {
    const h = await filled()
    const seen: number[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const q: string = cursor === null ? 'limit=7' : `limit=7&cursor=${cursor}`
      const page = await request(`${h.url}/v1/entries?${q}`)
      expect(page.status).toBe(200)
      expect(page.body.items.length).toBeLessThanOrEqual(7)
      for (const item of page.body.items) {
        seen.push(item.index)
        expect(item.id).toBe(toHex(entryId(receiptFromJsonEntry(item.entry))))
      }
      cursor = page.body.nextCursor
      pages++
    } while (cursor !== null && pages < 20)
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i))
    expect(pages).toBe(5)
  })

  it('filters by namespace, agent and height range, and caps the limit', async () => {
    const h = await filled()
    const audit = await request(`${h.url}/v1/entries?namespace=team/audit&limit=100`)
    expect(audit.body.items.length).toBe(12)
    expect(audit.body.items.every((it: { entry: { namespace: string } }) => it.entry.namespace === 'team/audit')).toBe(true)
    const bob = agent('bob')
    const byBob = await request(`${h.url}/v1/entries?agent=${bob.hex}&limit=20`)
    expect(byBob.body.items.length).toBe(15)
    expect(byBob.body.nextCursor).toBeNull()
    const mid = await request(`${h.url}/v1/entries?fromHeight=2&toHeight=2`)
    expect(mid.body.items.map((it: { height: number }) => it.height)).toEqual(Array(10).fill(2))
    const capped = await request(`${h.url}/v1/entries?limit=100000`)
    expect(capped.status).toBe(200)
    expect(capped.body.items.length).toBe(20)
    expect(capped.body.nextCursor).not.toBeNull()
  })

  it('rejects bad parameters with 400', async () => {
    const h = await start()
    const bad = [
      'limit=0', 'limit=-1', 'limit=abc', 'limit=1e3', 'limit=01', 'fromHeight=3&toHeight=2', 'fromHeight=99999999999999999999',
      'namespace=Team', `namespace=${'a'.repeat(200)}`, 'agent=xyz', `agent=${'ab'.repeat(31)}`, 'cursor=%20', `cursor=${'c'.repeat(300)}`,
      'limit=1&limit=2', 'namespace=a&namespace=b', 'bogus=1',
    ]
    for (const q of bad) {
      const answer = await request(`${h.url}/v1/entries?${q}`)
      expect({ q, status: answer.status, code: answer.body?.error?.code }).toEqual({ q, status: 400, code: 'invalid-parameter' })
    }
    expectError(await request(`${h.url}/v1/entries?cursor=notmine`), 400, 'invalid-cursor')
    // A query string past Node's header limit is refused before the router (431), and the server goes on.
    const huge = await fetch(`${h.url}/v1/entries?namespace=${'a'.repeat(70_000)}`).catch(() => null)
    expect(huge === null || huge.status === 431 || huge.status === 414).toBe(true)
    await expectAlive(h)
  })
})

/** The entry JSON of a query item as an Entry (via the receipt reader's strict path). */
function receiptFromJsonEntry(json: unknown): Parameters<typeof entryId>[0] {
  return receiptFromJson({ entry: json, index: 0, proof: [], checkpoint: { height: 0, block: '00'.repeat(32), logSize: 1, logRoot: '00'.repeat(32), signers: '', sigs: [] } }).entry
}

describe('GET /v1/subscribe (server-sent events)', () => {
  it('streams committed entries with the log index as event id and resumes with Last-Event-ID', async () => {
    const h = await start()
    const a = alice()
    for (let i = 0; i < 6; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, i % 2 === 0 ? 'team/plans' : 'team/other', { i })))
    h.backend.commit()
    const first = await SseReader.open(`${h.url}/v1/subscribe?from=0`)
    expect(first.status).toBe(200)
    const events = await first.waitFor(4)
    expect(events.map((e) => e.id)).toEqual(['0', '1', '2', '3'])
    expect(events.every((e) => e.event === 'entry')).toBe(true)
    expect(JSON.parse(events[2]!.data)).toMatchObject({ index: 2, height: 1 })
    first.close()

    // Reconnect as EventSource does: same URL, plus Last-Event-ID. No gap, no duplicate.
    const resumed = await SseReader.open(`${h.url}/v1/subscribe?from=0`, { 'last-event-id': '3' })
    const rest = await resumed.waitFor(2)
    expect(rest.map((e) => e.id)).toEqual(['4', '5'])
    // Live: entries committed after subscribing arrive too.
    for (let i = 0; i < 3; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, 'team/plans', { live: i })))
    h.backend.commit()
    const live = await resumed.waitFor(5)
    expect(live.map((e) => e.id)).toEqual(['4', '5', '6', '7', '8'])
    resumed.close()
  })

  it('filters by namespace, defaults to the live tail, sends heartbeats', async () => {
    const h = await start({ limits: { heartbeatMs: 50 } })
    const a = alice()
    for (let i = 0; i < 4; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, i % 2 === 0 ? 'team/plans' : 'team/other', { i })))
    h.backend.commit()
    const filtered = await SseReader.open(`${h.url}/v1/subscribe?from=0&namespace=team/other`)
    expect((await filtered.waitFor(2)).map((e) => e.id)).toEqual(['1', '3'])
    const tail = await SseReader.open(`${h.url}/v1/subscribe`)
    await tail.waitForComments(3)
    await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, 'team/plans', { after: true })))
    h.backend.commit()
    expect((await tail.waitFor(1)).map((e) => e.id)).toEqual(['4'])
    filtered.close()
    tail.close()
    await waitUntil(() => h.backend.health().status === 'ok')
  })

  it('rejects bad parameters before streaming, and limits streams per address', async () => {
    const h = await start({ limits: { streamsPerIpMax: 2 } })
    expectError(await request(`${h.url}/v1/subscribe?from=x`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/subscribe`, { headers: { 'last-event-id': 'abc' } }), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/subscribe?namespace=BAD`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/subscribe?fromIndex=1`), 400, 'invalid-parameter')
    const s1 = await SseReader.open(`${h.url}/v1/subscribe`)
    const s2 = await SseReader.open(`${h.url}/v1/subscribe`)
    const third = await request(`${h.url}/v1/subscribe`)
    expectError(third, 429, 'too-many-streams')
    expect(third.headers.get('retry-after')).toBe('5')
    s1.close()
    // The slot frees when the client goes.
    let again = 0
    for (let i = 0; i < 50 && again !== 200; i++) {
      const s3 = await SseReader.open(`${h.url}/v1/subscribe`)
      again = s3.status
      s3.close()
      if (again !== 200) await new Promise((r) => setTimeout(r, 20))
    }
    expect(again).toBe(200)
    s2.close()
    await expectAlive(h)
  })

  it('ends open streams when the server closes', async () => {
    const h = await start()
    const s = await SseReader.open(`${h.url}/v1/subscribe`)
    const closed = h.close()
    harness = null
    await closed
    await s.waitFor(1, 2000).catch(() => [])
    expect(s.ended).toBe(true)
  })
})

describe('checkpoint, consistency, export', () => {
  it('serves the latest commit certificate (404 before the first)', async () => {
    const h = await start()
    expectError(await request(`${h.url}/v1/checkpoint`), 404, 'no-checkpoint')
    await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(alice())))
    h.backend.commit()
    const answer = await request(`${h.url}/v1/checkpoint`)
    expect(answer.status).toBe(200)
    const cc = ccFromCbor(fromJson(answer.body.checkpoint))
    expect(cc).toMatchObject({ height: 1, logSize: 1 })
    expect(checkCc(validatorSetOf(h.genesis), h.genesis.chainId, cc)).toBeNull()
  })

  it('proves consistency between two certified sizes', async () => {
    const h = await start()
    const a = alice()
    for (let i = 0; i < 3; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))
    h.backend.commit()
    const old = ccFromCbor(fromJson((await request(`${h.url}/v1/checkpoint`)).body.checkpoint))
    for (let i = 0; i < 5; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))
    h.backend.commit()
    const now = ccFromCbor(fromJson((await request(`${h.url}/v1/checkpoint`)).body.checkpoint))
    const answer = await request(`${h.url}/v1/consistency?from=${old.logSize}&to=${now.logSize}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ from: 3, to: 8 })
    const proof = (answer.body.proof as string[]).map(fromHex)
    expect(verifyConsistency(old.logSize, now.logSize, old.logRoot, now.logRoot, proof)).toBe(true)
    expectError(await request(`${h.url}/v1/consistency?from=3&to=9`), 404, 'range-unavailable')
    expectError(await request(`${h.url}/v1/consistency?from=5&to=3`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/consistency?from=3`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/consistency?from=3&to=x`), 400, 'invalid-parameter')
  })

  async function readExport(url: string): Promise<{ header: ReturnType<typeof exportHeaderFromCbor>, items: ChainItem[], res: Response }> {
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    const reader = new RecordReader()
    const values = []
    for await (const chunk of res.body!) {
      reader.push(chunk)
      for (let v = reader.next(); v !== null; v = reader.next()) values.push(v)
    }
    expect(reader.pendingBytes).toBe(0)
    const [header, ...records] = values
    return { header: exportHeaderFromCbor(header!), items: records.map(chainItemFromCbor), res }
  }

  it('streams the export format, which the chain verifier accepts, whole or from a height', async () => {
    const h = await start()
    const a = alice()
    const b = agent('bob')
    for (let block = 0; block < 5; block++) {
      for (let i = 0; i < 4; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(i % 2 ? a : b, 'team/plans', { block, i })))
      h.backend.commit({ certify: block !== 3 })
    }
    const whole = await readExport(`${h.url}/v1/export`)
    expect(whole.header).toMatchObject({ format: 'synod-export/v1', chainId: h.genesis.chainId, from: 1, start: null })
    expect(whole.items.map((it) => it.block.header.height)).toEqual([1, 2, 3, 4, 5])
    const report = await verifyChain(whole.items, h.genesis)
    expect(report).toMatchObject({ ok: true, height: 5, certifiedHeight: 5, entries: 20 })

    const part = await readExport(`${h.url}/v1/export?fromHeight=3&toHeight=4`)
    expect(part.header.from).toBe(3)
    expect(part.header.start?.header.height).toBe(2)
    const partReport = await verifyChain(part.items, h.genesis, { start: part.header.start!, allowUncertifiedTail: true })
    expect(partReport).toMatchObject({ ok: true, height: 4, blocks: 2 })

    expectError(await request(`${h.url}/v1/export?toHeight=9`), 404, 'range-unavailable')
    expectError(await request(`${h.url}/v1/export?fromHeight=0`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/export?fromHeight=4&toHeight=2`), 400, 'invalid-parameter')
    expectError(await request(`${h.url}/v1/export?fromHeight=6`), 404, 'range-unavailable')
    await expectAlive(h)
  })

  it('regression: a default export ended at the committed head, whose commit certificate may not exist yet, and failed the audit', async () => {
    const h = await start()
    const a = alice()
    for (let block = 0; block < 4; block++) {
      await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, 'team/plans', { block })))
      // Blocks 1 and 2 certified; 3 and 4 committed, with no commit certificate at or
      // after them yet.
      h.backend.commit({ certify: block < 2 })
    }
    const whole = await readExport(`${h.url}/v1/export`)
    expect(whole.items.map((it) => it.block.header.height)).toEqual([1, 2])
    expect(await verifyChain(whole.items, h.genesis)).toMatchObject({ ok: true, height: 2, certifiedHeight: 2 })
    const tail = await readExport(`${h.url}/v1/export?fromHeight=2`)
    expect(tail.items.map((it) => it.block.header.height)).toEqual([2])
    // Asked for explicitly, the uncertified tail is still exported.
    const explicit = await readExport(`${h.url}/v1/export?toHeight=4`)
    expect(explicit.items.map((it) => it.block.header.height)).toEqual([1, 2, 3, 4])
    expectError(await request(`${h.url}/v1/export?fromHeight=3`), 404, 'range-unavailable')
    await expectAlive(h)
  })

  it('answers a default export with 404 before the first certified block', async () => {
    const h = await start()
    await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(alice(), 'team/plans', { first: true })))
    h.backend.commit({ certify: false })
    expectError(await request(`${h.url}/v1/export`), 404, 'range-unavailable')
    expect((await readExport(`${h.url}/v1/export?toHeight=1`)).items).toHaveLength(1)
  })
})

describe('health and metrics', () => {
  it('answers /healthz, and 503 while stopping', async () => {
    const h = await start()
    const ok = await request(`${h.url}/healthz`)
    expect(ok.body).toEqual({ status: 'ok', chainId: h.genesis.chainId, height: 0, lagHeights: 0, logSize: 0, round: 0, peers: 3, mempoolEntries: 0 })
    h.backend.setStatus('stopping')
    expect((await request(`${h.url}/healthz`)).status).toBe(503)
  })

  it('exposes the node metrics and the HTTP counters in the Prometheus text format', async () => {
    const h = await start()
    h.metrics.blockCommitted(7, 12, 0.2)
    h.metrics.roundEntered(9)
    h.metrics.roundTimedOut()
    h.metrics.viewChanged()
    h.metrics.peersChanged(3)
    h.metrics.mempoolChanged(5)
    h.metrics.messageRejected('bad-signature')
    h.metrics.messageRejected('not-a-reason' as 'other')
    await request(`${h.url}/v1/entries/${'ab'.repeat(32)}`)
    const answer = await request(`${h.url}/metrics`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toContain('text/plain')
    const text = answer.text
    for (const line of [
      'synod_height 7', 'synod_round 9', 'synod_commits_total{kind="block"} 1', 'synod_commits_total{kind="entry"} 12',
      'synod_commit_latency_seconds_count 1', 'synod_timeouts_total 1', 'synod_view_changes_total 1', 'synod_peers 3',
      'synod_mempool_entries 5', 'synod_rejected_messages_total{reason="bad-signature"} 1', 'synod_rejected_messages_total{reason="other"} 1',
      'synod_http_requests_total{method="GET",route="/v1/entries/:id",status="404"} 1',
    ]) expect(text).toContain(line)
  })
})

describe('rate limits', () => {
  it('answers 429 with Retry-After past the per-address burst, and /healthz still answers', async () => {
    let clock = 0
    const h = await start({ limits: { ipRatePerSecond: 1, ipBurst: 5 }, now: () => clock })
    const answers = []
    for (let i = 0; i < 8; i++) answers.push((await request(`${h.url}/v1/checkpoint`)).status)
    expect(answers).toEqual([404, 404, 404, 404, 404, 429, 429, 429])
    const limited = await request(`${h.url}/v1/checkpoint`)
    expectError(limited, 429, 'rate-limited')
    expect(limited.headers.get('retry-after')).toBe('1')
    await expectAlive(h)
    clock += 2000
    expect((await request(`${h.url}/v1/checkpoint`)).status).toBe(404)
    expect(h.metrics.registry.getSingleMetric('synod_http_rate_limited_total')).toBeDefined()
  })

  it('limits accepted submissions per agent, and a forged entry does not spend the victim budget', async () => {
    let clock = 0
    const h = await start({ limits: { agentRatePerSecond: 1, agentBurst: 2 }, now: () => clock })
    const a = alice()
    const forged = { ...(entryJson(makeEntry(a)) as Record<string, unknown>), payload: '{"x":1}' }
    for (let i = 0; i < 5; i++) expectError(await postJson(`${h.url}/v1/entries`, forged), 422, 'invalid-signature')
    const e1 = makeEntry(a)
    expect((await postJson(`${h.url}/v1/entries`, entryJson(e1))).status).toBe(202)
    expect((await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))).status).toBe(202)
    const over = await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))
    expectError(over, 429, 'agent-rate-limited')
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    // Another agent is not affected.
    expect((await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(agent('bob'))))).status).toBe(202)
    clock += 1500
    expect((await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))).status).toBe(202)
    await expectAlive(h)
  })
})

describe('backend failures', () => {
  it('answers 503 timeout when the backend does not answer in time, 500 without details when it throws', async () => {
    const h = await start({
      limits: { backendTimeoutMs: 100 },
      wrap: (backend) => delegate(backend, {
        getEntry: () => new Promise(() => {}),
        latestCheckpoint: () => Promise.reject(new Error('disk on fire: /secret/path')),
      }),
    })
    const slow = await request(`${h.url}/v1/entries/${'ab'.repeat(32)}`)
    expectError(slow, 503, 'timeout')
    const broken = await request(`${h.url}/v1/checkpoint`)
    expectError(broken, 500, 'internal')
    expect(broken.text).not.toContain('secret')
    await expectAlive(h)
  })

  it('regression: a backend call that takes a while is not cut short once the body is read (fastify aborts request.signal early)', async () => {
    const h = await start({
      wrap: (backend) => delegate(backend, {
        submitEntry: (entry, signal) => new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve(backend.submitEntry(entry, signal)), 50)
          signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
        }),
      }),
    })
    const answer = await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(alice())))
    expect(answer.status).toBe(202)
    await expectAlive(h)
  })
})
