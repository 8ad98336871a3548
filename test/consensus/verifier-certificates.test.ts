// The verifier's certificate checks and their cache: a certificate is verified once,
// and only a certificate identical in every signed field and every signature is
// answered from the cache; a copy that differs anywhere is checked in full.
import { describe, expect, it } from 'vitest'
import { signDomain } from '../../src/crypto/domain.ts'
import { signMessage } from '../../src/crypto/ed25519.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { commitNoteMessage } from '../../src/log/checkpoint.ts'
import { timeoutDataToCbor, voteDataToCbor, type CommitCertificate, type QuorumCertificate, type TimeoutCertificate } from '../../src/log/certificates.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { testNet } from '../support/chain-builder.ts'

const net = testNet(4, 'verifier-certificates')
const chainId = net.genesis.chainId
const N = 4

function hash(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(label))
}

function verifier(certificatesMax = 100): Verifier {
  return new Verifier(net.genesis, validatorSetOf(net.genesis), 100, certificatesMax)
}

function qc(round: number, height: number, block = hash(`block ${height}`), who = [0, 1, 2]): QuorumCertificate {
  const data = { round, height, block }
  return { ...data, signers: bitmapOf(who, N), sigs: who.map((i) => signDomain(net.validatorSeeds[i]!, 'vote', chainId, voteDataToCbor(data))) }
}

function cc(height: number, logSize = 5, logRoot = hash('root'), block = hash(`block ${height}`), who = [0, 1, 2]): CommitCertificate {
  const data = { height, block, logSize, logRoot }
  return { ...data, signers: bitmapOf(who, N), sigs: who.map((i) => signMessage(net.validatorSeeds[i]!, commitNoteMessage(chainId, data))) }
}

function tc(round: number, highQcRounds = [2, 3, 1], who = [0, 1, 2]): TimeoutCertificate {
  return { round, highQcRounds, signers: bitmapOf(who, N), sigs: who.map((i, p) => signDomain(net.validatorSeeds[i]!, 'timeout', chainId, timeoutDataToCbor(round, highQcRounds[p]!))) }
}

function flipped(sig: Uint8Array): Uint8Array {
  const s = Uint8Array.from(sig)
  s[3]! ^= 1
  return s
}

describe('Verifier certificates', () => {
  it('verifies a QC, CC and TC once, counting their signatures, then answers each from the cache', () => {
    const v = verifier()
    const q = qc(4, 3)
    const c = cc(3)
    const t = tc(5)
    expect(v.qc(q)).toBeNull()
    expect(v.cc(c)).toBeNull()
    expect(v.tc(t)).toBeNull()
    expect(v.counters.signatures).toBe(9)
    // Copies (new objects, same content) are answered from the cache too.
    expect(v.qc({ ...q })).toBeNull()
    expect(v.cc({ ...c })).toBeNull()
    expect(v.tc({ ...t })).toBeNull()
    expect(v.counters.signatures).toBe(9)
    expect(v.counters.certificateCacheHits).toBe(3)
  })

  it('refuses a bad certificate with its problem and the certificate kind, every time (a failure is not cached)', () => {
    const v = verifier()
    const q = qc(4, 3)
    const bad = { ...q, sigs: [q.sigs[0]!, flipped(q.sigs[1]!), q.sigs[2]!] }
    expect(v.qc(bad)).toEqual({ code: 'certificate-bad-signature', signer: 1, certificate: 'QC' })
    expect(v.qc(bad)).toEqual({ code: 'certificate-bad-signature', signer: 1, certificate: 'QC' })
    expect(v.counters.certificateCacheHits).toBe(0)
    const c = cc(3)
    expect(v.cc({ ...c, sigs: c.sigs.slice(0, 2), signers: bitmapOf([0, 1], N) })).toEqual({ code: 'certificate-quorum-short', have: 2, need: 3, certificate: 'CC' })
    const t = tc(5)
    expect(v.tc({ ...t, highQcRounds: [2, 3] })).toEqual({ code: 'certificate-high-qc-round-count', rounds: 2, sigs: 3, certificate: 'TC' })
    expect(v.counters.signatures).toBe(0) // nothing valid was counted
  })

  it('checks in full a copy of a cached QC that differs in a signature, the signers, the round, the height or the block', () => {
    const q = qc(4, 3)
    const copies: [string, QuorumCertificate][] = [
      ['signature', { ...q, sigs: [q.sigs[0]!, q.sigs[1]!, flipped(q.sigs[2]!)] }],
      ['signers', { ...q, signers: bitmapOf([0, 1, 3], N) }],
      ['round', { ...q, round: 5 }],
      ['height', { ...q, height: 4 }],
      ['block', { ...q, block: hash('another block') }],
    ]
    for (const [what, copy] of copies) {
      const v = verifier()
      expect(v.qc(q)).toBeNull()
      const result = v.qc(copy)
      expect(result, what).not.toBeNull()
      expect(result!.code, what).toBe('certificate-bad-signature')
    }
  })

  it('checks in full a copy of a cached CC that differs in its height, block, log size or log root', () => {
    const c = cc(3)
    const copies: [string, CommitCertificate][] = [
      ['signature', { ...c, sigs: [flipped(c.sigs[0]!), c.sigs[1]!, c.sigs[2]!] }],
      ['height', { ...c, height: 4 }],
      ['block', { ...c, block: hash('another block') }],
      ['log size', { ...c, logSize: 6 }],
      ['log root', { ...c, logRoot: hash('another root') }],
    ]
    for (const [what, copy] of copies) {
      const v = verifier()
      expect(v.cc(c)).toBeNull()
      expect(v.cc(copy), what).toEqual({ code: 'certificate-bad-signature', signer: 0, certificate: 'CC' })
    }
  })

  it('checks in full a copy of a cached TC that differs in its round or its high-QC rounds', () => {
    const t = tc(5)
    const copies: [string, TimeoutCertificate][] = [
      ['round', { ...t, round: 6 }],
      ['high-QC rounds', { ...t, highQcRounds: [2, 3, 2] }],
    ]
    for (const [what, copy] of copies) {
      const v = verifier()
      expect(v.tc(t)).toBeNull()
      const result = v.tc(copy)
      expect(result, what).not.toBeNull()
      expect(result!.code, what).toBe('certificate-bad-signature')
    }
  })

  it('a QC, a CC and a TC with the same signatures are different cache keys', () => {
    // A CC and a QC whose round/height/block line up: a QC in the cache must not pass a CC.
    const v = verifier()
    const q = qc(4, 3, hash('block 3'))
    expect(v.qc(q)).toBeNull()
    const asCc: CommitCertificate = { height: 3, block: q.block, logSize: 0, logRoot: hash('root'), signers: q.signers, sigs: q.sigs }
    expect(v.cc(asCc)).toEqual({ code: 'certificate-bad-signature', signer: 0, certificate: 'CC' })
  })

  it('refuses a QC at round 0 or height 0 unless it is the genesis QC, however well signed', () => {
    const v = verifier()
    expect(v.qc(qc(0, 1))).toEqual({ code: 'qc-not-genesis' })
    expect(v.qc(qc(1, 0))).toEqual({ code: 'qc-not-genesis' })
    expect(v.qc(qc(0, 0))).toEqual({ code: 'qc-not-genesis' })
    expect(v.qc(qc(1, 1))).toBeNull()
  })

  it('refuses a TC at round 0 and a CC at height 0, however well signed', () => {
    const v = verifier()
    const t = tc(0, [0, 0, 0])
    expect(v.tc(t)).toEqual({ code: 'tc-round-zero' })
    expect(v.cc(cc(0))).toEqual({ code: 'cc-height-zero' })
    expect(v.tc(tc(1, [0, 0, 0]))).toBeNull()
    expect(v.cc(cc(1))).toBeNull()
  })

  it('records the certificates it formed itself as valid: checking them verifies nothing', () => {
    const q = qc(4, 3)
    const c = cc(3)
    const t = tc(5)
    for (const kind of ['qc', 'cc', 'tc'] as const) {
      const v = verifier()
      if (kind === 'qc') v.formed({ kind, qc: q })
      else if (kind === 'cc') v.formed({ kind, cc: c })
      else v.formed({ kind, tc: t })
      expect(kind === 'qc' ? v.qc({ ...q }) : kind === 'cc' ? v.cc({ ...c }) : v.tc({ ...t }), kind).toBeNull()
      expect(v.counters.signatures, kind).toBe(0)
      expect(v.counters.certificateCacheHits, kind).toBe(1)
      // Only that certificate: the other kinds are still checked.
      if (kind !== 'qc') expect(v.qc(q)).toBeNull()
      if (kind !== 'cc') expect(v.cc(c)).toBeNull()
      if (kind !== 'tc') expect(v.tc(t)).toBeNull()
      expect(v.counters.signatures, kind).toBe(6)
    }
  })

  it('the certificate cache is bounded and forgets oldest first', () => {
    const v = verifier(2)
    const [a, b, c] = [qc(1, 1), qc(2, 2), qc(3, 3)]
    for (const q of [a, b, c]) expect(v.qc(q)).toBeNull()
    expect(v.counters.signatures).toBe(9)
    expect(v.qc({ ...c })).toBeNull()
    expect(v.qc({ ...b })).toBeNull()
    expect(v.counters.signatures).toBe(9) // b and c still cached
    expect(v.qc({ ...a })).toBeNull()
    expect(v.counters.signatures).toBe(12) // a was forgotten, and is checked again
  })
})
