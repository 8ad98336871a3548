// Files and observation for a scenario's real cluster: keys, a genesis and one config per
// validator (as `synod devnet` makes them, but with the scenario's protocol parameters
// and each validator's own address), and the HTTP reads the runner judges by: health
// (height, round) for the time series, and each node's committed chain through
// /v1/export, which the very same checkers as in the simulator then examine.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, genesisBlock, type Block } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { entryId } from '../../src/log/entry.ts'
import { chainItemFromCbor, exportHeaderFromCbor, RecordReader } from '../../src/log/export.ts'
import { genesisFromJson, genesisToJson, type Genesis, type ProtocolParams } from '../../src/log/genesis.ts'
import { generateKey, writeKeyFile, type KeyFile } from '../../devnet/key-files.ts'
import type { NodeChain } from '../checkers/types.ts'

/** One health read may take this long before the sample counts the node as down. */
const HEALTH_TIMEOUT_MS = 1_000
/** An export of a scenario's chain (thousands of small blocks at most) takes seconds. */
const EXPORT_TIMEOUT_MS = 60_000
/** Bytes of one node's export the runner reads at most. */
const EXPORT_BYTES_MAX = 512 * 1024 * 1024

export interface NodeFiles {
  readonly index: number
  readonly dir: string
  readonly configFile: string
  readonly host: string
  readonly httpUrl: string
}

export interface ClusterFiles {
  readonly genesis: Genesis
  readonly nodes: readonly NodeFiles[]
}

export interface ClusterLayout {
  readonly dir: string
  readonly chainId: string
  readonly params: ProtocolParams
  /** Each validator's IP address, and its p2p and HTTP ports. */
  readonly hosts: readonly string[]
  readonly p2pPorts: readonly number[]
  readonly httpPorts: readonly number[]
}

export async function writeClusterFiles(layout: ClusterLayout): Promise<ClusterFiles> {
  const n = layout.hosts.length
  const keys: KeyFile[] = []
  const nodes: NodeFiles[] = []
  for (let i = 0; i < n; i++) {
    const dir = join(layout.dir, `node-${i}`)
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const key = generateKey('validator')
    keys.push(key)
    await writeKeyFile(join(dir, 'validator.key.json'), key)
    nodes.push({ index: i, dir, configFile: join(dir, 'config.json'), host: layout.hosts[i]!, httpUrl: `http://${layout.hosts[i]}:${layout.httpPorts[i]}` })
  }
  const json = genesisToJson({
    chainId: layout.chainId,
    validators: keys.map((k, i) => ({ name: `node-${i}`, publicKey: k.publicKey, addresses: [`/ip4/${layout.hosts[i]}/tcp/${layout.p2pPorts[i]}`] })),
    params: layout.params,
    policy: { open: true, namespaces: {} },
  })
  const genesis = genesisFromJson(json)
  await writeFile(join(layout.dir, 'genesis.json'), JSON.stringify(json, null, 2) + '\n')
  for (const node of nodes) {
    const config = { dataDir: 'data', keyFile: 'validator.key.json', genesisFile: '../genesis.json', http: { host: node.host, port: layout.httpPorts[node.index] }, logLevel: 'warn' }
    await writeFile(node.configFile, JSON.stringify(config, null, 2) + '\n')
  }
  return { genesis, nodes }
}

export interface Health {
  readonly height: number
  readonly round: number
  readonly peers: number
}

export async function readHealth(httpUrl: string): Promise<Health | null> {
  try {
    const response = await fetch(`${httpUrl}/healthz`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })
    if (response.status !== 200) return null
    const b = (await response.json()) as Partial<Health>
    if (typeof b.height !== 'number' || typeof b.round !== 'number' || typeof b.peers !== 'number') return null
    return { height: b.height, round: b.round, peers: b.peers }
  } catch {
    return null
  }
}

/** Whether the node holds the entry committed. */
export async function isCommitted(httpUrl: string, idHex: string): Promise<boolean> {
  try {
    const response = await fetch(`${httpUrl}/v1/entries/${idHex}`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })
    if (response.status !== 200) return false
    const b = (await response.json()) as { status?: unknown }
    return b.status === 'committed' || b.status === 'certified'
  } catch {
    return false
  }
}

/** A node's committed chain, read through its export (genesis block at height 0). */
export async function readChain(httpUrl: string, name: string, index: number, genesis: Genesis): Promise<NodeChain> {
  const g = genesisBlock(genesis)
  const committed: Block[] = [g]
  const hashes: string[] = [toHex(blockHash(g.header))]
  const ccs = new Map<number, CommitCertificate>()
  const ids = new Set<string>()
  const response = await fetch(`${httpUrl}/v1/export`, { signal: AbortSignal.timeout(EXPORT_TIMEOUT_MS) })
  if (response.status === 404) return { name, index, committed, hashes, ccs, ids } // nothing committed yet
  if (response.status !== 200 || response.body === null) throw new Error(`${name}: export answered ${response.status}`)
  const reader = new RecordReader()
  let header = false
  let bytes = 0
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length
    if (bytes > EXPORT_BYTES_MAX) throw new Error(`${name}: export is over ${EXPORT_BYTES_MAX} bytes`)
    reader.push(chunk)
    for (let value = reader.next(); value !== null; value = reader.next()) {
      if (!header) {
        exportHeaderFromCbor(value)
        header = true
        continue
      }
      const item = chainItemFromCbor(value)
      committed.push(item.block)
      hashes.push(toHex(blockHash(item.block.header)))
      if (item.cc !== null && item.cc !== undefined) ccs.set(item.block.header.height, item.cc)
      for (const e of item.block.entries) ids.add(toHex(entryId(e)))
    }
  }
  if (reader.pendingBytes > 0) throw new Error(`${name}: export ended in the middle of a record`)
  return { name, index, committed, hashes, ccs, ids }
}

/** Counters from a node's Prometheus metrics (timeouts, view changes, rejections). */
export async function readMetrics(httpUrl: string): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  try {
    const response = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS * 3) })
    const text = await response.text()
    for (const line of text.split('\n')) {
      const m = /^(synod_(?:timeouts_total|view_changes_total|rejected_messages_total|commits_total)(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(line)
      if (m !== null) out.set(m[1]!, Number(m[2]))
    }
  } catch {
    // a node that does not answer contributes nothing
  }
  return out
}
