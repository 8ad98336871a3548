import { describe, expect, it } from 'vitest'
import { signDomain } from '../../src/crypto/domain.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { testNet } from '../support/chain-builder.ts'

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
