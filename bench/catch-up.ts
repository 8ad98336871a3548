// Catch-up benchmark: 3 of 4 validators hold a committed log of N entries (written
// straight into their stores by bench/build-log.ts, signed with every validator's key),
// the 4th starts with an empty data directory. One new entry makes the chain move; the
// empty node sees a certificate far above its head, fetches the committed blocks by
// height range from its peers and verifies every certificate, block and entry signature.
// Measures entries/s synced (from the empty node's start to its head reaching the
// others'). Bounded in time; the nodes are stopped (then killed) by pid.
//   npx node bench/catch-up.ts [--entries 100000] [--per-block 1000]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AgentIdentity, SynodClient } from '../sdk/index.ts'
import { createClusterFiles, NodeProcess } from '../devnet/cluster.ts'
import { getJson } from '../devnet/http-client.ts'
import { buildCommittedLog } from './build-log.ts'
import { sampleProcess, cpuCores } from './proc-stats.ts'
import { killNodesOnExit, measureAndReport } from './bench-nodes.ts'

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, 'per-block': { type: 'string', default: '1000' }, keep: { type: 'boolean', default: false } } })
const ENTRIES = Number(values.entries)
const PER_BLOCK = Number(values['per-block'])
if (!(Number.isSafeInteger(ENTRIES) && Number.isSafeInteger(PER_BLOCK) && PER_BLOCK >= 1 && ENTRIES >= PER_BLOCK)) throw new RangeError('--entries and --per-block must be whole numbers with entries >= per-block')
/** The empty node must reach the head within this long, or the run fails. */
const SYNC_MS_MAX = 600_000
const PEERS_WAIT_MS = 60_000
const POLL_MS = 100

const log = (text: string): void => { process.stderr.write(text + '\n') }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const dir = mkdtempSync(join(tmpdir(), 'synod-bench-catchup-'))
const files = await createClusterFiles({ dir, nodes: 4, agents: 1, chainId: 'synod-bench-catchup', logLevel: 'warn' })

// Build the chain into node 0's store, then copy the store to nodes 1 and 2.
const built = await buildCommittedLog(files, { entries: ENTRIES, perBlock: PER_BLOCK, holders: [0, 1, 2] })
const buildS = built.seconds
log(`catch-up: built a chain of ${ENTRIES} entries in ${built.blocks} blocks in ${buildS.toFixed(1)} s`)

const nodes = files.nodes.map((f) => new NodeProcess(f))
killNodesOnExit(nodes)

async function health(url: string): Promise<{ height: number, logSize: number, peers: number } | null> {
  const answer = await getJson(`${url}/healthz`, 2000).catch(() => null)
  return answer?.status === 200 ? answer.body as { height: number, logSize: number, peers: number } : null
}

async function measure(): Promise<Record<string, unknown>> {
  await Promise.all(nodes.slice(0, 3).map((n) => n.start()))
  const deadline = Date.now() + PEERS_WAIT_MS
  for (const n of nodes.slice(0, 3)) {
    // Bounded by the deadline.
    while (((await health(n.httpUrl))?.peers ?? 0) < 2) {
      if (Date.now() > deadline) throw new Error('the 3 loaded nodes did not connect')
      await sleep(200)
    }
  }
  const late = nodes[3]!
  const start = performance.now()
  await late.start()
  const ready = performance.now()
  const cpu0 = sampleProcess(late.pid!)
  // One commit makes the chain move, so the empty node learns how far behind it is.
  const client = new SynodClient({ nodes: nodes.slice(0, 3).map((n) => n.httpUrl), genesis: files.genesis, identity: AgentIdentity.fromSeed(files.agents[0]!.seed) })
  const committed = client.commit('bench/trigger', { go: true })
  const target = ENTRIES + 1
  let synced = 0
  const syncDeadline = Date.now() + SYNC_MS_MAX
  // Bounded by the deadline.
  for (;;) {
    const h = await health(late.httpUrl)
    synced = h?.logSize ?? synced
    if (synced >= target) break
    if (Date.now() > syncDeadline) throw new Error(`the empty node synced ${synced} of ${target} entries in ${SYNC_MS_MAX} ms`)
    await sleep(POLL_MS)
  }
  const end = performance.now()
  const cpu1 = sampleProcess(late.pid!)
  await committed
  const seconds = (end - ready) / 1000
  const out = {
    bench: 'catch-up', entries: ENTRIES, perBlock: PER_BLOCK, blocks: built.blocks, buildSeconds: Math.round(buildS * 10) / 10,
    startSeconds: Math.round((ready - start) / 100) / 10, syncSeconds: Math.round(seconds * 100) / 100,
    entriesPerSec: Math.round(target / seconds), syncingNodeCpuCores: cpuCores(cpu0, cpu1), syncingNodeRssMB: cpu1.rssMB, syncingNodePeakRssMB: cpu1.peakRssMB,
  }
  log(`catch-up: ${target} entries synced in ${seconds.toFixed(1)} s = ${out.entriesPerSec} entries/s (node ready in ${out.startSeconds} s; syncing node ${out.syncingNodeCpuCores} cores, RSS ${cpu1.rssMB} MB)`)
  return out
}
await measureAndReport(measure, nodes, dir, values.keep)
