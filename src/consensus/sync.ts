// Serving sync requests. The core keeps no committed blocks beyond its head, so it
// hands requests to the driver ('serve-sync' action); both drivers answer them with
// this one pure helper over their store. The answer is plain data: the requester
// verifies everything (hash links, QCs, entries, log roots, the commit certificate).
import { assert } from '../assert.ts'
import { bytesEqual } from '../codec/cbor.ts'
import { blockHash, encodedBlockLength, type Block, type BlockHeader } from '../log/block.ts'
import type { CommitCertificate } from '../log/certificates.ts'
import type { Hash } from '../log/entry.ts'
import { LIMITS } from '../limits.ts'
import { SYNC_BLOCKS_WIRE_MAX, SYNC_LINKS_MAX } from './messages.ts'
import { CERTIFICATE_BYTES_MAX, HEADER_BYTES_MAX, SYNC_RESPONSE_BYTES_MAX } from './replica-limits.ts'
import type { BlockResponse, BoundaryCertificate, RangeEmpty, RangeResponse, SyncRequest } from './types.ts'

/** CBOR framing of a range response: a map of four pairs and its arrays' heads. */
const RANGE_RESPONSE_FRAMING_BYTES_MAX = 64 + 2 * 9
// The largest range response (blocks up to the cap, the most linking headers, a commit
// certificate) fits in one message; test/consensus/sync-limits.test.ts measures the bounds.
assert(
  SYNC_RESPONSE_BYTES_MAX + SYNC_LINKS_MAX * HEADER_BYTES_MAX + CERTIFICATE_BYTES_MAX + RANGE_RESPONSE_FRAMING_BYTES_MAX <= LIMITS.messageBytesMax,
  'the largest range response fits in one message',
)
assert(SYNC_LINKS_MAX <= SYNC_BLOCKS_WIRE_MAX, 'the linking headers of a response are within its block count')

/** What a driver's store must offer to serve sync. */
export interface SyncStore {
  /** Any stored block, committed or not. */
  blockByHash(hash: Hash): Block | undefined
  committedBlock(height: number): Block | undefined
  /** The header of a committed block (without reading its entries). */
  committedHeader(height: number): BlockHeader | undefined
  commitCertificate(height: number): CommitCertificate | undefined
  committedHeight(): number
  /** The boundary certificate stored with the committed reconfiguration block at `height`
   * ('store-boundary-certificate'), if that height is one. A store that never held one
   * (no effective reconfiguration) may leave it out. */
  boundaryCertificate?(height: number): BoundaryCertificate | undefined
}

/**
 * Answers a request from the store; null when there is nothing to send (a block request
 * for a block it does not have). A range request always gets an answer: the blocks, or
 * a 'range-empty' when it has committed nothing at fromHeight. `bytesMax` bounds the
 * bytes of blocks after the first (syncResponseBytesMax of the chain: at least its
 * largest block, so every response holds one whole block).
 */
export function serveSyncRequest(request: SyncRequest, store: SyncStore, bytesMax: number = SYNC_RESPONSE_BYTES_MAX): BlockResponse | RangeResponse | RangeEmpty | null {
  if (request.type === 'block-request') {
    const blocks: Block[] = []
    let bytes = 0
    let hash: Hash = request.block
    const count = Math.min(request.count, SYNC_BLOCKS_WIRE_MAX)
    while (blocks.length < count) {
      const block = store.blockByHash(hash)
      if (block === undefined) break
      bytes += encodedBlockLength(block)
      if (bytes > bytesMax && blocks.length > 0) break
      blocks.push(block)
      if (block.header.height <= 1) break
      hash = block.header.parent
    }
    return blocks.length === 0 ? null : { type: 'block-response', blocks }
  }
  return serveRange(request.fromHeight, request.toHeight, store, bytesMax)
}

function serveRange(fromHeight: number, toHeight: number, store: SyncStore, bytesMax: number): RangeResponse | RangeEmpty {
  const committed = store.committedHeight()
  const top = Math.min(committed, toHeight, fromHeight + SYNC_BLOCKS_WIRE_MAX - 1)
  const blocks: Block[] = []
  let bytes = 0
  /** Blocks up to the last one with a stored certificate, and that certificate. */
  let certifiedCount = 0
  let certified: CommitCertificate | null = null
  for (let height = fromHeight; height <= top; height++) {
    const block = store.committedBlock(height)
    if (block === undefined) break
    bytes += encodedBlockLength(block)
    if (bytes > bytesMax && blocks.length > 0) break
    blocks.push(block)
    const hash = blockHash(block.header)
    // An epoch's reconfiguration block ends the response, with its boundary certificate:
    // the blocks after it are checked against the next epoch's set, which the requester
    // learns from this one (docs/protocol.md, "The replica at the boundary").
    const boundary = boundaryFor(store, height, hash)
    if (boundary !== null) return { type: 'range-response', blocks, links: boundary.links, cc: boundary.cc }
    const cc = certificateFor(store, height, hash)
    if (cc !== null) {
      certifiedCount = blocks.length
      certified = cc
    }
  }
  if (blocks.length === 0) {
    return { type: 'range-empty', fromHeight, height: Math.min(committed, fromHeight - 1), cc: certificateAt(store, committed) }
  }
  if (certifiedCount === blocks.length) return { type: 'range-response', blocks, links: [], cc: certified }
  // The last block has no certificate here: link it by headers to the next height that has one.
  const last = blocks[blocks.length - 1]!
  const headers: BlockHeader[] = []
  let parent = blockHash(last.header)
  for (let height = last.header.height + 1; height <= committed && headers.length < SYNC_LINKS_MAX; height++) {
    const header = store.committedHeader(height)
    if (header === undefined || !bytesEqual(header.parent, parent)) break
    headers.push(header)
    parent = blockHash(header)
    const cc = certificateFor(store, height, parent)
    if (cc !== null) return { type: 'range-response', blocks, links: headers, cc }
  }
  // None near enough: end at the last certified block, or (none at all) send the blocks
  // uncertified, for the requester to verify through their QCs.
  if (certified !== null) return { type: 'range-response', blocks: blocks.slice(0, certifiedCount), links: [], cc: certified }
  return { type: 'range-response', blocks, links: [], cc: null }
}

/** The boundary certificate stored with the reconfiguration block at `height` when that
 * block is `hash` and it fits in a response. */
function boundaryFor(store: SyncStore, height: number, hash: Hash): BoundaryCertificate | null {
  const boundary = store.boundaryCertificate?.(height)
  if (boundary === undefined || boundary.links.length > SYNC_LINKS_MAX) return null
  const first = boundary.links[0]
  return bytesEqual(first === undefined ? boundary.cc.block : first.parent, hash) ? boundary : null
}

/** The stored certificate of `height` when it is for `hash`. */
function certificateFor(store: SyncStore, height: number, hash: Hash): CommitCertificate | null {
  const cc = store.commitCertificate(height)
  return cc !== undefined && bytesEqual(cc.block, hash) ? cc : null
}

function certificateAt(store: SyncStore, height: number): CommitCertificate | null {
  return height < 1 ? null : store.commitCertificate(height) ?? null
}
