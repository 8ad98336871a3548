// SynodClient.commit/get/query against real API servers (node/api/server.ts) over one
// in-memory ledger, with honest and lying nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { AgentIdentity, SynodClient, seededRandom, verifyReceipt, type NodeFault } from '../../sdk/index.ts'
import { startCluster, type Lie, type TestCluster } from '../support-sdk/cluster.ts'

const SEED = Number(process.env.SDK_TEST_SEED ?? Date.now() % 2 ** 31)
console.log(`commit.test.ts seed ${SEED} (rerun with SDK_TEST_SEED=${SEED})`)

const LIES: Lie[] = ['bad-proof', 'weak-cc', 'foreign-cc', 'other-entry']

describe('commit with honest and lying nodes', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2, liars: ['bad-proof', 'weak-cc', 'foreign-cc', 'other-entry', 'censor'] })
  })
  afterAll(async () => {
    await cluster.close()
  })

  function client(nodes: string[], extra: Partial<ConstructorParameters<typeof SynodClient>[0]> = {}, faults: NodeFault[] = []): SynodClient {
    return new SynodClient({
      nodes,
      genesis: cluster.net.genesis,
      identity: AgentIdentity.fromSeed(new Uint8Array(32).fill(7)),
      random: seededRandom(SEED),
      onNodeFault: (f) => faults.push(f),
      ...extra,
    })
  }

  it('commits through honest nodes and verifies the receipt itself', async () => {
    const c = client(cluster.urls.slice(0, 2))
    const d = await c.commit('acme/plans', { step: 1 }, { idempotencyKey: 'task-1' })
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(d.payload).toEqual({ step: 1 })
    expect(d.idempotencyKey).toBe('task-1')
    const again = await c.get(d.id)
    expect(again.index).toBe(d.index)
  })

  for (const lie of LIES) {
    it(`rejects a node that lies with '${lie}' and succeeds via an honest node (every node asked at once)`, async () => {
      const liar = cluster.nodes.find((n) => n.lie === lie)!.url
      const honest = cluster.nodes.find((n) => n.lie === null)!.url
      const faults: NodeFault[] = []
      // The honest node answers receipt requests 100 ms late, so the liar's forgery is
      // always seen (and must be rejected) before the honest receipt wins.
      const slowHonest = (url: string, init?: RequestInit): Promise<Response> =>
        url.startsWith(honest) && url.includes('/v1/receipts/') ? new Promise((r) => setTimeout(r, 100)).then(() => fetch(url, init)) : fetch(url, init)
      const c = client([liar, honest], { fetch: slowHonest, receiptWidenMs: 0 }, faults)
      const d = await c.commit('acme/plans', { lie })
      expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
      expect(faults.map((f) => f.node)).toEqual([liar])
      expect(faults[0]!.name).toBe('InvalidProofError')
    })

    it(`asks the other nodes at once when the node asked first lies with '${lie}'`, async () => {
      const liar = cluster.nodes.find((n) => n.lie === lie)!.url
      const honest = cluster.nodes.find((n) => n.lie === null)!.url
      const faults: NodeFault[] = []
      const asked: string[] = []
      const recording = (url: string, init?: RequestInit): Promise<Response> => {
        if (url.includes('/v1/receipts/')) asked.push(url.startsWith(liar) ? 'liar' : 'honest')
        return fetch(url, init)
      }
      // A random of 0.99 keeps the node order as given: the liar is first to submit to,
      // so first to wait on. The widening bound is far: only the fault can end the wait.
      const c = client([liar, honest], { fetch: recording, random: () => 0.99, receiptWidenMs: 20_000 }, faults)
      const began = performance.now()
      const d = await c.commit('acme/plans', { lie, first: true })
      expect(performance.now() - began).toBeLessThan(5_000)
      expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
      expect(asked[0]).toBe('liar')
      expect(asked).toContain('honest')
      expect(faults.map((f) => f.node)).toEqual([liar])
    })
  }

  it('fails with a typed error when every node lies', async () => {
    const liars = cluster.nodes.filter((n) => n.lie !== null && n.lie !== 'censor').map((n) => n.url)
    const faults: NodeFault[] = []
    const c = client(liars, { commitTimeoutMs: 5000 }, faults)
    const err = await c.commit('acme/plans', { all: 'lie' }).catch((e: unknown) => e as Error)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe('NoQuorumReachableError')
    const errors = (err as unknown as { errors: { name: string, node: string }[] }).errors
    expect(errors.map((e) => e.name).sort()).toEqual(liars.map(() => 'InvalidProofError'))
    expect(new Set(faults.map((f) => f.node))).toEqual(new Set(liars))
  })

  it('a censoring node cannot hold back a commit (f+1 submission)', async () => {
    const censor = cluster.nodes.find((n) => n.lie === 'censor')!.url
    const honest = cluster.nodes.filter((n) => n.lie === null).map((n) => n.url)
    const c = client([censor, ...honest], { submitTo: 2 })
    const d = await c.commit('acme/plans', { censored: false })
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
  })

  it('times out with CommitTimeoutError when only a censor accepted', async () => {
    const censor = cluster.nodes.find((n) => n.lie === 'censor')!.url
    const c = client([censor], { commitTimeoutMs: 300 })
    const err = await c.commit('acme/plans', { x: 1 }).then(() => null, (e: unknown) => e as Error)
    expect(err?.name).toBe('CommitTimeoutError')
  })

  it('retries idempotently: the same signed entry is committed once', async () => {
    cluster.pause()
    const c = client(cluster.urls.slice(0, 2), { resubmitMs: 30 })
    const pending = c.commit('acme/plans', { idem: true })
    await new Promise((r) => setTimeout(r, 150)) // several resubmissions while nothing commits
    cluster.resume()
    const d = await pending
    let count = 0
    for await (const item of c.query({ namespace: 'acme/plans' })) if (item.payloadText === '{"idem":true}') count += 1
    expect(count).toBe(1)
    expect(d.payload).toEqual({ idem: true })
  })

  it('keeps seq strictly increasing across concurrent commits', async () => {
    const c = client(cluster.urls.slice(0, 2))
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => c.commit('acme/concurrent', { i })))
    const byIndex = [...all].sort((a, b) => a.index - b.index)
    for (let i = 1; i < byIndex.length; i++) expect(byIndex[i]!.seq).toBeGreaterThan(byIndex[i - 1]!.seq)
  })

  it('re-signs with a higher seq when nodes refuse a stale seq before accepting it', async () => {
    const identity = AgentIdentity.fromSeed(new Uint8Array(32).fill(9))
    const ahead = new SynodClient({ nodes: cluster.urls.slice(0, 2), genesis: cluster.net.genesis, identity, sequence: { next: () => 10 ** 15 * 8, observe: () => {} } })
    await ahead.commit('acme/seq', { first: true })
    // A second client for the same identity whose clock is far behind.
    let last = 0
    const behind = new SynodClient({ nodes: cluster.urls.slice(0, 2), genesis: cluster.net.genesis, identity, sequence: { next: () => ++last, observe: (s) => { last = Math.max(last, s) } } })
    const d = await behind.commit('acme/seq', { second: true })
    expect(d.seq).toBeGreaterThan(10 ** 15 * 8)
  })

  // Regression: commit() signed every decision twice (once with seq 1 for its form checks).
  it('signs a decision once per commit', async () => {
    const identity = AgentIdentity.fromSeed(new Uint8Array(32).fill(11))
    let signed = 0
    const sign = identity.sign.bind(identity)
    identity.sign = (body, chainId) => { signed += 1; return sign(body, chainId) }
    const c = client(cluster.urls.slice(0, 2), { identity })
    const d = await c.commit('acme/plans', { once: true })
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(signed).toBe(1)
    // The form checks still run before anything is sent, without signing.
    await expect(c.commit('Bad Namespace', { once: false })).rejects.toThrow(/namespace/)
    expect(signed).toBe(1)
  })

  it('refuses locally what cannot be valid', async () => {
    const c = client(cluster.urls.slice(0, 1))
    await expect(c.commit('Bad Namespace', {})).rejects.toMatchObject({ name: 'InvalidEntryError' })
    await expect(c.commit('acme/x', { big: 'x'.repeat(70_000) })).rejects.toMatchObject({ name: 'InvalidEntryError' })
    await expect(c.commit('acme/x', {}, { refs: ['nope'] })).rejects.toMatchObject({ name: 'InvalidEntryError' })
    // regression: a lone surrogate stringifies to an escape the log refuses; it used to be signed and sent
    await expect(c.commit('acme/x', { text: '\ud800' })).rejects.toMatchObject({ name: 'InvalidEntryError' })
  })

  it('validates payloads with a zod schema per namespace, on commit and on read', async () => {
    const schemas = { 'acme/typed': z.object({ task: z.string(), priority: z.number().int().min(1).max(5) }) }
    const c = new SynodClient({ nodes: cluster.urls.slice(0, 2), genesis: cluster.net.genesis, identity: AgentIdentity.generate(), schemas })
    const d = await c.commit('acme/typed', { task: 'deploy', priority: 2 })
    if (d.payloadError === null) expect(d.payload.task).toBe('deploy')
    else throw new Error(d.payloadError)
    // @ts-expect-error: priority must be a number
    await expect(c.commit('acme/typed', { task: 'deploy', priority: 'high' })).rejects.toMatchObject({ name: 'PayloadValidationError' })
    // Someone else's malformed payload in a typed namespace is delivered, flagged.
    const other = new SynodClient({ nodes: cluster.urls.slice(0, 2), genesis: cluster.net.genesis, identity: AgentIdentity.generate() })
    await other.commit('acme/typed', { task: 7 })
    const seen = []
    for await (const item of c.query({ namespace: 'acme/typed' })) seen.push(item)
    expect(seen.map((s) => s.payloadError === null)).toEqual([true, false])
  })

  it('NoQuorumReachableError when no node is reachable; a later commit aborts while it waits its turn', async () => {
    const down = await startCluster({ honest: 1, net: cluster.net })
    const url = down.urls[0]!
    await down.close() // nothing listens there any more: connections are refused
    const c = client([url], { commitTimeoutMs: 400 })
    const first = c.commit('acme/plans', { unreachable: true })
    const controller = new AbortController()
    const second = c.commit('acme/plans', { second: true }, { signal: controller.signal })
    setTimeout(() => controller.abort(new Error('caller gave up')), 50)
    await expect(second).rejects.toThrow('caller gave up')
    const err = await first.then(() => null, (e: unknown) => e as { name: string, errors: { name: string }[] })
    expect(err?.name).toBe('NoQuorumReachableError')
    expect(err?.errors.map((e) => e.name)).toEqual(['NodeUnreachableError'])
  })

  it('get() of an unknown id is EntryNotFoundError', async () => {
    const c = client(cluster.urls.slice(0, 2))
    await expect(c.get('00'.repeat(32))).rejects.toMatchObject({ name: 'EntryNotFoundError', pending: false })
  })

  it('does not believe a lone node refusing for policy', async () => {
    const deny = await startCluster({ honest: 1, liars: ['deny'], net: cluster.net })
    try {
      const liar = deny.nodes.find((n) => n.lie === 'deny')!.url
      const c = new SynodClient({ nodes: [liar, deny.urls[0]!], genesis: cluster.net.genesis, identity: AgentIdentity.generate(), submitTo: 1, random: seededRandom(SEED) })
      const d = await c.commit('acme/plans', { policy: 'ok' })
      expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    } finally {
      await deny.close()
    }
  })
})

describe('policy', () => {
  let cluster: TestCluster
  const allowed = AgentIdentity.fromSeed(new Uint8Array(32).fill(1))
  beforeAll(async () => {
    const { testNet } = await import('../support/chain-builder.ts')
    const net = testNet(4, 'sdk-policy', { policy: { open: false, namespaces: { acme: [allowed.publicKey] } } })
    cluster = await startCluster({ honest: 2, net })
  })
  afterAll(async () => {
    await cluster.close()
  })

  it('PolicyRejectedError before sending when the genesis policy forbids it', async () => {
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate() })
    await expect(c.commit('acme/plans', {})).rejects.toMatchObject({ name: 'PolicyRejectedError', namespace: 'acme/plans' })
    const ok = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: allowed })
    expect((await ok.commit('acme/plans', { ok: true })).namespace).toBe('acme/plans')
  })
})

describe('commit waits for the receipt with long polls', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
  })
  afterAll(async () => {
    await cluster.close()
  })

  it('resolves when the commit lands, with one waiting request per node and no polling', async () => {
    const receiptRequests: string[] = []
    const counting = (url: string, init?: RequestInit): Promise<Response> => {
      if (url.includes('/v1/receipts/')) receiptRequests.push(url)
      return fetch(url, init)
    }
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate(), fetch: counting, random: seededRandom(SEED) })
    cluster.pause()
    const began = performance.now()
    const committing = c.commit('acme/plans', { waited: true })
    // Nothing commits for 400 ms: a polling client would ask 4-6 times per node meanwhile.
    await new Promise((r) => setTimeout(r, 400))
    cluster.resume()
    const d = await committing
    const took = performance.now() - began
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(took).toBeLessThan(2000)
    expect(receiptRequests.length).toBeGreaterThan(0)
    expect(receiptRequests.length).toBeLessThanOrEqual(cluster.urls.length)
    for (const url of receiptRequests) expect(url).toMatch(/\/v1\/receipts\/[0-9a-f]{64}\?wait=\d+$/)
  })

  /** A fetch that counts a client's requests by kind, and those it aborted before an answer. */
  function countingFetch(hang: (url: string) => boolean = () => false): { fetch: (url: string, init?: RequestInit) => Promise<Response>, submits: number, receipts: Map<string, number>, aborted: number, open: number } {
    const counts = {
      submits: 0,
      receipts: new Map<string, number>(),
      aborted: 0,
      open: 0,
      fetch: async (url: string, init?: RequestInit): Promise<Response> => {
        if (url.includes('/v1/entries')) counts.submits++
        if (url.includes('/v1/receipts/')) {
          const node = new URL(url).origin
          counts.receipts.set(node, (counts.receipts.get(node) ?? 0) + 1)
        }
        counts.open++
        try {
          if (hang(url)) {
            // Never answers: only the client's abort ends it.
            await new Promise<never>((_, reject) => {
              const signal = init?.signal
              if (signal === undefined || signal === null) return
              signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
            })
          }
          return await fetch(url, init)
        } catch (err) {
          if (init?.signal?.aborted === true) counts.aborted++
          throw err
        } finally {
          counts.open--
        }
      },
    }
    return counts
  }
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)

  it('one receipt request per commit, none aborted, when the node asked first answers', async () => {
    const counts = countingFetch()
    // A far bound: on a loaded machine a commit past 200 ms would widen (and count more).
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate(), fetch: counts.fetch, random: seededRandom(SEED), receiptWidenMs: 5_000 })
    const commits = 8
    for (let i = 0; i < commits; i++) {
      const d = await c.commit('acme/plans', { one: i })
      expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    }
    // f+1 = 2 submits per commit (4 validators), one receipt long poll, nothing cut off.
    expect(counts.submits).toBe(2 * commits)
    expect(total(counts.receipts)).toBe(commits)
    expect(counts.receipts.size).toBe(1)
    expect(counts.aborted).toBe(0)
    expect(c.requestCounts).toEqual({ submit: 2 * commits, receipt: commits })
  })

  it('concurrent commits wait on one node, in shared requests', async () => {
    const counts = countingFetch()
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate(), fetch: counts.fetch, random: seededRandom(SEED), receiptWidenMs: 5_000 })
    await c.commit('acme/plans', { warm: true })
    const before = total(counts.receipts)
    const commits = 16
    const all = await Promise.all(Array.from({ length: commits }, (_, i) => c.commit('acme/concurrent', { shared: i })))
    for (const d of all) expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(counts.receipts.size).toBe(1)
    expect(total(counts.receipts) - before).toBeLessThan(commits)
    expect(counts.aborted).toBe(0)
  })

  it('lets a losing receipt request finish instead of aborting it when its answer comes soon', async () => {
    const slowUrl = cluster.urls[1]!
    const counts = countingFetch()
    // Every node is waited on at once (receiptWidenMs 0); one answers 60 ms late, after
    // the commit took the other's receipt: its request ends on its own, unaborted.
    const delayed = (url: string, init?: RequestInit): Promise<Response> =>
      url.startsWith(slowUrl) && url.includes('/v1/receipts/') ? new Promise((r) => setTimeout(r, 60)).then(() => counts.fetch(url, init)) : counts.fetch(url, init)
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate(), fetch: delayed, random: seededRandom(SEED), receiptWidenMs: 0 })
    const d = await c.commit('acme/plans', { linger: true })
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    await new Promise((r) => setTimeout(r, 200))
    expect(total(counts.receipts)).toBe(2)
    expect(counts.open).toBe(0)
    expect(counts.aborted).toBe(0)
  })

  it('a node that never answers the receipt wait delays a commit by receiptWidenMs at most, and is not asked first again', async () => {
    // Submission order as given (random 0.99): the hung node takes the entry first, so
    // it is the one waited on first.
    const hungUrl = cluster.urls[0]!
    const counts = countingFetch((url) => url.startsWith(hungUrl) && url.includes('/v1/receipts/'))
    const widenMs = 300
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate(), fetch: counts.fetch, random: () => 0.99, receiptWidenMs: widenMs })
    const began = performance.now()
    const d = await c.commit('acme/plans', { hung: true })
    const took = performance.now() - began
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(took).toBeGreaterThanOrEqual(widenMs - 5)
    expect(took).toBeLessThan(widenMs + 2_000)
    expect(counts.receipts.get(hungUrl)).toBe(1)
    // The hung wait is left receiptLingerMs (250 ms) after the commit ended, then cut off.
    await new Promise((r) => setTimeout(r, 100))
    expect(counts.open).toBe(1)
    await new Promise((r) => setTimeout(r, 400))
    expect(counts.open).toBe(0)
    expect(counts.aborted).toBe(1)
    // The next commit waits on the node that answered: at once, one request.
    const before = total(counts.receipts)
    const again = performance.now()
    await c.commit('acme/plans', { hung: 'again' })
    expect(performance.now() - again).toBeLessThan(widenMs)
    expect(total(counts.receipts) - before).toBe(1)
    expect(counts.receipts.get(hungUrl)).toBe(1)
  })

  it('once it has seen a few commits, a client asks every node after twice their median wait, not after receiptWidenMs', async () => {
    const preferredUrl = cluster.urls[0]!
    let hang = false
    const counts = countingFetch((url) => hang && url.startsWith(preferredUrl) && url.includes('/v1/receipts/'))
    const widenMs = 3_000
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate(), fetch: counts.fetch, random: () => 0.99, receiptWidenMs: widenMs })
    // The test ledger commits every 5 ms: a receipt wait of a few ms, so the bound falls
    // to its floor (25 ms) or a little above.
    for (let i = 0; i < 12; i++) await c.commit('acme/plans', { warm: i })
    expect([...counts.receipts.keys()]).toEqual([new URL(preferredUrl).origin])
    hang = true
    const began = performance.now()
    const d = await c.commit('acme/plans', { hung: 'adaptive' })
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(performance.now() - began).toBeLessThan(widenMs / 3)
    expect(counts.receipts.size).toBe(2)
  })

  it('polls a node that does not support waiting (400 to ?wait=) and still commits', async () => {
    const stripped: string[] = []
    // An old node: refuses the unknown query parameter as the API does (400 invalid-parameter).
    const oldNode = async (url: string, init?: RequestInit): Promise<Response> => {
      if (url.includes('/v1/receipts/') && url.includes('?wait=')) {
        stripped.push(url)
        return new Response(JSON.stringify({ error: { code: 'invalid-parameter', message: '"wait": unknown query parameter' } }), { status: 400, headers: { 'content-type': 'application/json' } })
      }
      return fetch(url, init)
    }
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate(), fetch: oldNode, random: seededRandom(SEED) })
    const d = await c.commit('acme/plans', { old: true }, { timeoutMs: 5000 })
    expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    expect(stripped.length).toBeGreaterThan(0)
    expect(stripped.length).toBeLessThanOrEqual(cluster.urls.length)
  })
})
