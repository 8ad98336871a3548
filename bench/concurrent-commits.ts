// Concurrent commits of one agent on real validator processes: k SynodClients, each with
// c commit() calls in flight at once (closed loop), on n validators on 127.0.0.1. Counts
// how commits end (verified receipt, or which error), how many entries were superseded
// (a later seq of the agent committed first: with --no-resign each one is a
// SeqSupersededError), what the nodes answer for those entries, and, once the load
// stops, how many entries are still in each node's mempool (nothing should be stranded).
// Every loop is bounded in count and time; the nodes are stopped (then killed) by pid.
// Last stdout line: one JSON object. Progress on stderr.
//   npx node bench/concurrent-commits.ts [--seconds 30] [--clients 4] [--in-flight 8] [--no-resign]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AgentIdentity, SynodClient } from '../sdk/index.ts'
import { createClusterFiles, NodeProcess } from '../devnet/cluster.ts'
import { getJson } from '../devnet/http-client.ts'
import { killNodesOnExit, measureAndReport } from './bench-nodes.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    nodes: { type: 'string', default: '4' },
    clients: { type: 'string', default: '4' },
    'in-flight': { type: 'string', default: '8' },
    'no-resign': { type: 'boolean', default: false },
    'commit-timeout-ms': { type: 'string', default: '10000' },
    keep: { type: 'boolean', default: false },
  },
})
const SECONDS = Number(values.seconds)
const NODES = Number(values.nodes)
const CLIENTS = Number(values.clients)
const IN_FLIGHT = Number(values['in-flight'])
const COMMIT_TIMEOUT_MS = Number(values['commit-timeout-ms'])
/** Bound on waiting for the validators to see each other. */
const PEERS_WAIT_MS = 60_000
/** After the load: how long the mempools get to drain before they are counted. */
const DRAIN_MS = 5_000
for (const [name, v] of [['seconds', SECONDS], ['nodes', NODES], ['clients', CLIENTS], ['in-flight', IN_FLIGHT], ['commit-timeout-ms', COMMIT_TIMEOUT_MS]] as const) {
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer, got ${v}`)
}

const log = (line: string): void => { process.stderr.write(`${line}\n`) }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const dir = mkdtempSync(join(tmpdir(), 'synod-concurrent-'))
const files = await createClusterFiles({
  dir, nodes: NODES, agents: CLIENTS, chainId: 'synod-concurrent', logLevel: 'warn',
  httpRateLimits: { ipRatePerSecond: 1_000_000, ipBurst: 1_000_000, agentRatePerSecond: 1_000_000, agentBurst: 1_000_000 },
})
const nodes = files.nodes.map((f) => new NodeProcess(f))
killNodesOnExit(nodes)

async function waitPeers(): Promise<void> {
  const deadline = Date.now() + PEERS_WAIT_MS
  for (const node of nodes) {
    for (;;) {
      if (Date.now() > deadline) throw new Error('validators did not connect in time')
      const answer = await getJson(`${node.httpUrl}/healthz`, 2000).catch(() => null)
      if (((answer?.body as { peers?: number } | null)?.peers ?? 0) >= NODES - 1) break
      await sleep(200)
    }
  }
}

async function measure(): Promise<Record<string, unknown>> {
  await Promise.all(nodes.map((n) => n.start()))
  await waitPeers()
  const urls = nodes.map((n) => n.httpUrl)
  const outcomes = new Map<string, number>()
  const count = (what: string): void => { outcomes.set(what, (outcomes.get(what) ?? 0) + 1) }
  /** Ids of entries that did not commit (superseded or timed out). */
  const lost: string[] = []
  let superseded410 = 0
  const countingFetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const res = await fetch(url, init)
    if (res.status === 410) superseded410 += 1
    return res
  }
  const clients = files.agents.map((a) => new SynodClient({ nodes: urls, genesis: files.genesis, identity: AgentIdentity.fromSeed(a.seed), fetch: countingFetch, commitTimeoutMs: COMMIT_TIMEOUT_MS }))
  const stopAt = Date.now() + SECONDS * 1000
  let n = 0
  const worker = async (client: SynodClient, w: number): Promise<void> => {
    // Bounded by the deadline: each commit() ends within COMMIT_TIMEOUT_MS.
    while (Date.now() < stopAt) {
      const payload = { w, n: n++ }
      try {
        await client.commit('bench/concurrent', payload, { resignSuperseded: !values['no-resign'] })
        count('committed')
      } catch (err) {
        const e = err as { name?: string, id?: string }
        count(e.name ?? 'Error')
        if (typeof e.id === 'string') lost.push(e.id)
      }
    }
  }
  log(`load: ${CLIENTS} clients x ${IN_FLIGHT} commits in flight for ${SECONDS} s on ${NODES} validators${values['no-resign'] ? ' (no re-sign)' : ''}`)
  await Promise.all(clients.flatMap((c) => Array.from({ length: IN_FLIGHT }, (_, i) => worker(c, i))))
  await sleep(DRAIN_MS)
  const mempools = await Promise.all(urls.map(async (u) => ((await getJson(`${u}/healthz`)).body as { mempoolEntries?: number } | null)?.mempoolEntries ?? -1))
  // What the nodes say of the entries that did not commit (the first 50).
  const answers = new Map<string, number>()
  for (const id of lost.slice(0, 50)) {
    for (const u of urls) {
      const res = await fetch(`${u}/v1/entries/${id}`)
      const body = await res.json().catch(() => null) as { status?: string } | null
      const what = res.status === 200 ? body?.status ?? '?' : `http-${res.status}`
      answers.set(what, (answers.get(what) ?? 0) + 1)
    }
  }
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0)
  const result = {
    seconds: SECONDS, nodes: NODES, clients: CLIENTS, inFlight: IN_FLIGHT, resign: !values['no-resign'],
    commits: total, outcomes: Object.fromEntries(outcomes), notCommittedPercent: total === 0 ? 0 : Math.round(10_000 * (total - (outcomes.get('committed') ?? 0)) / total) / 100,
    superseded410Answers: superseded410, mempoolsAfterDrain: mempools, lookupsOfLost: Object.fromEntries(answers),
    // The clients' submit and receipt requests (batches count once), per commit.
    requestsPerCommit: Object.fromEntries((['submit', 'receipt'] as const).map((k) => [k, Math.round((100 * clients.reduce((sum, c) => sum + c.requestCounts[k], 0)) / Math.max(1, total)) / 100])),
  }
  log(JSON.stringify(result))
  return result
}

await measureAndReport(measure, nodes, dir, values.keep)
