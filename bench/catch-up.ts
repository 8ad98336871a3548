// Catch-up benchmark: 3 of 4 validators hold a committed log of N entries (written
// straight into their stores: the chain is built and signed here with every validator's
// key, as test/support/chain-builder.ts does), the 4th starts with an empty data
// directory. One new entry makes the chain move; the empty node sees a certificate far
// above its head, fetches the committed blocks by height range from its peers and
// verifies every certificate, block and entry signature. Measures entries/s synced
// (from the empty node's start to its head reaching the others'). Bounded in time; the
// nodes are stopped (then killed) by pid.
//   npx node bench/catch-up.ts [--entries 100000] [--per-block 1000]
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { blockHash } from '../src/log/block.ts'
import { signEntry } from '../src/log/entry.ts'
import { AgentIdentity, SynodClient } from '../sdk/index.ts'
import { createClusterFiles, NodeProcess } from '../node/devnet/cluster.ts'
import { getJson } from '../node/devnet/http-client.ts'
import { readKeyFile } from '../node/runtime/key-file.ts'
import { LevelStore } from '../node/store/index.ts'
import { ChainBuilder, signQc } from '../test/support/chain-builder.ts'
import { sampleProcess, cpuCores } from './proc-stats.ts'

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, 'per-block': { type: 'string', default: '1000' }, keep: { type: 'boolean', default: false } } })
const ENTRIES = Number(values.entries)
const PER_BLOCK = Number(values['per-block'])
if (!(Number.isSafeInteger(ENTRIES) && Number.isSafeInteger(PER_BLOCK) && PER_BLOCK >= 1 && ENTRIES >= PER_BLOCK)) throw new RangeError('--entries and --per-block must be whole numbers with entries >= per-block')
/** The empty node must reach the head within this long, or the run fails. */
const SYNC_MS_MAX = 600_000
const PEERS_WAIT_MS = 60_000
const POLL_MS = 100
const AGENTS = 64

const log = (text: string): void => { process.stderr.write(text + '\n') }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const dir = mkdtempSync(join(tmpdir(), 'synod-bench-catchup-'))
const files = await createClusterFiles({ dir, nodes: 4, agents: 1, chainId: 'synod-bench-catchup', logLevel: 'warn' })
const seeds = await Promise.all(files.nodes.map(async (n) => (await readKeyFile(n.keyFile)).seed))
const net = { genesis: files.genesis, validatorSeeds: seeds }

// Build the chain into node 0's store, then copy the store to nodes 1 and 2.
const t0 = performance.now()
const store = new LevelStore(join(files.nodes[0]!.dataDir, 'store'))
await store.open(files.genesis)
const chain = new ChainBuilder(net)
const agents = Array.from({ length: AGENTS }, (_, i) => { const s = new Uint8Array(32); s[0] = 0xcc; s[1] = i; return s })
const agentKeys = agents.map((s) => AgentIdentity.fromSeed(s).publicKey)
for (let made = 0; made < ENTRIES; made += PER_BLOCK) {
  const count = Math.min(PER_BLOCK, ENTRIES - made)
  const entries = Array.from({ length: count }, (_, i) => {
    const n = made + i
    const a = n % AGENTS
    return signEntry({ agent: agentKeys[a]!, namespace: 'bench/decisions', seq: Math.floor(n / AGENTS) + 1, payload: JSON.stringify({ n, note: 'a decision of about a hundred bytes, as agents write them' }), refs: [], idempotencyKey: '' }, files.genesis.chainId, agents[a]!)
  })
  const block = chain.add(entries, true)
  const item = chain.items.at(-1)!
  chain.items.length = 0 // keep memory flat
  await store.commit({ blocks: [block], hashes: [blockHash(block.header)], qc: signQc(net, block.header), cc: item.cc ?? null, log: chain.accumulator.toState() })
}
await store.close()
for (const i of [1, 2]) cpSync(join(files.nodes[0]!.dataDir, 'store'), join(files.nodes[i]!.dataDir, 'store'), { recursive: true })
const buildS = (performance.now() - t0) / 1000
log(`catch-up: built a chain of ${ENTRIES} entries in ${chain.head.height} blocks in ${buildS.toFixed(1)} s`)

const nodes = files.nodes.map((f) => new NodeProcess(f))
const killAll = (): void => { for (const node of nodes) node.killNow() }
process.on('exit', killAll)
process.on('SIGINT', () => { killAll(); process.exit(130) })

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
    bench: 'catch-up', entries: ENTRIES, perBlock: PER_BLOCK, blocks: chain.head.height, buildSeconds: Math.round(buildS * 10) / 10,
    startSeconds: Math.round((ready - start) / 100) / 10, syncSeconds: Math.round(seconds * 100) / 100,
    entriesPerSec: Math.round(target / seconds), syncingNodeCpuCores: cpuCores(cpu0, cpu1), syncingNodeRssMB: cpu1.rssMB, syncingNodePeakRssMB: cpu1.peakRssMB,
  }
  log(`catch-up: ${target} entries synced in ${seconds.toFixed(1)} s = ${out.entriesPerSec} entries/s (node ready in ${out.startSeconds} s; syncing node ${out.syncingNodeCpuCores} cores, RSS ${cpu1.rssMB} MB)`)
  return out
}
let result: Record<string, unknown> | null
try {
  result = await measure()
} finally {
  await Promise.all(nodes.map((n) => n.stop().catch(() => n.kill())))
  if (!values.keep) rmSync(dir, { recursive: true, force: true })
}
process.stdout.write(JSON.stringify(result) + '\n')
process.exit(0)
