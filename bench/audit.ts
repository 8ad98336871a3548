// Audit benchmark: builds a signed chain export of N entries (cached under the OS temp
// dir), then audits it with and without worker threads, printing entries/s, the ratio to
// the verification limit (built-in Ed25519 verifies/s on one core x cores), and peak RSS.
// Usage: node bench/audit.ts [--entries 100000] [--per-block 1000] [--modes main,workers]
import { createReadStream, existsSync, mkdirSync, writeFileSync, createWriteStream } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { verifySignature, signMessage, publicKeyFromSeed } from '../src/crypto/ed25519.ts'
import { chainItemToCbor, EXPORT_FORMAT, exportHeaderToCbor, frameRecord } from '../src/log/export.ts'
import { genesisHash } from '../src/log/genesis.ts'
import { sha256, toHex } from '../src/crypto/hash.ts'
import { encodeCanonical } from '../src/codec/cbor.ts'
import { runAudit } from '../audit/run-audit.ts'
import { SignaturePool } from '../node/workers/signature-pool.ts'
import { ChainBuilder, TestAgent, testNet } from '../test/support/chain-builder.ts'

const { values } = parseArgs({ options: { entries: { type: 'string', default: '100000' }, 'per-block': { type: 'string', default: '1000' }, modes: { type: 'string', default: 'main,workers' } } })
const modes = values.modes.split(',')
if (modes.length === 0 || modes.some((m) => m !== 'main' && m !== 'workers')) {
  process.stderr.write('--modes is a comma-separated list of main and workers\n')
  process.exit(1)
}
const entries = Number(values.entries)
const perBlock = Number(values['per-block'])
if (!Number.isSafeInteger(entries) || entries < perBlock || !Number.isSafeInteger(perBlock) || perBlock < 1) {
  process.stderr.write('--entries and --per-block must be whole numbers with entries >= per-block\n')
  process.exit(1)
}
const net = testNet(4, 'bench-audit')
if (perBlock > net.genesis.params.blockEntriesMax) {
  process.stderr.write(`--per-block ${perBlock} is over the benchmark chain's blockEntriesMax of ${net.genesis.params.blockEntriesMax}: its blocks would not verify\n`)
  process.exit(1)
}
const dir = join(tmpdir(), 'synod-bench')
mkdirSync(dir, { recursive: true })
// The cache is named by a digest of a one-block sample chain as the code signs it now, so
// a change to any signed format (entries, blocks, certificates) builds a new chain rather
// than auditing one the verifier no longer accepts.
const sample = new ChainBuilder(net)
sample.add([new TestAgent('bench-format').entry(net.genesis.chainId, 'bench/decisions', { n: 0 })], true)
const formatTag = toHex(sha256(encodeCanonical(chainItemToCbor(sample.items[0]!)))).slice(0, 12)
const file = join(dir, `audit-${entries}-${perBlock}-${formatTag}.export`)

if (!existsSync(file)) {
  process.stderr.write(`building a chain of ${entries} entries in ${file} ...\n`)
  const out = createWriteStream(file + '.tmp')
  out.write(frameRecord(exportHeaderToCbor({ format: EXPORT_FORMAT, chainId: net.genesis.chainId, genesis: genesisHash(net.genesis), from: 1, start: null })))
  const chain = new ChainBuilder(net)
  const agents = Array.from({ length: 64 }, (_, i) => new TestAgent(`bench-${i}`))
  for (let made = 0; made < entries; made += perBlock) {
    const batch = Array.from({ length: Math.min(perBlock, entries - made) }, (_, i) => agents[i % agents.length]!.entry(net.genesis.chainId, 'bench/decisions', { n: made + i, note: 'a decision of about a hundred bytes, as agents write them' }))
    chain.add(batch, true)
    const item = chain.items.pop()!
    if (!out.write(frameRecord(chainItemToCbor(item)))) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve) => out.end(resolve))
  const { renameSync } = await import('node:fs')
  renameSync(file + '.tmp', file)
}

function mb(bytes: number): number {
  return Math.round(bytes / 2 ** 20)
}

function verifyRate(): number {
  const seed = new Uint8Array(32).fill(9)
  const key = publicKeyFromSeed(seed)
  const msg = new Uint8Array(200).fill(1)
  const sig = signMessage(seed, msg)
  const start = performance.now()
  let n = 0
  while (performance.now() - start < 1000) {
    for (let i = 0; i < 100; i++) verifySignature(key, msg, sig)
    n += 100
  }
  return n / ((performance.now() - start) / 1000)
}

const perCore = verifyRate()
const cores = availableParallelism()
const limit = perCore * cores
let peakRss = 0
/** At the RSS peak: the main thread's V8 heap and its buffers, so growth can be placed. */
let atPeak = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }
const sampler = setInterval(() => {
  const m = process.memoryUsage()
  if (m.rss > peakRss) {
    peakRss = m.rss
    atPeak = { heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
  }
}, 50)
const results: Record<string, unknown> = {}
for (const workers of modes.map((m) => (m === 'main' ? 0 : cores))) {
  const pool = workers > 0 ? new SignaturePool(workers) : undefined
  peakRss = 0
  // RSS at each tenth of the chain: flat means bounded memory, rising means it grows with the chain.
  const byTenth: number[] = []
  const onProgress = (p: { entries: number }): void => {
    while (byTenth.length < 10 && p.entries >= ((byTenth.length + 1) * entries) / 10) byTenth.push(mb(process.memoryUsage().rss))
  }
  const report = await runAudit(createReadStream(file, { highWaterMark: 1 << 20 }), { genesis: net.genesis, pool, onProgress })
  if (!report.ok) console.error(JSON.stringify(report.failure))
  await pool?.close()
  if (!report.ok) throw new Error(`the benchmark chain did not verify: ${JSON.stringify(report.failure)}`)
  const rate = report.entriesPerSec
  results[workers === 0 ? 'mainThread' : `workers${workers}`] = { entriesPerSec: rate, ratioToLimit: Number((rate / limit).toFixed(3)), peakRssMB: Math.round(peakRss / 2 ** 20), rssByTenthMB: byTenth, seconds: report.durationMs / 1000 }
  process.stderr.write(`audit ${workers === 0 ? 'main thread' : `${workers} workers`}: ${rate} entries/s = ${(100 * rate / limit).toFixed(0)}% of the limit ${Math.round(limit)}/s; peak RSS ${Math.round(peakRss / 2 ** 20)} MB (main thread then: heap ${mb(atPeak.heapUsed)} of ${mb(atPeak.heapTotal)}, external ${mb(atPeak.external)}, array buffers ${mb(atPeak.arrayBuffers)} MB); RSS at each tenth of the chain ${byTenth.join(' ')} MB\n`)
}
clearInterval(sampler)
writeFileSync(join(dir, 'last-audit.json'), JSON.stringify(results))
process.stdout.write(JSON.stringify({ bench: 'audit', entries, perBlock, verifyPerSecPerCore: Math.round(perCore), cores, limit: Math.round(limit), cpu: cpus()[0]?.model, results }) + '\n')
