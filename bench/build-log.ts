// Builds a committed log of N entries straight into the stores of some validators of a
// cluster, without running consensus: every validator's key is at hand (the cluster's key
// files), so the chain is built and signed here as test/support/chain-builder.ts does,
// then written block by block into the first holder's store and copied to the others.
// The benches that need a long log (catch-up, rss) use it: building 1,000,000 entries by
// live load takes over an hour, this takes about a minute.
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { blockHash } from '../src/log/block.ts'
import { signEntry } from '../src/log/entry.ts'
import { AgentIdentity } from '../sdk/index.ts'
import type { ClusterFiles } from '../devnet/cluster.ts'
import { readKeyFile } from '../node/runtime/key-file.ts'
import { LevelStore } from '../node/store/index.ts'
import { ChainBuilder, signQc } from '../test/support/chain-builder.ts'

/** Agents the built entries are spread over (each with its own seq run). */
const BUILD_AGENTS = 64
/** The namespace of the built entries. */
export const BUILT_NAMESPACE = 'bench/decisions'

export interface BuildLogOptions {
  readonly entries: number
  readonly perBlock: number
  /** Indexes of the nodes whose stores get the log; the first one's is written, the others copied. */
  readonly holders: readonly number[]
  /** Called after each block with the entries written so far. */
  readonly onProgress?: (written: number) => void
}

export interface BuiltLog {
  readonly entries: number
  readonly blocks: number
  /** Signing, writing and copying, in seconds. */
  readonly seconds: number
}

/** Writes the log into the holders' data directories, which must not hold a store yet. */
export async function buildCommittedLog(files: ClusterFiles, options: BuildLogOptions): Promise<BuiltLog> {
  const { entries: total, perBlock, holders } = options
  if (!(Number.isSafeInteger(total) && Number.isSafeInteger(perBlock) && perBlock >= 1 && total >= perBlock)) throw new RangeError('entries and perBlock must be whole numbers with entries >= perBlock')
  if (holders.length === 0 || holders.some((i) => files.nodes[i] === undefined)) throw new RangeError('holders must name nodes of the cluster')
  const t0 = performance.now()
  const seeds = await Promise.all(files.nodes.map(async (n) => (await readKeyFile(n.keyFile)).seed))
  const net = { genesis: files.genesis, validatorSeeds: seeds }
  const storeOf = (index: number): string => join(files.nodes[index]!.dataDir, 'store')
  const store = new LevelStore(storeOf(holders[0]!))
  await store.open(files.genesis)
  const chain = new ChainBuilder(net)
  const agents = Array.from({ length: BUILD_AGENTS }, (_, i) => { const s = new Uint8Array(32); s[0] = 0xcc; s[1] = i; return s })
  const agentKeys = agents.map((s) => AgentIdentity.fromSeed(s).publicKey)
  try {
    for (let made = 0; made < total; made += perBlock) {
      const count = Math.min(perBlock, total - made)
      const entries = Array.from({ length: count }, (_, i) => {
        const n = made + i
        const a = n % BUILD_AGENTS
        return signEntry({ agent: agentKeys[a]!, namespace: BUILT_NAMESPACE, seq: Math.floor(n / BUILD_AGENTS) + 1, payload: JSON.stringify({ n, note: 'a decision of about a hundred bytes, as agents write them' }), refs: [], idempotencyKey: '' }, files.genesis.chainId, agents[a]!)
      })
      const block = chain.add(entries, true)
      const item = chain.items.at(-1)!
      chain.items.length = 0 // keep memory flat
      await store.commit({ blocks: [block], hashes: [blockHash(block.header)], qc: signQc(net, block.header), cc: item.cc ?? null, log: chain.accumulator.toState() })
      options.onProgress?.(made + count)
    }
  } finally {
    await store.close()
  }
  for (const i of holders.slice(1)) cpSync(storeOf(holders[0]!), storeOf(i), { recursive: true })
  return { entries: total, blocks: chain.head.height, seconds: (performance.now() - t0) / 1000 }
}
