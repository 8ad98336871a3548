import { describe, expect, it } from 'vitest'
import { isRejection } from '../../src/consensus/rejections.ts'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { signDomain } from '../../src/crypto/domain.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { genesisQc, isGenesisQc } from '../../src/log/block.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'

describe('Verifier proposal signatures', () => {
  const net = testNet(4, 'verifier-test')
  const block = sha256(new TextEncoder().encode('a block'))
  const sig = signDomain(net.validatorSeeds[1]!, 'proposal', net.genesis.chainId, { block })

  it('verifies a proposal signature once, then answers from the cache', () => {
    const v = new Verifier(net.genesis, validatorSetOf(net.genesis), 100, 100)
    expect(v.proposal(1, block, sig)).toBe(true)
    expect(v.proposal(1, block, sig)).toBe(true)
    expect(v.counters.signatures).toBe(1)
  })

  it('never caches a bad signature, nor accepts a good one for another proposer', () => {
    const v = new Verifier(net.genesis, validatorSetOf(net.genesis), 100, 100)
    const forged = Uint8Array.from(sig)
    forged[5]! ^= 1
    expect(v.proposal(1, block, forged)).toBe(false)
    expect(v.proposal(1, block, forged)).toBe(false)
    expect(v.counters.signatures).toBe(2)
    expect(v.proposal(2, block, sig)).toBe(false)
    expect(v.proposal(9, block, sig)).toBe(false)
  })
})

describe('Verifier entries verified elsewhere', () => {
  const open = testNet(4, 'verifier-test')
  const closed = testNet(4, 'verifier-test', { policy: { open: false, namespaces: {} } })
  const agent = new TestAgent('verified-elsewhere')
  const verifierOf = (genesis: typeof open.genesis): Verifier => new Verifier(genesis, validatorSetOf(genesis), 100, 100)

  it('records entries whose signatures were verified elsewhere: checking them later verifies nothing', () => {
    const v = verifierOf(open.genesis)
    const entries = [agent.entry(open.genesis.chainId, 'test/a', { n: 1 }), agent.entry(open.genesis.chainId, 'test/a', { n: 2 })]
    v.entriesVerified(entries)
    for (const e of entries) expect(isRejection(v.entry(e))).toBe(false)
    expect(v.counters.signatures).toBe(0)
  })

  it('still applies every other check: under a closed policy the entries are refused, recorded or not', () => {
    const v = verifierOf(closed.genesis)
    const e = agent.entry(closed.genesis.chainId, 'test/a', { n: 3 })
    v.entriesVerified([e])
    expect(v.entry(e)).toEqual({ code: 'entry-policy-denied', namespace: 'test/a' })
  })

  it('an entry not recorded is verified in place: a bad signature is refused', () => {
    const v = verifierOf(open.genesis)
    const good = agent.entry(open.genesis.chainId, 'test/a', { n: 4 })
    const sig = Uint8Array.from(good.sig)
    sig[7]! ^= 1
    const forged = { ...good, sig }
    v.entriesVerified([good])
    expect(isRejection(v.entry(good))).toBe(false)
    expect(v.entry(forged)).toEqual({ code: 'entry-bad-signature' })
    expect(v.counters.signatures).toBe(1)
  })
})

describe('Verifier entry cache', () => {
  const net = testNet(4, 'verifier-test')
  const agent = new TestAgent('entry-cache')

  it('answers a copy of a verified entry from the cache, with the copy as its entry', () => {
    const v = new Verifier(net.genesis, validatorSetOf(net.genesis), 100, 100)
    const first = agent.entry(net.genesis.chainId, 'test/a', { n: 1 })
    const a = v.entry(first)
    const copy = { ...first }
    const b = v.entry(copy)
    if (isRejection(a) || isRejection(b)) throw new Error('refused')
    expect(v.counters.signatures).toBe(1)
    expect(b.entry).toBe(copy)
    expect([b.idHex, b.agentHex, b.bytes, b.leaf]).toEqual([a.idHex, a.agentHex, a.bytes, a.leaf])
  })

  it('regression: the entry cache kept every flooded entry (payload and encoding) alive after it committed', async () => {
    // Bounded in count only, the cache held up to 200,000 whole entries: a flood of 4 KiB
    // entries stayed in memory long after it had committed. It now holds what checking
    // found (leaf hash, size), so the entry goes when nothing else holds it.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const v = new Verifier(net.genesis, validatorSetOf(net.genesis), 100, 100)
    const refs: WeakRef<object>[] = []
    // In a function of its own, so that no frame of the test still holds the last entry.
    const checkOne = (i: number): void => {
      const e = agent.entry(net.genesis.chainId, 'test/a', { pad: 'x'.repeat(4096), i })
      expect(isRejection(v.entry(e))).toBe(false)
      refs.push(new WeakRef(e))
    }
    for (let i = 0; i < 20; i++) checkOne(i)
    expect(isRejection(v.entry(agent.entry(net.genesis.chainId, 'test/a', { n: 'unrelated' })))).toBe(false)
    // Bounded: a few collections, each after the current job (WeakRef targets live until then).
    for (let attempt = 0; attempt < 5 && refs.some((r) => r.deref() !== undefined); attempt++) {
      await new Promise((resolve) => setImmediate(resolve))
      gc()
    }
    expect(refs.filter((r) => r.deref() !== undefined).length).toBe(0)
  })
})

describe('Verifier genesis QC', () => {
  const net = testNet(4, 'verifier-test')
  const verifier = new Verifier(net.genesis, validatorSetOf(net.genesis), 100, 100)
  const gqc = genesisQc(net.genesis)

  it('accepts the genesis QC: round 0, height 0, ceil(n/8) zero bytes of signers, no signatures', () => {
    expect(verifier.qc(gqc)).toBeNull()
    expect(verifier.isGenesisQc(gqc)).toBe(true)
  })

  it('regression: the genesis QC was accepted with any signers bytes as long as sigs was empty', () => {
    for (const signers of [[0x01], [0x0f], [0xf0], [0x00, 0x00], []]) {
      const qc = { ...gqc, signers: Uint8Array.from(signers) }
      expect(verifier.qc(qc), `signers ${JSON.stringify(signers)}`).toEqual({ code: 'qc-not-genesis' })
      // The chain verifier applies the same rule (src/log/block.ts isGenesisQc).
      expect(isGenesisQc(qc, gqc)).toBe(false)
    }
  })
})
