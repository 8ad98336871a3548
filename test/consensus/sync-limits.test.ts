// The sync response bounds are derived from the block limits (issue 11, defect 2: a
// response capped at 1 MiB could not hold a 2 MiB block with its proof). These tests
// tie the constants together: a change to one that breaks the relation fails here.
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { SYNC_BLOCKS_WIRE_MAX, SYNC_LINKS_MAX } from '../../src/consensus/messages.ts'
import {
  CERTIFICATE_BYTES_MAX, encodedBlockBytesMax, HEADER_BYTES_MAX, SYNC_RESPONSE_BYTES_MAX, SYNC_RESPONSE_BYTES_TARGET, syncResponseBytesMax,
} from '../../src/consensus/replica-limits.ts'
import { LIMITS } from '../../src/limits.ts'
import { encodedBlockLength, headerToCbor, type Block, type BlockHeader } from '../../src/log/block.ts'
import { ccToCbor, type CommitCertificate, type QuorumCertificate } from '../../src/log/certificates.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'

const BIG = 2 ** 52
const hash = new Uint8Array(32).fill(0xee)
const every = Array.from({ length: LIMITS.validatorsMax }, (_, i) => i)
const sigs = every.map(() => new Uint8Array(64).fill(0xaa))

/** A header as large as the hard limits allow: big numbers and a QC signed by every validator. */
const largestHeader: BlockHeader = {
  height: BIG, round: BIG, parent: hash, entriesRoot: hash, entryCount: LIMITS.blockEntriesMax, logSize: BIG, logRoot: hash,
  proposer: LIMITS.validatorsMax - 1,
  justify: { round: BIG, height: BIG, block: hash, signers: bitmapOf(every, LIMITS.validatorsMax), sigs } satisfies QuorumCertificate,
}
const largestCc: CommitCertificate = { height: BIG, block: hash, logSize: BIG, logRoot: hash, signers: bitmapOf(every, LIMITS.validatorsMax), sigs }

describe('sync response limits', () => {
  it('bound the largest header and commit certificate', () => {
    expect(encodeCanonical(headerToCbor(largestHeader)).length).toBeLessThanOrEqual(HEADER_BYTES_MAX)
    expect(encodeCanonical(ccToCbor(largestCc)).length).toBeLessThanOrEqual(CERTIFICATE_BYTES_MAX)
  })

  it('give every chain a response budget of at least its largest block', () => {
    for (const blockBytesMax of [1024, 256 * 1024, DEFAULT_PARAMS.blockBytesMax, LIMITS.blockBytesMax]) {
      expect(syncResponseBytesMax(blockBytesMax)).toBeGreaterThanOrEqual(encodedBlockBytesMax(blockBytesMax))
      expect(syncResponseBytesMax(blockBytesMax)).toBeGreaterThanOrEqual(SYNC_RESPONSE_BYTES_TARGET)
    }
    // The genesis default was the case that broke: 2 MiB blocks, 1 MiB responses.
    expect(syncResponseBytesMax(DEFAULT_PARAMS.blockBytesMax)).toBeGreaterThan(DEFAULT_PARAMS.blockBytesMax)
    expect(SYNC_RESPONSE_BYTES_MAX).toBe(syncResponseBytesMax(LIMITS.blockBytesMax))
  })

  it('fit the largest range response in one message', () => {
    // Blocks up to the budget, the most linking headers, a certificate, and the framing
    // (a map of four pairs, array heads): within the message limit.
    const framing = 64 + 2 * 9
    const largest = SYNC_RESPONSE_BYTES_MAX + SYNC_LINKS_MAX * HEADER_BYTES_MAX + CERTIFICATE_BYTES_MAX + framing
    expect(largest).toBeLessThanOrEqual(LIMITS.messageBytesMax)
    expect(SYNC_LINKS_MAX).toBeLessThanOrEqual(SYNC_BLOCKS_WIRE_MAX)
  })

  it('count a real block within encodedBlockBytesMax of its entry bytes', () => {
    const net = testNet(4, 'sync-limits-test')
    const agent = new TestAgent('sync-limits')
    const entries = Array.from({ length: 40 }, (_, i) => agent.entry(net.genesis.chainId, 'test/limits', { i, pad: 'x'.repeat(50_000) }))
    const block: Block = { header: largestHeader, entries }
    // What block validation counts against blockBytesMax: the entries' encodings.
    const entryBytes = entries.reduce((sum, e) => sum + encodeEntry(e).length, 0)
    expect(encodedBlockLength(block)).toBeLessThanOrEqual(encodedBlockBytesMax(entryBytes))
    expect(encodedBlockLength(block)).toBeGreaterThan(SYNC_RESPONSE_BYTES_TARGET)
  })
})
