// The recovery that docs/operations.md gives for a damaged store: the node refuses to
// start on it; the operator wipes the data directory and starts the node again; it
// re-syncs the whole chain from its peers. Four validator nodes in one process, each on
// a LevelDB store in its own data directory, real libp2p on 127.0.0.1.
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash } from '../../src/log/block.ts'
import { entryId } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import { LevelStore, StoreDamagedError } from '../../node/store/index.ts'
import { assertNodeStoreIntact, checkLevelStore, storeLayout } from '../../node/store/store-check.ts'
import { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('a node whose store was damaged, wiped and re-synced', () => {
  const root = mkdtempSync(join(tmpdir(), 'synod-resync-'))
  const dataDirs = [0, 1, 2, 3].map((i) => join(root, `node-${i}`))
  let genesis: Genesis
  let seeds: readonly Uint8Array[]
  const nodes: (ValidatorNode | null)[] = [null, null, null, null]
  const agent = new TestAgent('resync-agent')

  /** Starts validator i on its data dir the way run-node does: the store check first. */
  async function startNode(i: number): Promise<ValidatorNode> {
    await assertNodeStoreIntact(dataDirs[i]!)
    const node = new ValidatorNode(
      { genesis, seed: seeds[i]!, listen: genesis.validators[i]!.addresses },
      { store: new LevelStore(storeLayout(dataDirs[i]!).store), logger: pino({ level: 'silent' }) },
    )
    await node.start()
    nodes[i] = node
    return node
  }

  async function commit(through: ValidatorNode, count: number, label: string): Promise<void> {
    const entries = Array.from({ length: count }, (_, i) => agent.entry(genesis.chainId, 'ops/resync', { label, i }))
    expect(await through.submit(entries)).toEqual(entries.map(() => null))
  }

  beforeAll(async () => {
    const ports = await freePorts(4)
    const net = testNet(4, 'resync-test')
    genesis = {
      ...net.genesis,
      params: { ...DEFAULT_PARAMS, roundTimeoutMs: 500 },
      validators: net.genesis.validators.map((v, i) => ({ ...v, addresses: [`/ip4/127.0.0.1/tcp/${ports[i]}`] })),
    }
    seeds = net.validatorSeeds
    await Promise.all([0, 1, 2, 3].map(startNode))
  }, 60_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n?.stop()))
    rmSync(root, { recursive: true, force: true })
  })

  it('refuses the damaged store, and after a wipe re-syncs the whole chain from its peers', async () => {
    await commit(nodes[1]!, 30, 'before')
    await waitFor('every node has the first 30 entries', () => nodes.every((n) => n!.head.logSize >= 30))
    const first = agent.entry(genesis.chainId, 'ops/resync', { label: 'probe' })
    expect(await nodes[0]!.submit([first])).toEqual([null])
    await waitFor('every node has the probe', () => nodes.every((n) => n!.head.logSize >= 31))

    await nodes[3]!.stop()
    nodes[3] = null
    unlinkSync(join(storeLayout(dataDirs[3]!).store, 'CURRENT'))
    await expect(startNode(3)).rejects.toBeInstanceOf(StoreDamagedError)

    // Recovery: wipe the data directory (a validator's key and config live outside it) and start again.
    rmSync(dataDirs[3]!, { recursive: true, force: true })
    const fresh = await startNode(3)
    expect(fresh.head.height).toBe(0)
    // New commits make the chain move; the fresh node fetches everything below them too.
    await commit(nodes[0]!, 10, 'after')
    const target = () => Math.min(...nodes.slice(0, 3).map((n) => n!.head.height))
    await waitFor('the wiped node reaches the others\' height', () => fresh.head.height >= target() && fresh.head.logSize >= 41, 90_000)
    const h = target()
    const hashes = await Promise.all(nodes.map(async (n) => toHex(blockHash((await n!.store.headerAt(h))!))))
    expect(new Set(hashes).size).toBe(1)
    expect((await fresh.store.entryById(entryId(first)))?.entry.payload).toBe(first.payload)
    expect((await fresh.store.entryAt(0))?.entry.namespace).toBe('ops/resync')

    // The re-synced store passes the full check.
    await fresh.stop()
    nodes[3] = null
    const report = await checkLevelStore(storeLayout(dataDirs[3]!).store, { mode: 'full' })
    expect(report.findings).toEqual([])
    expect(report.logSize).toBeGreaterThanOrEqual(41)
  }, 240_000)
})
