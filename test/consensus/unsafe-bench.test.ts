// Comparison mode (entry-signature checks off, src/consensus/unsafe-bench.ts): refused on
// any chain without the benchmark marker, and where allowed it skips entry signatures
// only: consensus signatures are still verified.
import { describe, expect, it } from 'vitest'
import { Replica } from '../../src/consensus/replica.ts'
import { describe as describeRejection, isRejection } from '../../src/consensus/rejections.ts'
import type { Action, Message } from '../../src/consensus/types.ts'
import { UNSAFE_BENCH_CHAIN_PREFIX, skipEntrySignaturesRefusal } from '../../src/consensus/unsafe-bench.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { signDomain } from '../../src/crypto/domain.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import type { Entry } from '../../src/log/entry.ts'
import { validatorSetOf, type Genesis } from '../../src/log/genesis.ts'
import { AGENT_SEED, makeGenesis } from './fixtures.ts'

const BENCH_CHAIN = `${UNSAFE_BENCH_CHAIN_PREFIX}test`
const { genesis: realGenesis, seeds } = makeGenesis(4)
const benchGenesis: Genesis = { ...realGenesis, chainId: BENCH_CHAIN }

/** An entry with an all-zero signature: valid in form, never a valid signature. */
function unsigned(seq: number): Entry {
  return { agent: publicKeyFromSeed(AGENT_SEED), namespace: 'test/ns', seq, payload: JSON.stringify({ seq }), refs: [], idempotencyKey: '', sig: new Uint8Array(64) }
}

describe('entry-signature checks off', () => {
  it('is refused on a chain without the benchmark marker, by the Verifier and the Replica', () => {
    expect(skipEntrySignaturesRefusal(realGenesis.chainId)).toMatch(/only on a benchmark chain, whose chainId starts with 'unsafe-bench-'; this chain is 'test-chain'/)
    expect(skipEntrySignaturesRefusal(BENCH_CHAIN)).toBeNull()
    // The marker is a prefix, not a substring.
    expect(skipEntrySignaturesRefusal(`x-${BENCH_CHAIN}`)).not.toBeNull()
    expect(() => new Verifier(realGenesis, validatorSetOf(realGenesis), 100, 100, { unsafeSkipEntrySignatures: true })).toThrow(RangeError)
    expect(() => new Replica({ genesis: realGenesis, validatorIndex: 0, seed: seeds[0]!, unsafeSkipEntrySignatures: true })).toThrow(/benchmark chain/)
  })

  it('off by default, even on a benchmark chain: an unsigned entry is refused', () => {
    const v = new Verifier(benchGenesis, validatorSetOf(benchGenesis), 100, 100)
    expect(v.entry(unsigned(1))).toEqual({ code: 'entry-bad-signature' })
    expect(v.counters.signatures).toBe(1)
  })

  it('on a benchmark chain with the switch: an unsigned entry passes the other checks, counted as skipped', () => {
    const v = new Verifier(benchGenesis, validatorSetOf(benchGenesis), 100, 100, { unsafeSkipEntrySignatures: true })
    expect(isRejection(v.entry(unsigned(1)))).toBe(false)
    expect(v.counters.signatures).toBe(0)
    expect(v.counters.entrySignaturesSkipped).toBe(1)
    // The other checks still apply.
    const big = { ...unsigned(2), payload: JSON.stringify({ d: 'x'.repeat(benchGenesis.params.payloadBytesMax) }) }
    expect(v.entry(big)).toMatchObject({ code: 'entry-payload-too-large' })
  })

  it('consensus signatures stay on: a forged proposal signature is still refused', () => {
    const v = new Verifier(benchGenesis, validatorSetOf(benchGenesis), 100, 100, { unsafeSkipEntrySignatures: true })
    const block = sha256(new TextEncoder().encode('a block'))
    const sig = signDomain(seeds[1]!, 'proposal', BENCH_CHAIN, { block })
    expect(v.proposal(1, block, sig)).toBe(true)
    const forged = Uint8Array.from(sig)
    forged[3]! ^= 1
    expect(v.proposal(1, block, forged)).toBe(false)
  })

  it('four replicas on a benchmark chain commit unsigned entries; with the switch off they refuse them', () => {
    for (const skip of [true, false]) {
      const replicas = seeds.map((seed, i) => new Replica({ genesis: benchGenesis, validatorIndex: i, seed, unsafeSkipEntrySignatures: skip }))
      const queue: { to: number, from: number, message: Message }[] = []
      const rejected: string[] = []
      const run = (index: number, actions: Action[]): void => {
        for (const a of actions) {
          if (a.type === 'send') queue.push({ to: a.to, from: index, message: a.message })
          if (a.type === 'broadcast') for (let to = 0; to < 4; to++) if (to !== index) queue.push({ to, from: index, message: a.message })
          if (a.type === 'rejected') rejected.push(describeRejection(a.reason))
        }
      }
      replicas.forEach((r, i) => run(i, r.step({ type: 'start', now: 0 })))
      run(1, replicas[1]!.step({ type: 'submit', now: 0, entries: [unsigned(1), unsigned(2)] }))
      for (let i = 0; queue.length > 0 && i < 100_000; i++) {
        const d = queue.shift()!
        run(d.to, replicas[d.to]!.step({ type: 'message', now: 0, from: d.from, message: d.message }))
      }
      if (skip) {
        expect(rejected).toEqual([])
        for (const r of replicas) expect(r.committedHeight).toBeGreaterThanOrEqual(1)
        expect(replicas.every((r) => r.mempoolSize === 0)).toBe(true)
      } else {
        expect(replicas.every((r) => r.committedHeight === 0 && r.mempoolSize === 0)).toBe(true)
      }
    }
  })
})
