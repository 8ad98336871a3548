// Any single flipped bit in a receipt, a block or its certificate is caught: either the
// bytes no longer decode (CodecError), or verification fails.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { chainItemFromCbor, chainItemToCbor } from '../../src/log/export.ts'
import { inclusionProof, leafHash } from '../../src/log/merkle.ts'
import { receiptFromCbor, receiptToCbor, type Receipt } from '../../src/log/receipt.ts'
import { verifyChain, verifyReceipt } from '../../src/log/verify.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

const seed = Number(process.env.FC_SEED ?? 20261121)
const numRuns = Number(process.env.FC_RUNS ?? 300)

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

const net = testNet(4)
const chain = new ChainBuilder(net)
const agent = new TestAgent('flipper')
const entries = Array.from({ length: 6 }, (_, i) => agent.entry(net.genesis.chainId, 'ns/a', { i, text: 'decision' }))
chain.add(entries.slice(0, 3))
chain.add(entries.slice(3))
const leaves = entries.map((e) => leafHash(encodeEntry(e)))
const receipt: Receipt = { entry: entries[4]!, index: 4, proof: inclusionProof(4, 6, (i) => leaves[i]!), checkpoint: chain.items[1]!.cc! }

describe(`bit flips (fast-check seed ${seed}, replay with FC_SEED=${seed})`, () => {
  it('the untouched receipt and chain verify', async () => {
    expect(verifyReceipt(receipt, net.genesis)).toEqual({ ok: true })
    expect((await verifyChain(chain.items, net.genesis)).ok).toBe(true)
  })

  it('in a receipt: every one of its bits', () => {
    const bytes = encodeCanonical(receiptToCbor(receipt))
    const undetected: number[] = []
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      let tampered: Receipt
      try {
        tampered = receiptFromCbor(decodeCanonical(flip(bytes, bit)))
      } catch (err) {
        expect((err as Error).name).toBe('CodecError')
        continue
      }
      if (verifyReceipt(tampered, net.genesis).ok) undetected.push(bit)
    }
    expect(undetected).toEqual([])
  })

  it('in a block with its commit certificate', async () => {
    const target = 0
    const bytes = encodeCanonical(chainItemToCbor(chain.items[target]!))
    await fc.assert(fc.asyncProperty(fc.nat(bytes.length * 8 - 1), async (bit) => {
      let item
      try {
        item = chainItemFromCbor(decodeCanonical(flip(bytes, bit)))
      } catch (err) {
        return (err as Error).name === 'CodecError'
      }
      const items = chain.items.map((it, i) => (i === target ? item : it))
      const report = await verifyChain(items, net.genesis)
      return report.ok === false && report.failure!.height! <= 2
    }), { seed, numRuns })
  })
})
