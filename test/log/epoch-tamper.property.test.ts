// Any single flipped bit in a receipt of a later epoch (its epoch changes included) or in
// a block at an epoch boundary is caught: the bytes no longer decode (CodecError), or
// verification fails. Receipts carry no unauthenticated field, across epochs too.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { chainItemFromCbor, chainItemToCbor } from '../../src/log/export.ts'
import { receiptFromCbor, receiptToCbor, type Receipt } from '../../src/log/receipt.ts'
import { verifyChain, verifyReceipt } from '../../src/log/verify.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { EpochChainBuilder, seedsFor } from '../support/epoch-chain.ts'

const seed = Number(process.env.FC_SEED ?? 20261204)
const numRuns = Number(process.env.FC_RUNS ?? 300)

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes)
  out[bit >> 3]! ^= 1 << (bit & 7)
  return out
}

const CHAIN = 'epoch-flips'
const b = new EpochChainBuilder(testNet(4, CHAIN))
const user = new TestAgent(`${CHAIN}/user`)
b.add([user.entry(CHAIN, 'app/x', { i: 1 })])
const five = [...b.current.seeds, ...seedsFor(`${CHAIN}/joiner`, 1)]
b.reconfigure(five, 'five')
b.add([user.entry(CHAIN, 'app/x', { i: 2 })])
b.reconfigure(five.slice(1), 'four')
b.add([user.entry(CHAIN, 'app/x', { i: 3 }), user.entry(CHAIN, 'app/x', { i: 4 })])
const receipt: Receipt = b.receipt(b.entries.length - 1, b.head.height)

describe(`bit flips across epochs (fast-check seed ${seed}, replay with FC_SEED=${seed})`, () => {
  it('the untouched receipt and chain verify', async () => {
    expect(receipt.epochs).toHaveLength(2)
    expect(verifyReceipt(receipt, b.net.genesis)).toEqual({ ok: true })
    expect((await verifyChain(b.items, b.net.genesis)).ok).toBe(true)
  })

  it('in a receipt of epoch 2 with its two epoch changes', () => {
    const bytes = encodeCanonical(receiptToCbor(receipt))
    fc.assert(fc.property(fc.nat(bytes.length * 8 - 1), (bit) => {
      let tampered: Receipt
      try {
        tampered = receiptFromCbor(decodeCanonical(flip(bytes, bit)))
      } catch (err) {
        return (err as Error).name === 'CodecError'
      }
      return !verifyReceipt(tampered, b.net.genesis).ok
    }), { seed, numRuns })
  })

  for (const [label, height] of [['the reconfiguration block', b.epochs[1]!.firstHeight - 1], ['the first block of the new epoch', b.epochs[1]!.firstHeight]] as const) {
    it(`in ${label} with its commit certificate`, async () => {
      const bytes = encodeCanonical(chainItemToCbor(b.items[height - 1]!))
      await fc.assert(fc.asyncProperty(fc.nat(bytes.length * 8 - 1), async (bit) => {
        let item
        try {
          item = chainItemFromCbor(decodeCanonical(flip(bytes, bit)))
        } catch (err) {
          return (err as Error).name === 'CodecError'
        }
        const items = b.items.map((it, i) => (i === height - 1 ? item : it))
        const report = await verifyChain(items, b.net.genesis)
        return report.ok === false && report.failure!.height! <= height + 1
      }), { seed, numRuns: Math.ceil(numRuns / 3) })
    })
  }
})
