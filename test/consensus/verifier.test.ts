import { describe, expect, it } from 'vitest'
import { signDomain } from '../../src/crypto/domain.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
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
    for (const e of entries) expect(typeof v.entry(e)).toBe('object')
    expect(v.counters.signatures).toBe(0)
  })

  it('still applies every other check: under a closed policy the entries are refused, recorded or not', () => {
    const v = verifierOf(closed.genesis)
    const e = agent.entry(closed.genesis.chainId, 'test/a', { n: 3 })
    v.entriesVerified([e])
    expect(v.entry(e)).toMatch(/may not write/)
  })

  it('an entry not recorded is verified in place: a bad signature is refused', () => {
    const v = verifierOf(open.genesis)
    const good = agent.entry(open.genesis.chainId, 'test/a', { n: 4 })
    const sig = Uint8Array.from(good.sig)
    sig[7]! ^= 1
    const forged = { ...good, sig }
    v.entriesVerified([good])
    expect(typeof v.entry(good)).toBe('object')
    expect(v.entry(forged)).toBe('entry signature does not verify')
    expect(v.counters.signatures).toBe(1)
  })
})
