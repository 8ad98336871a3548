// The node's sync server (node/runtime/sync-server.ts) over the memory store: it fetches
// what serveSyncRequest reads, so it must answer exactly as serveSyncRequest over the
// whole chain does, for blocks far over the response budget's target (issue 11, defect 2).
import { describe, expect, it } from 'vitest'
import { serveSyncRequest, type SyncStore } from '../../src/consensus/sync.ts'
import { syncResponseBytesMax, SYNC_RESPONSE_BYTES_TARGET } from '../../src/consensus/replica-limits.ts'
import type { RangeResponse } from '../../src/consensus/types.ts'
import { blockHash, encodedBlockLength } from '../../src/log/block.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { answerSyncRequest } from '../../node/runtime/sync-server.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

const HEIGHTS = 12

describe('the node sync server', () => {
  it('regression: answers a range of blocks bigger than 1 MiB with one whole block at least and a proof for its last block, as serveSyncRequest does', async () => {
    const net = testNet(4, 'sync-server-test', { params: { ...DEFAULT_PARAMS, payloadBytesMax: 64 * 1024 } })
    const chain = new ChainBuilder(net)
    const agent = new TestAgent('sync-server')
    // Blocks of ~1.2 MiB (20 entries of 60 KiB); a certificate every fourth height only.
    for (let h = 1; h <= HEIGHTS; h++) {
      chain.add(Array.from({ length: 20 }, (_, i) => agent.entry(net.genesis.chainId, 'test/big', { h, i, pad: 'x'.repeat(60_000) })), h % 4 === 0)
    }
    const blocks = chain.items.map((i) => i.block)
    expect(encodedBlockLength(blocks[0]!)).toBeGreaterThan(SYNC_RESPONSE_BYTES_TARGET)
    const store = new MemoryStore()
    await store.open(net.genesis)
    const log = new MerkleAccumulator()
    for (const item of chain.items) {
      for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
      await store.commit({ blocks: [item.block], hashes: [blockHash(item.block.header)], qc: null, cc: item.cc ?? null, log: log.toState() })
    }
    const whole: SyncStore = {
      blockByHash: () => undefined,
      committedBlock: (h) => blocks[h - 1],
      committedHeader: (h) => blocks[h - 1]?.header,
      commitCertificate: (h) => chain.items[h - 1]?.cc ?? undefined,
      committedHeight: () => HEIGHTS,
    }
    const bytesMax = syncResponseBytesMax(DEFAULT_PARAMS.blockBytesMax)
    for (let from = 1; from <= HEIGHTS + 1; from++) {
      const request = { type: 'range-request', fromHeight: from, toHeight: Math.min(from + 7, HEIGHTS + 5) } as const
      const answer = await answerSyncRequest(request, store, bytesMax)
      expect(answer).toEqual(serveSyncRequest(request, whole, bytesMax))
      if (from > HEIGHTS) {
        expect(answer).toEqual({ type: 'range-empty', fromHeight: from, height: HEIGHTS, cc: chain.items[HEIGHTS - 1]!.cc })
        continue
      }
      const response = answer as RangeResponse
      expect(response.blocks.length).toBeGreaterThanOrEqual(1)
      const lastHeight = response.links.length > 0 ? response.links[response.links.length - 1]!.height : response.blocks[response.blocks.length - 1]!.header.height
      expect(response.cc?.height).toBe(lastHeight)
    }
    await store.close()
  }, 60_000)
})
