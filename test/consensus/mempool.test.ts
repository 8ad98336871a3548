import { describe, expect, it } from 'vitest'
import { describe as describeRejection, isRejection } from '../../src/consensus/rejections.ts'
import { Mempool } from '../../src/consensus/mempool.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { signEntry } from '../../src/log/entry.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { CHAIN, entry, makeGenesis } from './fixtures.ts'

const { genesis } = makeGenesis(4)
const verifier = new Verifier(genesis, validatorSetOf(genesis), 1000, 100)
const checked = (seq: number, seed?: Uint8Array) => {
  const c = verifier.entry(entry(seq, seed))
  if (isRejection(c)) throw new Error(describeRejection(c))
  return c
}

describe('mempool', () => {
  it('deduplicates by id and by (agent, seq)', () => {
    const pool = new Mempool({ entriesMax: 10, bytesMax: 1 << 20 })
    expect(pool.add(checked(1))).toBe('added')
    expect(pool.add(checked(1))).toBe('known')
    // Same agent and seq, different payload: a conflicting entry.
    const other = verifier.entry({ ...entry(1), payload: '{"x":1}' })
    expect(other).toEqual({ code: 'entry-bad-signature' }) // the signature no longer verifies
    expect(pool.size).toBe(1)
  })
  it('refuses entries when full, by count and by bytes', () => {
    const pool = new Mempool({ entriesMax: 2, bytesMax: 1 << 20 })
    expect(pool.add(checked(1))).toBe('added')
    expect(pool.add(checked(2))).toBe('added')
    expect(pool.add(checked(3))).toBe('mempool-full')
    const small = new Mempool({ entriesMax: 100, bytesMax: checked(1).bytes + 10 })
    expect(small.add(checked(1))).toBe('added')
    expect(small.add(checked(2))).toBe('mempool-bytes-full')
  })
  it('regression: a flood of 4 KiB entries from fresh keys is bounded in bytes, not only in count', () => {
    // 15,000 such entries grew a validator by 330 MB: the count bound (50,000) alone
    // would let the pool hold ~200 MB of encodings. Each fresh key sends one entry, so no
    // per-agent bound applies either.
    const bytesMax = 256 * 1024
    const pool = new Mempool({ entriesMax: 50_000, bytesMax })
    const outcomes = new Map<string, number>()
    let firstRefusal = -1
    for (let i = 0; i < 100; i++) {
      const seed = new Uint8Array(32).fill(0).map((_, j) => (j === 0 ? 200 : j === 1 ? i : j))
      const big = verifier.entry(signEntry({ agent: publicKeyFromSeed(seed), namespace: 'flood/x', seq: 1, payload: JSON.stringify({ pad: 'f'.repeat(4090) }), refs: [], idempotencyKey: '' }, CHAIN, seed))
      if (isRejection(big)) throw new Error(describeRejection(big))
      const outcome = pool.add(big)
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
      if (outcome !== 'added' && firstRefusal < 0) firstRefusal = i
      expect(pool.bytes).toBeLessThanOrEqual(bytesMax)
    }
    expect(firstRefusal).toBeGreaterThan(0)
    expect([...outcomes.keys()].sort()).toEqual(['added', 'mempool-bytes-full'])
    // Room again once entries leave (committed): the bound is on what is held.
    const some = pool.select(10, 1 << 20, () => -1, () => false)
    for (const item of some) pool.remove(item.idHex)
    expect(pool.bytes).toBeLessThanOrEqual(bytesMax - some.reduce((t, x) => t + x.bytes, 0))
  })
  it('selects per-agent ascending seqs above the chain, within limits', () => {
    const pool = new Mempool({ entriesMax: 100, bytesMax: 1 << 20 })
    for (const s of [5, 3, 4, 1]) pool.add(checked(s))
    const other = new Uint8Array(32).fill(7)
    pool.add(checked(2, other))
    const batch = pool.select(10, 1 << 20, (agent) => (agent === checked(1).agentHex ? 3 : -1), () => false)
    expect(batch.map((b) => b.entry.seq)).toEqual([4, 5, 2])
    expect(pool.select(2, 1 << 20, () => -1, () => false).map((b) => b.entry.seq)).toEqual([1, 3])
    pool.dropUpTo(checked(1).agentHex, 4)
    expect(pool.size).toBe(2)
  })
  it('drops a stranded entry when a higher seq of its agent commits, and leaves other agents alone', () => {
    const pool = new Mempool({ entriesMax: 100, bytesMax: 1 << 20 })
    const other = new Uint8Array(32).fill(7)
    for (const s of [5, 7]) pool.add(checked(s))
    pool.add(checked(3, other))
    // Seq 6 committed (proposed by a leader that lacked seq 5): 5 can never commit.
    pool.dropUpTo(checked(5).agentHex, 6)
    expect(pool.has(checked(5).idHex)).toBe(false)
    expect(pool.has(checked(7).idHex)).toBe(true)
    expect(pool.has(checked(3, other).idHex)).toBe(true)
    expect(pool.size).toBe(2)
    expect(pool.bytes).toBe(checked(7).bytes + checked(3, other).bytes)
  })
  it('never hands a leader seq n+1 of an agent without seq n when both are pooled', () => {
    const pool = new Mempool({ entriesMax: 100, bytesMax: 1 << 20 })
    for (const s of [2, 1, 3]) pool.add(checked(s))
    const one = checked(1).bytes
    // Room for one entry and a bit: seq 1 goes first, and nothing after it.
    expect(pool.select(10, one + 10, () => -1, () => false).map((b) => b.entry.seq)).toEqual([1])
    // Seq 1 already in the chain being extended: 2 then 3.
    expect(pool.select(10, 1 << 20, () => -1, (id) => id === checked(1).idHex).map((b) => b.entry.seq)).toEqual([2, 3])
    expect(pool.select(2, 1 << 20, () => -1, () => false).map((b) => b.entry.seq)).toEqual([1, 2])
  })
})
