// The consensus core's own cost, without a network: n replicas in one process, every
// message delivered at once in FIFO order, real Ed25519 signatures and verification.
// Reports entries/s and blocks/s per cluster size and the share of time spent
// verifying signatures (verifications counted by the replicas' Verifier, times the
// CPU cost of one verification measured alone, over the run's CPU time: robust to
// other load on the machine). Last stdout line: one JSON object.
//   npm run bench:consensus [-- --entries 4000 --block 500]
import { publicKeyFromSeed, verifySignature, signMessage } from '../src/crypto/ed25519.ts'
import { Replica } from '../src/consensus/replica.ts'
import type { Action, Message } from '../src/consensus/types.ts'
import { signEntry, type Entry } from '../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis } from '../src/log/genesis.ts'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const ENTRIES = arg('entries', 4000)
const BLOCK_ENTRIES = arg('block', 500)
const SIZES = (process.argv.includes("--sizes") ? process.argv[process.argv.indexOf("--sizes") + 1]!.split(",").map(Number) : [4, 7, 10, 16])
const CHAIN = 'bench'

function seedOf(i: number, tag: number): Uint8Array {
  const s = new Uint8Array(32)
  s[0] = tag
  s[1] = i & 0xff
  s[2] = i >> 8
  return s
}

function makeEntries(count: number): Entry[] {
  const agents = Array.from({ length: 16 }, (_, i) => seedOf(i, 0xa9))
  const keys = agents.map(publicKeyFromSeed)
  return Array.from({ length: count }, (_, i) => signEntry({
    agent: keys[i % agents.length]!, namespace: 'bench/decisions', seq: Math.floor(i / agents.length) + 1,
    payload: JSON.stringify({ decision: `approve #${i}`, score: i % 97 }), refs: [], idempotencyKey: '',
  }, CHAIN, agents[i % agents.length]!))
}

function verifyCostMs(): number {
  const seed = seedOf(1, 0x77)
  const key = publicKeyFromSeed(seed)
  const msg = new Uint8Array(200).fill(5)
  const sig = signMessage(seed, msg)
  const rounds = 3000
  const c0 = process.cpuUsage()
  for (let i = 0; i < rounds; i++) verifySignature(key, msg, sig)
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000 / rounds
}

function runCluster(n: number, entries: readonly Entry[]) {
  const seeds = Array.from({ length: n }, (_, i) => seedOf(i, 0x51))
  const genesis: Genesis = {
    chainId: CHAIN,
    validators: seeds.map((s, i) => ({ name: `v${i}`, publicKey: publicKeyFromSeed(s), addresses: [] })),
    params: { ...DEFAULT_PARAMS, proposalDelayMs: 0, blockEntriesMax: BLOCK_ENTRIES },
    policy: { open: true, namespaces: {} },
  }
  const replicas = seeds.map((seed, i) => new Replica({ genesis, validatorIndex: i, seed }))
  const queue: { to: number, from: number, message: Message }[] = []
  let head = 0
  const run = (index: number, actions: Action[]) => {
    for (const a of actions) {
      if (a.type === 'send') queue.push({ to: a.to, from: index, message: a.message })
      else if (a.type === 'broadcast') for (let to = 0; to < n; to++) if (to !== index) queue.push({ to, from: index, message: a.message })
    }
  }
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  replicas.forEach((r, i) => run(i, r.step({ type: 'start', now: 0 })))
  run(0, replicas[0]!.step({ type: 'submit', now: 0, entries }))
  while (head < queue.length) {
    const d = queue[head++]!
    run(d.to, replicas[d.to]!.step({ type: 'message', now: 0, from: d.from, message: d.message }))
  }
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  const cpuMs = (cpu.user + cpu.system) / 1000
  const committed = Math.min(...replicas.map((r) => r.stats.entriesCommitted))
  const blocks = Math.min(...replicas.map((r) => r.stats.blocksCommitted))
  const verifications = replicas.reduce((s, r) => s + r.verifier.counters.signatures, 0)
  if (committed !== entries.length) throw new Error(`n=${n}: only ${committed} of ${entries.length} entries committed`)
  return { n, ms, cpuMs, entries: committed, blocks, messages: queue.length, verifications }
}

const entries = makeEntries(ENTRIES)
const perVerifyMs = verifyCostMs()
const results = []
for (const n of SIZES) {
  runCluster(n, entries.slice(0, Math.min(200, entries.length))) // warm-up
  const r = runCluster(n, entries)
  const verifyMs = r.verifications * perVerifyMs
  const row = {
    n,
    entriesPerSec: Math.round((r.entries / r.ms) * 1000),
    blocksPerSec: Math.round((r.blocks / r.ms) * 10000) / 10,
    ms: Math.round(r.ms),
    cpuMs: Math.round(r.cpuMs),
    entries: r.entries,
    blocks: r.blocks,
    messages: r.messages,
    verifications: r.verifications,
    /** Estimated: verifications x the CPU cost of one (measured alone), over the run's CPU time. */
    verifyShare: Math.round((verifyMs / r.cpuMs) * 1000) / 1000,
  }
  results.push(row)
  console.log(`n=${n}: ${row.entriesPerSec} entries/s, ${row.blocksPerSec} blocks/s (${row.entries} entries, ${row.blocks} blocks in ${row.ms} ms, ${row.verifications} signature verifications ~ ${(row.verifyShare * 100).toFixed(0)}% of the time)`)
}
console.log('note: all n replicas run in this one process, so per-replica cost is ms / n; entries are verified once per replica.')
console.log(JSON.stringify({ benchmark: 'consensus-core', entriesPerRun: ENTRIES, blockEntriesMax: BLOCK_ENTRIES, verifyUs: Math.round(perVerifyMs * 1000 * 10) / 10, results }))
