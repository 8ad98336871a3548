// A long-lived verifier's memory of the epoch chain (src/log/known-epochs.ts): it learns
// the epochs a verified receipt carries, refuses a checkpoint of an epoch it knows had
// ended, and refuses a receipt whose epoch changes disagree with the ones it verified.
import { describe, expect, it } from 'vitest'
import { KnownEpochs } from '../../src/log/known-epochs.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { EpochChainBuilder, seedsFor } from '../support/epoch-chain.ts'

const CHAIN = 'known-epochs'

/** 4 validators -> 5 -> 6, an entry in every block. */
function chain(joinerLabel = 'joiner'): EpochChainBuilder {
  const b = new EpochChainBuilder(testNet(4, CHAIN))
  const user = new TestAgent(`${CHAIN}/user`)
  b.add([user.entry(CHAIN, 'app/x', { i: 1 })])
  const five = [...b.current.seeds, ...seedsFor(`${CHAIN}/${joinerLabel}`, 1)]
  b.reconfigure(five, 'five')
  b.add([user.entry(CHAIN, 'app/x', { i: 2 })])
  b.add([user.entry(CHAIN, 'app/x', { i: 3 })])
  b.reconfigure([...five, ...seedsFor(`${CHAIN}/second`, 1)], 'six')
  b.add([user.entry(CHAIN, 'app/x', { i: 4 })])
  return b
}

function indexAt(b: EpochChainBuilder, height: number): number {
  return b.items[height - 1]!.block.header.logSize - 1
}

describe('known epochs', () => {
  it('learn the epochs of a verified receipt and accept receipts of every epoch within its range', () => {
    const b = chain()
    const known = new KnownEpochs(b.net.genesis)
    const last = b.receipt(indexAt(b, b.head.height), b.head.height)
    expect(verifyReceipt(last, b.net.genesis)).toEqual({ ok: true })
    expect(known.observe(last)).toBeNull()
    expect(known.epochs.map((e) => [e.number, e.firstHeight, e.set.n])).toEqual(b.epochs.map((e) => [e.number, e.firstHeight, e.seeds.length]))
    for (let height = 1; height <= b.head.height; height++) {
      const receipt = b.receipt(indexAt(b, height), height)
      expect(verifyReceipt(receipt, b.net.genesis), `height ${height}`).toEqual({ ok: true })
      expect(known.observe(receipt), `height ${height}`).toBeNull()
    }
  })

  it('refuse a checkpoint of an ended epoch above its boundary, which a receipt alone cannot show', () => {
    const b = chain()
    // Epoch 1's keys sign a checkpoint of a block of epoch 2 (as a retired set whose keys
    // leaked could): the receipt names epoch 1 and verifies on its own.
    const heightInEpoch2 = b.epochs[2]!.firstHeight
    const forged = { ...b.plainReceipt(indexAt(b, heightInEpoch2), heightInEpoch2, b.epochs[1]!.seeds), epochs: b.epochChanges(1) }
    expect(verifyReceipt(forged, b.net.genesis)).toEqual({ ok: true })
    expect(new KnownEpochs(b.net.genesis).observe(forged)).toBeNull()
    // A verifier that has seen the change to epoch 2 refuses it.
    const known = new KnownEpochs(b.net.genesis)
    expect(known.observe(b.receipt(indexAt(b, b.head.height), b.head.height))).toBeNull()
    expect(known.observe(forged)).toEqual({ code: 'checkpoint-after-epoch', epoch: 1, height: heightInEpoch2, nextFirstHeight: heightInEpoch2 })
  })

  it('refuse a receipt whose epoch changes conflict with the verified ones, and learn nothing from it', () => {
    const b = chain()
    const other = chain('someone-else') // the same genesis, another set for epoch 1
    const known = new KnownEpochs(b.net.genesis)
    expect(known.observe(b.receipt(indexAt(b, b.head.height), b.head.height))).toBeNull()
    const conflicting = other.receipt(indexAt(other, other.head.height), other.head.height)
    expect(verifyReceipt(conflicting, other.net.genesis)).toEqual({ ok: true })
    expect(known.observe(conflicting)).toEqual({ code: 'epoch-chain-conflict', epoch: 1 })
    expect(known.epochs).toHaveLength(3)
  })
})
