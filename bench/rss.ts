// RSS benchmark (issue 7's target: RSS <= 250 MB per validator after 1,000,000 entries,
// n = 4). Reaching 1M entries by live load takes over an hour, so the committed log is
// built straight into the 4 validators' stores (bench/build-log.ts), then the 4 start as
// real `synod start` processes on 127.0.0.1 on those stores, and once they are connected
// and committing, a modest open-loop load runs on the pre-signed HTTP path (signed here,
// POST /v1/entries to f+1 nodes, one submission in flight per agent so each node sees an
// agent's seqs in order). Each validator's RSS (/proc/<pid>/status) is sampled when it is
// ready, when the cluster commits (start), every few seconds under load, and at the end;
// at the end each node's /metrics says how much of its RSS is V8 heap, external memory
// (ArrayBuffers, Buffers) and the rest (code, native allocations such as LevelDB's
// caches, thread stacks, allocator slack). Every loop is bounded in count and time; the
// nodes are stopped (then killed) by pid. Progress on stderr; the last stdout line is
// one JSON object.
//   npx node bench/rss.ts [--quick] [--entries 1000000] [--per-block 1000]
//     [--load-seconds 60] [--rate 100] [--sample-seconds 5] [--keep]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AgentIdentity } from '../sdk/index.ts'
import { createClusterFiles, NodeProcess } from '../devnet/cluster.ts'
import { postEntry } from '../devnet/http-client.ts'
import { health, readMemoryMetrics, waitAll } from './node-probes.ts'
import { buildCommittedLog } from './build-log.ts'
import { sampleProcess, type ProcSample } from './proc-stats.ts'
import { killNodesOnExit, measureAndReport } from './bench-nodes.ts'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    entries: { type: 'string' },
    'per-block': { type: 'string', default: '1000' },
    'load-seconds': { type: 'string' },
    rate: { type: 'string', default: '100' },
    'sample-seconds': { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
  },
})
const QUICK = values.quick
const ENTRIES = Number(values.entries ?? (QUICK ? 100_000 : 1_000_000))
const PER_BLOCK = Number(values['per-block'])
const LOAD_S = Number(values['load-seconds'] ?? (QUICK ? 20 : 60))
const RATE = Number(values.rate)
const SAMPLE_S = Number(values['sample-seconds'])
if (!(Number.isSafeInteger(ENTRIES) && Number.isSafeInteger(PER_BLOCK) && PER_BLOCK >= 1 && ENTRIES >= PER_BLOCK)) throw new RangeError('--entries and --per-block must be whole numbers with entries >= per-block')
if (!(LOAD_S > 0 && LOAD_S <= 3600)) throw new RangeError('--load-seconds must be in (0, 3600]')
if (!(RATE > 0 && RATE <= 5000)) throw new RangeError('--rate must be in (0, 5000]')
if (!(SAMPLE_S >= 0.5 && SAMPLE_S <= 600)) throw new RangeError('--sample-seconds must be in [0.5, 600]')

const NODES = 4
const F = Math.floor((NODES - 1) / 3)
/** The target, MB per validator, at 1,000,000 entries. */
const TARGET_MB = 250
const TARGET_ENTRIES = 1_000_000
/** Agents of the load; one more agent sends the entry that shows the cluster commits. */
const LOAD_AGENTS = 16
const PEERS_WAIT_MS = 120_000
/** From the first new entry to every node committing it. */
const COMMITTING_WAIT_MS = 120_000
const TRIGGER_ATTEMPTS_MAX = 20
/** Entries waiting in the generator at most; beyond it a scheduled entry is shed (counted). */
const BACKLOG_MAX = 10_000
/** After the load, time for the submissions in flight to finish before they are aborted. */
const DRAIN_MS_MAX = 15_000
const SUBMIT_ATTEMPTS_MAX = 5
const TICK_MS = 10
const PAYLOAD = JSON.stringify({ note: 'a decision of about a hundred bytes, as agents write them', pad: 'x'.repeat(24) })

const log = (text: string): void => { process.stderr.write(text + '\n') }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const maxOf = (xs: readonly (number | null)[]): number | null => (xs.some((x) => x === null) ? null : Math.max(...(xs as number[])))

const dir = mkdtempSync(join(tmpdir(), 'synod-bench-rss-'))
const files = await createClusterFiles({
  dir, nodes: NODES, agents: LOAD_AGENTS + 1, chainId: 'synod-bench-rss', logLevel: 'warn',
  // The load comes from one local address at more than an agent's normal rate: lift the
  // API's per-address and per-agent rate limits, as bench/cluster.ts does.
  httpRateLimits: { ipRatePerSecond: 1_000_000, ipBurst: 1_000_000, agentRatePerSecond: 1_000_000, agentBurst: 1_000_000, connectionsPerIpMax: 2048 },
})
const nodes = files.nodes.map((f) => new NodeProcess(f))
const urls = nodes.map((n) => n.httpUrl)
killNodesOnExit(nodes)

function sampleNodes(): ProcSample[] {
  return nodes.map((n) => sampleProcess(n.pid!))
}

/** One agent of the load: signs its entries in seq order and submits each to f+1
 * nodes, one entry at a time, so every node sees its seqs in order. */
class SerialSubmitter {
  readonly #identity: AgentIdentity
  readonly #signal: AbortSignal
  #seq = 0
  #turn: number
  #waiting = 0
  #pump: Promise<void> = Promise.resolve()
  accepted = 0
  failed = 0

  constructor(identity: AgentIdentity, turn: number, signal: AbortSignal) {
    this.#identity = identity
    this.#turn = turn
    this.#signal = signal
  }

  get waiting(): number {
    return this.#waiting
  }

  /** Queues one entry; idle() resolves once the agent has sent every queued entry. */
  enqueue(): void {
    this.#waiting++
    if (this.#waiting === 1) this.#pump = this.#run()
  }

  idle(): Promise<void> {
    return this.#pump
  }

  async #run(): Promise<void> {
    // Bounded: each pass takes one waiting entry, and enqueue is bounded by BACKLOG_MAX.
    while (this.#waiting > 0) {
      if (this.#signal.aborted) { this.failed += this.#waiting; this.#waiting = 0; return }
      const entry = this.#identity.sign({ namespace: 'bench/rss', seq: ++this.#seq, payload: PAYLOAD, refs: [], idempotencyKey: '' }, files.genesis.chainId)
      const targets = Array.from({ length: F + 1 }, (_, i) => urls[(this.#turn + i) % urls.length]!)
      this.#turn++
      const took = await Promise.all(targets.map((url) => submit(url, entry, this.#signal)))
      if (took.some(Boolean)) this.accepted++
      else this.failed++
      this.#waiting--
    }
  }
}

/** POST /v1/entries; true when the node took the entry (or had it). Retries 429/503. */
async function submit(url: string, entry: Parameters<typeof postEntry>[1], signal: AbortSignal): Promise<boolean> {
  for (let attempt = 0; attempt < SUBMIT_ATTEMPTS_MAX && !signal.aborted; attempt++) {
    const answer = await postEntry(url, entry, signal).catch(() => null)
    if (answer !== null && (answer.status === 200 || answer.status === 202)) return true
    if (answer !== null && answer.status !== 429 && answer.status !== 503) return false
    await sleep(50 * (attempt + 1))
  }
  return false
}

async function measure(): Promise<Record<string, unknown>> {
  const buildStep = Math.max(PER_BLOCK, Math.round(ENTRIES / 10 / PER_BLOCK) * PER_BLOCK)
  const built = await buildCommittedLog(files, {
    entries: ENTRIES, perBlock: PER_BLOCK, holders: nodes.map((_, i) => i),
    onProgress: (written) => { if (written % buildStep === 0 || written === ENTRIES) log(`rss: built ${written} of ${ENTRIES} entries`) },
  })
  log(`rss: built a log of ${built.entries} entries in ${built.blocks} blocks (${PER_BLOCK} per block) into ${NODES} stores in ${built.seconds.toFixed(1)} s`)

  const t0 = performance.now()
  await Promise.all(nodes.map((n) => n.start()))
  const ready = sampleNodes()
  const readySeconds = (performance.now() - t0) / 1000
  log(`rss: ${NODES} validators ready in ${readySeconds.toFixed(1)} s (pids ${nodes.map((n) => n.pid).join(', ')}); RSS ${ready.map((s) => s.rssMB).join(' / ')} MB; data in ${dir}`)
  await waitAll(urls, (h) => h.peers >= NODES - 1, PEERS_WAIT_MS, `${NODES - 1} peers`)

  // One new entry, committed by every node, shows the cluster is live on the built log.
  const abort = new AbortController()
  const trigger = new SerialSubmitter(AgentIdentity.fromSeed(files.agents[LOAD_AGENTS]!.seed), 0, abort.signal)
  // A node may refuse entries for a moment after its ready line; seqs may have gaps, so a
  // refused entry is simply followed by the next one.
  for (let attempt = 1; trigger.accepted === 0; attempt++) {
    if (attempt > TRIGGER_ATTEMPTS_MAX) throw new Error(`no node took the first new entry in ${TRIGGER_ATTEMPTS_MAX} attempts`)
    trigger.enqueue()
    await trigger.idle()
    if (trigger.accepted === 0) await sleep(1000)
  }
  await waitAll(urls, (h) => h.logSize >= ENTRIES + 1, COMMITTING_WAIT_MS, `log size ${ENTRIES + 1}`)
  const start = sampleNodes()
  const committingSeconds = (performance.now() - t0) / 1000
  log(`rss: committing ${committingSeconds.toFixed(1)} s after start; RSS ${start.map((s) => s.rssMB).join(' / ')} MB`)

  // Open loop: on each tick, queue every entry scheduled up to now, whatever the cluster does.
  const submitters = files.agents.slice(0, LOAD_AGENTS).map((a, i) => new SerialSubmitter(AgentIdentity.fromSeed(a.seed), i, abort.signal))
  const samples: { atSeconds: number, rssMB: (number | null)[] }[] = []
  const sizeFrom = (await health(urls[0]!))?.logSize ?? null
  const begin = performance.now()
  const end = begin + LOAD_S * 1000
  let scheduled = 0
  let shed = 0
  let nextSample = begin + SAMPLE_S * 1000
  log(`rss: load ${RATE} entries/s for ${LOAD_S} s from ${LOAD_AGENTS} agents (pre-signed, to f+1 = ${F + 1} nodes)`)
  // Bounded by `end`.
  for (let now = performance.now(); now < end; now = performance.now()) {
    const due = Math.floor(((now - begin) * RATE) / 1000)
    for (; scheduled < due; scheduled++) {
      const backlog = submitters.reduce((s, a) => s + a.waiting, 0)
      if (backlog >= BACKLOG_MAX) { shed++; continue }
      submitters[scheduled % submitters.length]!.enqueue()
    }
    if (now >= nextSample) {
      const s = sampleNodes()
      samples.push({ atSeconds: Math.round((now - begin) / 100) / 10, rssMB: s.map((x) => x.rssMB) })
      log(`  ${samples.at(-1)!.atSeconds} s: RSS ${s.map((x) => x.rssMB).join(' / ')} MB; submitted ${submitters.reduce((t, a) => t + a.accepted, 0)} of ${scheduled}`)
      nextSample += SAMPLE_S * 1000
    }
    await sleep(TICK_MS)
  }
  const sizeTo = (await health(urls[0]!))?.logSize ?? null
  const loadSeconds = (performance.now() - begin) / 1000
  // Drain: bounded; what is still waiting then is aborted and counted as failed.
  const drained = await Promise.race([Promise.all(submitters.map((a) => a.idle())).then(() => true), sleep(DRAIN_MS_MAX).then(() => false)])
  abort.abort()
  await Promise.all(submitters.map((a) => a.idle()))
  const finish = sampleNodes()
  const metrics = await Promise.all(urls.map(readMemoryMetrics))
  const heads = await Promise.all(urls.map(health))
  const accepted = submitters.reduce((s, a) => s + a.accepted, 0)
  const failed = submitters.reduce((s, a) => s + a.failed, 0)
  const committedPerSec = sizeFrom === null || sizeTo === null ? null : Math.round((sizeTo - sizeFrom) / loadSeconds)

  const rssMB = { ready: ready.map((s) => s.rssMB), start: start.map((s) => s.rssMB), end: finish.map((s) => s.rssMB), peak: finish.map((s) => s.peakRssMB) }
  // The RSS the heap figures belong to is the one prom-client read with them.
  const otherMB = metrics.map((m) => (m.rssMB === null || m.heapTotalMB === null || m.externalMB === null ? null : m.rssMB - m.heapTotalMB - m.externalMB))
  const worstMB = maxOf([...rssMB.end, ...rssMB.peak])
  log(`rss: ${scheduled} scheduled, ${accepted} taken, ${failed} failed, ${shed} shed${drained ? '' : ' (drain timed out)'}; committed ${committedPerSec} entries/s; final log size ${heads.map((h) => h?.logSize ?? '?').join(' / ')}`)
  log(`rss: RSS MB start ${rssMB.start.join(' / ')}, end ${rssMB.end.join(' / ')}, peak ${rssMB.peak.join(' / ')}`)
  for (const [i, m] of metrics.entries()) log(`  node ${i} at the end: RSS ${m.rssMB} MB = V8 heap ${m.heapTotalMB} MB (used ${m.heapUsedMB}) + external ${m.externalMB} MB + other ${otherMB[i]} MB; heap spaces [used, reserved] MB ${JSON.stringify(m.heapSpacesMB)}`)
  return {
    bench: 'rss', quick: QUICK, nodes: NODES, entries: ENTRIES, perBlock: PER_BLOCK, blocks: built.blocks,
    buildSeconds: Math.round(built.seconds * 10) / 10, readySeconds: Math.round(readySeconds * 10) / 10, committingSeconds: Math.round(committingSeconds * 10) / 10,
    loadSeconds: Math.round(loadSeconds * 10) / 10, rate: RATE, committedPerSec,
    load: { agents: LOAD_AGENTS, scheduled, accepted, failed, shed, drained },
    finalLogSize: heads.map((h) => h?.logSize ?? null),
    rssMB, samples,
    heapUsedMB: metrics.map((m) => m.heapUsedMB), heapTotalMB: metrics.map((m) => m.heapTotalMB), externalMB: metrics.map((m) => m.externalMB),
    otherMB, heapSpacesMB: metrics.map((m) => m.heapSpacesMB),
    target: TARGET_MB, targetEntries: TARGET_ENTRIES,
    // Whether every validator stayed under the target (end and lifetime peak RSS)...
    underTarget: worstMB === null ? null : worstMB <= TARGET_MB,
    // ...and whether that was at the log size the target is set for.
    met: worstMB !== null && ENTRIES >= TARGET_ENTRIES && worstMB <= TARGET_MB,
  }
}

await measureAndReport(measure, nodes, dir, values.keep)
