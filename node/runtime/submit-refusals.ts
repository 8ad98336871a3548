// How the validator's backend answers a submission the replica refuses, by rejection
// code (backend.ts, submitEntry). The table covers every code: a new one in
// src/consensus/rejections.ts fails the type check until it is listed here.
import type { RejectionCode } from '../../src/consensus/rejections.ts'

/** How a refused submission is answered (each maps to one error, and so one HTTP
 * status: node/api/errors.ts). Only the entry and mempool codes arise from a submit;
 * the others are listed because the table covers every code (the type checker says so). */
export type SubmitRefusal = 'mempool-full' | 'mempool-bytes-full' | 'seq-pending' | 'seq-committed' | 'invalid-signature' | 'policy-denied' | 'invalid-entry'

export const SUBMIT_REFUSALS: Readonly<Record<RejectionCode, SubmitRefusal>> = {
  'entry-payload-too-large': 'invalid-entry',
  'entry-policy-denied': 'policy-denied',
  'entry-bad-signature': 'invalid-signature',
  // The message names the governance rule (docs/formats.md section 13).
  'entry-governance': 'invalid-entry',
  'entry-seq-committed': 'seq-committed',
  'entry-duplicate-seq': 'seq-pending',
  'mempool-full': 'mempool-full',
  'mempool-bytes-full': 'mempool-bytes-full',
  'qc-not-genesis': 'invalid-entry',
  'tc-round-zero': 'invalid-entry',
  'cc-height-zero': 'invalid-entry',
  'certificate-bitmap-length': 'invalid-entry',
  'certificate-signer-out-of-set': 'invalid-entry',
  'certificate-quorum-short': 'invalid-entry',
  'certificate-signature-count': 'invalid-entry',
  'certificate-bad-signature': 'invalid-entry',
  'certificate-high-qc-round-count': 'invalid-entry',
  'certificate-high-qc-round-not-below': 'invalid-entry',
  'certificate-rejected': 'invalid-entry',
  'qc-differs-from-block': 'invalid-entry',
  'cc-differs-from-block': 'invalid-entry',
  'voter-unknown': 'invalid-entry',
  'vote-bad-signature': 'invalid-entry',
  'commit-bad-signature': 'invalid-entry',
  'timeout-high-qc-not-below': 'invalid-entry',
  'timeout-bad-signature': 'invalid-entry',
  'sender-unknown': 'invalid-entry',
  'proposer-not-leader': 'invalid-entry',
  'proposal-bad-signature': 'invalid-entry',
  'proposal-round-unjustified': 'invalid-entry',
  'proposal-qc-below-tc': 'invalid-entry',
  'blocks-not-chained': 'invalid-entry',
  'range-block-not-chained': 'invalid-entry',
  'range-header-not-chained': 'invalid-entry',
  'range-cc-not-for-last': 'invalid-entry',
  'block-height': 'invalid-entry',
  'block-parent-mismatch': 'invalid-entry',
  'block-round-not-above-parent': 'invalid-entry',
  'block-justify-not-parent': 'invalid-entry',
  'block-entry-count-mismatch': 'invalid-entry',
  'block-too-many-entries': 'invalid-entry',
  'block-entry-invalid': 'invalid-entry',
  'block-too-many-bytes': 'invalid-entry',
  'block-entry-seq': 'invalid-entry',
  'block-entries-root-mismatch': 'invalid-entry',
  'block-log-size-mismatch': 'invalid-entry',
  'block-log-root-mismatch': 'invalid-entry',
  'vote-round-not-above-last-voted': 'invalid-entry',
  'vote-justify-not-parent': 'invalid-entry',
  'vote-round-unjustified': 'invalid-entry',
  'timeout-round-below-last-voted': 'invalid-entry',
  'timeout-round-not-above-highest': 'invalid-entry',
  'timeout-round-not-following': 'invalid-entry',
  'timeout-high-qc-below-observed': 'invalid-entry',
}
