// Four validator nodes in one process (memory stores, real libp2p on 127.0.0.1) on a
// chain with namespace governance (docs/formats.md section 13): a policy commits on every
// node, the nodes then refuse a non-writer's entry with governance-denied, commit a
// writer's, and every node's blocks and governance state are the same.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash } from '../../src/log/block.ts'
import { entryId } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import { restoreReplicaState } from '../../node/runtime/restore.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { hexOf, policyPayloadText } from '../support/governance.ts'

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('validator nodes enforce namespace governance', () => {
  const admin = new TestAgent('nodes-gov/admin')
  const writer = new TestAgent('nodes-gov/writer')
  const outsider = new TestAgent('nodes-gov/outsider')
  let genesis: Genesis
  const nodes: ValidatorNode[] = []
  const stores: MemoryStore[] = []

  beforeAll(async () => {
    const ports = await freePorts(4)
    const net = testNet(4, 'nodes-gov', { governance: { admins: new Map([['acme', [admin.publicKey]]]) } })
    genesis = {
      ...net.genesis,
      params: { ...DEFAULT_PARAMS, roundTimeoutMs: 500 },
      validators: net.genesis.validators.map((v, i) => ({ ...v, addresses: [`/ip4/127.0.0.1/tcp/${ports[i]}`] })),
    }
    for (let i = 0; i < 4; i++) {
      const store = new MemoryStore()
      stores.push(store)
      nodes.push(new ValidatorNode({ genesis, seed: net.validatorSeeds[i]!, listen: genesis.validators[i]!.addresses }, { store, logger: pino({ level: 'silent' }) }))
    }
    await Promise.all(nodes.map((n) => n.start()))
  })

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('commits a policy, then refuses a non-writer and commits a writer on every node', async () => {
    const policy = admin.entryText(genesis.chainId, 'acme', policyPayloadText({ writers: hexOf(writer) }))
    expect(await nodes[0]!.submit([policy])).toEqual([null])
    await waitFor(() => nodes.every((n) => n.head.logSize >= 1))
    const signal = new AbortController().signal
    // The submission check judges against the highest certified block: wait until a block above the policy's is certified.
    const policyHeight = (await nodes[1]!.store.entryById(entryId(policy)))!.height
    await waitFor(() => nodes.every((n) => n.committedHeight >= policyHeight))
    const refused = new ValidatorBackend(nodes[1]!).submitEntry(outsider.entry(genesis.chainId, 'acme/desk', { n: 1 }), signal)
    await expect(refused).rejects.toMatchObject({ name: 'GovernanceDeniedError', code: 'governance-denied', rule: 'entry-not-writer', namespace: 'acme/desk' })
    const ok = writer.entry(genesis.chainId, 'acme/desk', { n: 2 })
    await expect(new ValidatorBackend(nodes[2]!).submitEntry(ok, signal)).resolves.toMatchObject({ status: 'accepted' })
    await waitFor(() => nodes.every((n) => n.head.logSize >= 2))
    const h = Math.min(...nodes.map((n) => n.head.height))
    const hashes = await Promise.all(nodes.map(async (n) => toHex(blockHash((await n.store.blockAt(h))!.header))))
    expect(new Set(hashes).size).toBe(1)
    // Each store replays to the same governance state (what a restart would use).
    const states = await Promise.all(stores.map(async (s) => (await restoreReplicaState(s, genesis, 64))?.governance))
    for (const state of states) expect([...state!.records()].map((r) => [r.namespace, r.entry])).toEqual([['acme', toHex(entryId(policy))]])
  })
})
