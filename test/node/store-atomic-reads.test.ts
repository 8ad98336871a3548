// Reads of the chain store see the state before a commit or after it, never half: the
// backend shows a written batch to readers before the write resolves and the head moves.
import { describe, expect, it } from 'vitest'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry, entryId } from '../../src/log/entry.ts'
import { MerkleAccumulator, leafHash } from '../../src/log/merkle.ts'
import { ChainStore } from '../../node/store/chain-store.ts'
import { MemoryKv, type KvOp } from '../../node/store/kv.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

/** Applies each write at once and resolves it only when released (like LevelDB, whose
 * batch is visible before its callback runs). */
class HeldWritesKv extends MemoryKv {
  hold = false
  readonly #held: (() => void)[] = []

  override async write(ops: readonly KvOp[], sync: boolean): Promise<void> {
    await super.write(ops, sync)
    if (this.hold) await new Promise<void>((resolve) => this.#held.push(resolve))
  }

  release(): void {
    for (const resolve of this.#held.splice(0)) resolve()
  }
}

describe('chain store reads during a commit', () => {
  it('regression: spurious 500s — an entry indexed by a commit still being written read as "indexed at N but not stored there"', async () => {
    const net = testNet(4, 'atomic-reads')
    const chain = new ChainBuilder(net)
    const agent = new TestAgent('reader')
    chain.add([agent.entry(net.genesis.chainId, 'team/a', { n: 1 })])
    chain.add([agent.entry(net.genesis.chainId, 'team/a', { n: 2 }), agent.entry(net.genesis.chainId, 'team/b', { n: 3 })])
    const kv = new HeldWritesKv()
    const store = new ChainStore(kv)
    await store.open(net.genesis)
    const log = new MerkleAccumulator()
    const commitOf = (i: number) => {
      const { block, cc } = chain.items[i]!
      for (const e of block.entries) log.append(leafHash(encodeEntry(e)))
      return { blocks: [block], hashes: [blockHash(block.header)], qc: null, cc: cc ?? null, log: log.toState() }
    }
    await store.commit(commitOf(0))
    kv.hold = true
    const committing = store.commit(commitOf(1))
    // Let the commit's batch reach the backend (visible there), its write not resolved.
    for (let i = 0; i < 50; i++) await Promise.resolve()
    const second = chain.items[1]!.block
    const id = entryId(second.entries[1]!)
    // The old state, whole: nothing of height 2 shows.
    expect(store.head.height).toBe(1)
    expect(await store.entryById(id)).toBeUndefined()
    expect(await store.receipt(id)).toBeNull()
    expect(await store.blockAt(2)).toBeUndefined()
    expect(await store.heightOf(blockHash(second.header))).toBeUndefined()
    expect(await store.commitCertificate(2)).toBeUndefined()
    expect((await store.latestCommitCertificate())?.height).toBe(1)
    expect(await store.accumulatorAt(2)).toBeUndefined()
    expect(await store.entriesByNamespace('team/b', { fromIndex: 0, limit: 10 })).toEqual([])
    kv.release()
    await committing
    // The new state, whole.
    expect(store.head.height).toBe(2)
    expect((await store.entryById(id))?.index).toBe(2)
    expect(await store.receipt(id)).not.toBeNull()
    expect((await store.latestCommitCertificate())?.height).toBe(2)
  })
})
