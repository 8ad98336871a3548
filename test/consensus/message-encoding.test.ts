import { describe, expect, it } from 'vitest'
import { encodeMessage, messageToCbor } from '../../src/consensus/messages.ts'
import type { Message } from '../../src/consensus/types.ts'
import { encodeCanonical, encodeCanonicalMapWith } from '../../src/codec/cbor.ts'
import { blockHash, blockToCbor, encodeBlock, genesisBlock } from '../../src/log/block.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

// Messages and blocks that carry entries are put together from the entries' encodings:
// the bytes must be exactly the generic canonical encoding of the whole.

const net = testNet(4, 'message-encoding-test')
const agent = new TestAgent('message-encoding')
const chain = new ChainBuilder(net)
const blocks = [0, 1, 23, 24, 300].map((count, i) => chain.add(Array.from({ length: count }, (_, j) => agent.entry(net.genesis.chainId, 'test/enc', { i, j, note: 'ü'.repeat(j % 7) }))))
const cc = chain.items[2]!.cc!
const sig = new Uint8Array(64).fill(5)
const tc = { round: 4, highQcRounds: [1, 1, 0], signers: new Uint8Array([0b1011]), sigs: [sig, sig, sig] }
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')

describe('encoding from kept entry encodings', () => {
  it('gives the canonical encoding of blocks', () => {
    for (const b of [genesisBlock(net.genesis), ...blocks]) expect(hex(encodeBlock(b))).toBe(hex(encodeCanonical(blockToCbor(b))))
  })

  it('gives the canonical encoding of every message that carries blocks or entries', () => {
    const messages: Message[] = [
      { type: 'proposal', block: blocks[3]!, sig, tc: null, cc: null },
      { type: 'proposal', block: blocks[4]!, sig, tc, cc },
      { type: 'entries', entries: blocks[4]!.entries },
      { type: 'entries', entries: [] },
      { type: 'block-response', blocks: [blocks[2]!, blocks[1]!] },
      { type: 'range-response', blocks, links: [], cc },
      { type: 'range-response', blocks: [blocks[0]!], links: [], cc: null },
      { type: 'block-request', block: blockHash(blocks[1]!.header), count: 3 },
    ]
    for (const m of messages) expect(hex(encodeMessage(m))).toBe(hex(encodeCanonical(messageToCbor(m))))
  })

  it('refuses a pair that would not go last in canonical order', () => {
    const value = encodeCanonical(1)
    expect(() => encodeCanonicalMapWith({ blocks: 1 }, 'type', value)).toThrow(/canonical order/)
    expect(() => encodeCanonicalMapWith({ type: 1 }, 'type', value)).toThrow(/canonical order/)
    expect(() => encodeCanonicalMapWith({ abcd: 1 }, 'abca', value)).toThrow(/canonical order/)
    expect(hex(encodeCanonicalMapWith({ abca: 1, zz: 2 }, 'abcd', value))).toBe(hex(encodeCanonical({ abca: 1, zz: 2, abcd: 1 })))
  })
})
