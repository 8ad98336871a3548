// Serves the consensus core's sync requests from the chain store. The core's
// serveSyncRequest (src/consensus/sync.ts) reads a synchronous SyncStore; the chain
// store is asynchronous, so the blocks and certificates it may read are fetched first,
// with the same count and byte bounds, into a snapshot it then reads.
import { encodedBlockLength, type Block } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { SYNC_BLOCKS_WIRE_MAX } from '../../src/consensus/messages.ts'
import { SYNC_RESPONSE_BYTES_MAX } from '../../src/consensus/replica-limits.ts'
import { serveSyncRequest, type SyncStore } from '../../src/consensus/sync.ts'
import type { BlockResponse, RangeResponse, SyncRequest } from '../../src/consensus/types.ts'
import type { Store } from '../store/store.ts'

export async function answerSyncRequest(request: SyncRequest, store: Store): Promise<BlockResponse | RangeResponse | null> {
  const byHash = new Map<string, Block>()
  const byHeight = new Map<number, Block>()
  const certificates = new Map<number, CommitCertificate>()
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
      if (bytes > SYNC_RESPONSE_BYTES_MAX || block.header.height <= 1) break
      hash = block.header.parent
    }
  } else {
    const top = Math.min(committedHeight, request.fromHeight + SYNC_BLOCKS_WIRE_MAX - 1)
    let bytes = 0
    for (let height = request.fromHeight; height <= top; height++) {
      const block = await store.blockAt(height)
      if (block === undefined) break
      byHeight.set(height, block)
      const cc = await store.commitCertificate(height)
      if (cc !== undefined) certificates.set(height, cc)
      bytes += encodedBlockLength(block)
      if (bytes > SYNC_RESPONSE_BYTES_MAX) break
      if (cc !== undefined && height >= request.toHeight) break
    }
  }
  const snapshot: SyncStore = {
    blockByHash: (hash) => byHash.get(toHex(hash)),
    committedBlock: (height) => byHeight.get(height),
    commitCertificate: (height) => certificates.get(height),
    committedHeight: () => committedHeight,
  }
  return serveSyncRequest(request, snapshot)
}
