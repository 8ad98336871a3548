// Flood benchmark (issue 11, defect 9: "15,000 entries of 4 KiB from fresh keys grew a
// validator from 160 to 490 MB, never released"). Starts n real validators (`synod start`)
// on 127.0.0.1, waits until they are connected and committing, then floods them over HTTP
// with entries of a random ~4 KiB payload, each signed by a fresh agent key (so no
// per-agent limit applies), submitted round-robin to one node each, `--concurrency` in
// flight; then the load stops and the nodes idle. Each validator's RSS (/proc/<pid>/status)
// is sampled before the flood, every few seconds during it and the idle spell, and its
// lifetime peak (VmHWM) is read at the end, with /metrics' heap and mempool figures; so
// "RSS comes back down after a flood" is a measured claim. Every loop is bounded in count
// and time; the nodes are stopped (then killed) by pid. Not part of npm test. Progress on
// stderr; the last stdout line is one JSON object.
//   npx node bench/flood.ts [--entries 15000] [--payload-bytes 4096] [--concurrency 64]
//     [--idle-seconds 60] [--sample-seconds 5] [--nodes 4] [--restart-node I] [--keep]
// With --restart-node I, validator I is SIGKILLed when half the flood is sent and restarted
// on its data dir once the flood ends; the bench reports how long it took to hold the
// others' head again (issue 11: a node restarted after a flood must catch up within 60 s).
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AgentIdentity } from '../sdk/index.ts'
import { createClusterFiles, NodeProcess } from '../devnet/cluster.ts'
import { postEntry } from '../devnet/http-client.ts'
import { health, readMemoryMetrics, waitAll } from './node-probes.ts'
import { sampleProcess } from './proc-stats.ts'
import { killNodesOnExit, measureAndReport } from './bench-nodes.ts'

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '15000' },
    'payload-bytes': { type: 'string', default: '4096' },
    concurrency: { type: 'string', default: '64' },
    'idle-seconds': { type: 'string', default: '60' },
    'sample-seconds': { type: 'string', default: '5' },
    nodes: { type: 'string', default: '4' },
    'restart-node': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
})
const ENTRIES = Number(values.entries)
const PAYLOAD_BYTES = Number(values['payload-bytes'])
const CONCURRENCY = Number(values.concurrency)
const IDLE_S = Number(values['idle-seconds'])
const SAMPLE_S = Number(values['sample-seconds'])
const NODES = Number(values.nodes)
const RESTART = values['restart-node'] === undefined ? null : Number(values['restart-node'])
if (!(Number.isSafeInteger(ENTRIES) && ENTRIES >= 1 && ENTRIES <= 1_000_000)) throw new RangeError('--entries must be a whole number in [1, 1000000]')
if (!(Number.isSafeInteger(PAYLOAD_BYTES) && PAYLOAD_BYTES >= 16 && PAYLOAD_BYTES <= 16_000)) throw new RangeError('--payload-bytes must be in [16, 16000] (the default genesis allows 16 KiB)')
if (!(Number.isSafeInteger(CONCURRENCY) && CONCURRENCY >= 1 && CONCURRENCY <= 1024)) throw new RangeError('--concurrency must be in [1, 1024]')
if (!(IDLE_S >= 0 && IDLE_S <= 3600)) throw new RangeError('--idle-seconds must be in [0, 3600]')
if (!(SAMPLE_S >= 0.5 && SAMPLE_S <= 600)) throw new RangeError('--sample-seconds must be in [0.5, 600]')
if (!(Number.isSafeInteger(NODES) && NODES >= 1 && NODES <= 16)) throw new RangeError('--nodes must be in [1, 16]')
if (RESTART !== null && !(Number.isSafeInteger(RESTART) && RESTART >= 0 && RESTART < NODES)) throw new RangeError(`--restart-node must be a validator index in [0, ${NODES - 1}]`)
/** How long the restarted node may take to hold the others' head before the bench says so. */
const CATCH_UP_MS_MAX = 180_000

const PEERS_WAIT_MS = 120_000
const COMMITTING_WAIT_MS = 120_000
/** The whole flood, submissions included, ends by then (then whatever is left is aborted). */
const FLOOD_MS_MAX = 30 * 60_000
const POLL_MS = 200

const log = (text: string): void => { process.stderr.write(text + '\n') }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const dir = mkdtempSync(join(tmpdir(), 'synod-bench-flood-'))
const files = await createClusterFiles({
  dir, nodes: NODES, agents: 1, chainId: 'synod-bench-flood', logLevel: 'warn',
  // The flood comes from one local address: lift the per-address limits (each fresh key
  // sends one entry, so the per-agent limits do not bind anyway).
  httpRateLimits: { ipRatePerSecond: 1_000_000, ipBurst: 1_000_000, connectionsPerIpMax: 2048 },
})
const nodes = files.nodes.map((f) => new NodeProcess(f))
const urls = nodes.map((n) => n.httpUrl)
killNodesOnExit(nodes)

const rssNow = (): (number | null)[] => nodes.map((n) => (n.pid === undefined ? null : sampleProcess(n.pid).rssMB))

/** A JSON payload of about `bytes` bytes of random hex. */
function randomPayload(bytes: number): string {
  return JSON.stringify({ flood: randomBytes(Math.max(1, Math.floor((bytes - 12) / 2))).toString('hex') })
}

async function measure(): Promise<Record<string, unknown>> {
  const t0 = performance.now()
  await Promise.all(nodes.map((n) => n.start()))
  log(`flood: ${NODES} validators ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (pids ${nodes.map((n) => n.pid).join(', ')}); data in ${dir}`)
  await waitAll(urls, (h) => h.peers >= NODES - 1, PEERS_WAIT_MS, `${NODES - 1} peers`)
  // A few small entries first, so that every node has committed and warmed up.
  const warm = AgentIdentity.fromSeed(files.agents[0]!.seed)
  for (let seq = 1; seq <= 4; seq++) {
    const entry = warm.sign({ namespace: 'bench/warm', seq, payload: '{"warm":true}', refs: [], idempotencyKey: '' }, files.genesis.chainId)
    for (const url of urls) await postEntry(url, entry).catch(() => null)
  }
  await waitAll(urls, (h) => h.logSize >= 4, COMMITTING_WAIT_MS, 'log size 4')
  await sleep(5000)
  const before = rssNow()
  const metricsBefore = await Promise.all(urls.map(readMemoryMetrics))
  log(`flood: before: RSS ${before.join(' / ')} MB; V8 heap ${metricsBefore.map((m) => m.heapTotalMB).join(' / ')} MB (used ${metricsBefore.map((m) => m.heapUsedMB).join(' / ')}), external ${metricsBefore.map((m) => m.externalMB).join(' / ')} MB`)

  const samples: { atSeconds: number, phase: 'flood' | 'idle', rssMB: (number | null)[], mempool: (number | null)[] }[] = []
  const begin = performance.now()
  const sample = async (phase: 'flood' | 'idle'): Promise<void> => {
    const mempool = await Promise.all(urls.map(async (u) => (await health(u))?.mempoolEntries ?? null))
    samples.push({ atSeconds: Math.round((performance.now() - begin) / 100) / 10, phase, rssMB: rssNow(), mempool })
    const s = samples.at(-1)!
    log(`  ${s.atSeconds} s (${phase}): RSS ${s.rssMB.join(' / ')} MB; mempool ${s.mempool.join(' / ')}; submitted ${next} of ${ENTRIES}`)
  }

  // The flood: CONCURRENCY workers take the next index until ENTRIES are sent.
  const statuses = new Map<string, number>()
  const count = (key: string): void => { statuses.set(key, (statuses.get(key) ?? 0) + 1) }
  const floodAbort = AbortSignal.timeout(FLOOD_MS_MAX)
  let next = 0
  const worker = async (): Promise<void> => {
    // Bounded: each pass takes one of ENTRIES indices.
    while (next < ENTRIES && !floodAbort.aborted) {
      const i = next++
      if (RESTART !== null && i === Math.floor(ENTRIES / 2)) {
        log(`flood: killing validator ${RESTART} (pid ${nodes[RESTART]!.pid}) with half the flood sent`)
        nodes[RESTART]!.killNow()
      }
      const entry = AgentIdentity.generate().sign({ namespace: 'bench/flood', seq: 1, payload: randomPayload(PAYLOAD_BYTES), refs: [], idempotencyKey: '' }, files.genesis.chainId)
      const answer = await postEntry(urls[i % urls.length]!, entry, floodAbort).catch(() => null)
      if (answer === null) count('no answer')
      else {
        const code = (answer.body as { error?: { code?: string } } | null)?.error?.code
        count(code === undefined ? String(answer.status) : `${answer.status} ${code}`)
      }
    }
  }
  let sampler = performance.now() + SAMPLE_S * 1000
  const workers = Promise.all(Array.from({ length: CONCURRENCY }, worker))
  let flooding = true
  void workers.finally(() => { flooding = false })
  // Bounded by FLOOD_MS_MAX (the workers stop then).
  while (flooding) {
    await Promise.race([workers, sleep(Math.max(0, sampler - performance.now()))])
    if (performance.now() >= sampler) { await sample('flood'); sampler += SAMPLE_S * 1000 }
  }
  const floodSeconds = (performance.now() - begin) / 1000
  const afterFlood = rssNow()
  log(`flood: ${ENTRIES} entries sent in ${floodSeconds.toFixed(1)} s: ${JSON.stringify(Object.fromEntries(statuses))}; RSS ${afterFlood.join(' / ')} MB`)

  // The restart: the killed node comes back on its data dir and must catch up with the
  // others' head (taken when it is up; the others are still committing the flood's tail).
  let catchUp: { restartedNode: number, behindHeights: number | null, seconds: number | null } | null = null
  if (RESTART !== null) {
    const restarted = nodes[RESTART]!
    await restarted.exited?.catch(() => null)
    const t = performance.now()
    await restarted.start()
    const others = urls.filter((_, i) => i !== RESTART)
    let behind: number | null = null
    let seconds: number | null = null
    // Bounded by CATCH_UP_MS_MAX.
    while (performance.now() - t < CATCH_UP_MS_MAX) {
      const top = Math.max(...(await Promise.all(others.map(health))).map((h) => h?.height ?? 0))
      const mine = (await health(urls[RESTART]!))?.height ?? 0
      behind ??= top - mine
      if (mine >= top) { seconds = (performance.now() - t) / 1000; break }
      await sleep(POLL_MS)
    }
    catchUp = { restartedNode: RESTART, behindHeights: behind, seconds: seconds === null ? null : Math.round(seconds * 10) / 10 }
    log(seconds === null
      ? `flood: validator ${RESTART} did NOT reach the others' head within ${CATCH_UP_MS_MAX / 1000} s of its restart`
      : `flood: validator ${RESTART} restarted ${behind} heights behind and held the others' head ${seconds.toFixed(1)} s later`)
  }

  // Idle: nothing is sent; the nodes commit what they hold and should give memory back.
  const idleEnd = performance.now() + IDLE_S * 1000
  // Bounded by idleEnd.
  while (performance.now() < idleEnd) {
    await sleep(Math.min(SAMPLE_S * 1000, Math.max(0, idleEnd - performance.now())))
    await sample('idle')
  }
  const after = rssNow()
  const peak = nodes.map((n) => sampleProcess(n.pid!).peakRssMB)
  const heads = await Promise.all(urls.map(health))
  const metrics = await Promise.all(urls.map(readMemoryMetrics))
  log(`flood: RSS MB before ${before.join(' / ')}, peak ${peak.join(' / ')}, after ${IDLE_S} s idle ${after.join(' / ')}`)
  for (const [i, m] of metrics.entries()) log(`  node ${i} at the end: RSS ${m.rssMB} MB = V8 heap ${m.heapTotalMB} MB (used ${m.heapUsedMB}) + external ${m.externalMB} MB + other; log size ${heads[i]?.logSize}, mempool ${heads[i]?.mempoolEntries}`)
  return {
    bench: 'flood', nodes: NODES, entries: ENTRIES, payloadBytes: PAYLOAD_BYTES, concurrency: CONCURRENCY,
    floodSeconds: Math.round(floodSeconds * 10) / 10, idleSeconds: IDLE_S, catchUp,
    answers: Object.fromEntries(statuses),
    rssMB: { before, afterFlood, peak, after },
    finalLogSize: heads.map((h) => h?.logSize ?? null), finalMempool: heads.map((h) => h?.mempoolEntries ?? null),
    before: { heapUsedMB: metricsBefore.map((m) => m.heapUsedMB), heapTotalMB: metricsBefore.map((m) => m.heapTotalMB), externalMB: metricsBefore.map((m) => m.externalMB) },
    after: { heapUsedMB: metrics.map((m) => m.heapUsedMB), heapTotalMB: metrics.map((m) => m.heapTotalMB), externalMB: metrics.map((m) => m.externalMB) },
    mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
    samples,
  }
}

await measureAndReport(measure, nodes, dir, values.keep)
