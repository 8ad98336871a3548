// commit() batching (sdk/batching.ts) against real API servers over one in-memory ledger:
// concurrent commits go out in fewer requests, an idle commit goes at once, commits that
// arrive during a round go together in the next, each commit keeps its own result, and
// nodes without the batch routes still work. Requests are counted at the fetch layer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentIdentity, SynodClient, seededRandom, verifyReceipt } from '../../sdk/index.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

const SEED = Number(process.env.SDK_TEST_SEED ?? Date.now() % 2 ** 31)
console.log(`batching.test.ts seed ${SEED} (rerun with SDK_TEST_SEED=${SEED})`)

/** Counts requests by kind, and entries per submit request. */
class Counter {
  readonly submits: { node: string, batch: boolean, entries: number }[] = []
  receiptSingles = 0
  receiptBatches = 0
  /** Runs before a request goes (to hold one back, or answer in its place). */
  before: ((path: string) => Promise<Response | null>) | null = null

  readonly fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const { origin, pathname } = new URL(url)
    if (init?.method === 'POST' && pathname === '/v1/entries') this.submits.push({ node: origin, batch: false, entries: 1 })
    if (init?.method === 'POST' && pathname === '/v1/entries/batch') {
      this.submits.push({ node: origin, batch: true, entries: (JSON.parse(String(init.body)) as { entries: unknown[] }).entries.length })
    }
    if (pathname === '/v1/receipts/batch') this.receiptBatches++
    else if (pathname.startsWith('/v1/receipts/')) this.receiptSingles++
    const instead = await this.before?.(pathname)
    return instead ?? fetch(url, init)
  }
}

describe('commit() batching', () => {
  let cluster: TestCluster
  let seedByte = 40
  beforeAll(async () => {
    cluster = await startCluster({ honest: 4 })
  })
  afterAll(async () => {
    await cluster.close()
  })

  function client(counter: Counter, extra: Partial<ConstructorParameters<typeof SynodClient>[0]> = {}): SynodClient {
    return new SynodClient({
      nodes: cluster.urls,
      genesis: cluster.net.genesis,
      identity: AgentIdentity.fromSeed(new Uint8Array(32).fill(seedByte++)),
      random: seededRandom(SEED),
      fetch: counter.fetch,
      ...extra,
    })
  }

  it('sends concurrent commits in one batch per node, in seq order, each with its verified receipt', async () => {
    const counter = new Counter()
    const c = client(counter)
    const decisions = await Promise.all(Array.from({ length: 30 }, (_, i) => c.commit('acme/batch', { i })))
    for (const [i, d] of decisions.entries()) {
      expect(d.payload).toEqual({ i })
      expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
      if (i > 0) expect(d.seq).toBeGreaterThan(decisions[i - 1]!.seq)
    }
    // f+1 = 2 nodes, each sent all 30 entries in one request (a later spread or resubmit
    // could add a few, never one per entry).
    const submitted = counter.submits.reduce((n, s) => n + s.entries, 0)
    expect(submitted).toBeGreaterThanOrEqual(60)
    expect(counter.submits.filter((s) => s.batch && s.entries === 30)).toHaveLength(2)
    expect(counter.submits.length).toBeLessThan(10)
    expect(counter.receiptBatches).toBeGreaterThan(0)
    expect(counter.receiptSingles + counter.receiptBatches).toBeLessThan(30)
    expect(c.requestCounts.submit).toBe(counter.submits.length)
  })

  it('with batch: false, sends one entry per request', async () => {
    const counter = new Counter()
    const c = client(counter, { batch: false })
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.commit('acme/batch', { i })))
    expect(counter.submits.every((s) => !s.batch)).toBe(true)
    expect(counter.submits.length).toBeGreaterThanOrEqual(20)
    expect(counter.receiptBatches).toBe(0)
  })

  it('sends an idle commit at once, alone, whatever the linger', async () => {
    const counter = new Counter()
    // A linger of a minute would stall any commit that waited for it.
    const c = client(counter, { batch: { lingerMs: 60_000 }, commitTimeoutMs: 10_000 })
    for (let i = 0; i < 3; i++) await c.commit('acme/idle', { i })
    expect(counter.submits.map((s) => s.batch)).toEqual([false, false, false, false, false, false])
    expect(new Set(counter.submits.map((s) => s.node)).size).toBe(2)
  })

  it('coalesces commits that arrive while a round is in flight into the next round', async () => {
    const counter = new Counter()
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    let first = true
    counter.before = async (path) => {
      if (path === '/v1/entries' && first) {
        first = false
        await held
      }
      return null
    }
    const c = client(counter, { batch: { lingerMs: 0 } })
    const lone = c.commit('acme/next', { lone: true })
    await new Promise((r) => setTimeout(r, 20)) // the lone round is out, one node's answer held
    const rest = Array.from({ length: 5 }, (_, i) => c.commit('acme/next', { i }))
    await new Promise((r) => setTimeout(r, 20))
    // Nothing of the five went while the round was in flight.
    expect(counter.submits).toHaveLength(2)
    release()
    const all = await Promise.all([lone, ...rest])
    expect(all.map((d) => d.seq)).toEqual([...all.map((d) => d.seq)].sort((a, b) => a - b))
    expect(counter.submits.slice(2, 4).map((s) => [s.batch, s.entries])).toEqual([[true, 5], [true, 5]])
  })

  it('gives each commit of a batch its own result: one refused entry fails alone', async () => {
    const counter = new Counter()
    const c = client(counter)
    const unknownRef = 'ab'.repeat(32)
    const results = await Promise.allSettled([
      c.commit('acme/mixed', { ok: 1 }),
      c.commit('acme/mixed', { bad: true }, { refs: [unknownRef] }),
      c.commit('acme/mixed', { ok: 2 }),
    ])
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    const err = (results[1] as PromiseRejectedResult).reason as { name: string, code: string }
    expect(err).toMatchObject({ name: 'EntryRejectedError', code: 'invalid-entry' })
    expect(counter.submits.some((s) => s.batch && s.entries === 3)).toBe(true)
  })

  it('falls back to single requests at a node without the batch routes', async () => {
    const counter = new Counter()
    counter.before = async (path) => path.endsWith('/batch')
      ? new Response(JSON.stringify({ error: { code: 'no-route', message: 'no route' } }), { status: 404, headers: { 'content-type': 'application/json' } })
      : null
    const c = client(counter)
    const decisions = await Promise.all(Array.from({ length: 6 }, (_, i) => c.commit('acme/old', { i })))
    expect(decisions.map((d) => d.payload)).toEqual(Array.from({ length: 6 }, (_, i) => ({ i })))
    expect(counter.submits.filter((s) => !s.batch).length).toBeGreaterThanOrEqual(12)
  })
})
