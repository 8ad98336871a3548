// The quorum checks of src/log/certificates.ts answer typed problems with the values that
// broke them, one per rule, and each flows unchanged to the consensus core's rejections,
// the penalty causes and the auditor.
import { describe, expect, it } from 'vitest'
import { describe as describeRejection, REJECTION_CODES } from '../../src/consensus/rejections.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { signDomain } from '../../src/crypto/domain.ts'
import { signMessage } from '../../src/crypto/ed25519.ts'
import { commitNoteMessage } from '../../src/log/checkpoint.ts'
import {
  CERTIFICATE_PROBLEM_CODES,
  checkCc,
  checkQc,
  checkTc,
  describeCertificateProblem,
  timeoutDataToCbor,
  voteDataToCbor,
  type CertificateProblem,
  type CertificateProblemCode,
  type CommitCertificate,
  type QuorumCertificate,
  type TimeoutCertificate,
} from '../../src/log/certificates.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { CHAIN, makeGenesis } from '../consensus/fixtures.ts'

const N = 4
const { genesis, seeds } = makeGenesis(N)
const set = validatorSetOf(genesis)
const block = new Uint8Array(32).fill(7)

function qc(signers: number[], chainId = CHAIN): QuorumCertificate {
  const data = { round: 5, height: 3, block }
  return { ...data, signers: bitmapOf(signers, N), sigs: signers.map((i) => signDomain(seeds[i]!, 'vote', chainId, voteDataToCbor(data))) }
}

function cc(signers: number[]): CommitCertificate {
  const data = { height: 3, block, logSize: 9, logRoot: new Uint8Array(32).fill(1) }
  return { ...data, signers: bitmapOf(signers, N), sigs: signers.map((i) => signMessage(seeds[i]!, commitNoteMessage(CHAIN, data))) }
}

function tc(signers: number[], highQcRounds: number[]): TimeoutCertificate {
  const round = 6
  return { round, highQcRounds, signers: bitmapOf(signers, N), sigs: signers.map((i, p) => signDomain(seeds[i]!, 'timeout', CHAIN, timeoutDataToCbor(round, highQcRounds[p]!))) }
}

/** One case per problem code: the certificate check that meets it, and what it answers. */
const CASES: { readonly [C in CertificateProblemCode]: { check: () => CertificateProblem | null, expected: Extract<CertificateProblem, { code: C }>, message: string } } = {
  'certificate-bitmap-length': {
    check: () => checkQc(set, CHAIN, { ...qc([0, 1, 2]), signers: new Uint8Array(2) }),
    expected: { code: 'certificate-bitmap-length', have: 2, need: 1, n: N },
    message: 'signer bitmap is malformed for 4 validators: 2 bytes, not 1',
  },
  'certificate-signer-out-of-set': {
    check: () => checkQc(set, CHAIN, { ...qc([0, 1, 2]), signers: Uint8Array.of(0b0010_0111) }),
    expected: { code: 'certificate-signer-out-of-set', index: 5, n: N },
    message: 'signer bitmap is malformed for 4 validators: bit 5 is set',
  },
  'certificate-quorum-short': {
    check: () => checkCc(set, CHAIN, cc([0, 1])),
    expected: { code: 'certificate-quorum-short', have: 2, need: 3 },
    message: '2 signers is below the quorum of 3',
  },
  'certificate-signature-count': {
    check: () => checkQc(set, CHAIN, { ...qc([0, 1, 2]), sigs: qc([0, 1]).sigs }),
    expected: { code: 'certificate-signature-count', sigs: 2, signers: 3 },
    message: '2 signatures for 3 signers',
  },
  'certificate-bad-signature': {
    // Signed for another chain: the chain id is part of each signed statement.
    check: () => {
      const good = qc([0, 1, 2])
      return checkQc(set, CHAIN, { ...good, sigs: [good.sigs[0]!, qc([1], 'other-chain').sigs[0]!, good.sigs[2]!] })
    },
    expected: { code: 'certificate-bad-signature', signer: 1 },
    message: 'signature of validator 1 does not verify',
  },
  'certificate-high-qc-round-count': {
    check: () => checkTc(set, CHAIN, { ...tc([0, 1, 2], [4, 4, 4]), highQcRounds: [4, 4] }),
    expected: { code: 'certificate-high-qc-round-count', rounds: 2, sigs: 3 },
    message: '2 high-QC rounds for 3 signatures',
  },
  'certificate-high-qc-round-not-below': {
    check: () => checkTc(set, CHAIN, tc([0, 1, 2], [4, 6, 4])),
    expected: { code: 'certificate-high-qc-round-not-below', highQcRound: 6, round: 6 },
    message: 'high-QC round 6 is not below the timeout round 6',
  },
}

describe('certificate quorum checks', () => {
  it('accept a quorum of good signatures', () => {
    expect(checkQc(set, CHAIN, qc([0, 1, 2]))).toBeNull()
    expect(checkCc(set, CHAIN, cc([1, 2, 3]))).toBeNull()
    expect(checkTc(set, CHAIN, tc([0, 2, 3], [4, 5, 0]))).toBeNull()
  })

  for (const code of CERTIFICATE_PROBLEM_CODES) {
    it(`answer ${code} with its values and message`, () => {
      const c = CASES[code]
      const problem = c.check()
      expect(problem).toEqual(c.expected)
      expect(describeCertificateProblem(problem!)).toBe(c.message)
    })
  }

  it('every problem code is a rejection code of the core, and its message is the same', () => {
    for (const code of CERTIFICATE_PROBLEM_CODES) {
      expect(REJECTION_CODES).toContain(code)
      const problem = CASES[code].expected
      expect(describeRejection({ ...problem, certificate: 'QC' })).toBe(CASES[code].message)
    }
  })

  it('the verifier rejects with the problem and the certificate kind, and caches no failure', () => {
    const verifier = new Verifier(genesis, set, 100, 100)
    const weak = qc([0, 1])
    expect(verifier.qc(weak)).toEqual({ code: 'certificate-quorum-short', certificate: 'QC', have: 2, need: 3 })
    expect(verifier.qc(weak)).toEqual({ code: 'certificate-quorum-short', certificate: 'QC', have: 2, need: 3 })
    expect(verifier.cc(cc([0, 1, 2]))).toBeNull()
    expect(verifier.tc(tc([0, 1, 2], [4, 7, 4]))).toEqual({ code: 'certificate-high-qc-round-not-below', certificate: 'TC', highQcRound: 7, round: 6 })
  })
})
