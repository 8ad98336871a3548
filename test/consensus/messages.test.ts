import { describe, expect, it } from 'vitest'
import { decodeMessage, decodeSafetyState, encodeMessage, encodeSafetyState } from '../../src/consensus/messages.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import type { Message } from '../../src/consensus/types.ts'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { blockHash } from '../../src/log/block.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { Prng } from '../../scenarios/sim/prng.ts'
import { child, entry, genesisBlock, genesisQc, makeGenesis, qcFor } from './fixtures.ts'

const n = 4
const { genesis, seeds } = makeGenesis(n)
const g = genesisBlock(genesis)
const gQc = genesisQc(genesis)
const b1 = child(g, gQc, 1, [entry(1), entry(2)], new MerkleAccumulator(), n)
const qc1 = qcFor(b1.header, seeds, [0, 1, 3], n)
const sig = new Uint8Array(64).fill(3)
const tc = { round: 4, highQcRounds: [1, 1, 0], signers: new Uint8Array([0b1011]), sigs: [sig, sig, sig] }
const cc = { height: 1, block: blockHash(b1.header), logSize: 2, logRoot: b1.header.logRoot, signers: new Uint8Array([0b0111]), sigs: [sig, sig, sig] }

const samples: Message[] = [
  { type: 'proposal', block: b1, sig, tc: null, cc: null },
  { type: 'proposal', block: b1, sig, tc, cc },
  { type: 'vote', voter: 2, round: 1, height: 1, block: blockHash(b1.header), sig, commit: null },
  { type: 'vote', voter: 2, round: 2, height: 2, block: blockHash(b1.header), sig, commit: { height: 1, block: blockHash(b1.header), logSize: 2, logRoot: b1.header.logRoot, sig } },
  { type: 'timeout', voter: 1, round: 5, highQc: qc1, highTc: tc, sig },
  { type: 'timeout', voter: 1, round: 1, highQc: gQc, highTc: null, sig },
  { type: 'sync-info', highQc: qc1, highTc: null, highCc: cc },
  { type: 'entries', entries: [entry(7)] },
  { type: 'block-request', block: blockHash(b1.header), count: 3 },
  { type: 'block-response', blocks: [b1, g] },
  { type: 'range-request', fromHeight: 1, toHeight: 10 },
  { type: 'range-response', blocks: [b1], links: [], cc },
  { type: 'range-response', blocks: [g], links: [b1.header], cc },
  { type: 'range-response', blocks: [b1], links: [], cc: null },
  { type: 'range-empty', fromHeight: 8, height: 7, cc },
  { type: 'range-empty', fromHeight: 1, height: 0, cc: null },
  { type: 'status-request' },
]

describe('message codec', () => {
  it('round-trips every message type byte for byte', () => {
    for (const m of samples) {
      const bytes = encodeMessage(m)
      const back = decodeMessage(bytes)
      expect(back).toEqual(m)
      expect(encodeMessage(back)).toEqual(bytes)
    }
  })

  it('round-trips the persisted safety state', () => {
    const s = { ...initialSafetyState(gQc), lastVotedRound: 3, lastVote: samples[3] as never, lastTimeout: samples[4] as never, highQc: qc1, highTc: tc }
    expect(decodeSafetyState(encodeSafetyState(s))).toEqual(s)
  })

  it('rejects unknown types, unknown and missing fields, wrong types and bad ranges', () => {
    const bad: unknown[] = [
      { type: 'nope' },
      { type: 'vote', voter: 2, round: 1, height: 1, block: new Uint8Array(32), sig, commit: null, extra: 1 },
      { type: 'vote', voter: 2, round: 1, height: 1, block: new Uint8Array(32), sig },
      { type: 'vote', voter: 2, round: 1, height: 1, block: new Uint8Array(31), sig, commit: null },
      { type: 'vote', voter: 999, round: 1, height: 1, block: new Uint8Array(32), sig, commit: null },
      { type: 'block-request', block: new Uint8Array(32), count: 0 },
      { type: 'range-request', fromHeight: 5, toHeight: 4 },
      { type: 'range-request', fromHeight: 1, toHeight: 100_000 },
      { type: 'entries', entries: [{ bogus: true }] },
      { type: 'range-response', blocks: [], links: [], cc: null },
      { type: 'range-response', blocks: [b1], cc: null },
      { type: 'range-response', blocks: [b1], links: [b1.header], cc: null },
      { type: 'range-response', blocks: [b1], links: Array.from({ length: 33 }, () => b1.header), cc },
      { type: 'range-empty', fromHeight: 5, height: 5, cc: null },
      { type: 'range-empty', fromHeight: 0, height: 0, cc: null },
      { type: 'range-empty', fromHeight: 5, cc: null },
      { type: 'status-request', extra: 1 },
      [1, 2, 3],
    ]
    for (const value of bad) expect(() => decodeMessage(encodeCanonical(value as never)), JSON.stringify(value, (_k, v) => (v instanceof Uint8Array ? v.length : v))).toThrow(expect.objectContaining({ name: 'CodecError' }))
  })

  it('never accepts a corrupted message silently: it throws CodecError or decodes to a different message', () => {
    const seed = 20250101
    console.log(`message corruption seed ${seed}`)
    const rng = new Prng(seed)
    let threw = 0
    for (let i = 0; i < 2000; i++) {
      const m = samples[rng.int(samples.length)]!
      const bytes = encodeMessage(m).slice()
      const mutations = rng.range(1, 3)
      let mutated: Uint8Array = bytes
      for (let k = 0; k < mutations; k++) {
        const op = rng.int(3)
        if (mutated.length === 0) break
        if (op === 0) mutated[rng.int(mutated.length)]! ^= 1 << rng.int(8)
        else if (op === 1) mutated = mutated.slice(0, rng.int(mutated.length))
        else mutated = Uint8Array.from([...mutated, rng.int(256)])
      }
      try {
        const decoded = decodeMessage(mutated)
        // Decodable: then it is a canonical encoding of some other valid message.
        expect(encodeMessage(decoded)).toEqual(mutated)
      } catch (err) {
        expect((err as Error).name).toBe('CodecError')
        threw++
      }
    }
    expect(threw).toBeGreaterThan(1000)
  })
})
