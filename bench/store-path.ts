// The store's share of one light-load commit on one validator, in isolation: per block
// of E entries (default 1), what a validator's runtime asks of its LevelDB store for it:
// persist (the block as pending, with a safety state), commit (the block with its
// commit certificate), then the receipt of its first entry (the long poll's answer).
// Each operation's wall time and the process's CPU time (all threads: the LevelDB
// writes run on libuv's pool) are measured per call, and reported as medians, for the
// first and the last tenth of the blocks, so that a cost growing with the chain shows.
//   npx node bench/store-path.ts [--blocks 2000] [--entries 1] [--dir DIR]
// Last stdout line: one JSON object.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodeSafetyState } from '../src/consensus/messages.ts'
import { blockHash } from '../src/log/block.ts'
import { entryId } from '../src/log/entry.ts'
import { LevelStore } from '../node/store/index.ts'
import { ChainBuilder, signQc, TestAgent, testNet } from '../test/support/chain-builder.ts'

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '2000' }, entries: { type: 'string', default: '1' }, dir: { type: 'string' } } })
const BLOCKS = Number(values.blocks)
const ENTRIES = Number(values.entries)
if (!(Number.isInteger(BLOCKS) && BLOCKS >= 10 && BLOCKS <= 100_000)) throw new RangeError('--blocks must be 10-100000')
if (!(Number.isInteger(ENTRIES) && ENTRIES >= 1 && ENTRIES <= 1000)) throw new RangeError('--entries must be 1-1000')

const cpuUs = (): number => { const u = process.cpuUsage(); return u.user + u.system }
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] ?? 0 }
const round1 = (x: number): number => Math.round(x * 10) / 10

interface Sample { readonly wallUs: number, readonly cpuUs: number }
const OPS = ['persist', 'commit', 'receipt'] as const
type Op = typeof OPS[number]

async function timed(samples: Sample[], run: () => Promise<unknown>): Promise<void> {
  const c0 = cpuUs()
  const t0 = performance.now()
  await run()
  samples.push({ wallUs: (performance.now() - t0) * 1000, cpuUs: cpuUs() - c0 })
}

const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'synod-store-path-'))
const net = testNet(4, 'store-path')
const store = new LevelStore(join(dir, 'store'))
await store.open(net.genesis)
const chain = new ChainBuilder(net)
const agent = new TestAgent('store-path')
const samples = new Map<Op, Sample[]>(OPS.map((op) => [op, []]))
// A safety state of the size the replica writes (its fields do not matter to the store).
const safety = encodeSafetyState({ lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, highQc: signQc(net, chain.head), highTc: null })
try {
  for (let b = 0; b < BLOCKS; b++) {
    const entries = Array.from({ length: ENTRIES }, (_, i) => agent.entry(net.genesis.chainId, 'bench/store', { b, i, note: 'a decision of about a hundred bytes, as agents write them' }))
    const block = chain.add(entries, true)
    const item = chain.items.at(-1)!
    chain.items.length = 0
    const hash = blockHash(block.header)
    await timed(samples.get('persist')!, () => store.persist({ safety, blocks: [{ hash, block }] }))
    await timed(samples.get('commit')!, () => store.commit({ blocks: [block], hashes: [hash], qc: null, cc: item.cc ?? null, log: chain.accumulator.toState() }))
    await timed(samples.get('receipt')!, async () => { if ((await store.receipt(entryId(entries[0]!))) === null) throw new Error(`no receipt at block ${b}`) })
  }
} finally {
  await store.close()
  if (values.dir === undefined) rmSync(dir, { recursive: true, force: true })
}

const tenth = Math.max(1, Math.floor(BLOCKS / 10))
const part = (xs: Sample[], from: number, to: number): { wallUs: number, cpuUs: number } => {
  const s = xs.slice(from, to)
  return { wallUs: round1(median(s.map((x) => x.wallUs))), cpuUs: round1(median(s.map((x) => x.cpuUs))) }
}
const result: Record<string, unknown> = { bench: 'store-path', blocks: BLOCKS, entriesPerBlock: ENTRIES, loadAverage: null }
for (const op of OPS) {
  const xs = samples.get(op)!
  result[op] = { first: part(xs, 0, tenth), last: part(xs, BLOCKS - tenth, BLOCKS) }
  process.stderr.write(`${op.padEnd(8)} median wall / CPU µs per call, first and last tenth of the blocks: ${JSON.stringify(result[op] as object)}\n`)
}
try {
  result.loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number)
} catch { /* not Linux: no load average */ }
console.log(JSON.stringify(result))
