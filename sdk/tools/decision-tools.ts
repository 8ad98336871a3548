// The decision tools (docs/formats.md section 12): propose_decision, approve_decision,
// reject_decision and decision_status, over SynodDecisions (sdk/approvals.ts). Part of
// synodTools (definitions.ts), so the MCP server and every framework adapter offer them.
import { z } from 'zod'
import type { SynodClient } from '../client.ts'
import { SynodDecisions } from '../approvals.ts'
import type { JsonData, NamespaceSchemas } from '../types.ts'
import { defineTool as tool, ENTRY_ID, NAMESPACE, READ, WRITE, type SynodTool, type ToolResult } from './tool-types.ts'

/** decision_status waits at most this long for an outcome: a tool call must return in
 * time for the model's turn; longer waits are repeated calls. */
export const DECISION_STATUS_WAIT_SECONDS_MAX = 60

const ID = ENTRY_ID
const KEY = z.string().regex(/^[0-9a-f]{64}$/, 'an agent public key: 64 lower-case hex characters')
const ANY_JSON = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string(), z.number(), z.boolean(), z.null()])

function committed(kind: string, d: { id: string, namespace: string, index: number }): ToolResult {
  return { committed: true, kind, id: d.id, namespace: d.namespace, index: d.index }
}

export function decisionTools<S extends NamespaceSchemas>(client: SynodClient<S>, commitTimeoutMs?: number): SynodTool[] {
  const decisions = new SynodDecisions(client as unknown as SynodClient)
  const me = client.identity === null ? null : client.identity.publicKeyHex
  const vote = (kind: 'approve' | 'reject') => async (input: Record<string, unknown>): Promise<ToolResult> => {
    const { id, note, namespace } = input as { id: string, note?: JsonData, namespace?: string }
    const options = { ...(note === undefined ? {} : { note }), ...(namespace === undefined ? {} : { namespace }), timeoutMs: commitTimeoutMs }
    const d = kind === 'approve' ? await decisions.approve(id, options) : await decisions.reject(id, options)
    return { ...committed(kind, d), decision: id }
  }
  const voteShape = {
    id: ID.describe('The decision\'s id'),
    note: ANY_JSON.optional().describe('Why: recorded with the vote'),
    namespace: NAMESPACE.optional().describe('Namespace of the vote entry (default: the decision\'s)'),
  }
  return [
    tool({
      name: 'propose_decision',
      title: 'Propose a decision that needs k of m approvals',
      description: `Commit a decision that named approvers (agent public keys) must approve: it is approved once threshold of them approve before the deadline (block heights from now), rejected once too many reject for the threshold to be reached, expired after the deadline. Returns its id once committed; follow it with decision_status.${me === null ? '' : ` Signed as agent ${me}.`}`,
      inputShape: {
        namespace: NAMESPACE.describe("Where the decision goes, e.g. 'acme/plans'"),
        approvers: z.array(KEY).min(1).max(64).optional().describe("Public keys of the agents (or humans) who approve; omit (with threshold) for the namespace policy's default approvers"),
        threshold: z.number().int().min(1).max(64).optional().describe('How many approvals decide; given with approvers, or omitted with them'),
        deadlineHeights: z.number().int().min(1).max(1_000_000).describe('Votes count for this many block heights from now'),
        subject: ANY_JSON.optional().describe('What is decided (any JSON)'),
      },
      annotations: WRITE,
      run: async (input) => {
        const { namespace, approvers, threshold, deadlineHeights, subject } = input as { namespace: string, approvers?: string[], threshold?: number, deadlineHeights: number, subject?: JsonData }
        // One without the other is refused by propose() (ConfigurationError), not guessed at.
        const named = { ...(approvers === undefined ? {} : { approvers }), ...(threshold === undefined ? {} : { threshold }) }
        const d = await decisions.propose(namespace, { ...named, deadlineHeights, timeoutMs: commitTimeoutMs, ...(subject === undefined ? {} : { subject }) })
        // The decision as committed names its approvers (the caller's or the default).
        const spec = JSON.parse(d.payloadText) as { approvers: string[], threshold: number, deadline: number }
        return { ...committed('decision', d), approvers: spec.approvers, threshold: spec.threshold, deadline: spec.deadline }
      },
    }),
    tool({
      name: 'approve_decision',
      title: 'Approve a decision',
      description: 'Commit this agent\'s approval of a decision that names it as an approver. Only the first vote of each approver counts.',
      inputShape: voteShape,
      annotations: WRITE,
      run: vote('approve'),
    }),
    tool({
      name: 'reject_decision',
      title: 'Reject a decision',
      description: 'Commit this agent\'s rejection of a decision that names it as an approver. Only the first vote of each approver counts.',
      inputShape: voteShape,
      annotations: WRITE,
      run: vote('reject'),
    }),
    tool({
      name: 'decision_status',
      title: 'The status of a decision',
      description: `A decision's status (pending, approved, rejected, expired) as the nodes report it; 'approved' is only reported with an approval proof this server verified against the genesis, 'rejected' and 'expired' only when f+1 nodes agree. With waitSeconds (at most ${DECISION_STATUS_WAIT_SECONDS_MAX}), waits for an outcome first.`,
      inputShape: {
        id: ID.describe('The decision\'s id'),
        waitSeconds: z.number().int().min(0).max(DECISION_STATUS_WAIT_SECONDS_MAX).optional().describe('Wait up to this long for approved, rejected or expired (default 0: answer now)'),
      },
      annotations: READ,
      run: async (input, { signal }) => {
        const { id, waitSeconds } = input as { id: string, waitSeconds?: number }
        const sig = signal === undefined ? {} : { signal }
        let outcome
        if ((waitSeconds ?? 0) === 0) outcome = await decisions.outcome(id, signal)
        else {
          try {
            outcome = { status: 'approved' as const, approved: await decisions.awaitDecision(id, { timeoutMs: waitSeconds! * 1000, pollMs: 500, ...sig }) }
          } catch (err) {
            const e = err as { name?: string, status?: 'rejected' | 'expired', nodes?: readonly string[], last?: readonly { node: string, status: string }[] }
            if (e.name === 'DecisionNotApprovedError') outcome = { status: e.status!, nodes: e.nodes ?? [] }
            else if (e.name === 'DecisionTimeoutError') outcome = { status: 'undecided' as const, answers: e.last ?? [], errors: [] }
            else throw err
          }
        }
        if (outcome.status === 'approved') {
          const a = outcome.approved
          return { id, status: 'approved', verified: true, threshold: a.spec.threshold, approvers: a.approvers, subject: a.subject as JsonData }
        }
        if (outcome.status === 'undecided') return { id, status: 'undecided', nodes: outcome.answers.map((a) => ({ node: a.node, status: a.status })) }
        return { id, status: outcome.status, verified: false, saidBy: outcome.nodes }
      },
    }),
  ]
}
