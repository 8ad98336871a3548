// The signature workers run with a capped heap (so an audit's or a sync's memory does not
// grow with the chain): the cap must still hold the largest blocks a genesis may allow.
import { afterAll, describe, expect, it } from 'vitest'
import { LIMITS } from '../../src/limits.ts'
import { DEFAULT_PARAMS } from '../../src/log/genesis.ts'
import { chainItemToCbor } from '../../src/log/export.ts'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { SignaturePool } from '../../node/workers/signature-pool.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

const params = { ...DEFAULT_PARAMS, blockEntriesMax: LIMITS.blockEntriesMax, blockBytesMax: LIMITS.blockBytesMax, payloadBytesMax: LIMITS.payloadBytesMax }
const net = testNet(4, 'pool-limits', { params })
const pool = new SignaturePool(1)
afterAll(() => pool.close())

function recordOf(entryCount: number, payloadBytes: number): Uint8Array {
  const agents = Array.from({ length: 16 }, (_, i) => new TestAgent(`pool-${i}`))
  const filler = 'x'.repeat(payloadBytes)
  const entries = Array.from({ length: entryCount }, (_, i) => agents[i % agents.length]!.entry(net.genesis.chainId, 'pool/ns', { i, filler }))
  const chain = new ChainBuilder(net)
  chain.add(entries, true)
  return encodeCanonical(chainItemToCbor(chain.items[0]!))
}

describe('signature workers under their heap cap', () => {
  it('check a block of the most entries a chain may allow', { timeout: 60_000 }, async () => {
    const record = recordOf(LIMITS.blockEntriesMax, 64)
    // Four at once: as many as the pool queues per worker.
    const answers = await Promise.all(Array.from({ length: 4 }, () => pool.records(net.genesis.chainId, [record.slice()])))
    for (const [answer] of answers) expect(answer?.valid.every((v) => v === 1) && answer.valid.length).toBe(LIMITS.blockEntriesMax)
  })
  it('check a block of the most bytes a chain may allow', { timeout: 60_000 }, async () => {
    const perEntry = LIMITS.payloadBytesMax - 1024
    const count = Math.floor((LIMITS.blockBytesMax * 0.95) / perEntry)
    const record = recordOf(count, perEntry)
    expect(record.length).toBeGreaterThan(LIMITS.blockBytesMax * 0.9)
    const answers = await Promise.all(Array.from({ length: 4 }, () => pool.records(net.genesis.chainId, [record.slice()])))
    for (const [answer] of answers) expect(answer?.valid.length).toBe(count)
  })
})
