import { pino } from 'pino'
import { isRejection } from '../../src/consensus/rejections.ts'
import { afterEach, describe, expect, it } from 'vitest'
import type { RangeResponse } from '../../src/consensus/types.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import type { Entry } from '../../src/log/entry.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { SyncSignatureChecker } from '../../node/runtime/sync-signatures.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

const net = testNet(4, 'sync-signatures-test')
const agent = new TestAgent('sync-signatures')
const logger = pino({ level: 'silent' })

function forged(entry: Entry): Entry {
  const sig = Uint8Array.from(entry.sig)
  sig[3]! ^= 1
  return { ...entry, sig }
}

/** Two blocks of 100 entries; the entries at `bad` have forged signatures. (Blocks are
 * not validated here: only the entries' signatures matter.) */
function rangeResponse(bad: ReadonlySet<number>): { message: RangeResponse, entries: Entry[] } {
  const entries = Array.from({ length: 200 }, (_, i) => {
    const e = agent.entry(net.genesis.chainId, 'test/sync', { i })
    return bad.has(i) ? forged(e) : e
  })
  const chain = new ChainBuilder(net)
  const blocks = [chain.add(entries.slice(0, 100)), chain.add(entries.slice(100))]
  return { message: { type: 'range-response', blocks, links: [], cc: chain.items[1]!.cc ?? null }, entries }
}

describe('sync response signatures on worker threads', () => {
  let checker: SyncSignatureChecker | null = null
  afterEach(async () => {
    await checker?.close()
    checker = null
  })

  it('records the entries that verify; the replica\'s verifier still refuses the others itself', async () => {
    const verifier = new Verifier(net.genesis, validatorSetOf(net.genesis), 10_000, 100)
    checker = new SyncSignatureChecker(net.genesis.chainId, verifier, logger, 2)
    const bad = new Set([0, 57, 150, 199])
    const { message, entries } = rangeResponse(bad)
    expect(checker.wants(message)).toBe(true)
    await checker.check(message)
    entries.forEach((e, i) => {
      const checked = verifier.entry(e)
      if (bad.has(i)) expect(checked).toEqual({ code: 'entry-bad-signature' })
      else expect(isRejection(checked)).toBe(false)
    })
    // Only the forged ones were verified on this thread.
    expect(verifier.counters.signatures).toBe(bad.size)
  })

  it('leaves small responses and other messages to the replica', () => {
    const verifier = new Verifier(net.genesis, validatorSetOf(net.genesis), 100, 100)
    checker = new SyncSignatureChecker(net.genesis.chainId, verifier, logger, 1)
    const chain = new ChainBuilder(net)
    const small: RangeResponse = { type: 'range-response', blocks: [chain.add([agent.entry(net.genesis.chainId, 'test/sync', {})])], links: [], cc: chain.items[0]!.cc ?? null }
    expect(checker.wants(small)).toBe(false)
    expect(checker.wants({ type: 'entries', entries: rangeResponse(new Set()).entries })).toBe(false)
  })

  it('once closed, checks nothing and never blocks', async () => {
    const verifier = new Verifier(net.genesis, validatorSetOf(net.genesis), 10_000, 100)
    checker = new SyncSignatureChecker(net.genesis.chainId, verifier, logger, 1)
    const { message, entries } = rangeResponse(new Set())
    const pending = checker.check(message)
    await checker.close()
    await pending
    await checker.roomForCheck()
    await checker.check(message)
    expect(checker.wants(message)).toBe(false)
    // Whatever was recorded before the close is sound; the rest is verified in place.
    for (const e of entries) expect(isRejection(verifier.entry(e))).toBe(false)
  })
})
