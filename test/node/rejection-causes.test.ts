import { describe, expect, it } from 'vitest'
import { penaltyCauseOf } from '../../node/runtime/rejection-causes.ts'
import type { Rejection } from '../../src/consensus/rejections.ts'
import { CERTIFICATE_PROBLEM_CODES } from '../../src/log/certificates.ts'

describe('the penalty cause (metrics label) of a core rejection', () => {
  it('regression: the metrics label was decoded from the message by regular expressions', () => {
    // The label follows the code of what broke, not the wording around it.
    expect(penaltyCauseOf({ code: 'block-entry-invalid', index: 0, problem: { code: 'entry-bad-signature' } })).toBe('bad-signature')
    expect(penaltyCauseOf({ code: 'sender-unknown', sender: 9 })).toBe('unknown-sender')
    expect(penaltyCauseOf({ code: 'voter-unknown', voter: 9 })).toBe('unknown-sender')
    expect(penaltyCauseOf({ code: 'block-too-many-bytes', limit: 1 })).toBe('oversized')
    expect(penaltyCauseOf({ code: 'proposer-not-leader', proposer: 1, round: 2 })).toBe('invalid')
  })

  it('a certificate that does not verify counts as a bad signature, whichever part of it fails', () => {
    const problems: Rejection[] = [
      { code: 'certificate-bitmap-length', certificate: 'QC', have: 2, need: 1, n: 4 },
      { code: 'certificate-signer-out-of-set', certificate: 'QC', index: 5, n: 4 },
      { code: 'certificate-quorum-short', certificate: 'CC', have: 2, need: 3 },
      { code: 'certificate-signature-count', certificate: 'CC', sigs: 2, signers: 3 },
      { code: 'certificate-bad-signature', certificate: 'QC', signer: 1 },
      { code: 'certificate-high-qc-round-count', certificate: 'TC', rounds: 2, sigs: 3 },
      { code: 'certificate-high-qc-round-not-below', certificate: 'TC', highQcRound: 6, round: 6 },
    ]
    expect(problems.map((p) => p.code).sort()).toEqual([...CERTIFICATE_PROBLEM_CODES].sort())
    for (const problem of problems) {
      expect(penaltyCauseOf(problem)).toBe('bad-signature')
      expect(penaltyCauseOf({ code: 'certificate-rejected', certificate: 'justify QC', problem })).toBe('bad-signature')
    }
  })
})
