// Why the core refuses something: an entry, a message, a block, a signature. A closed
// union of codes, each with the values that broke the rule ("round 7 is not above last
// voted round 9"), so that the drivers map codes to what they do (HTTP statuses, metric
// labels, simulator counters) with tables the type checker keeps exhaustive, and a
// reworded message changes nothing but the message. describe() renders the text.
import { describeCertificateProblem, type CertificateProblem } from '../log/certificates.ts'
import { describeGovernanceProblem, type GovernanceProblem } from '../governance/state.ts'

/** A rejection that wraps another (a block's entry, a message's certificate): the
 * outer one says where, `problem` says what. */
interface Wrapping {
  readonly problem: Rejection
}

export type Rejection =
  // An entry (submit, forward, or inside a block): verifier.entry()
  | { readonly code: 'entry-payload-too-large', readonly bytes: number, readonly limit: number }
  | { readonly code: 'entry-policy-denied', readonly namespace: string }
  | { readonly code: 'entry-bad-signature' }
  /** Namespace governance (docs/formats.md section 13): `rule` is the auditor's code. */
  | ({ readonly code: 'entry-governance' } & GovernanceProblem)
  /** An entry that would end the epoch: this replica cannot switch sets yet (docs/protocol.md,
   * "The replica at the boundary"), so it refuses it rather than commit a chain it could not follow. */
  | { readonly code: 'entry-reconfiguration-unsupported', readonly epoch: number }
  // An entry the mempool refuses (submit results)
  | { readonly code: 'entry-seq-committed' }
  | { readonly code: 'entry-duplicate-seq' }
  | { readonly code: 'mempool-full' }
  | { readonly code: 'mempool-bytes-full' }
  // Certificates: verifier.qc() / tc() / cc()
  | { readonly code: 'qc-not-genesis' }
  | { readonly code: 'tc-round-zero' }
  | { readonly code: 'cc-height-zero' }
  /** A quorum check of src/log/certificates.ts failed: its problem, and which certificate. */
  | (CertificateProblem & { readonly certificate: CertificateKind })
  | ({ readonly code: 'certificate-rejected', readonly certificate: CertificateKind | 'justify QC' } & Wrapping)
  | { readonly code: 'qc-differs-from-block' }
  | { readonly code: 'cc-differs-from-block' }
  // Votes and timeouts: verifier.vote() / timeout()
  | { readonly code: 'voter-unknown', readonly voter: number }
  /** A vote or timeout of an epoch this replica does not know the set of. */
  | { readonly code: 'epoch-unknown', readonly epoch: number }
  | { readonly code: 'vote-bad-signature', readonly voter: number }
  | { readonly code: 'commit-bad-signature', readonly voter: number }
  | { readonly code: 'timeout-high-qc-not-below', readonly highQcRound: number, readonly round: number }
  | { readonly code: 'timeout-bad-signature', readonly voter: number }
  // Messages
  | { readonly code: 'sender-unknown', readonly sender: number }
  /** A proposal, vote, timeout or entries from a validator of the directory outside the
   * set of the replica's epoch (a removed validator after the boundary): `sender` its
   * directory index (docs/protocol.md, "The replica at the boundary", step 6). */
  | { readonly code: 'sender-not-in-epoch', readonly sender: number, readonly epoch: number }
  | { readonly code: 'proposer-not-leader', readonly proposer: number, readonly round: number }
  | { readonly code: 'proposal-bad-signature', readonly proposer: number }
  | { readonly code: 'proposal-round-unjustified', readonly round: number, readonly qcRound: number }
  | { readonly code: 'proposal-qc-below-tc', readonly qcRound: number, readonly tcHighQcRound: number }
  | { readonly code: 'blocks-not-chained', readonly index: number, readonly next: number }
  | { readonly code: 'range-block-not-chained', readonly height: number }
  | { readonly code: 'range-header-not-chained', readonly index: number }
  | { readonly code: 'range-cc-not-for-last' }
  // A block against its parent: validateBlock()
  | { readonly code: 'block-height', readonly height: number, readonly parentHeight: number }
  | { readonly code: 'block-parent-mismatch' }
  | { readonly code: 'block-round-not-above-parent', readonly round: number, readonly parentRound: number }
  | { readonly code: 'block-justify-not-parent' }
  | { readonly code: 'block-entry-count-mismatch', readonly header: number, readonly actual: number }
  | { readonly code: 'block-too-many-entries', readonly count: number, readonly limit: number }
  | ({ readonly code: 'block-entry-invalid', readonly index: number } & Wrapping)
  | { readonly code: 'block-too-many-bytes', readonly limit: number }
  | { readonly code: 'block-entry-seq', readonly index: number, readonly seq: number, readonly agentHex: string, readonly last: number }
  | { readonly code: 'block-entries-root-mismatch' }
  | { readonly code: 'block-log-size-mismatch', readonly header: number, readonly actual: number }
  | { readonly code: 'block-log-root-mismatch' }
  // The epoch rule (docs/formats.md section 15.3)
  | { readonly code: 'block-epoch-mismatch', readonly epoch: number, readonly expected: number }
  | { readonly code: 'block-epoch-uncertified', readonly epoch: number, readonly boundary: number }
  | { readonly code: 'block-suffix-not-empty', readonly entries: number }
  | { readonly code: 'block-reconfiguration-unsupported', readonly height: number }
  // Safety rules: signVote() / signTimeout() (this replica refusing to sign)
  | { readonly code: 'vote-round-not-above-last-voted', readonly round: number, readonly lastVoted: number }
  /** The safety rules sign only for the epoch their state is of (docs/protocol.md,
   * "Safety at the boundary" 3): never again for an epoch left, not yet for a later one. */
  | { readonly code: 'sign-epoch-not-current', readonly epoch: number, readonly current: number }
  /** A fresh safety state only for a later epoch. */
  | { readonly code: 'epoch-not-after', readonly epoch: number, readonly current: number }
  | { readonly code: 'vote-justify-not-parent' }
  | { readonly code: 'vote-round-unjustified', readonly round: number, readonly qcRound: number }
  | { readonly code: 'timeout-round-below-last-voted', readonly round: number, readonly lastVoted: number }
  | { readonly code: 'timeout-round-not-above-highest', readonly round: number, readonly highestTimeout: number }
  | { readonly code: 'timeout-round-not-following', readonly round: number, readonly highQcRound: number, readonly highTcRound: number }
  | { readonly code: 'timeout-high-qc-below-observed', readonly highQcRound: number, readonly observed: number }

export type RejectionCode = Rejection['code']
export type CertificateKind = 'QC' | 'TC' | 'CC'
export type RejectionOf<C extends RejectionCode> = Extract<Rejection, { readonly code: C }>

/** Tells a result (a checked entry, a block node: objects without a `code`) from the
 * rejection returned in its place. */
export function isRejection<T extends object>(result: T | Rejection): result is Rejection {
  return Object.hasOwn(result, 'code')
}

/** The innermost rejection: what actually broke (an entry's bad signature inside a
 * block, rather than "entry 3 of the block"). */
export function rootCause(rejection: Rejection): Rejection {
  let r = rejection
  while ('problem' in r) r = r.problem
  return r
}

/** The codes from the outer rejection to its root cause, joined by '/': a stable key
 * for counting (e.g. `block-entry-invalid/entry-bad-signature`). */
export function codePath(rejection: Rejection): string {
  const codes: string[] = [rejection.code]
  let r = rejection
  while ('problem' in r) {
    r = r.problem
    codes.push(r.code)
  }
  return codes.join('/')
}

type Describers = { readonly [C in RejectionCode]: (r: RejectionOf<C>) => string }

const DESCRIBE: Describers = {
  'entry-payload-too-large': (r) => `entry payload of ${r.bytes} bytes is over the chain's limit of ${r.limit}`,
  'entry-policy-denied': (r) => `agent may not write to namespace '${r.namespace}'`,
  'entry-bad-signature': () => 'entry signature does not verify',
  'entry-governance': describeGovernanceProblem,
  'entry-reconfiguration-unsupported': (r) => `the entry would start epoch ${r.epoch}, and this validator cannot switch validator sets yet`,
  'entry-seq-committed': () => 'seq-committed',
  'entry-duplicate-seq': () => 'duplicate-seq',
  'mempool-full': () => 'mempool-full',
  'mempool-bytes-full': () => 'mempool-bytes-full',
  'qc-not-genesis': () => 'a QC at round or height 0 must be the genesis QC',
  'tc-round-zero': () => 'a TC for round 0',
  'cc-height-zero': () => 'a CC for height 0',
  'certificate-bitmap-length': describeCertificateProblem,
  'certificate-signer-out-of-set': describeCertificateProblem,
  'certificate-quorum-short': describeCertificateProblem,
  'certificate-signature-count': describeCertificateProblem,
  'certificate-bad-signature': describeCertificateProblem,
  'certificate-high-qc-round-count': describeCertificateProblem,
  'certificate-high-qc-round-not-below': describeCertificateProblem,
  'certificate-rejected': (r) => `${r.certificate}: ${describe(r.problem)}`,
  'qc-differs-from-block': () => 'QC round or height differs from its block',
  'cc-differs-from-block': () => 'CC log size or root differs from its block',
  'voter-unknown': (r) => `voter ${r.voter} is not a validator`,
  'epoch-unknown': (r) => `the message is of epoch ${r.epoch}, whose validator set this validator does not know`,
  'vote-bad-signature': (r) => `vote signature of validator ${r.voter} does not verify`,
  'commit-bad-signature': (r) => `commit signature of validator ${r.voter} does not verify`,
  'timeout-high-qc-not-below': (r) => `high QC round ${r.highQcRound} is not below the timeout round ${r.round}`,
  'timeout-bad-signature': (r) => `timeout signature of validator ${r.voter} does not verify`,
  'sender-unknown': (r) => `sender ${r.sender} is not a validator`,
  'sender-not-in-epoch': (r) => `sender ${r.sender} is not a validator of epoch ${r.epoch}`,
  'proposer-not-leader': (r) => `validator ${r.proposer} is not the leader of round ${r.round}`,
  'proposal-bad-signature': (r) => `proposal signature of validator ${r.proposer} does not verify`,
  'proposal-round-unjustified': (r) => `round ${r.round} follows neither its QC round ${r.qcRound} nor a TC`,
  'proposal-qc-below-tc': (r) => `the QC round ${r.qcRound} is below the TC's high QC round ${r.tcHighQcRound}`,
  'blocks-not-chained': (r) => `block ${r.index} does not chain to block ${r.next}`,
  'range-block-not-chained': (r) => `block at height ${r.height} does not chain to the previous one`,
  'range-header-not-chained': (r) => `header ${r.index} does not chain to the blocks before it`,
  'range-cc-not-for-last': () => 'the commit certificate is not for the last block or header',
  'block-height': (r) => `height ${r.height} is not the parent's height ${r.parentHeight} + 1`,
  'block-parent-mismatch': () => 'parent hash mismatch',
  'block-round-not-above-parent': (r) => `round ${r.round} is not above the parent's round ${r.parentRound}`,
  'block-justify-not-parent': () => 'the justify QC does not certify the parent',
  'block-entry-count-mismatch': (r) => `header says ${r.header} entries, the block has ${r.actual}`,
  'block-too-many-entries': (r) => `${r.count} entries is over the chain's limit of ${r.limit}`,
  'block-entry-invalid': (r) => `entry ${r.index}: ${describe(r.problem)}`,
  'block-too-many-bytes': (r) => `entries exceed the chain's block limit of ${r.limit} bytes`,
  'block-entry-seq': (r) => `entry ${r.index}: seq ${r.seq} of agent ${r.agentHex.slice(0, 12)} is not above ${r.last} (duplicate or reordered)`,
  'block-entries-root-mismatch': () => 'entries root mismatch',
  'block-log-size-mismatch': (r) => `log size ${r.header} should be ${r.actual}`,
  'block-log-root-mismatch': () => 'log root mismatch',
  'block-epoch-mismatch': (r) => `the header names epoch ${r.epoch}, the chain is in epoch ${r.expected}`,
  'block-epoch-uncertified': (r) => `the first block of epoch ${r.epoch} follows height ${r.boundary}, whose commit certificate is not at hand`,
  'block-suffix-not-empty': (r) => `a block after the epoch's reconfiguration block carries ${r.entries} entries`,
  'block-reconfiguration-unsupported': (r) => `the block at height ${r.height} ends its epoch or starts the next, and this validator cannot switch validator sets yet`,
  'vote-round-not-above-last-voted': (r) => `round ${r.round} is not above last voted round ${r.lastVoted}`,
  'sign-epoch-not-current': (r) => `a signature for epoch ${r.epoch}, and this validator signs for epoch ${r.current} only`,
  'epoch-not-after': (r) => `epoch ${r.epoch} does not follow epoch ${r.current}`,
  'vote-justify-not-parent': () => 'the justify QC is not for the parent',
  'vote-round-unjustified': (r) => `round ${r.round} is neither justify round ${r.qcRound} + 1 nor justified by a TC whose high QC round is at most ${r.qcRound}`,
  'timeout-round-below-last-voted': (r) => `round ${r.round} is below last voted round ${r.lastVoted}`,
  'timeout-round-not-above-highest': (r) => `round ${r.round} is not above the highest timeout round ${r.highestTimeout}`,
  'timeout-round-not-following': (r) => `round ${r.round} follows neither high QC round ${r.highQcRound} nor high TC round ${r.highTcRound}`,
  'timeout-high-qc-below-observed': (r) => `high QC round ${r.highQcRound} is below the observed round ${r.observed}`,
}

/** The rejection as a sentence, with its values (for logs and API error messages). */
export function describe(rejection: Rejection): string {
  const render = DESCRIBE[rejection.code] as (r: Rejection) => string
  return render(rejection)
}

/** Every code, from the exhaustive table (for tests and for drivers that list them). */
export const REJECTION_CODES = Object.keys(DESCRIBE) as readonly RejectionCode[]
