// Concurrent commit() calls of one client: a later seq of the agent can commit before an
// earlier one (each node has its own mempool, and a leader proposes what it has), and the
// earlier entry can then never commit (an agent's committed seqs strictly increase). The
// cluster's `pick` stands for that leader: it commits only the later entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentIdentity, SynodClient, seededRandom, verifyReceipt } from '../../sdk/index.ts'
import { entryId, type Entry } from '../../src/log/entry.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

const SEED = Number(process.env.SDK_TEST_SEED ?? Date.now() % 2 ** 31)
console.log(`superseded.test.ts seed ${SEED} (rerun with SDK_TEST_SEED=${SEED})`)

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

describe('an entry superseded by a later seq of its agent', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startCluster({ honest: 3 })
  })
  afterAll(async () => {
    await cluster.close()
  })

  function client(seed: number, extra: Partial<ConstructorParameters<typeof SynodClient>[0]> = {}): SynodClient {
    return new SynodClient({
      nodes: cluster.urls,
      genesis: cluster.net.genesis,
      identity: AgentIdentity.fromSeed(new Uint8Array(32).fill(seed)),
      random: seededRandom(SEED),
      commitTimeoutMs: 8_000,
      ...extra,
    })
  }

  /** Starts two concurrent commits, then commits only the second one's entry. Answers
   * the commits and the first (stranded) entry. */
  async function strandFirst(c: SynodClient, tag: string, resign?: boolean) {
    cluster.pause()
    const first = c.commit('acme/plans', { tag, n: 1 }, resign === undefined ? {} : { resignSuperseded: resign })
    const second = c.commit('acme/plans', { tag, n: 2 })
    first.catch(() => {})
    second.catch(() => {})
    const mine = (e: Entry): boolean => e.payload.includes(`"tag":"${tag}"`)
    let stranded: Entry | undefined
    await waitFor(() => cluster.ledger.pendingEntries.filter(mine).length === 2, 'both entries pending')
    cluster.ledger.commit({
      pick: (pending) => {
        stranded = pending.find((e) => mine(e) && e.payload.includes('"n":1'))
        return pending.filter((e) => mine(e) && e.payload.includes('"n":2'))
      },
    })
    cluster.resume()
    expect(stranded).toBeDefined()
    return { first, second, stranded: stranded! }
  }

  it('regression: stranded entry — the earlier of two concurrent commits waited for CommitTimeoutError; now it is re-signed and commits', async () => {
    const c = client(21)
    const began = Date.now()
    const { first, second, stranded } = await strandFirst(c, 'resign')
    const [a, b] = await Promise.all([first, second])
    expect(Date.now() - began).toBeLessThan(8_000)
    for (const d of [a, b]) expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(a.payload).toEqual({ tag: 'resign', n: 1 })
    // The same decision, signed again with a seq above the one that superseded it.
    expect(a.id).not.toBe(toHex(entryId(stranded)))
    expect(a.seq).toBeGreaterThan(b.seq)
    expect(b.seq).toBeGreaterThan(stranded.seq)
    // Nothing stranded stays pending; the node says what became of the old entry.
    expect(cluster.ledger.mempoolSize).toBe(0)
    const res = await fetch(`${cluster.urls[0]}/v1/entries/${toHex(entryId(stranded))}`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'superseded', lastSeq: b.seq })
    const receipt = await fetch(`${cluster.urls[1]}/v1/receipts/${toHex(entryId(stranded))}?wait=1000`)
    expect(receipt.status).toBe(410)
    expect(await receipt.json()).toMatchObject({ error: { code: 'seq-superseded' } })
    // The decision is in the log once.
    let count = 0
    for await (const item of c.query({ namespace: 'acme/plans' })) if (item.payloadText === '{"tag":"resign","n":1}') count += 1
    expect(count).toBe(1)
  })

  it("submits a client's entries to the same f+1 nodes, so that every node sees them in seq order", async () => {
    const posts = new Map<string, number>()
    const counting = (url: string, init?: RequestInit): Promise<Response> => {
      // Entries submitted per node, alone or in batches (receipt batches are POSTs too).
      const { origin, pathname } = new URL(url)
      if (init?.method === 'POST' && pathname.startsWith('/v1/entries')) {
        const entries = pathname.endsWith('/batch') ? (JSON.parse(String(init.body)) as { entries: unknown[] }).entries.length : 1
        posts.set(origin, (posts.get(origin) ?? 0) + entries)
      }
      return fetch(url, init)
    }
    const c = client(23, { fetch: counting, submitTo: 2 })
    await Promise.all(Array.from({ length: 10 }, (_, i) => c.commit('acme/order', { i })))
    expect([...posts.keys()]).toHaveLength(2)
    for (const count of posts.values()) expect(count).toBeGreaterThanOrEqual(10)
  })

  it('fails fast with SeqSupersededError when the caller asked for no re-sign', async () => {
    const c = client(22)
    const began = Date.now()
    const { first, second, stranded } = await strandFirst(c, 'fail', false)
    const err = await first.then(() => null, (e: unknown) => e as { name: string, id: string, seq: number, lastSeq: number })
    expect(Date.now() - began).toBeLessThan(8_000)
    const b = await second
    expect(err).toMatchObject({ name: 'SeqSupersededError', id: toHex(entryId(stranded)), seq: stranded.seq, lastSeq: b.seq })
    expect(cluster.ledger.mempoolSize).toBe(0)
  })
})
