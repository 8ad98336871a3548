// Serves the consensus core's sync requests from the chain store. The core's
// serveSyncRequest (src/consensus/sync.ts) reads a synchronous SyncStore; the chain
// store is asynchronous, so the blocks, headers and certificates it may read are fetched
// first, with the same count and byte bounds, into a snapshot it then reads.
import { bytesEqual } from '../../src/codec/cbor.ts'
import { blockHash, encodedBlockLength, type Block, type BlockHeader } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { SYNC_BLOCKS_WIRE_MAX, SYNC_LINKS_MAX } from '../../src/consensus/messages.ts'
import { serveSyncRequest, type SyncStore } from '../../src/consensus/sync.ts'
import type { BlockResponse, BoundaryCertificate, RangeEmpty, RangeResponse, SyncRequest } from '../../src/consensus/types.ts'
import type { Store } from '../store/store.ts'

/** `bytesMax`: syncResponseBytesMax of the chain (src/consensus/replica-limits.ts). */
export async function answerSyncRequest(request: SyncRequest, store: Store, bytesMax: number): Promise<BlockResponse | RangeResponse | RangeEmpty | null> {
  const byHash = new Map<string, Block>()
  const byHeight = new Map<number, Block>()
  const headers = new Map<number, BlockHeader>()
  const certificates = new Map<number, CommitCertificate>()
  const boundaries = new Map<number, BoundaryCertificate>()
  const committedHeight = store.head.height
  if (request.type === 'block-request') {
    let hash = request.block
    let bytes = 0
    const count = Math.min(request.count, SYNC_BLOCKS_WIRE_MAX)
    for (let i = 0; i < count; i++) {
      let block = await store.pendingBlock(hash)
      if (block === undefined) {
        const height = await store.heightOf(hash)
        block = height === undefined ? undefined : await store.blockAt(height)
      }
      if (block === undefined) break
      byHash.set(toHex(hash), block)
      bytes += encodedBlockLength(block)
      if (bytes > bytesMax || block.header.height <= 1) break
      hash = block.header.parent
    }
  } else {
    const top = Math.min(committedHeight, request.toHeight, request.fromHeight + SYNC_BLOCKS_WIRE_MAX - 1)
    let bytes = 0
    let last: Block | null = null
    let lastCertified = false
    for (let height = request.fromHeight; height <= top; height++) {
      const block = await store.blockAt(height)
      if (block === undefined) break
      bytes += encodedBlockLength(block)
      if (bytes > bytesMax && last !== null) break
      byHeight.set(height, block)
      last = block
      const cc = await store.commitCertificate(height)
      if (cc !== undefined) certificates.set(height, cc)
      lastCertified = cc !== undefined && bytesEqual(cc.block, blockHash(block.header))
    }
    // The headers that may link the last block to the next certified height.
    if (last !== null && !lastCertified) {
      for (let height = last.header.height + 1; height <= committedHeight && height <= last.header.height + SYNC_LINKS_MAX; height++) {
        const header = await store.headerAt(height)
        if (header === undefined) break
        headers.set(height, header)
        const cc = await store.commitCertificate(height)
        if (cc !== undefined) {
          certificates.set(height, cc)
          break
        }
      }
    }
    if (committedHeight >= 1) {
      const cc = await store.commitCertificate(committedHeight)
      if (cc !== undefined) certificates.set(committedHeight, cc)
    }
    // A range ends at a reconfiguration block with its boundary certificate (a joining
    // validator verifies the next epoch's blocks against the set it names): the heights
    // that have one are known in memory, so only those are read.
    for (const height of store.boundaryHeights()) {
      if (height < request.fromHeight || height > top) continue
      const boundary = await store.boundaryCertificateAt(height)
      if (boundary !== undefined) boundaries.set(height, boundary)
    }
  }
  const snapshot: SyncStore = {
    blockByHash: (hash) => byHash.get(toHex(hash)),
    committedBlock: (height) => byHeight.get(height),
    committedHeader: (height) => headers.get(height) ?? byHeight.get(height)?.header,
    commitCertificate: (height) => certificates.get(height),
    committedHeight: () => committedHeight,
    boundaryCertificate: (height) => boundaries.get(height),
  }
  return serveSyncRequest(request, snapshot, bytesMax)
}
