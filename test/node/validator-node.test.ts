// Four validator nodes in one process (memory stores, real libp2p on 127.0.0.1): entries
// submitted to one node commit on all, with the same blocks, receipts and proofs.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { pino } from 'pino'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import { verifyConsistency, verifyInclusion, leafHash } from '../../src/log/merkle.ts'
import { encodeEntry, signEntry } from '../../src/log/entry.ts'
import { blockHash } from '../../src/log/block.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('validator nodes in one process', () => {
  let genesis: Genesis
  let seeds: readonly Uint8Array[]
  const nodes: ValidatorNode[] = []

  beforeAll(async () => {
    const ports = await freePorts(4)
    const net = testNet(4, 'node-test')
    genesis = {
      ...net.genesis,
      params: { ...DEFAULT_PARAMS, roundTimeoutMs: 500 },
      validators: net.genesis.validators.map((v, i) => ({ ...v, addresses: [`/ip4/127.0.0.1/tcp/${ports[i]}`] })),
    }
    seeds = net.validatorSeeds
    for (let i = 0; i < 4; i++) {
      nodes.push(new ValidatorNode(
        { genesis, seed: seeds[i]!, listen: genesis.validators[i]!.addresses },
        { store: new MemoryStore(), logger: pino({ level: 'silent' }) },
      ))
    }
    await Promise.all(nodes.map((n) => n.start()))
  })

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('commits submitted entries on every node, identically', async () => {
    const agent = new TestAgent('node-test-agent')
    const entries = Array.from({ length: 20 }, (_, i) => agent.entry(genesis.chainId, 'team/plans', { i }))
    const results = await nodes[1]!.submit(entries)
    expect(results.every((r) => r === null)).toBe(true)
    await waitFor(() => nodes.every((n) => n.head.logSize >= 20))
    const heights = nodes.map((n) => n.head.height)
    const h = Math.min(...heights)
    const hashes = await Promise.all(nodes.map(async (n) => toHex(blockHash((await n.store.blockAt(h))!.header))))
    expect(new Set(hashes).size).toBe(1)
    for (const node of nodes) {
      const stored = await node.store.entryById(entryId(entries[7]!))
      expect(stored?.entry.payload).toBe(entries[7]!.payload)
    }
    // A receipt once a commit certificate covers the entry.
    await waitFor(() => true)
    let receipt = null
    for (let attempt = 0; attempt < 100 && receipt === null; attempt++) {
      receipt = await nodes[2]!.store.receipt(entryId(entries[0]!))
      if (receipt === null) await new Promise((r) => setTimeout(r, 50))
    }
    expect(receipt).not.toBeNull()
    expect(verifyInclusion(leafHash(encodeEntry(receipt!.entry)), receipt!.index, receipt!.checkpoint.logSize, receipt!.proof, receipt!.checkpoint.logRoot)).toBe(true)
  })

  it('regression: remote crash — an entry to namespace `constructor` from a fresh agent stopped the validator', async () => {
    const agent = new TestAgent('prototype-agent')
    const entries = ['constructor', 'constructor/x', 'prototype/tostring'].map((ns) => agent.entry(genesis.chainId, ns, { ns }))
    expect(await nodes[0]!.submit(entries)).toEqual([null, null, null])
    await waitFor(() => nodes.every((n) => n.running && n.head.logSize >= 23))
    for (const node of nodes) expect((await node.store.entryById(entryId(entries[1]!)))?.entry.namespace).toBe('constructor/x')
  })

  // Regression: every submit read the store for a committed copy before the core's own
  // seq check, which refuses a committed copy anyway (and then answers 'duplicate').
  it('takes a new entry without a store read for a committed copy', async () => {
    const backend = new ValidatorBackend(nodes[2]!)
    const lookups = vi.spyOn(nodes[2]!.store, 'entryById')
    try {
      const fresh = new TestAgent('no-store-read').entry(genesis.chainId, 'team/no-read', { n: 1 })
      expect(await backend.submitEntry(fresh, new AbortController().signal)).toMatchObject({ status: 'accepted' })
      expect(lookups).not.toHaveBeenCalled()
    } finally {
      lookups.mockRestore()
    }
  })

  it('serves the NodeBackend contract from the store and the driver', async () => {
    const backend = new ValidatorBackend(nodes[3]!)
    const signal = new AbortController().signal
    const agent = new TestAgent('backend-agent')
    const first = agent.entry(genesis.chainId, 'team/backend', { n: 1 })
    expect(await backend.submitEntry(first, signal)).toMatchObject({ status: 'accepted' })
    expect(await backend.submitEntry(first, signal)).toMatchObject({ status: 'duplicate' })
    expect((await backend.getEntry(entryId(first), signal))?.status).toMatch(/pending|committed/)
    await expect(backend.submitEntry({ ...agent.entry(genesis.chainId, 'team/backend', { n: 2 }), sig: new Uint8Array(64) }, signal)).rejects.toMatchObject({ name: 'InvalidSignatureError' })
    const more = Array.from({ length: 8 }, (_, i) => agent.entry(genesis.chainId, i % 2 === 0 ? 'team/backend' : 'team/other', { i }))
    for (const e of more) await backend.submitEntry(e, signal)
    await waitFor(() => nodes[3]!.pendingCount === 0)
    const stale = signEntry({ agent: agent.publicKey, namespace: 'team/backend', seq: first.seq, payload: '{"again":true}', refs: [], idempotencyKey: '' }, genesis.chainId, agent.seed)
    await expect(backend.submitEntry(stale, signal)).rejects.toMatchObject({ name: 'StaleSequenceError' })
    expect(await backend.getEntry(entryId(first), signal)).toMatchObject({ status: 'committed' })
    // Paging by cursor walks the whole namespace in log order.
    const seen: number[] = []
    let cursor: string | undefined
    for (let page = 0; page < 10; page++) {
      const result = await backend.query({ namespace: 'team/backend', limit: 2, ...(cursor === undefined ? {} : { cursor }) }, signal)
      seen.push(...result.items.map((r) => r.index))
      if (result.nextCursor === null) break
      cursor = result.nextCursor
    }
    expect(seen.length).toBe(5)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    await expect(backend.query({ cursor: 'not-mine', limit: 5 }, signal)).rejects.toMatchObject({ name: 'InvalidCursorError' })
    const both = await backend.query({ namespace: 'team/other', agent: agent.publicKey, limit: 100 }, signal)
    expect(both.items.length).toBe(4)
    // A subscription from index 0 yields the log in order, then waits.
    const controller = new AbortController()
    const indexes: number[] = []
    const logSize = nodes[3]!.head.logSize
    for await (const record of backend.subscribe({ fromIndex: 0 }, controller.signal)) {
      indexes.push(record.index)
      if (indexes.length === logSize) controller.abort()
    }
    expect(indexes).toEqual(Array.from({ length: logSize }, (_, i) => i))
    // Proofs and exports.
    const old = (await nodes[3]!.store.headerAt(1))!
    const proof = await backend.consistencyProof(old.logSize, logSize, signal)
    expect(verifyConsistency(old.logSize, logSize, old.logRoot, nodes[3]!.head.logRoot, proof)).toBe(true)
    await expect(backend.consistencyProof(1, logSize + 1, signal)).rejects.toMatchObject({ name: 'RangeUnavailableError' })
    const height = nodes[3]!.head.height
    const exported = await backend.exportBlocks(1, height, signal)
    let records = 0
    for await (const bytes of exported.records) {
      expect(bytes.length).toBeGreaterThan(0)
      records++
    }
    expect(records).toBe(height)
    await expect(backend.exportBlocks(1, height + 5, signal)).rejects.toMatchObject({ name: 'RangeUnavailableError' })
    expect(backend.health()).toMatchObject({ status: 'ok', chainId: genesis.chainId, peers: 3 })
  })

  it('refuses entries with a bad signature', async () => {
    const agent = new TestAgent('bad-agent')
    const entry = agent.entry(genesis.chainId, 'team/plans', { x: 1 })
    const forged = { ...entry, sig: new Uint8Array(64) }
    const [result] = await nodes[0]!.submit([forged])
    expect(result).toEqual({ code: 'entry-bad-signature' })
  })
})
