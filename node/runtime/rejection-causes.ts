// The penalty cause (and so the metrics label) of each rejection code of the core: a
// table the type checker keeps exhaustive, so that a new code cannot go uncounted and a
// reworded message changes no label.
import { rootCause, type Rejection, type RejectionCode } from '../../src/consensus/rejections.ts'
import type { PenaltyCause } from '../net/transport.ts'

const CAUSES: Readonly<Record<RejectionCode, PenaltyCause>> = {
  'entry-payload-too-large': 'oversized',
  'entry-policy-denied': 'invalid',
  'entry-bad-signature': 'bad-signature',
  'entry-governance': 'invalid',
  'entry-reconfiguration-unsupported': 'invalid',
  'entry-seq-committed': 'invalid',
  'entry-duplicate-seq': 'invalid',
  'mempool-full': 'invalid',
  'mempool-bytes-full': 'invalid',
  'qc-not-genesis': 'invalid',
  'tc-round-zero': 'invalid',
  'cc-height-zero': 'invalid',
  // A quorum check: the certificate does not verify, whichever part of it fails.
  'certificate-bitmap-length': 'bad-signature',
  'certificate-signer-out-of-set': 'bad-signature',
  'certificate-quorum-short': 'bad-signature',
  'certificate-signature-count': 'bad-signature',
  'certificate-bad-signature': 'bad-signature',
  'certificate-high-qc-round-count': 'bad-signature',
  'certificate-high-qc-round-not-below': 'bad-signature',
  'certificate-rejected': 'invalid', // wraps another: rootCause() looks inside
  'qc-differs-from-block': 'invalid',
  'cc-differs-from-block': 'invalid',
  'voter-unknown': 'unknown-sender',
  'epoch-unknown': 'invalid',
  'vote-bad-signature': 'bad-signature',
  'commit-bad-signature': 'bad-signature',
  'timeout-high-qc-not-below': 'invalid',
  'timeout-bad-signature': 'bad-signature',
  'sender-unknown': 'unknown-sender',
  // A validator, but not one of the epoch's: for its messages the chain has no such sender.
  'sender-not-in-epoch': 'unknown-sender',
  'proposer-not-leader': 'invalid',
  'proposal-bad-signature': 'bad-signature',
  'proposal-round-unjustified': 'invalid',
  'proposal-qc-below-tc': 'invalid',
  'blocks-not-chained': 'invalid',
  'range-block-not-chained': 'invalid',
  'range-header-not-chained': 'invalid',
  'range-cc-not-for-last': 'invalid',
  'block-height': 'invalid',
  'block-parent-mismatch': 'invalid',
  'block-round-not-above-parent': 'invalid',
  'block-justify-not-parent': 'invalid',
  'block-entry-count-mismatch': 'invalid',
  'block-too-many-entries': 'oversized',
  'block-entry-invalid': 'invalid', // wraps another: rootCause() looks inside
  'block-too-many-bytes': 'oversized',
  'block-entry-seq': 'invalid',
  'block-entries-root-mismatch': 'invalid',
  'block-log-size-mismatch': 'invalid',
  'block-log-root-mismatch': 'invalid',
  'block-epoch-mismatch': 'invalid',
  'block-epoch-uncertified': 'invalid',
  'block-suffix-not-empty': 'invalid',
  'block-reconfiguration-unsupported': 'invalid',
  'vote-round-not-above-last-voted': 'invalid',
  'sign-epoch-not-current': 'invalid',
  'epoch-not-after': 'invalid',
  'vote-justify-not-parent': 'invalid',
  'vote-round-unjustified': 'invalid',
  'timeout-round-below-last-voted': 'invalid',
  'timeout-round-not-above-highest': 'invalid',
  'timeout-round-not-following': 'invalid',
  'timeout-high-qc-below-observed': 'invalid',
}

/** The penalty cause of a rejection: that of what actually broke (an entry's bad
 * signature inside a block counts as a bad signature). */
export function penaltyCauseOf(rejection: Rejection): PenaltyCause {
  return CAUSES[rootCause(rejection).code]
}
