import { describe, expect, it } from 'vitest'
import { isRejection } from '../../src/consensus/rejections.ts'
import { runInNewContext } from 'node:vm'
import { setFlagsFromString } from 'node:v8'
import { signDomain } from '../../src/crypto/domain.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { signMessage } from '../../src/crypto/ed25519.ts'
import { ED25519, type SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import type { TimeoutMessage, VoteMessage } from '../../src/consensus/types.ts'
import { genesisQc, isGenesisQc } from '../../src/log/block.ts'
import { timeoutDataToCbor, voteDataToCbor, type QuorumCertificate } from '../../src/log/certificates.ts'
import { commitNoteMessage } from '../../src/log/checkpoint.ts'
import { DEFAULT_PARAMS, validatorSetOf } from '../../src/log/genesis.ts'
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
    expect(v.counters.certificateCacheHits).toBe(1)
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
    expect(verifier.genesisQc).toEqual(gqc)
    expect(verifier.isGenesisQc(verifier.genesisQc)).toBe(true)
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

describe('Verifier votes, timeouts and proposals', () => {
  const net = testNet(4, 'verifier-test')
  const chainId = net.genesis.chainId
  const verifierOf = (): Verifier => new Verifier(net.genesis, validatorSetOf(net.genesis), 100, 100)
  const block = sha256(new TextEncoder().encode('voted block'))
  const data = { round: 6, height: 4, block }
  const commitData = { height: 3, block: sha256(new TextEncoder().encode('parent')), logSize: 9, logRoot: sha256(new TextEncoder().encode('root')) }
  const voteOf = (voter: number, withCommit: boolean): VoteMessage => ({
    type: 'vote', voter, ...data, sig: signDomain(net.validatorSeeds[voter % 4]!, 'vote', chainId, voteDataToCbor(data)),
    commit: withCommit ? { ...commitData, sig: signMessage(net.validatorSeeds[voter % 4]!, commitNoteMessage(chainId, commitData)) } : null,
  })
  const highQc = (round: number): QuorumCertificate => ({ round, height: round, block, signers: new Uint8Array(1), sigs: [] })
  const timeoutOf = (voter: number, round: number, highQcRound: number): TimeoutMessage => ({
    type: 'timeout', voter, round, highQc: highQc(highQcRound), highTc: null,
    sig: signDomain(net.validatorSeeds[voter % 4]!, 'timeout', chainId, timeoutDataToCbor(round, highQcRound)),
  })
  const flip = (sig: Uint8Array): Uint8Array => {
    const s = Uint8Array.from(sig)
    s[9]! ^= 1
    return s
  }

  it('accepts a vote with and without its commit half, verifying each signature', () => {
    const v = verifierOf()
    expect(v.vote(voteOf(1, false))).toBeNull()
    expect(v.counters.signatures).toBe(1)
    expect(v.vote(voteOf(2, true))).toBeNull()
    expect(v.counters.signatures).toBe(3)
  })

  it('refuses a vote from outside the set, with a bad signature, or with a bad commit signature', () => {
    const v = verifierOf()
    expect(v.vote(voteOf(4, false))).toEqual({ code: 'voter-unknown', voter: 4 })
    const good = voteOf(1, true)
    expect(v.vote({ ...good, sig: flip(good.sig) })).toEqual({ code: 'vote-bad-signature', voter: 1 })
    expect(v.vote({ ...good, commit: { ...good.commit!, sig: flip(good.commit!.sig) } })).toEqual({ code: 'commit-bad-signature', voter: 1 })
    // The commit half signed by another validator does not pass as this voter's.
    expect(v.vote({ ...good, commit: voteOf(2, true).commit })).toEqual({ code: 'commit-bad-signature', voter: 1 })
    expect(v.vote({ ...good, commit: { ...good.commit!, logSize: 10 } })).toEqual({ code: 'commit-bad-signature', voter: 1 })
  })

  it('accepts a timeout whose high QC is below its round, and refuses one at or above it', () => {
    const v = verifierOf()
    expect(v.timeout(timeoutOf(1, 7, 6))).toBeNull()
    expect(v.counters.signatures).toBe(1)
    expect(v.timeout(timeoutOf(1, 7, 7))).toEqual({ code: 'timeout-high-qc-not-below', highQcRound: 7, round: 7 })
    expect(v.timeout(timeoutOf(1, 7, 8))).toEqual({ code: 'timeout-high-qc-not-below', highQcRound: 8, round: 7 })
    expect(v.counters.signatures).toBe(1)
  })

  it('refuses a timeout from outside the set or with a signature over another statement', () => {
    const v = verifierOf()
    expect(v.timeout(timeoutOf(4, 7, 6))).toEqual({ code: 'voter-unknown', voter: 4 })
    const good = timeoutOf(2, 7, 6)
    expect(v.timeout({ ...good, sig: flip(good.sig) })).toEqual({ code: 'timeout-bad-signature', voter: 2 })
    // The signature covers the high QC's round: a timeout claiming another one fails.
    expect(v.timeout({ ...good, highQc: highQc(5) })).toEqual({ code: 'timeout-bad-signature', voter: 2 })
    expect(v.timeout({ ...good, voter: 3 })).toEqual({ code: 'timeout-bad-signature', voter: 3 })
  })

  it('refuses a proposal by the index just past the set', () => {
    const v = verifierOf()
    const sig = signDomain(net.validatorSeeds[0]!, 'proposal', chainId, { block })
    expect(v.proposal(4, block, sig)).toBe(false)
    expect(v.proposal(0, block, sig)).toBe(true)
  })

  it('records its own signed proposal as verified: checking it verifies nothing', () => {
    const v = verifierOf()
    const sig = signDomain(net.validatorSeeds[3]!, 'proposal', chainId, { block })
    v.signedProposal(3, block, sig)
    expect(v.proposal(3, block, sig)).toBe(true)
    expect(v.counters.signatures).toBe(0)
    // Another proposer's or another signature's key is not the recorded one.
    expect(v.proposal(3, block, flip(sig))).toBe(false)
    expect(v.counters.signatures).toBe(1)
  })
})

describe('Verifier entry checks', () => {
  const net = testNet(4, 'verifier-test', { params: { ...DEFAULT_PARAMS, payloadBytesMax: 64 } })
  const chainId = net.genesis.chainId
  const agent = new TestAgent('entry-checks')
  const verifierOf = (entriesMax = 100): Verifier => new Verifier(net.genesis, validatorSetOf(net.genesis), entriesMax, 100)

  it('accepts a payload of exactly the limit and refuses one byte more', () => {
    const v = verifierOf()
    expect(isRejection(v.entry(agent.entryText(chainId, 'test/a', `"${'x'.repeat(62)}"`)))).toBe(false)
    expect(v.entry(agent.entryText(chainId, 'test/a', `"${'x'.repeat(63)}"`))).toEqual({ code: 'entry-payload-too-large', bytes: 65, limit: 64 })
  })

  it('a refused entry is checked again each time: a refusal is not cached', () => {
    const v = verifierOf()
    const good = agent.entry(chainId, 'test/a', { n: 1 })
    const sig = Uint8Array.from(good.sig)
    sig[1]! ^= 1
    const forged = { ...good, sig }
    expect(v.entry(forged)).toEqual({ code: 'entry-bad-signature' })
    expect(v.entry(forged)).toEqual({ code: 'entry-bad-signature' })
    expect(v.counters.signatures).toBe(2)
    expect(v.counters.entryCacheHits).toBe(0)
    // The good entry with the same id is still verified and accepted.
    expect(isRejection(v.entry(good))).toBe(false)
  })

  it('the same entry object is answered from the identity cache', () => {
    const v = verifierOf()
    const e = agent.entry(chainId, 'test/a', { n: 2 })
    const first = v.entry(e)
    expect(v.entry(e)).toBe(first)
    expect(v.counters.entryCacheHits).toBe(1)
    expect(v.counters.signatures).toBe(1)
  })

  it('the entry cache is bounded and forgets oldest first', () => {
    const v = verifierOf(2)
    const [a, b, c] = [1, 2, 3].map((n) => agent.entry(chainId, 'test/a', { n }))
    for (const e of [a!, b!, c!]) expect(isRejection(v.entry(e))).toBe(false)
    expect(v.counters.signatures).toBe(3)
    // Copies are new objects: they miss the identity cache and look the id up.
    expect(isRejection(v.entry({ ...c! }))).toBe(false)
    expect(isRejection(v.entry({ ...b! }))).toBe(false)
    expect(v.counters.signatures).toBe(3)
    expect(v.counters.entryCacheHits).toBe(2)
    expect(isRejection(v.entry({ ...a! }))).toBe(false)
    expect(v.counters.signatures).toBe(4)
  })
})

describe('Verifier signature scheme', () => {
  const net = testNet(4, 'verifier-test')
  it('checks with Ed25519 unless given another scheme, and says which', () => {
    expect(new Verifier(net.genesis, validatorSetOf(net.genesis), 10, 10).signatures).toBe(ED25519)
    const other: SignatureScheme = { ...ED25519, verify: () => true }
    const v = new Verifier(net.genesis, validatorSetOf(net.genesis), 10, 10, { signatures: other })
    expect(v.signatures).toBe(other)
    // The given scheme is the one applied: this one accepts any signature.
    expect(v.proposal(1, new Uint8Array(32), new Uint8Array(64))).toBe(true)
  })
})

describe('Verifier policy entries under governance', () => {
  const agent = new TestAgent('governance-admin')
  const governed = testNet(4, 'verifier-test', { governance: { admins: new Map([['acme', [agent.publicKey]]]) } })
  const plain = testNet(4, 'verifier-test')
  const malformed = '{"synod":"policy","writers":"all"}'

  it('refuses a malformed policy entry on a chain with governance, and accepts the same text without it', () => {
    const v = new Verifier(governed.genesis, validatorSetOf(governed.genesis), 10, 10)
    expect(v.entry(agent.entryText(governed.genesis.chainId, 'acme', malformed))).toMatchObject({ code: 'entry-governance', rule: 'policy-malformed', namespace: 'acme' })
    // An ordinary payload on the governed chain passes.
    expect(isRejection(v.entry(agent.entry(governed.genesis.chainId, 'acme', { n: 1 })))).toBe(false)
    // A well-formed policy entry is not refused here (who may set a policy is the state's rule).
    expect(isRejection(v.entry(agent.entryText(governed.genesis.chainId, 'acme', '{"synod":"policy","writers":"any"}')))).toBe(false)
    const w = new Verifier(plain.genesis, validatorSetOf(plain.genesis), 10, 10)
    expect(isRejection(w.entry(agent.entryText(plain.genesis.chainId, 'acme', malformed)))).toBe(false)
  })
})
