// Cluster benchmark: n real validator processes (`synod start`) on 127.0.0.1 and, in this
// process, a load generator of k agents. Measures:
//   - light load: one agent, one entry in flight, through the SDK end to end
//     (SynodClient.commit: submit to f+1 nodes, long-poll the receipt, verify it);
//   - the open-loop load comes from one of two generators (--generator):
//       http (default): k agents on a light pre-signed HTTP path over keep-alive
//         connections: each agent signs its entries in seq order and submits them to f+1
//         nodes (the next entry of an agent goes out when the previous one's submissions
//         were answered, so a node sees an agent's seqs in order), and every entry waits
//         for its receipt with one long poll (GET /v1/receipts/:id?wait=) on a node that
//         took it; committed = the node served the receipt (200), not verified here: the
//         verification cost is the probe's. Meanwhile a latency probe (its own agent)
//         commits one entry at a time through the SDK, end to end and verified;
//       sdk: k SynodClient agents (each agent's concurrent commits batched by the SDK);
//   - an open-loop sweep per payload size: commits start on a fixed schedule (rate r),
//     whatever the system does, and latency counts from the scheduled start, so queueing
//     in the generator is included (no coordinated omission); the rate grows until the
//     cluster saturates (committed/s below 80% of offered, p99 over 5 s, or the in-flight
//     cap reached); then one step at 80% of the saturation rate;
//   - per validator: CPU (cores) and RSS from /proc/<pid>/stat and status.
// --unsafe-skip-entry-signatures: comparison mode (src/consensus/unsafe-bench.ts): a
// benchmark chain whose validators do not verify entry signatures (consensus signatures
// on, store on disk), and the http generator sends entries with a dummy signature instead
// of signing them, so neither side spends CPU on entry signatures.
// Every loop is bounded in count and in time; the nodes are stopped (then killed) by pid.
// Last stdout line: one JSON object. Progress on stderr.
//   npx node bench/cluster.ts [--quick] [--nodes 4] [--agents 16] [--keep] [--unsafe-skip-entry-signatures]
import { mkdtempSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AgentIdentity, SynodClient } from '../sdk/index.ts'
import { toHex } from '../src/crypto/hash.ts'
import { entryId, entryToCbor, type Entry } from '../src/log/entry.ts'
import { toJson } from '../src/log/json.ts'
import { createClusterFiles, NodeProcess } from '../devnet/cluster.ts'
import { UNSAFE_BENCH_CHAIN_PREFIX } from '../src/consensus/unsafe-bench.ts'
import { getJson } from '../devnet/http-client.ts'
import { cpuCores, cpuMsSpent, sampleProcess, type ProcSample } from './proc-stats.ts'
import { killNodesOnExit, measureAndReport } from './bench-nodes.ts'
import { messagesPer, readMessageCounters } from './node-probes.ts'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    nodes: { type: 'string', default: '4' },
    agents: { type: 'string' },
    generator: { type: 'string', default: 'http' },
    keep: { type: 'boolean', default: false },
    payloads: { type: 'string', default: '256,4096' },
    'step-seconds': { type: 'string' },
    'start-rate': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    light: { type: 'string' },
    'unsafe-skip-entry-signatures': { type: 'boolean', default: false },
  },
})
const SKIP_ENTRY_SIGNATURES = values['unsafe-skip-entry-signatures']
const QUICK = values.quick
const NODES = Number(values.nodes)
const GENERATOR = values.generator
if (GENERATOR !== 'http' && GENERATOR !== 'sdk') throw new RangeError('--generator must be http or sdk')
const AGENTS = Number(values.agents ?? (GENERATOR === 'http' ? 128 : 16))
/** The http generator's long-poll wait per receipt request (the API allows up to 10 s). */
const RECEIPT_WAIT_MS = 5_000
const PAYLOADS = values.payloads === 'none' ? [] : values.payloads.split(',').map(Number)
/** Length of one open-loop step; the first second is ramp-up and not counted. */
const STEP_S = Number(values['step-seconds'] ?? (QUICK ? 4 : 10))
const RAMP_S = 1
/** Light-load commits (one in flight). */
const LIGHT_COMMITS = Number(values.light ?? (QUICK ? 25 : 100))
/** Rate steps: start, growth factor, at most this many steps, at most this rate. */
const RATE_START = Number(values['start-rate'] ?? (GENERATOR === 'http' ? 100 : 25))
const RATE_FACTOR = QUICK ? 2 : 1.5
const RATE_STEPS_MAX = QUICK ? 6 : 12
const RATE_MAX = 20_000
/** Commits in flight in the generator at most; beyond it a scheduled commit is shed
 * (counted) and the step counts as saturated. */
const IN_FLIGHT_MAX = 4000
/** After a step, time for its commits in flight to finish before they are aborted. */
const DRAIN_MS_MAX = QUICK ? 8_000 : 20_000
/** Saturation: committed/s below this share of the offered rate, or p99 above this. */
const SATURATED_SHARE = 0.8
const SATURATED_P99_MS = 5_000
const PEERS_WAIT_MS = 60_000
/** Generator tick: scheduled commits due by now are started on each tick. */
const TICK_MS = 2
/** What the generator sends as an entry signature in comparison mode. */
const DUMMY_SIGNATURE = new Uint8Array(64)

if (!(Number.isInteger(NODES) && NODES >= 4 && NODES <= 16)) throw new RangeError('--nodes must be 4-16')
if (!(Number.isInteger(AGENTS) && AGENTS >= 1 && AGENTS <= 256)) throw new RangeError('--agents must be 1-256')

const log = (text: string): void => { process.stderr.write(text + '\n') }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10
}

function payloadOf(bytes: number, n: number): { d: string, n: number } {
  // JSON text of exactly `bytes` bytes (for bytes >= 32): {"n":<n>,"d":"xxx..."}
  const base = JSON.stringify({ n, d: '' }).length
  return { n, d: 'x'.repeat(Math.max(0, bytes - base)) }
}

const dir = mkdtempSync(join(tmpdir(), 'synod-bench-cluster-'))
const files = await createClusterFiles({
  dir, nodes: NODES, agents: AGENTS, chainId: SKIP_ENTRY_SIGNATURES ? `${UNSAFE_BENCH_CHAIN_PREFIX}cluster` : 'synod-bench', logLevel: values['log-level'],
  // The generator is one local address and its agents commit far above an agent's
  // normal rate: lift the API's per-address and per-agent rate limits.
  httpRateLimits: { ipRatePerSecond: 1_000_000, ipBurst: 1_000_000, agentRatePerSecond: 1_000_000, agentBurst: 1_000_000, connectionsPerIpMax: 2048 },
})
if (values.profile) {
  // Each validator writes a .cpuprofile on exit (summarise with bench/cpuprofile-summary.ts).
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${join(dir, 'profiles')}`.trim()
  log(`profiles go to ${join(dir, 'profiles')}`)
}
const nodes = files.nodes.map((f) => new NodeProcess(f, { startArgs: SKIP_ENTRY_SIGNATURES ? ['--unsafe-skip-entry-signatures'] : [] }))
killNodesOnExit(nodes)

interface StepResult {
  payloadBytes: number
  offeredPerSec: number
  committedPerSec: number
  started: number
  committed: number
  failed: number
  shed: number
  unfinished: number
  p50Ms: number | null
  p99Ms: number | null
  nodeCpuCores: (number | null)[]
  nodeRssMB: (number | null)[]
  /** All validators' CPU time in the measured window over the load's commits in it (the
   * probe's few are not counted, so this errs high): the cost of a commit, which unlike
   * throughput does not depend on how busy the machine is. */
  nodeCpuMsPerCommit: number | null
  generatorCpuCores: number
  /** Messages and bytes the validators sent each other (all together), per committed
   * entry and per consensus round, in the measured window. */
  messages: ReturnType<typeof messagesPer>
  saturated: boolean
  http: unknown
  /** The SDK latency probe during the step (http generator): verified commits, one in flight. */
  probe: { commits: number, p50Ms: number | null, p99Ms: number | null } | null
}

function describeMessages(m: ReturnType<typeof messagesPer>): string {
  const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`
  const entry = m.perEntry === null ? 'n/a' : `${m.perEntry.messages} messages, ${kib(m.perEntry.bytes)}`
  const round = m.perRound === null ? 'n/a' : `${m.perRound.messages} messages, ${kib(m.perRound.bytes)}`
  return `validators' messages per committed entry ${entry}; per round ${round} (${m.rounds ?? '?'} rounds)`
}

function perCommit(cpuMs: number | null, commits: number): number | null {
  return cpuMs === null || commits === 0 ? null : Math.round((cpuMs / commits) * 10) / 10
}

async function waitPeers(): Promise<void> {
  const deadline = Date.now() + PEERS_WAIT_MS
  for (const node of nodes) {
    // Bounded by the deadline.
    for (;;) {
      const answer = await getJson(`${node.httpUrl}/healthz`, 2000).catch(() => null)
      const peers = (answer?.body as { peers?: number } | null)?.peers ?? 0
      if (peers >= NODES - 1) break
      if (Date.now() > deadline) throw new Error(`node ${node.files.index} has ${peers} peers after ${PEERS_WAIT_MS} ms`)
      await sleep(200)
    }
  }
}

/** HTTP requests the SDK makes, by kind: count and total ms (diagnostics per step). */
const http = { submit: { count: 0, ms: 0 }, receipt: { count: 0, ms: 0 }, other: { count: 0, ms: 0 }, aborted: { count: 0, ms: 0 } }
function httpSnapshot(): typeof http {
  return JSON.parse(JSON.stringify(http)) as typeof http
}
const timedFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  const kind = url.includes('/v1/receipts/') ? http.receipt : url.endsWith('/v1/entries') ? http.submit : http.other
  const s = performance.now()
  try {
    return await fetch(input, init)
  } catch (err) {
    // Ended by the client before the answer came: the connection is closed, not reused.
    if (init?.signal?.aborted === true) http.aborted.count++
    throw err
  } finally {
    kind.count++
    kind.ms += performance.now() - s
  }
}

/** The http generator's agent: signs its entries in seq order and submits them to f+1
 * nodes, one entry at a time per agent (so each node sees its seqs in order), then waits
 * for each entry's receipt with long polls, concurrently. */
class LoadAgent {
  readonly #identity: AgentIdentity
  readonly #urls: readonly string[]
  readonly #submitTo: number
  readonly #queue: { payload: string, resolve: () => void, reject: (err: Error) => void, signal: AbortSignal }[] = []
  #seq = 0
  #busy = false
  #turn = 0

  constructor(identity: AgentIdentity, urls: readonly string[], submitTo: number, offset: number) {
    this.#identity = identity
    this.#urls = urls
    this.#submitTo = submitTo
    this.#turn = offset
  }

  /** Resolves when a node serves the entry's receipt. */
  commit(namespace: string, payload: unknown, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ payload: JSON.stringify(payload), resolve, reject, signal })
      if (!this.#busy) void this.#pump(namespace)
    })
  }

  async #pump(namespace: string): Promise<void> {
    this.#busy = true
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        if (job.signal.aborted) { job.reject(new Error('aborted')); continue }
        const body = { namespace, seq: ++this.#seq, payload: job.payload, refs: [], idempotencyKey: '' }
        // Comparison mode: the validators do not check it, so a dummy signature.
        const entry: Entry = SKIP_ENTRY_SIGNATURES ? { ...body, agent: this.#identity.publicKey, sig: DUMMY_SIGNATURE } : this.#identity.sign(body, files.genesis.chainId)
        const json = JSON.stringify(toJson(entryToCbor(entry)))
        const targets = Array.from({ length: this.#submitTo }, (_, i) => this.#urls[(this.#turn + i) % this.#urls.length]!)
        this.#turn++
        const answers = await Promise.all(targets.map((url) => submitEntry(url, json, job.signal)))
        const took = targets.filter((_, i) => answers[i])
        if (took.length === 0) { job.reject(new Error('no node took the entry')); continue }
        void awaitReceipt(took, entry, job.signal).then(job.resolve, job.reject)
      }
    } finally {
      this.#busy = false
    }
  }
}

/** POST /v1/entries; true when the node accepted it (or had it). Retries 429/503 a few times. */
async function submitEntry(url: string, body: string, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 0; attempt < 5 && !signal.aborted; attempt++) {
    const t = performance.now()
    try {
      const res = await fetch(`${url}/v1/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal })
      await res.arrayBuffer()
      if (res.status === 200 || res.status === 202) return true
      if (res.status !== 429 && res.status !== 503) return false
    } catch {
      if (signal.aborted) return false
    } finally {
      http.submit.count++
      http.submit.ms += performance.now() - t
    }
    await sleep(50 * (attempt + 1))
  }
  return false
}

/** Long polls the nodes that took the entry, in turn, until one serves its receipt. */
async function awaitReceipt(urls: readonly string[], entry: Entry, signal: AbortSignal): Promise<void> {
  const id = toHex(entryId(entry))
  for (let i = 0; ; i++) {
    signal.throwIfAborted()
    const t = performance.now()
    try {
      const res = await fetch(`${urls[i % urls.length]}/v1/receipts/${id}?wait=${RECEIPT_WAIT_MS}`, { signal })
      await res.arrayBuffer()
      if (res.status === 200) return
      if (res.status !== 202 && res.status !== 404) await sleep(50)
    } finally {
      http.receipt.count++
      http.receipt.ms += performance.now() - t
    }
  }
}

function sampleNodes(): ProcSample[] {
  return nodes.map((n) => sampleProcess(n.pid!))
}

async function measure(): Promise<Record<string, unknown>> {
  const t0 = Date.now()
  await Promise.all(nodes.map((n) => n.start()))
  await waitPeers()
  log(`cluster: ${NODES} validators ready in ${Date.now() - t0} ms (pids ${nodes.map((n) => n.pid).join(', ')}), ${AGENTS} agents, data in ${dir}`)
  const urls = nodes.map((n) => n.httpUrl)
  // The last agent is the SDK's: warm-up, light load and the latency probe.
  const sdkAgents = GENERATOR === 'sdk' ? files.agents : files.agents.slice(-1)
  const clients = sdkAgents.map((a) => new SynodClient({ nodes: urls, genesis: files.genesis, identity: AgentIdentity.fromSeed(a.seed), fetch: timedFetch }))
  const f = Math.floor((NODES - 1) / 3)
  const loadAgents = GENERATOR === 'http' ? files.agents.slice(0, -1).map((a, i) => new LoadAgent(AgentIdentity.fromSeed(a.seed), urls, f + 1, i)) : []
  const probe = clients[clients.length - 1]!
  let seqPayload = 0

  // Warm-up: JIT, connections, the first blocks.
  await Promise.all(clients.slice(0, 4).map(async (c) => { for (let i = 0; i < 5; i++) await c.commit('bench/warmup', payloadOf(256, seqPayload++)) }))

  // Light load: one agent, one entry in flight.
  const light: number[] = []
  const lightMessages0 = await readMessageCounters(urls)
  const lightStart = sampleNodes()
  const lightHttp0 = httpSnapshot()
  for (let i = 0; i < LIGHT_COMMITS; i++) {
    const s = performance.now()
    await probe.commit('bench/light', payloadOf(256, seqPayload++))
    light.push(performance.now() - s)
  }
  const lightEnd = sampleNodes()
  const lightHttpPer = (k: keyof typeof http): number => Math.round(((http[k].count - lightHttp0[k].count) / Math.max(1, light.length)) * 100) / 100
  const lightHttp = { submit: lightHttpPer('submit'), receipt: lightHttpPer('receipt'), other: lightHttpPer('other'), aborted: lightHttpPer('aborted') }
  const lightMessages = messagesPer(lightMessages0, await readMessageCounters(urls), light.length)
  light.sort((a, b) => a - b)
  const lightResult = { commits: light.length, p50Ms: percentile(light, 0.5), p99Ms: percentile(light, 0.99), meanMs: Math.round(light.reduce((s, v) => s + v, 0) / light.length), nodeCpuCores: lightStart.map((s, i) => cpuCores(s, lightEnd[i]!)), nodeCpuMsPerCommit: perCommit(cpuMsSpent(lightStart, lightEnd), light.length), messages: lightMessages, httpPerCommit: lightHttp }
  log(`light load (1 agent, 1 in flight): p50 ${lightResult.p50Ms} ms, p99 ${lightResult.p99Ms} ms over ${light.length} commits; validators' CPU ${lightResult.nodeCpuMsPerCommit} ms per commit (all ${NODES} together); ${describeMessages(lightMessages)}; SDK requests per commit ${JSON.stringify(lightHttp)}`)

  async function step(rate: number, payloadBytes: number): Promise<StepResult> {
    const latencies: number[] = []
    const abort = new AbortController()
    let started = 0
    let committed = 0
    let inWindow = 0
    let failed = 0
    let shed = 0
    let inFlight = 0
    const begin = performance.now()
    const windowFrom = begin + RAMP_S * 1000
    const windowTo = begin + STEP_S * 1000
    const c0 = process.cpuUsage()
    let from: ProcSample[] = []
    let messagesFrom: Promise<Awaited<ReturnType<typeof readMessageCounters>>> | null = null
    let fromCpuAt = 0
    let fromCpu = c0
    const runs: Promise<void>[] = []
    const http0 = httpSnapshot()
    // The latency probe (http generator): SDK commits, one in flight, verified.
    const probeLatencies: number[] = []
    const probeRun = GENERATOR !== 'http' ? Promise.resolve() : (async () => {
      await sleep(RAMP_S * 1000)
      while (performance.now() < begin + STEP_S * 1000 && !abort.signal.aborted) {
        const s0 = performance.now()
        try {
          await probe.commit('bench/probe', payloadOf(payloadBytes, seqPayload++), { signal: abort.signal })
          probeLatencies.push(performance.now() - s0)
        } catch {
          // counted as a missing sample
        }
      }
    })()
    // Open loop: on each tick, start every commit scheduled up to now.
    for (let scheduled = 0; ;) {
      const now = performance.now()
      if (from.length === 0 && now >= windowFrom) { from = sampleNodes(); fromCpuAt = now; fromCpu = process.cpuUsage(); messagesFrom = readMessageCounters(urls) }
      if (now >= windowTo) break
      const due = Math.floor(((now - begin) * rate) / 1000)
      for (; scheduled < due; scheduled++) {
        if (inFlight >= IN_FLIGHT_MAX) { shed++; continue }
        const at = begin + (scheduled * 1000) / rate
        inFlight++
        started++
        const payload = payloadOf(payloadBytes, seqPayload++)
        const run = GENERATOR === 'http'
          ? loadAgents[scheduled % loadAgents.length]!.commit('bench/load', payload, abort.signal)
          : clients[scheduled % clients.length]!.commit('bench/load', payload, { signal: abort.signal })
        runs.push(run.then(
          () => {
            const done = performance.now()
            committed++
            if (done >= windowFrom && done < windowTo) inWindow++
            if (at >= windowFrom) latencies.push(done - at)
          },
          () => { failed++ },
        ).finally(() => { inFlight-- }))
      }
      await sleep(TICK_MS)
    }
    const to = sampleNodes()
    const toCpuAt = performance.now()
    const cpu = process.cpuUsage(fromCpu)
    const messagesTo = readMessageCounters(urls)
    // Drain: bounded; what is still in flight then is aborted.
    const drained = await Promise.race([Promise.all(runs).then(() => true), sleep(DRAIN_MS_MAX).then(() => false)])
    const unfinished = drained ? 0 : inFlight
    abort.abort()
    await Promise.all(runs)
    await probeRun
    latencies.sort((a, b) => a - b)
    probeLatencies.sort((a, b) => a - b)
    const per = (k: 'submit' | 'receipt') => ({ perCommit: Math.round(((http[k].count - http0[k].count) / Math.max(1, committed)) * 100) / 100, meanMs: Math.round((http[k].ms - http0[k].ms) / Math.max(1, http[k].count - http0[k].count)) })
    const httpUse = { submit: per('submit'), receipt: per('receipt') }
    const committedPerSec = Math.round(inWindow / (STEP_S - RAMP_S))
    const p99 = percentile(latencies, 0.99)
    const result: StepResult = {
      payloadBytes, offeredPerSec: rate, committedPerSec, started, committed, failed: failed - unfinished, shed, unfinished,
      p50Ms: percentile(latencies, 0.5), p99Ms: p99,
      nodeCpuCores: from.map((s, i) => cpuCores(s, to[i]!)), nodeRssMB: to.map((s) => s.rssMB),
      nodeCpuMsPerCommit: perCommit(cpuMsSpent(from, to), inWindow),
      generatorCpuCores: Math.round(((cpu.user + cpu.system) / 1000 / (toCpuAt - fromCpuAt)) * 100) / 100,
      http: httpUse,
      messages: messagesPer(await messagesFrom, await messagesTo, inWindow),
      probe: GENERATOR === 'http' ? { commits: probeLatencies.length, p50Ms: percentile(probeLatencies, 0.5), p99Ms: percentile(probeLatencies, 0.99) } : null,
      saturated: committedPerSec < SATURATED_SHARE * rate || (p99 ?? 0) > SATURATED_P99_MS || shed > 0 || unfinished > 0,
    }
    log(`  ${payloadBytes} B @ ${rate}/s: committed ${committedPerSec}/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, failed ${result.failed}, shed ${shed}, unfinished ${unfinished}; node CPU ${result.nodeCpuCores.join('/')} cores (${result.nodeCpuMsPerCommit} ms per commit, all together), RSS ${result.nodeRssMB.join('/')} MB; generator ${result.generatorCpuCores} cores; ${describeMessages(result.messages)}; http ${JSON.stringify(httpUse)}${result.probe === null ? '' : `; SDK probe p50 ${result.probe.p50Ms} ms, p99 ${result.probe.p99Ms} ms (${result.probe.commits} verified commits)`}${result.saturated ? ' (saturated)' : ''}`)
    return result
  }

  const sweeps: Record<string, unknown>[] = []
  for (const payloadBytes of PAYLOADS) {
    log(`open-loop sweep, ${payloadBytes} B payloads, ${GENERATOR === 'http' ? `${loadAgents.length} agents on the pre-signed HTTP path (receipts long-polled, not verified) + 1 SDK latency probe (verified)` : `${AGENTS} SDK agents (verified receipts)`}, ${STEP_S} s steps`)
    const steps: StepResult[] = []
    let rate = RATE_START
    for (let i = 0; i < RATE_STEPS_MAX && rate <= RATE_MAX; i++) {
      const r = await step(rate, payloadBytes)
      steps.push(r)
      if (r.saturated) break
      rate = Math.round(rate * RATE_FACTOR)
    }
    const saturationPerSec = Math.max(...steps.map((s) => s.committedPerSec))
    const at80 = await step(Math.max(1, Math.round(0.8 * saturationPerSec)), payloadBytes)
    sweeps.push({ payloadBytes, saturationPerSec, steps, at80 })
  }
  const after = sampleNodes()
  const heads = await Promise.all(urls.map((u) => getJson(`${u}/healthz`, 2000).then((a) => a.body as { height: number, logSize: number }, () => null)))
  return {
    bench: 'cluster', quick: QUICK, nodes: NODES, entrySignatures: SKIP_ENTRY_SIGNATURES ? 'not verified (--unsafe-skip-entry-signatures)' : 'verified', agents: AGENTS, generator: GENERATOR === 'http' ? 'http: pre-signed entries over keep-alive, receipts long-polled (unverified); latency probe and light load via the SDK (verified)' : 'sdk: SynodClient per agent (verified receipts)', cores: availableParallelism(), stepSeconds: STEP_S,
    light: lightResult, sweeps,
    final: { logSize: heads[0]?.logSize ?? null, height: heads[0]?.height ?? null, nodeRssMB: after.map((s) => s.rssMB), nodePeakRssMB: after.map((s) => s.peakRssMB) },
  }
}
await measureAndReport(measure, nodes, dir, values.keep)
