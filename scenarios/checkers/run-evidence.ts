// Evidence that the simulator gathers while a run goes on, about how honest replicas
// behaved (not only what they committed): an action taken on an object that fails the
// auditor's checks (conduct.ts), a safety state that moved backwards (safety-state.ts),
// an exception thrown by replica code. Data with codes and values, so that tests match
// on the code and reports render it with describeEvidence(). Any evidence fails a run.

/** What an honest replica did with the object. */
export type Act =
  /** Accepted a block into its tree (persist-block). */
  | 'accept-block'
  /** Voted for a block (its vote, and the commit half of the vote). */
  | 'vote'
  /** Broadcast its proposal: the block, its justify QC, the TC and CC attached. */
  | 'propose'
  /** Broadcast its timeout with its high QC and TC. */
  | 'timeout'
  /** Sent certificates (sync-info: high QC, high TC, high CC). */
  | 'sync-info'
  /** Forwarded client entries to the next leaders. */
  | 'forward-entries'
  /** Committed blocks (with the QC and CC of the last one). */
  | 'commit'
  /** Stored a commit certificate for an earlier committed height. */
  | 'store-commit-certificate'

export type ObjectKind = 'block' | 'qc' | 'tc' | 'cc' | 'entry' | 'vote'

/** The safety state's fields that must never decrease (SafetyState in src/consensus/types.ts;
 * highQcRound and highTcRound are the rounds of its highQc and highTc, -1 for none). */
export const SAFETY_FIELDS = ['lastVotedRound', 'preferredRound', 'oneChainRound', 'highestTimeoutRound', 'highQcRound', 'highTcRound'] as const
export type SafetyField = (typeof SAFETY_FIELDS)[number]

/** When a safety state was seen: written by a persist-safety-state action, held in memory
 * after a step, or held right after the replica was rebuilt from storage. */
export type SafetyMoment = 'persist' | 'step' | 'restart'

export type Evidence =
  | {
    readonly code: 'acted-on-invalid'
    readonly node: string
    /** The replica's round when it acted. */
    readonly round: number
    readonly act: Act
    readonly object: ObjectKind
    /** Hex id of the object: block hash, entry id, or the certificate's digest. */
    readonly id: string
    /** The failed check: the auditor's code (block rule, CertificateProblem, entry check),
     * with the inner code after a '/' (e.g. 'bad-qc/certificate-bad-signature'). */
    readonly check: string
    readonly detail: string
  }
  | {
    readonly code: 'safety-state-regressed'
    readonly node: string
    readonly round: number
    readonly moment: SafetyMoment
    readonly field: SafetyField
    /** The highest value seen before (durably written, or held earlier in this life). */
    readonly before: number
    readonly after: number
  }
  | {
    readonly code: 'replica-error'
    readonly node: string
    readonly seed: number
    /** 'step': thrown by step(); 'restore': thrown while building the replica (at start
     * or from storage after a restart). */
    readonly phase: 'step' | 'restore'
    /** Virtual time, ms. */
    readonly at: number
    readonly message: string
    /** The first lines of the stack (where it was thrown). */
    readonly stackHead: string
  }

export type EvidenceCode = Evidence['code']

/** Evidence records kept per run: the first ones show the problem; a broken cache would
 * otherwise add one record per object. Past it, only the count goes on. */
export const EVIDENCE_MAX = 50

/** Lines of a stack kept in a replica-error record (the message line excluded). */
const STACK_LINES = 4

export function describeEvidence(e: Evidence): string {
  switch (e.code) {
    case 'acted-on-invalid':
      return `acted-on-invalid: ${e.node} round ${e.round}: ${e.act} with ${e.object} ${e.id.slice(0, 16)} that fails ${e.check}: ${e.detail}`
    case 'safety-state-regressed':
      return `safety-state-regressed: ${e.node} round ${e.round}: ${e.field} went from ${e.before} to ${e.after} (${e.moment})`
    case 'replica-error':
      return `replica-error: seed ${e.seed} ${e.node} (${e.phase}, t=${e.at}): ${e.message}${e.stackHead === '' ? '' : `\n    ${e.stackHead.split('\n').join('\n    ')}`}`
  }
}

/** The message and stack head of something thrown (which may not be an Error). */
export function thrownParts(thrown: unknown): { message: string, stackHead: string } {
  if (!(thrown instanceof Error)) return { message: `non-error thrown: ${String(thrown)}`, stackHead: '' }
  const frames = (thrown.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, STACK_LINES).map((l) => l.trim())
  return { message: `${thrown.name}: ${thrown.message}`, stackHead: frames.join('\n') }
}
