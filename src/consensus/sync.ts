// Serving sync requests. The core keeps no committed blocks beyond its head, so it
// hands requests to the driver ('serve-sync' action); both drivers answer them with
// this one pure helper over their store. The answer is plain data: the requester
// verifies everything (hash links, QCs, entries, log roots, the commit certificate).
import { bytesEqual } from '../codec/cbor.ts'
import { blockHash, encodedBlockLength, type Block } from '../log/block.ts'
import type { CommitCertificate } from '../log/certificates.ts'
import type { Hash } from '../log/entry.ts'
import { SYNC_BLOCKS_WIRE_MAX } from './messages.ts'
import { SYNC_RESPONSE_BYTES_MAX } from './replica-limits.ts'
import type { BlockResponse, RangeResponse, SyncRequest } from './types.ts'

/** What a driver's store must offer to serve sync. */
export interface SyncStore {
  /** Any stored block, committed or not. */
  blockByHash(hash: Hash): Block | undefined
  committedBlock(height: number): Block | undefined
  commitCertificate(height: number): CommitCertificate | undefined
  committedHeight(): number
}

/** Answers a request from the store; null when there is nothing to send. */
export function serveSyncRequest(request: SyncRequest, store: SyncStore): BlockResponse | RangeResponse | null {
  if (request.type === 'block-request') {
    const blocks: Block[] = []
    let bytes = 0
    let hash: Hash = request.block
    const count = Math.min(request.count, SYNC_BLOCKS_WIRE_MAX)
    while (blocks.length < count) {
      const block = store.blockByHash(hash)
      if (block === undefined) break
      bytes += encodedBlockLength(block)
      if (bytes > SYNC_RESPONSE_BYTES_MAX && blocks.length > 0) break
      blocks.push(block)
      if (block.header.height <= 1) break
      hash = block.header.parent
    }
    return blocks.length === 0 ? null : { type: 'block-response', blocks }
  }
  // Range: committed blocks from fromHeight, ending at a height with a commit certificate.
  const top = Math.min(store.committedHeight(), request.fromHeight + SYNC_BLOCKS_WIRE_MAX - 1)
  const blocks: Block[] = []
  let bytes = 0
  let lastCertified = -1
  let cc: CommitCertificate | null = null
  for (let height = request.fromHeight; height <= top; height++) {
    const block = store.committedBlock(height)
    if (block === undefined) break
    bytes += encodedBlockLength(block)
    if (bytes > SYNC_RESPONSE_BYTES_MAX && blocks.length > 0) break
    blocks.push(block)
    const certificate = store.commitCertificate(height)
    if (certificate !== undefined && bytesEqual(certificate.block, blockHash(block.header))) {
      lastCertified = blocks.length
      cc = certificate
      if (height >= request.toHeight) break
    }
  }
  if (cc === null) return blocks.length === 0 ? null : { type: 'range-response', blocks, cc: null }
  return { type: 'range-response', blocks: blocks.slice(0, lastCertified), cc }
}
