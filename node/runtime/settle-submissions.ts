// Answers the submissions of one step with the replica's results, in order: each its own
// slice of the per-entry verdicts. Accepted entries are recorded as pending here (for
// getEntry and the commit latency).
import type { Action } from '../../src/consensus/types.ts'
import { NodeFatalError } from './errors.ts'
import type { SubmitInput } from './mailbox.ts'
import type { PendingSubmissions } from './pending-submissions.ts'

export function settleSubmissions(action: Extract<Action, { type: 'submitted' }>, submits: readonly SubmitInput[], pending: PendingSubmissions, now: () => number): void {
  let offset = 0
  for (const s of submits) {
    const slice = action.results.slice(offset, offset + s.entries.length).map((r) => r.rejected)
    offset += s.entries.length
    if (slice.length !== s.entries.length) {
      s.settle({ ok: false, error: new NodeFatalError(`the replica answered ${action.results.length} results for ${offset} entries`) })
      continue
    }
    // Recorded for getEntry and the commit latency.
    slice.forEach((rejected, i) => { if (rejected === null) pending.note(s.entries[i]!, now()) })
    s.settle({ ok: true, rejected: slice })
  }
}
