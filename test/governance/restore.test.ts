// A validator restarting on a governed chain rebuilds the governance state from its store's
// committed log (node/runtime/restore.ts) and its replica resumes with it.
import { describe, expect, it } from 'vitest'
import { Replica } from '../../src/consensus/replica.ts'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { restoreReplicaState } from '../../node/runtime/restore.ts'
import { ChainBuilder, signQc, testNet } from '../support/chain-builder.ts'
import { SimStorage } from '../../scenarios/sim/storage.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { governedNet, hexOf, policyPayloadText } from '../support/governance.ts'

describe('restart on a governed chain', () => {
  it('replays the committed log into the state after the head; a chain without governance gets none', async () => {
    const g = governedNet('restore-gov')
    const chainId = g.genesis.chainId
    const chain = new ChainBuilder(g.net)
    chain.add([g.acmeRoot.entryText(chainId, 'acme', policyPayloadText({ writers: hexOf(g.alice), admins: hexOf(g.bob) }))])
    chain.add([g.alice.entry(chainId, 'acme', { n: 1 }), g.bob.entryText(chainId, 'acme/desk', policyPayloadText({ writers: 'any' }))])
    chain.add([])
    const store = new MemoryStore()
    await store.open(g.genesis)
    const log = new MerkleAccumulator()
    for (const item of chain.items) for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
    const blocks = chain.items.map((i) => i.block)
    await store.commit({ blocks, hashes: blocks.map((b) => blockHash(b.header)), qc: null, cc: chain.items.at(-1)!.cc ?? null, log: log.toState() })
    const restored = await restoreReplicaState(store, g.genesis, 16)
    expect(restored?.governance?.height).toBe(3)
    expect([...restored!.governance!.records()].map((r) => [r.namespace, r.height])).toEqual([['acme', 1], ['acme/desk', 2]])
    expect(restored!.governance!.isAdmin('acme/desk', hexOf(g.bob)[0]!)).toBe(true)
    const replica = new Replica({ genesis: g.genesis, validatorIndex: 0, seed: g.net.validatorSeeds[0]! }, restored)
    expect(replica.committedHeight).toBe(3)
    await store.close()

    const plainNet = testNet(4, 'restore-plain')
    const plainChain = new ChainBuilder(plainNet)
    const block = plainChain.add([g.alice.entryText('restore-plain', 'acme', policyPayloadText({ writers: [] }))])
    const plainStore = new MemoryStore()
    await plainStore.open(plainNet.genesis)
    await plainStore.commit({ blocks: [block], hashes: [blockHash(block.header)], qc: null, cc: plainChain.items[0]!.cc ?? null, log: plainChain.accumulator.toState() })
    expect((await restoreReplicaState(plainStore, plainNet.genesis, 16))?.governance).toBeNull()
    await plainStore.close()
  })
})

describe('restart in the simulator on a governed chain', () => {
  it('the simulated storage replays its committed blocks into the state after the head', () => {
    const g = governedNet('sim-gov')
    const chainId = g.genesis.chainId
    const chain = new ChainBuilder(g.net)
    chain.add([g.acmeRoot.entryText(chainId, 'acme', policyPayloadText({ writers: hexOf(g.alice) }))])
    chain.add([g.alice.entry(chainId, 'acme', { n: 1 })])
    const storage = new SimStorage(g.genesis)
    for (const item of chain.items) storage.appendCommitted(item.block, toHex(blockHash(item.block.header)))
    storage.commitHead(chain.accumulator.toState(), signQc(g.net, chain.head), null)
    const restored = storage.restoredState()!
    expect(restored.governance?.height).toBe(2)
    expect(restored.governance?.recordInForce('acme/x')?.namespace).toBe('acme')
    const replica = new Replica({ genesis: g.genesis, validatorIndex: 1, seed: g.net.validatorSeeds[1]! }, restored)
    expect(replica.committedHeight).toBe(2)
    expect(new SimStorage(testNet(4, 'sim-plain').genesis).restoredState()).toBeUndefined()
  })
})
