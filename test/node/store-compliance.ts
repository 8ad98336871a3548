// The compliance suite every Store implementation must pass (memory and level).
import { describe, expect, it } from 'vitest'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, genesisBlock, type Block } from '../../src/log/block.ts'
import { entryId, encodeEntry } from '../../src/log/entry.ts'
import { MerkleAccumulator, consistencyProof, inclusionProof, leafHash, merkleRoot, verifyConsistency, verifyInclusion } from '../../src/log/merkle.ts'
import { rootFromTiles } from '../../src/log/tiles.ts'
import type { Store } from '../../node/store/store.ts'
import { ChainBuilder, TestAgent, testNet, type TestNet } from '../support/chain-builder.ts'
import { eraseEntry, sealedEntry, sealFixture } from '../support/sealed-entries.ts'

export interface StoreFixture {
  /** A fresh, unopened store. */
  create(): Promise<Store>
  /** The same store again after close (for persistent stores), or null. */
  reopen: ((store: Store) => Promise<Store>) | null
}

/** The commit of blocks [from, to) of the chain (0-based item indexes). */
function commitOf(chain: ChainBuilder, from: number, to: number) {
  const blocks = chain.items.slice(from, to).map((i) => i.block)
  const log = new MerkleAccumulator()
  for (const item of chain.items.slice(0, to)) for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
  return {
    blocks,
    hashes: blocks.map((b) => blockHash(b.header)),
    qc: null,
    cc: chain.items[to - 1]!.cc ?? null,
    log: log.toState(),
  }
}

function buildChain(net: TestNet, blocks: number, perBlock: number): { chain: ChainBuilder, agents: TestAgent[] } {
  const chain = new ChainBuilder(net)
  const agents = [new TestAgent('a'), new TestAgent('b'), new TestAgent('c')]
  for (let h = 0; h < blocks; h++) {
    const entries = Array.from({ length: perBlock }, (_, i) => {
      const agent = agents[(h + i) % agents.length]!
      return agent.entry(net.genesis.chainId, i % 2 === 0 ? 'team/plans' : 'team/reviews', { h, i })
    })
    chain.add(entries, h % 3 !== 1) // every third block without its own certificate
  }
  return { chain, agents }
}

export function storeComplianceSuite(name: string, fixture: StoreFixture): void {
  describe(`Store compliance: ${name}`, () => {
    const net = testNet(4, 'store-test')

    it('starts at the genesis block', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const g = genesisBlock(net.genesis)
      expect(store.head.height).toBe(0)
      expect(toHex(store.head.hash)).toBe(toHex(blockHash(g.header)))
      expect(store.head.logSize).toBe(0)
      const parts = await store.restoreParts(100)
      expect(parts.safety).toBeNull()
      expect(parts.committedHead.header.height).toBe(0)
      expect(parts.pendingBlocks).toEqual([])
      await store.close()
    })

    it('commits blocks with every index, proof and receipt', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const { chain, agents } = buildChain(net, 6, 5)
      // Two commits: heights 1-2, then 3-6.
      await store.commit(commitOf(chain, 0, 2))
      expect(store.head.height).toBe(2)
      await store.commit(commitOf(chain, 2, 6))
      expect(store.head).toMatchObject({ height: 6, logSize: 30 })
      expect(toHex(store.head.logRoot)).toBe(toHex(chain.accumulator.root()))

      // Blocks by height and hash.
      for (let h = 1; h <= 6; h++) {
        const block = (await store.blockAt(h))!
        expect(toHex(blockHash(block.header))).toBe(toHex(blockHash(chain.items[h - 1]!.block.header)))
        expect(block.entries.map((e) => toHex(entryId(e)))).toEqual(chain.items[h - 1]!.block.entries.map((e) => toHex(entryId(e))))
        expect(await store.heightOf(blockHash(block.header))).toBe(h)
      }
      expect(await store.blockAt(7)).toBeUndefined()

      // Entries by id and index, with their position.
      const all = chain.items.flatMap((i) => i.block.entries)
      for (let index = 0; index < all.length; index += 7) {
        const id = entryId(all[index]!)
        const stored = (await store.entryById(id))!
        expect(stored).toMatchObject({ index, height: Math.floor(index / 5) + 1, position: index % 5 })
        expect((await store.entryAt(index))!.id).toEqual(id)
      }
      expect(await store.entryById(new Uint8Array(32))).toBeUndefined()
      expect(await store.entryAt(30)).toBeUndefined()

      // Paged scans, in log order.
      const page1 = await store.entries({ fromIndex: 0, limit: 12 })
      const page2 = await store.entries({ fromIndex: 12, limit: 100 })
      expect([...page1, ...page2].map((e) => e.index)).toEqual(Array.from({ length: 30 }, (_, i) => i))
      const plans = await store.entriesByNamespace('team/plans', { fromIndex: 0, limit: 100 })
      expect(plans.every((e) => e.entry.namespace === 'team/plans')).toBe(true)
      expect(plans.length).toBe(all.filter((e) => e.namespace === 'team/plans').length)
      expect(plans.map((e) => e.index)).toEqual([...plans.map((e) => e.index)].sort((a, b) => a - b))
      const byA = await store.entriesByAgent(agents[0]!.publicKey, { fromIndex: 5, toIndex: 20, limit: 3 })
      expect(byA.length).toBe(3)
      expect(byA.every((e) => bytesEqual(e.entry.agent, agents[0]!.publicKey) && e.index >= 5 && e.index < 20)).toBe(true)
      expect(await store.entriesByNamespace('team/plan', { fromIndex: 0, limit: 100 })).toEqual([])

      // Agent seqs: the highest committed one.
      for (const agent of agents) {
        const mine = all.filter((e) => bytesEqual(e.agent, agent.publicKey))
        expect(await store.agentSeq(agent.publicKey)).toBe(Math.max(...mine.map((e) => e.seq)))
      }

      // Proofs match the reference generators, and verify.
      const leaves = all.map((e) => leafHash(encodeEntry(e)))
      for (const [index, size] of [[0, 1], [0, 30], [29, 30], [13, 17], [16, 17], [5, 8]] as const) {
        const proof = await store.inclusionProof(index, size)
        expect(proof.map(toHex)).toEqual(inclusionProof(index, size, (i) => leaves[i]!).map(toHex))
      }
      for (const [a, b] of [[1, 30], [8, 16], [7, 30], [30, 30], [0, 5], [13, 29]] as const) {
        const proof = await store.consistencyProof(a, b)
        expect(proof.map(toHex)).toEqual(consistencyProof(a, b, (i) => leaves[i]!).map(toHex))
      }
      await expect(store.consistencyProof(1, 31)).rejects.toMatchObject({ name: 'StoreError', code: 'out-of-range' })

      // Receipts use the first certificate at or above the entry's height. Only the
      // commits' last blocks (2: none, 6) came with one; block 3's arrives later.
      const inBlock2 = entryId(chain.items[1]!.block.entries[0]!)
      expect((await store.receipt(inBlock2))!.checkpoint.height).toBe(6)
      await store.saveCommitCertificate(chain.items[2]!.cc!)
      const receipt = (await store.receipt(inBlock2))!
      expect(receipt.checkpoint.height).toBe(3)
      expect(verifyInclusion(leafHash(encodeEntry(receipt.entry)), receipt.index, receipt.checkpoint.logSize, receipt.proof, receipt.checkpoint.logRoot)).toBe(true)
      const cc6 = await store.latestCommitCertificate()
      expect(cc6!.height).toBe(6)
      const a8 = await store.accumulatorAt(2)
      expect(a8!.size).toBe(10)
      const c = await store.consistencyProof(10, 30)
      const root10 = (await store.blockAt(2))!.header.logRoot
      expect(verifyConsistency(10, 30, root10, store.head.logRoot, c)).toBe(true)
      await store.close()
    })

    it('serves the tiles and entry bundles of the committed tree, which fold to the certified root', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const { chain } = buildChain(net, 6, 50) // 300 entries: a full level-0 tile and a partial one
      await store.commit(commitOf(chain, 0, 6))
      const cc = chain.items[5]!.cc!
      const entries = chain.items.flatMap((i) => i.block.entries.map((e) => encodeEntry(e)))
      expect((await store.entryEncodings(250, 50)).map(toHex)).toEqual(entries.slice(250).map(toHex))
      const leaves = entries.map(leafHash)
      expect((await store.subtreeHashes(8, 0, 1)).map(toHex)).toEqual([toHex(merkleRoot(leaves.slice(0, 256)))])
      const read = async (level: number, index: number, width: number) => store.subtreeHashes(8 * level, index * 256, width)
      const tiles = new Map<string, Uint8Array[]>()
      for (const [level, index, width] of [[0, 0, 256], [0, 1, 44], [1, 0, 1]] as const) tiles.set(`${level}/${index}`, await read(level, index, width))
      expect(toHex(rootFromTiles(300, (level, index) => tiles.get(`${level}/${index}`)!)!)).toBe(toHex(cc.logRoot))
      await expect(store.subtreeHashes(0, 299, 2)).rejects.toMatchObject({ code: 'out-of-range' })
      await expect(store.subtreeHashes(8, 1, 1)).rejects.toMatchObject({ code: 'out-of-range' })
      await expect(store.entryEncodings(300, 1)).rejects.toMatchObject({ code: 'out-of-range' })
      await store.close()
    })

    it('refuses a commit that does not extend the head, and leaves the store unchanged', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const { chain } = buildChain(net, 3, 2)
      await expect(store.commit(commitOf(chain, 1, 3))).rejects.toMatchObject({ name: 'StoreError', code: 'bad-commit' })
      expect(store.head.height).toBe(0)
      const good = commitOf(chain, 0, 3)
      const forged = { ...good, log: { size: 6, frontier: good.log.frontier.map(() => new Uint8Array(32)) } }
      await expect(store.commit(forged)).rejects.toMatchObject({ code: 'bad-commit' })
      expect(store.head.height).toBe(0)
      expect(await store.entryAt(0)).toBeUndefined()
      await store.commit(good)
      // Repeating an already committed block is harmless.
      await store.commit(good)
      expect(store.head.height).toBe(3)
      await store.close()
    })

    it('keeps commit certificates that arrive later', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const { chain } = buildChain(net, 3, 1)
      await store.commit({ ...commitOf(chain, 0, 3), cc: null })
      const id = entryId(chain.items[0]!.block.entries[0]!)
      expect(await store.receipt(id)).toBeNull()
      await store.saveCommitCertificate(chain.items[2]!.cc!)
      expect((await store.receipt(id))!.checkpoint.height).toBe(3)
      await store.saveCommitCertificate(chain.items[0]!.cc!)
      expect((await store.receipt(id))!.checkpoint.height).toBe(1)
      await expect(store.saveCommitCertificate({ ...chain.items[0]!.cc!, height: 9 })).rejects.toMatchObject({ code: 'out-of-range' })
      await store.close()
    })

    it('persists the safety state and pending blocks, and prunes them on commit', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const { chain } = buildChain(net, 3, 1)
      const blocks: Block[] = chain.items.map((i) => i.block)
      await store.persist({ safety: Uint8Array.of(1, 2, 3), blocks: blocks.map((block) => ({ hash: blockHash(block.header), block })) })
      expect(toHex((await store.pendingBlock(blockHash(blocks[1]!.header)))!.header.parent)).toBe(toHex(blockHash(blocks[0]!.header)))
      let parts = await store.restoreParts(100)
      expect(parts.safety).toEqual(Uint8Array.of(1, 2, 3))
      expect(parts.pendingBlocks.map((b) => b.header.height)).toEqual([1, 2, 3])
      await store.commit(commitOf(chain, 0, 2))
      parts = await store.restoreParts(100)
      expect(parts.pendingBlocks.map((b) => b.header.height)).toEqual([3])
      expect(await store.pendingBlock(blockHash(blocks[0]!.header))).toBeUndefined()
      expect(parts.committedHead.header.height).toBe(2)
      expect(parts.committedLog.size).toBe(2)
      expect([...parts.agentSeqs.values()].every((s) => s >= 1)).toBe(true)
      await store.close()
    })

    it('writes a persist given with a commit in its batch, leaving out the blocks it commits', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const { chain } = buildChain(net, 3, 1)
      const blocks: Block[] = chain.items.map((i) => i.block)
      await store.commit(commitOf(chain, 0, 2), { safety: Uint8Array.of(4, 2), blocks: blocks.map((block) => ({ hash: blockHash(block.header), block })) })
      expect(store.head.height).toBe(2)
      const parts = await store.restoreParts(100)
      expect(parts.safety).toEqual(Uint8Array.of(4, 2))
      expect(parts.pendingBlocks.map((b) => b.header.height)).toEqual([3])
      expect(await store.pendingBlock(blockHash(blocks[1]!.header))).toBeUndefined()
      // Pruned by the commit that passes it, like any pending block.
      await store.commit(commitOf(chain, 2, 3))
      expect((await store.restoreParts(100)).pendingBlocks).toEqual([])
      await store.close()
    })

    it('prunes a pending block persisted while a commit past its height was being written, at the next commit', async () => {
      const store = await fixture.create()
      await store.open(net.genesis)
      const { chain } = buildChain(net, 4, 1)
      const blocks: Block[] = chain.items.map((i) => i.block)
      const late = blocks[1]!
      // Asked for before the commit lands: the head is still 0, so the store takes it.
      const committing = store.commit(commitOf(chain, 0, 2))
      const persisting = store.persist({ blocks: [{ hash: blockHash(late.header), block: late }] })
      await Promise.all([committing, persisting])
      expect(store.head.height).toBe(2)
      expect(await store.pendingBlock(blockHash(late.header))).toBeDefined()
      await store.commit(commitOf(chain, 2, 3))
      expect(await store.pendingBlock(blockHash(late.header))).toBeUndefined()
      expect((await store.restoreParts(100)).pendingBlocks).toEqual([])
      await store.close()
    })

    if (fixture.reopen !== null) {
      it('prunes pending blocks and forks written before a restart at the commit that passes them', async () => {
        let store = await fixture.create()
        await store.open(net.genesis)
        const { chain } = buildChain(net, 3, 1)
        const blocks: Block[] = chain.items.map((i) => i.block)
        // A fork at height 2: another block on the same parent.
        const fork = new ChainBuilder(net)
        fork.add(blocks[0]!.entries)
        const forkBlock = fork.add([new TestAgent('fork').entry(net.genesis.chainId, 'team/plans', { fork: true })])
        expect(forkBlock.header.height).toBe(2)
        const all = [...blocks, forkBlock]
        await store.persist({ safety: Uint8Array.of(7), blocks: all.map((block) => ({ hash: blockHash(block.header), block })) })
        await store.close()
        store = await fixture.reopen!(store)
        await store.open(net.genesis)
        expect((await store.restoreParts(100)).pendingBlocks.map((b) => b.header.height).sort()).toEqual([1, 2, 2, 3])
        await store.commit(commitOf(chain, 0, 2))
        for (const gone of [blocks[0]!, blocks[1]!, forkBlock]) expect(await store.pendingBlock(blockHash(gone.header))).toBeUndefined()
        expect(await store.pendingBlock(blockHash(blocks[2]!.header))).toBeDefined()
        await store.close()
        store = await fixture.reopen!(store)
        await store.open(net.genesis)
        expect((await store.restoreParts(100)).pendingBlocks.map((b) => b.header.height)).toEqual([3])
        await store.commit(commitOf(chain, 2, 3))
        expect((await store.restoreParts(100)).pendingBlocks).toEqual([])
        await store.close()
      })
    }

    it('keeps sidecars beside the log and deletes them in the commit of their erase, for good', async () => {
      let store = await fixture.create()
      const governed = testNet(4, 'store-sealed', { policy: { open: true, namespaces: {} } })
      const chainId = governed.genesis.chainId
      await store.open(governed.genesis)
      const author = new TestAgent('sealed-author')
      const stranger = new TestAgent('sealed-stranger')
      const f1 = sealFixture('store/1', '{"a":1}')
      const f2 = sealFixture('store/2', '{"b":2}')
      const s1 = sealedEntry(author, chainId, 'org/notes', f1)
      const s2 = sealedEntry(author, chainId, 'org/notes', f2)
      const chain = new ChainBuilder(governed)
      chain.add([s1, s2])
      await store.commit(commitOf(chain, 0, 1))
      const id1 = entryId(s1)
      const id2 = entryId(s2)
      expect(await store.sidecar(id1)).toEqual({ status: 'missing' })
      // Both committed sealed entries are wanted (sidecar replication), in id order.
      const hexes = (ids: Uint8Array[]): string[] => ids.map(toHex)
      expect(hexes(await store.wantedSidecars(null, 10))).toEqual([toHex(id1), toHex(id2)].sort())
      expect(await store.putSidecar(id1, { blob: f1.blob, key: null })).toBe('stored')
      expect(hexes(await store.wantedSidecars(null, 10))).toEqual([toHex(id2)])
      expect(await store.putSidecar(id1, { blob: f1.blob, key: null })).toBe('duplicate')
      // A sidecar with the key replaces one without; not the other way round.
      expect(await store.putSidecar(id1, { blob: f1.blob, key: f1.key })).toBe('stored')
      expect(await store.putSidecar(id1, { blob: f1.blob, key: null })).toBe('duplicate')
      expect(await store.putSidecar(id2, { blob: f2.blob, key: f2.key })).toBe('stored')
      expect(await store.sidecar(id1)).toEqual({ status: 'stored', sidecar: { blob: f1.blob, key: f1.key } })
      const root = toHex(store.head.logRoot)

      // An erase by a stranger in an open namespace is ignored; the author's erases s1.
      const ignored = eraseEntry(stranger, chainId, 'org/notes', s2)
      const erase = eraseEntry(author, chainId, 'org/notes', s1)
      chain.add([ignored, erase])
      await store.commit(commitOf(chain, 1, 2))
      expect(await store.sidecar(id1)).toEqual({ status: 'erased', erase: entryId(erase), expiredAt: null })
      expect((await store.sidecar(id2)).status).toBe('stored')
      expect(await store.putSidecar(id1, { blob: f1.blob, key: f1.key })).toBe('erased')
      // The log is untouched: the sealed entry, its receipt and the root before the erase.
      expect(toHex((await store.entryById(id1))!.id)).toBe(toHex(id1))
      expect(await store.receipt(id1)).not.toBeNull()
      expect(toHex((await store.headerAt(1))!.logRoot)).toBe(root)

      // A sealed entry and its erase in one commit: nothing to delete, the tombstone stays.
      const f3 = sealFixture('store/3', '{"c":3}')
      const s3 = sealedEntry(author, chainId, 'org/notes', f3)
      chain.add([s3])
      chain.add([eraseEntry(author, chainId, 'org/notes', s3)])
      await store.commit(commitOf(chain, 2, 4))
      expect((await store.sidecar(entryId(s3))).status).toBe('erased')
      expect(await store.putSidecar(entryId(s3), { blob: f3.blob, key: null })).toBe('erased')
      // Kept or erased: nothing is wanted (s3 was marked and unmarked in one batch).
      expect(await store.wantedSidecars(null, 10)).toEqual([])
      const f4 = sealFixture('store/4', '{"d":4}')
      const s4 = sealedEntry(author, chainId, 'org/notes', f4)
      chain.add([s4])
      await store.commit(commitOf(chain, 4, 5))
      if (fixture.reopen !== null) {
        await store.close()
        store = await fixture.reopen(store)
        await store.open(governed.genesis)
        expect((await store.sidecar(id1)).status).toBe('erased')
        expect(await store.putSidecar(id1, { blob: f1.blob, key: null })).toBe('erased')
        expect(await store.sidecar(id2)).toEqual({ status: 'stored', sidecar: { blob: f2.blob, key: f2.key } })
      }
      expect(hexes(await store.wantedSidecars(null, 10))).toEqual([toHex(entryId(s4))])
      await store.close()
    })

    if (fixture.reopen !== null) {
      it('survives close and reopen with everything in place', async () => {
        let store = await fixture.create()
        await store.open(net.genesis)
        const { chain } = buildChain(net, 4, 3)
        await store.commit(commitOf(chain, 0, 4))
        await store.persist({ safety: Uint8Array.of(9) })
        const root = toHex(store.head.logRoot)
        await store.close()
        store = await fixture.reopen!(store)
        await store.open(net.genesis)
        expect(store.head.height).toBe(4)
        expect(toHex(store.head.logRoot)).toBe(root)
        expect((await store.restoreParts(10)).safety).toEqual(Uint8Array.of(9))
        const other = testNet(4, 'another-chain')
        await store.close()
        store = await fixture.reopen!(store)
        await expect(store.open(other.genesis)).rejects.toMatchObject({ name: 'StoreError', code: 'wrong-genesis' })
      })
    }
  })
}
