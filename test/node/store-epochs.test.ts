// The chain store's share of epoch changes (docs/protocol.md, "The replica at the
// boundary", steps 1 and 3 in the daemon): the epoch position after the head (restored
// for the replica at a restart, stepped with every commit) and the boundary certificates
// the replica hands over, kept durably and served at the end of a range.
import { describe, expect, it } from 'vitest'
import { serveSyncRequest, type SyncStore } from '../../src/consensus/sync.ts'
import { syncResponseBytesMax } from '../../src/consensus/replica-limits.ts'
import type { BoundaryCertificate } from '../../src/consensus/types.ts'
import { blockHash } from '../../src/log/block.ts'
import { positionAfterBlocks, replayBlocks, type EpochPosition } from '../../src/log/epochs.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'
import { entryId } from '../../src/log/entry.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { leafHash, MerkleAccumulator, type MerkleAccumulatorState } from '../../src/log/merkle.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { ChainStore, StoreError } from '../../node/store/index.ts'
import { MemoryKv } from '../../node/store/kv.ts'
import { keys } from '../../node/store/keys.ts'
import { checkStoreContents } from '../../node/store/store-check.ts'
import { encodeStoredBoundary } from '../../node/store/store-records.ts'
import { answerSyncRequest } from '../../node/runtime/sync-server.ts'
import { chainItemOf } from '../../node/runtime/chain-item.ts'
import { runAudit } from '../../audit/run-audit.ts'
import { chunked, exportBytes } from '../support/export-file.ts'
import { restoreReplicaState } from '../../node/runtime/restore.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { EpochChainBuilder, seedsFor, validatorsOf } from '../support/epoch-chain.ts'

const CHAIN = 'store-epochs'

/** 4 validators -> 5 (one joins) -> 4 (a genesis validator leaves), the second change's
 * boundary certified through two suffix blocks (links), entries in every epoch. */
function epochChain(): EpochChainBuilder {
  const b = new EpochChainBuilder(testNet(4, CHAIN))
  const user = new TestAgent(`${CHAIN}/user`)
  b.add([user.entry(CHAIN, 'app/log', { epoch: 0 })])
  const five = [...b.current.seeds, ...seedsFor(`${CHAIN}/joiner`, 1)]
  const fiveValidators = validatorsOf(five, 'org')
  const change = b.reconfiguration(fiveValidators)
  b.add([change], {}, { seeds: five, validators: fiveValidators, entry: change })
  b.add([user.entry(CHAIN, 'app/log', { epoch: 1 })])
  b.reconfigure(five.slice(1), 'org', [], 2)
  b.add([user.entry(CHAIN, 'app/log', { epoch: 2 })])
  b.add([])
  return b
}

function summary(p: EpochPosition): unknown {
  return { epoch: p.epoch.number, set: toHex(p.epoch.setHash), ending: p.ending === null ? null : { height: p.ending.height, next: p.ending.next.number, set: toHex(p.ending.next.setHash) } }
}

/** The boundary certificates of the chain's reconfiguration blocks, by height. */
function boundaries(b: EpochChainBuilder): Map<number, BoundaryCertificate> {
  const out = new Map<number, BoundaryCertificate>()
  for (const epoch of b.epochs.slice(1)) {
    const item = b.items[epoch.firstHeight - 2]!
    out.set(epoch.firstHeight - 1, { cc: item.cc!, links: item.links ?? [] })
  }
  return out
}

/** The log state after each block (index height - 1). */
function logStates(b: EpochChainBuilder): MerkleAccumulatorState[] {
  const log = new MerkleAccumulator()
  return b.items.map((item) => {
    for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
    return log.toState()
  })
}

async function commitAll(store: ChainStore, b: EpochChainBuilder, each?: (height: number) => Promise<void>): Promise<void> {
  const log = logStates(b)
  for (const item of b.items) {
    const height = item.block.header.height
    // The certificate of a record with links is for a suffix block: not this block's.
    const cc = item.links === undefined ? item.cc ?? null : null
    await store.commit({ blocks: [item.block], hashes: [blockHash(item.block.header)], qc: null, cc, log: log[height - 1]! })
    await each?.(height)
  }
}

describe('the chain store across epoch changes', () => {
  it('steps the epoch position and the validator directory with every commit, equal to a replay of the blocks, and a reopened store replays them from the log', async () => {
    const b = epochChain()
    const kv = new MemoryKv()
    const store = new ChainStore(kv)
    await store.open(b.net.genesis)
    expect(summary(await store.epochPosition())).toEqual(summary(positionAfterBlocks(b.net.genesis, [])))
    await commitAll(store, b, async (height) => {
      const blocks = b.items.slice(0, height).map((i) => i.block)
      expect(summary(await store.epochPosition())).toEqual(summary(positionAfterBlocks(b.net.genesis, blocks)))
      expect((await store.validatorDirectory()).map(toHex)).toEqual(replayBlocks(b.net.genesis, blocks).directory.keys.map(toHex))
    })
    // 4 genesis keys and the joiner: the leaver keeps its index.
    expect(await store.validatorDirectory()).toHaveLength(5)
    const last = summary(await store.epochPosition()) as { epoch: number }
    expect(last.epoch).toBe(2)
    await store.close()
    // Reopened over the same data: replayed from the log (the head is in epoch 2).
    const reopened = new ChainStore(kv)
    await reopened.open(b.net.genesis)
    expect(summary(await reopened.epochPosition())).toEqual(last)
    const restored = await restoreReplicaState(reopened, b.net.genesis, 64)
    expect(summary(restored!.position!)).toEqual(last)
    expect(restored!.directory!.map(toHex)).toEqual(replayBlocks(b.net.genesis, b.items.map((i) => i.block)).directory.keys.map(toHex))
    await reopened.close()
  })

  it('a head still in epoch 0 gets its position from the head block alone, also when that block ends the epoch', async () => {
    const b = epochChain()
    const reconfigurationHeight = b.epochs[1]!.firstHeight - 1
    for (const upTo of [1, reconfigurationHeight]) {
      const kv = new MemoryKv()
      const store = new ChainStore(kv)
      await store.open(b.net.genesis)
      const log = logStates(b)
      for (const item of b.items.slice(0, upTo)) {
        await store.commit({ blocks: [item.block], hashes: [blockHash(item.block.header)], qc: null, cc: item.links === undefined ? item.cc ?? null : null, log: log[item.block.header.height - 1]! })
      }
      await store.close()
      const reopened = new ChainStore(kv)
      await reopened.open(b.net.genesis)
      const position = await reopened.epochPosition()
      expect(summary(position)).toEqual(summary(positionAfterBlocks(b.net.genesis, b.items.slice(0, upTo).map((i) => i.block))))
      expect(position.ending === null).toBe(upTo !== reconfigurationHeight)
      await reopened.close()
    }
  })

  it('keeps the shortest boundary certificate of a committed reconfiguration block, refuses one for another block, and lists them after a reopen', async () => {
    const b = epochChain()
    const kv = new MemoryKv()
    const store = new ChainStore(kv)
    await store.open(b.net.genesis)
    await commitAll(store, b)
    const wanted = boundaries(b)
    const [first, second] = [...wanted.keys()]
    expect(wanted.get(second!)!.links.length).toBe(2)
    for (const [height, boundary] of wanted) expect(await store.saveBoundaryCertificate(height, boundary)).toBe('stored')
    for (const [height, boundary] of wanted) expect(await store.saveBoundaryCertificate(height, boundary)).toBe('kept')
    // The certificate of the second boundary is not one for the first reconfiguration block.
    await expect(store.saveBoundaryCertificate(first!, wanted.get(second!)!)).rejects.toSatisfy((e) => e instanceof StoreError && e.code === 'bad-commit')
    await expect(store.saveBoundaryCertificate(b.items.length + 1, wanted.get(first!)!)).rejects.toSatisfy((e) => e instanceof StoreError && e.code === 'out-of-range')
    expect(await store.boundaryCertificateAt(first! + 1)).toBeUndefined()
    await store.close()
    const reopened = new ChainStore(kv)
    await reopened.open(b.net.genesis)
    expect(reopened.boundaryHeights()).toEqual([first, second])
    for (const [height, boundary] of wanted) expect(await reopened.boundaryCertificateAt(height)).toEqual(boundary)
    await reopened.close()
    // The store check knows the rows: clean as written, then each damage named.
    await kv.open()
    for (const mode of ['quick', 'full'] as const) expect((await checkStoreContents(kv, mode)).findings).toEqual([])
    await kv.write([{ type: 'put', key: keys.boundary(first!), value: encodeStoredBoundary(wanted.get(second!)!) }], true)
    expect((await checkStoreContents(kv, 'quick')).findings.map((f) => f.code)).toEqual(['certificate-mismatch'])
    await kv.write([{ type: 'put', key: keys.boundary(first!), value: Uint8Array.of(0x82, 0x01) }], true)
    expect((await checkStoreContents(kv, 'quick')).findings.map((f) => f.code)).toEqual(['certificate-corrupt'])
    await kv.write([{ type: 'put', key: keys.boundary(first!), value: encodeStoredBoundary(wanted.get(first!)!) }, { type: 'put', key: keys.boundary(b.items.length + 3), value: encodeStoredBoundary(wanted.get(first!)!) }], true)
    expect((await checkStoreContents(kv, 'quick')).findings.map((f) => f.code)).toEqual(['certificate-extra'])
  })

  it('serves a range that crosses an epoch change ending at the reconfiguration block with its boundary certificate, as serveSyncRequest over the whole chain does', async () => {
    const b = epochChain()
    const store = new ChainStore(new MemoryKv())
    await store.open(b.net.genesis)
    await commitAll(store, b)
    const wanted = boundaries(b)
    for (const [height, boundary] of wanted) await store.saveBoundaryCertificate(height, boundary)
    const blocks = b.items.map((i) => i.block)
    const whole: SyncStore = {
      blockByHash: () => undefined,
      committedBlock: (h) => blocks[h - 1],
      committedHeader: (h) => blocks[h - 1]?.header,
      commitCertificate: (h) => (b.items[h - 1]?.links === undefined ? b.items[h - 1]?.cc ?? undefined : undefined),
      committedHeight: () => blocks.length,
      boundaryCertificate: (h) => wanted.get(h),
    }
    const bytesMax = syncResponseBytesMax(DEFAULT_PARAMS.blockBytesMax)
    const [first, second] = [...wanted.keys()]
    for (let from = 1; from <= blocks.length; from++) {
      const request = { type: 'range-request', fromHeight: from, toHeight: blocks.length } as const
      const answer = await answerSyncRequest(request, store, bytesMax)
      expect(answer).toEqual(serveSyncRequest(request, whole, bytesMax))
      if (answer?.type !== 'range-response') throw new Error(`expected a range response from ${from}`)
      const end = from <= first! ? first! : from <= second! ? second! : null
      if (end === null) continue
      expect(answer.blocks.at(-1)!.header.height).toBe(end)
      expect(answer.cc).toEqual(wanted.get(end)!.cc)
      expect(answer.links).toEqual(wanted.get(end)!.links)
    }
    await store.close()
  })

  it('answers receipts of a later epoch with their epoch changes, which verify from the genesis alone; none without the boundary certificates', async () => {
    const b = epochChain()
    const store = new ChainStore(new MemoryKv())
    await store.open(b.net.genesis)
    await commitAll(store, b)
    const epochOfEntry = (index: number) => b.epochOfHeight(b.items.find((i) => i.block.header.logSize > index)!.block.header.height).number
    // Before the boundary certificates are kept: epoch-0 receipts only (a receipt of a
    // later epoch without its epoch changes would not verify).
    let epochZero = 0
    for (let index = 0; index < b.entries.length; index++) {
      const receipt = await store.receipt(entryId(b.entries[index]!))
      if (receipt === null) continue
      expect(b.items[receipt.checkpoint.height - 1]!.block.header.epoch ?? 0).toBe(0)
      expect(verifyReceipt(receipt, b.net.genesis)).toEqual({ ok: true })
      epochZero += 1
    }
    expect(epochZero).toBe(b.epochs[1]!.changeIndex + 1)
    for (const [height, boundary] of boundaries(b)) await store.saveBoundaryCertificate(height, boundary)
    const seen = new Set<number>()
    for (let index = 0; index < b.entries.length; index++) {
      const receipt = await store.receipt(entryId(b.entries[index]!))
      if (receipt === null) throw new Error(`no receipt for entry ${index}`)
      const verdict = verifyReceipt(receipt, b.net.genesis)
      expect(verdict, `entry ${index}`).toEqual({ ok: true })
      const checkpointEpoch = b.items[receipt.checkpoint.height - 1]!.block.header.epoch ?? 0
      expect(checkpointEpoch).toBeGreaterThanOrEqual(epochOfEntry(index))
      expect(receipt.epochs?.length ?? 0).toBe(checkpointEpoch)
      seen.add(checkpointEpoch)
    }
    expect([...seen].sort()).toEqual([0, 1, 2])
    await store.close()
  })

  it('exports the chain with each reconfiguration block\'s boundary certificate, and the full audit passes across both epoch changes', async () => {
    const b = epochChain()
    const store = new ChainStore(new MemoryKv())
    await store.open(b.net.genesis)
    await commitAll(store, b)
    const exportOf = async () => {
      const items = []
      for (let h = 1; h <= store.head.height; h++) items.push(await chainItemOf(store, (await store.blockAt(h))!))
      return runAudit(chunked(exportBytes(b.net.genesis, items)), { genesis: b.net.genesis })
    }
    // Without the boundary certificates the export cannot cross the second change
    // (its reconfiguration block has no certificate of its own).
    const before = await exportOf()
    expect(before.ok).toBe(false)
    expect(before.failure).toMatchObject({ code: 'missing-boundary-certificate' })
    for (const [height, boundary] of boundaries(b)) await store.saveBoundaryCertificate(height, boundary)
    const report = await exportOf()
    expect(report.failure).toBeNull()
    expect(report.ok).toBe(true)
    expect(report.epochs.map((e) => e.validators)).toEqual([4, 5, 4])
    await store.close()
  })
})
