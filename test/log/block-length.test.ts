import { describe, expect, it } from 'vitest'
import { encodeBlock, encodedBlockLength } from '../../src/log/block.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

describe('encodedBlockLength', () => {
  it('is the length of the block\'s encoding, across the sizes where CBOR heads grow', () => {
    const net = testNet(4, 'block-length-test')
    const chain = new ChainBuilder(net)
    const agent = new TestAgent('block-length')
    const payloads = ['{}', JSON.stringify({ note: 'x'.repeat(300) }), JSON.stringify({ text: 'naïve – ünïcödé ✓' })]
    for (const count of [0, 1, 23, 24, 255, 256]) {
      const entries = Array.from({ length: count }, (_, i) => agent.entry(net.genesis.chainId, 'test/len', JSON.parse(payloads[i % payloads.length]!)))
      const block = chain.add(entries)
      expect(encodedBlockLength(block)).toBe(encodeBlock(block).length)
    }
  })
})
