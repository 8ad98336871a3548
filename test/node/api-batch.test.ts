// The batch routes (node/api/batch.ts): POST /v1/entries/batch answers each entry as the
// single path would, in order; POST /v1/receipts/batch answers each id as
// GET /v1/receipts/:id would. Real servers on 127.0.0.1 over the in-memory backend.
import { afterEach, describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { agent, alice, delegate, entryJson, makeEntry, postJson, request, startHarness, waitUntil, type Answer, type Harness, type HarnessOptions } from './api-fixture.ts'

const harnesses: Harness[] = []
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.close()))
})

async function start(options: HarnessOptions = {}): Promise<Harness> {
  const h = await startHarness(options)
  harnesses.push(h)
  return h
}

async function expectAlive(h: Harness): Promise<void> {
  expect((await request(`${h.url}/healthz`)).status).toBe(200)
}

function expectError(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code })
}

/** What the single path answers, in the shape of a batch item. */
function asItem(answer: Answer): Record<string, unknown> {
  if (answer.status >= 400) {
    const retry = answer.headers.get('retry-after')
    return { httpStatus: answer.status, error: answer.body.error, ...(retry === null ? {} : { retryAfterSeconds: retry }) }
  }
  return { httpStatus: answer.status, ...answer.body }
}

/** A batch item with its id dropped (single-path errors carry none) and Retry-After in
 * the header's whole seconds. */
function comparable(item: Record<string, unknown>): Record<string, unknown> {
  const { id, retryAfterMs, ...rest } = item
  if (item.error === undefined) return { ...rest, id }
  return { ...rest, ...(typeof retryAfterMs === 'number' ? { retryAfterSeconds: String(Math.max(1, Math.ceil(retryAfterMs / 1000))) } : {}) }
}

describe('POST /v1/entries/batch', () => {
  it('answers each entry of a mix of good and bad ones exactly as the single path does, in order', async () => {
    const options: HarnessOptions = { mempoolEntriesMax: 5, genesis: { policy: { open: true, namespaces: { locked: [agent('mallory').key] } } } }
    const a = alice()
    const b = agent('bob')
    const good = makeEntry(a)
    const forged = { ...(entryJson(makeEntry(a)) as Record<string, unknown>), payload: '{"decision":"forged"}' }
    const bodies: unknown[] = [
      entryJson(good),
      entryJson(good), // duplicate
      forged, // 422 invalid-signature
      entryJson(makeEntry(a, 'locked/x')), // 403 policy-denied
      { ...(entryJson(makeEntry(b)) as Record<string, unknown>), seq: '1' }, // 400 malformed-entry
      null, // 400 missing-body
      entryJson(makeEntry(a, 'team/plans', 1, { seq: 10 })),
      entryJson(makeEntry(a, 'team/plans', 2, { seq: 10 })), // 409 stale-seq, pending
      entryJson(makeEntry(a, 'team/plans', 3, { seq: 11 })),
      entryJson(makeEntry(a, 'team/plans', 4, { seq: 12 })),
      entryJson(makeEntry(a, 'team/plans', 5, { seq: 13 })),
      entryJson(makeEntry(a, 'team/plans', 6, { seq: 14 })), // 503 mempool-full (5 entries pending), with a retry time
    ]
    const batched = await start(options)
    const single = await start(options)
    const answer = await postJson(`${batched.url}/v1/entries/batch`, { entries: bodies })
    expect(answer.status).toBe(200)
    const results = answer.body.results as Record<string, unknown>[]
    expect(results).toHaveLength(bodies.length)
    const expected: Record<string, unknown>[] = []
    for (const body of bodies) expected.push(asItem(await postJson(`${single.url}/v1/entries`, body === null ? 'null' : body)))
    expect(results.map(comparable)).toEqual(expected)
    expect(results.map((r) => r.httpStatus)).toEqual([202, 200, 422, 403, 400, 400, 202, 409, 202, 202, 202, 503])
    expect(results[7]!.error).toMatchObject({ code: 'stale-seq', seq: 10, lastSeq: 10, reason: 'pending' })
    expect(results[11]!.retryAfterMs).toBe(1000)
    // Failed entries that parsed carry their id; those that did not, none.
    expect(results[2]!.id).toMatch(/^[0-9a-f]{64}$/)
    expect(results[4]!.id).toBeUndefined()
    expect(results[0]!.id).toBe(toHex(entryId(good)))
    expect(batched.backend.mempoolSize).toBe(5)
    await expectAlive(batched)
  })

  it("admits an agent's entries in batch order, agents side by side", async () => {
    const h = await start()
    const a = alice()
    const b = agent('bob')
    const entries = Array.from({ length: 20 }, (_, i) => makeEntry(i % 3 === 0 ? b : a))
    const answer = await postJson(`${h.url}/v1/entries/batch`, { entries: entries.map(entryJson) })
    expect(answer.status).toBe(200)
    expect(answer.body.results).toEqual(entries.map((e) => ({ httpStatus: 202, id: toHex(entryId(e)), status: 'accepted' })))
    // The same batch again: every entry known.
    const again = await postJson(`${h.url}/v1/entries/batch`, { entries: entries.map(entryJson) })
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(entries.map(() => 'duplicate'))
  })

  it('applies every bad-input rule of the single path to each entry, with the same code and message', async () => {
    const h = await start()
    const good = entryJson(makeEntry(alice())) as Record<string, unknown>
    const bad: unknown[] = [
      { ...good, seq: '1' },
      { ...good, seq: -1 },
      { ...good, seq: 1.5 },
      { ...good, payload: { a: 1 } },
      { ...good, payload: 'not json' },
      { ...good, extra: 1 },
      { ...good, sig: undefined },
      { ...good, agent: 'zz'.repeat(32) },
      { ...good, agent: (good.agent as string).toUpperCase() },
      { ...good, sig: 'abc' },
      { ...good, agent: 'ab'.repeat(31) },
      { ...good, namespace: 'Team//X' },
      { ...good, refs: Array(17).fill('00'.repeat(32)) },
      { ...good, payload: '"\ud800"' },
      { ...good, payload: JSON.stringify('x'.repeat(20 * 1024)) },
      [good],
      42,
      JSON.parse('['.repeat(2000) + ']'.repeat(2000)),
    ]
    // JSON.stringify drops the undefined sig, as the single-path test sends it.
    const answer = await postJson(`${h.url}/v1/entries/batch`, { entries: [...bad, good] })
    expect(answer.status).toBe(200)
    const results = answer.body.results as Record<string, unknown>[]
    for (const [i, body] of bad.entries()) {
      const alone = await postJson(`${h.url}/v1/entries`, body)
      expect({ i, ...comparable(results[i]!) }).toEqual({ i, ...asItem(alone) })
      expect(results[i]!.httpStatus).toBe(400)
    }
    expect(results[bad.length]).toMatchObject({ httpStatus: 202, status: 'accepted' })
    expect(h.backend.mempoolSize).toBe(1)
  })

  it('bounds the whole batch by one backend deadline: entries after it answer 503 timeout', async () => {
    const a = alice()
    const entries = Array.from({ length: 4 }, () => makeEntry(a))
    // The first entry is admitted; the second hangs until the deadline aborts it.
    const h = await start({
      limits: { backendTimeoutMs: 300 },
      wrap: (backend) => delegate(backend, { submitEntry: async (entry, signal) => {
        if (entry.seq !== entries[0]!.seq) await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
        return backend.submitEntry(entry, signal)
      } }),
    })
    const answer = await postJson(`${h.url}/v1/entries/batch`, { entries: entries.map(entryJson) })
    const codes = (answer.body.results as { httpStatus: number, error?: { code: string } }[]).map((r) => r.error?.code ?? r.httpStatus)
    expect(codes).toEqual([202, 'timeout', 'timeout', 'timeout'])
  })

  it('answers a malformed envelope with one 400 (or 413 over the count) and keeps serving', async () => {
    const h = await start({ limits: { batchEntriesMax: 3 } })
    const url = `${h.url}/v1/entries/batch`
    const good = entryJson(makeEntry(alice()))
    const cases: [string, () => Promise<Answer>, number, string][] = [
      ['malformed JSON', () => postJson(url, '{"entries": ['), 400, 'malformed-json'],
      ['null', () => postJson(url, 'null'), 400, 'malformed-batch'],
      ['an array', () => postJson(url, [good]), 400, 'malformed-batch'],
      ['a string', () => postJson(url, '"x"'), 400, 'malformed-batch'],
      ['no entries', () => postJson(url, {}), 400, 'malformed-batch'],
      ['entries not an array', () => postJson(url, { entries: good }), 400, 'malformed-batch'],
      ['empty', () => postJson(url, { entries: [] }), 400, 'malformed-batch'],
      ['unknown field', () => postJson(url, { entries: [good], debug: true }), 400, 'malformed-batch'],
      ['__proto__ key', () => postJson(url, '{"__proto__": {"x": 1}, "entries": []}'), 400, 'malformed-json'],
      ['over the count', () => postJson(url, { entries: [good, good, good, good] }), 413, 'batch-too-large'],
      ['over the body limit', () => postJson(url, { entries: [{ ...(good as Record<string, unknown>), payload: JSON.stringify('x'.repeat(2 * 1024 * 1024)) }] }), 413, 'body-too-large'],
      ['unknown query parameter', () => postJson(`${url}?x=1`, { entries: [good] }), 400, 'invalid-parameter'],
      ['wrong content type', () => request(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ entries: [good] }) }), 415, 'unsupported-media-type'],
    ]
    for (const [name, send, status, code] of cases) {
      const answer = await send()
      expect({ name, status: answer.status, code: answer.body?.error?.code }).toEqual({ name, status, code })
      await expectAlive(h)
    }
    expect(h.backend.mempoolSize).toBe(0)
  })

  it('counts entries, not requests, against the address and agent rate limits', async () => {
    let now = 0
    const h = await start({ now: () => now, limits: { ipBurst: 5, ipRatePerSecond: 1, agentBurst: 3, agentRatePerSecond: 1 } })
    const a = alice()
    const b = agent('bob')
    // 3 of alice (her burst), 1 more of alice (over it), then bob's: 5 address tokens in all.
    const entries = [makeEntry(a), makeEntry(a), makeEntry(a), makeEntry(a), makeEntry(b), makeEntry(b)]
    const answer = await postJson(`${h.url}/v1/entries/batch`, { entries: entries.map(entryJson) })
    expect(answer.status).toBe(200)
    const results = answer.body.results as { httpStatus: number, error?: { code: string }, retryAfterMs?: number }[]
    expect(results.map((r) => r.error?.code ?? r.httpStatus)).toEqual([202, 202, 202, 'agent-rate-limited', 202, 'rate-limited'])
    expect(results[5]!.retryAfterMs).toBeGreaterThan(0)
    // The address spent its burst: the next request is refused whole.
    expectError(await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(b))), 429, 'rate-limited')
    now += 60_000
    expect((await postJson(`${h.url}/v1/entries/batch`, { entries: [entryJson(makeEntry(b))] })).body.results[0].httpStatus).toBe(202)
  })
})

describe('POST /v1/receipts/batch', () => {
  it('answers each id as GET /v1/receipts/:id does: certified, pending, unknown, superseded, bad id', async () => {
    const h = await start()
    const a = alice()
    const certified = makeEntry(a)
    const committed = makeEntry(a)
    const superseded = makeEntry(a)
    const later = makeEntry(a)
    const inMempool = makeEntry(agent('bob'))
    const unknown = makeEntry(agent('carol'))
    const post = (e: typeof certified): Promise<Answer> => postJson(`${h.url}/v1/entries`, entryJson(e))
    await post(certified)
    h.backend.commit()
    await post(committed)
    h.backend.commit({ certify: false })
    await post(superseded)
    await post(later)
    h.backend.commit({ certify: false, pick: (pending) => pending.filter((e) => e.seq === later.seq) })
    await post(inMempool)
    const hexes = [certified, committed, superseded, inMempool, unknown].map((e) => toHex(entryId(e)))
    const ids: unknown[] = [...hexes, 'ABC', 42]
    const answer = await postJson(`${h.url}/v1/receipts/batch`, { ids })
    expect(answer.status).toBe(200)
    const results = answer.body.results as Record<string, unknown>[]
    expect(results).toHaveLength(ids.length)
    for (const [i, hex] of hexes.entries()) {
      // The single route's 202 carries Retry-After: 1 as a header; a batch item does not.
      const { retryAfterSeconds: _retry, ...alone } = asItem(await request(`${h.url}/v1/receipts/${hex}`))
      expect(results[i]!.error === undefined ? results[i] : comparable(results[i]!)).toEqual(alone)
    }
    expect(results.map((r) => r.httpStatus)).toEqual([200, 202, 410, 202, 404, 400, 400])
    expect(verifyReceipt(receiptFromJson(results[0]!.receipt as never), h.genesis)).toEqual({ ok: true })
    expect(results[2]!.error).toMatchObject({ code: 'seq-superseded', seq: superseded.seq, lastSeq: later.seq })
    expect((results[5]!.error as { code: string }).code).toBe('invalid-parameter')
  })

  it('with wait, answers as soon as one id is certified, with every id certified by the same event', async () => {
    const h = await start()
    const a = alice()
    const first = makeEntry(a)
    const second = makeEntry(a)
    const never = makeEntry(agent('carol'))
    await postJson(`${h.url}/v1/entries/batch`, { entries: [entryJson(first), entryJson(second)] })
    const ids = [first, second, never].map((e) => toHex(entryId(e)))
    const waiting = postJson(`${h.url}/v1/receipts/batch`, { ids, wait: 5000 })
    await waitUntil(() => h.backend.receiptWaiters === 3)
    h.backend.commit({ certify: false }) // committed, not certified: keeps waiting
    await new Promise((r) => setTimeout(r, 50))
    expect(h.backend.receiptWaiters).toBe(3)
    h.backend.certify()
    const answer = await waiting
    expect(answer.body.results.map((r: { httpStatus: number }) => r.httpStatus)).toEqual([200, 200, 404])
    await waitUntil(() => h.backend.receiptWaiters === 0, 2000)
  })

  it('rejects a bad envelope or wait with one 400, and over the waiter bound answers 503', async () => {
    const h = await start({ limits: { receiptWaitersMax: 2, receiptBatchIdsMax: 3, receiptWaitMsMax: 1000 } })
    const url = `${h.url}/v1/receipts/batch`
    const id = toHex(entryId(makeEntry(alice())))
    expectError(await postJson(url, { ids: [] }), 400, 'malformed-batch')
    expectError(await postJson(url, { ids: id }), 400, 'malformed-batch')
    expectError(await postJson(url, { ids: [id], extra: 1 }), 400, 'malformed-batch')
    expectError(await postJson(url, { ids: [id, id, id, id] }), 413, 'batch-too-large')
    for (const wait of [-1, 1.5, '10', 1001, null]) expectError(await postJson(url, { ids: [id], wait }), 400, 'invalid-parameter')
    expectError(await postJson(url, { ids: [id, id, id], wait: 100 }), 503, 'waiters-exhausted')
    const within = await postJson(url, { ids: [id, id], wait: 50 })
    expect(within.body.results.map((r: { httpStatus: number }) => r.httpStatus)).toEqual([404, 404])
    await expectAlive(h)
  })
})
