// SynodClient.subscribe and query: verified items, resumption across node failures with
// no gap and no duplicate, and lying streams.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentIdentity, SynodClient, seededRandom, verifyReceipt, type Decision, type NodeFault } from '../../sdk/index.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

const SEED = Number(process.env.SDK_TEST_SEED ?? Date.now() % 2 ** 31)
console.log(`subscribe.test.ts seed ${SEED} (rerun with SDK_TEST_SEED=${SEED})`)

async function take<T>(iterator: AsyncIterator<T>, n: number): Promise<T[]> {
  const out: T[] = []
  while (out.length < n) {
    const next = await iterator.next()
    if (next.done) break
    out.push(next.value)
  }
  return out
}

describe('subscribe', () => {
  let cluster: TestCluster
  const writer = AgentIdentity.fromSeed(new Uint8Array(32).fill(3))
  beforeAll(async () => {
    cluster = await startCluster({ honest: 3, liars: ['tamper-records'] })
  })
  afterAll(async () => {
    await cluster.close()
  })

  function writerClient(nodes = cluster.nodes.filter((n) => n.lie === null && !n.closed).map((n) => n.url)): SynodClient {
    return new SynodClient({ nodes, genesis: cluster.net.genesis, identity: writer, random: seededRandom(SEED) })
  }

  it('resumes on another node after the streaming node dies: no gap, no duplicate', async () => {
    const honest = cluster.nodes.filter((n) => n.lie === null).map((n) => n.url)
    const w = writerClient()
    for (let i = 0; i < 5; i++) await w.commit('team/stream', { i })
    // Which node serves the stream: observed through the client's fetch.
    const streamedBy: string[] = []
    const observing = (url: string, init?: RequestInit): Promise<Response> => {
      if (url.includes('/v1/subscribe')) streamedBy.push(url)
      return fetch(url, init)
    }
    const reader = new SynodClient({ nodes: honest, genesis: cluster.net.genesis, fetch: observing, random: seededRandom(SEED + 1), reconnectMs: 10 })
    const controller = new AbortController()
    const stream = reader.subscribe({ from: 0, signal: controller.signal })[Symbol.asyncIterator]()
    const first = await take(stream, 5)
    expect(first.map((d) => d.index)).toEqual([0, 1, 2, 3, 4])
    // Kill the node that streams, while more decisions commit.
    const victim = honest.find((u) => streamedBy[streamedBy.length - 1]!.startsWith(u))!
    await cluster.kill(victim)
    const survivors = honest.filter((u) => u !== victim)
    const w2 = writerClient(survivors)
    for (let i = 5; i < 10; i++) await w2.commit('team/stream', { i })
    const rest = await take(stream, 5)
    controller.abort()
    const all = [...first, ...rest]
    expect(all.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(all.map((d) => (d.payload as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    for (const d of all) expect(verifyReceipt(d.receipt!, cluster.net.genesis).ok).toBe(true)
    expect(streamedBy.length).toBeGreaterThanOrEqual(2)
    expect(streamedBy[streamedBy.length - 1]!.startsWith(victim)).toBe(false)
  })

  it('skips a node that streams tampered records and continues on an honest one', async () => {
    const liar = cluster.nodes.find((n) => n.lie === 'tamper-records')!.url
    const honest = cluster.nodes.find((n) => n.lie === null && !n.closed)!.url
    const faults: NodeFault[] = []
    // random() near 1 keeps the node order as given: the liar streams first.
    const reader = new SynodClient({ nodes: [liar, honest], genesis: cluster.net.genesis, onNodeFault: (f) => faults.push(f), random: () => 0.99 })
    const controller = new AbortController()
    const items: Decision[] = []
    for await (const d of reader.subscribe({ from: 0, namespace: 'team/stream', verify: 'signature', signal: controller.signal })) {
      items.push(d)
      if (items.length === 10) break
    }
    expect(items.map((d) => (d.payload as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(faults.map((f) => [f.node, f.name, 'code' in f ? f.code : null])).toEqual([[liar, 'InvalidProofError', 'id-mismatch']])
  })

  it('delivers new decisions only when no start is given', async () => {
    const reader = new SynodClient({ nodes: cluster.nodes.filter((n) => n.lie === null && !n.closed).map((n) => n.url), genesis: cluster.net.genesis })
    const controller = new AbortController()
    const stream = reader.subscribe({ namespace: 'team/live', signal: controller.signal })[Symbol.asyncIterator]()
    const next = stream.next()
    await new Promise((r) => setTimeout(r, 50))
    const w = writerClient()
    const committed = await w.commit('team/live', { live: true })
    const got = await next
    controller.abort()
    expect(got.done).toBe(false)
    expect((got.value as Decision).id).toBe(committed.id)
  })

  it('stops with the abort signal', async () => {
    const reader = new SynodClient({ nodes: cluster.nodes.filter((n) => n.lie === null && !n.closed).map((n) => n.url), genesis: cluster.net.genesis })
    const controller = new AbortController()
    const done = (async () => {
      for await (const _ of reader.subscribe({ namespace: 'team/none', signal: controller.signal })) {
        // nothing arrives
      }
    })()
    setTimeout(() => controller.abort(new Error('stop')), 50)
    await expect(done).rejects.toThrow('stop')
  })
})

describe('query', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2, liars: ['tamper-records'] })
    const w = new SynodClient({ nodes: cluster.urls.slice(0, 2), genesis: cluster.net.genesis, identity: AgentIdentity.fromSeed(new Uint8Array(32).fill(4)) })
    // Concurrent commits from one client still commit in seq (= call) order.
    for (let batch = 0; batch < 250; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, k) => batch + k).map((i) => w.commit(i % 2 === 0 ? 'q/even' : 'q/odd', { i })))
    }
  })
  afterAll(async () => {
    await cluster.close()
  })

  it('pages through a namespace in log order', async () => {
    const reader = new SynodClient({ nodes: cluster.urls.slice(0, 2), genesis: cluster.net.genesis })
    const got: number[] = []
    for await (const d of reader.query({ namespace: 'q/even' })) got.push((d.payload as { i: number }).i)
    expect(got).toEqual(Array.from({ length: 125 }, (_, k) => 2 * k))
  })

  it('respects limit and verifies receipts on request', async () => {
    const reader = new SynodClient({ nodes: cluster.urls.slice(0, 2), genesis: cluster.net.genesis })
    const got: Decision[] = []
    for await (const d of reader.query({ namespace: 'q/odd', limit: 3, verify: 'receipt' })) got.push(d)
    expect(got.map((d) => (d.payload as { i: number }).i)).toEqual([1, 3, 5])
    for (const d of got) expect(verifyReceipt(d.receipt!, cluster.net.genesis).ok).toBe(true)
  })

  it('fails over from a tampering node without duplicates', async () => {
    const liar = cluster.nodes.find((n) => n.lie === 'tamper-records')!.url
    const faults: NodeFault[] = []
    const reader = new SynodClient({ nodes: [liar, cluster.urls[0]!], genesis: cluster.net.genesis, onNodeFault: (f) => faults.push(f), random: () => 0.99 })
    const got: number[] = []
    for await (const d of reader.query({ namespace: 'q/odd' })) got.push((d.payload as { i: number }).i)
    expect(got).toEqual(Array.from({ length: 125 }, (_, k) => 2 * k + 1))
    expect(faults.map((f) => f.node)).toEqual([liar])
  })
})
