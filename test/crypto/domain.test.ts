// Domain separation: a signature made for one kind of message or one chain never verifies
// as another kind, on another chain, or over another body.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DOMAIN_TAG, SIGNED_KINDS, domainMessage, signDomain, verifyDomain, type SignedKind } from '../../src/crypto/domain.ts'
import { publicKeyFromSeed, signMessage, verifySignature, verifyWith } from '../../src/crypto/ed25519.ts'
import { nobleCrypto } from '../../src/crypto/impl-noble.ts'
import { decodeCanonical, encodeCanonical, type CborValue } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'

const FC_SEED = Number(process.env.FC_SEED ?? 0x5e_70_d2)
console.info(`[domain.test] fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`)

const seed = new Uint8Array(32).fill(42)
const publicKey = publicKeyFromSeed(seed)
const body: CborValue = { height: 7, hash: new Uint8Array(32).fill(1), round: 2 }

describe('domain separation', () => {
  it('the signed bytes are the canonical encoding of [tag, kind, chainId, body]', () => {
    const message = domainMessage('vote', 'synod-test', body)
    expect(toHex(message)).toBe(toHex(encodeCanonical([DOMAIN_TAG, 'vote', 'synod-test', body])))
    expect(decodeCanonical(message)).toEqual([DOMAIN_TAG, 'vote', 'synod-test', body])
  })

  it('a signature verifies for its own kind, chain and body', () => {
    for (const kind of SIGNED_KINDS) {
      const signature = signDomain(seed, kind, 'chain-a', body)
      expect(verifyDomain(publicKey, kind, 'chain-a', body, signature)).toBe(true)
      // and with the portable implementation too
      expect(verifyWith(nobleCrypto, publicKey, domainMessage(kind, 'chain-a', body), signature)).toBe(true)
    }
  })

  it('a signature for one kind never verifies as any other kind', () => {
    for (const signedAs of SIGNED_KINDS) {
      const signature = signDomain(seed, signedAs, 'chain-a', body)
      for (const checkedAs of SIGNED_KINDS) {
        expect(verifyDomain(publicKey, checkedAs, 'chain-a', body, signature), `${signedAs} as ${checkedAs}`).toBe(signedAs === checkedAs)
      }
    }
  })

  it('a signature for one chain id never verifies on another', () => {
    const chains = ['chain-a', 'chain-b', 'chain-a ', 'Chain-a', 'chain-', '', 'chain-aa']
    for (const signedOn of chains) {
      const signature = signDomain(seed, 'vote', signedOn, body)
      for (const checkedOn of chains) {
        expect(verifyDomain(publicKey, 'vote', checkedOn, body, signature), `${signedOn} on ${checkedOn}`).toBe(signedOn === checkedOn)
      }
    }
  })

  it('a signature over the bare body (no domain) does not verify as a domain message, nor the reverse', () => {
    const bare = signMessage(seed, encodeCanonical(body))
    for (const kind of SIGNED_KINDS) expect(verifyDomain(publicKey, kind, 'chain-a', body, bare)).toBe(false)
    const domain = signDomain(seed, 'entry', 'chain-a', body)
    expect(verifySignature(publicKey, encodeCanonical(body), domain)).toBe(false)
  })

  it('a signature does not verify over a different body, or under another key', () => {
    const signature = signDomain(seed, 'proposal', 'chain-a', body)
    expect(verifyDomain(publicKey, 'proposal', 'chain-a', { ...body, height: 8 }, signature)).toBe(false)
    expect(verifyDomain(publicKey, 'proposal', 'chain-a', [body], signature)).toBe(false)
    const otherKey = publicKeyFromSeed(new Uint8Array(32).fill(43))
    expect(verifyDomain(otherKey, 'proposal', 'chain-a', body, signature)).toBe(false)
  })

  it('fields cannot be shifted between kind, chain id and body (the encoding delimits them)', () => {
    // Concatenation without delimiters would make these collide; the CBOR array cannot.
    const a = domainMessage('vote', 'ab', 'c')
    const b = domainMessage('vote', 'a', 'bc')
    expect(toHex(a)).not.toBe(toHex(b))
    const signature = signDomain(seed, 'vote', 'ab', 'c')
    expect(verifyDomain(publicKey, 'vote', 'a', 'bc', signature)).toBe(false)
  })

  it('property: any (kind, chain, body) signature fails under any different (kind, chain)', () => {
    const kindArb = fc.constantFrom<SignedKind>(...SIGNED_KINDS)
    const chainArb = fc.string({ maxLength: 12 })
    fc.assert(
      fc.property(kindArb, chainArb, kindArb, chainArb, fc.uint8Array({ maxLength: 40 }), (kind1, chain1, kind2, chain2, bytes) => {
        fc.pre(kind1 !== kind2 || chain1 !== chain2)
        const signature = signDomain(seed, kind1, chain1, { bytes })
        expect(verifyDomain(publicKey, kind1, chain1, { bytes }, signature)).toBe(true)
        expect(verifyDomain(publicKey, kind2, chain2, { bytes }, signature)).toBe(false)
      }),
      { seed: FC_SEED, numRuns: 200 },
    )
  })
})
