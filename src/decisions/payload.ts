// The reserved payload shapes of decisions and votes (docs/formats.md section 12). A
// decision or a vote is an ordinary entry: nothing in its encoding, signature, id or
// the validators' block rule changes. What makes it one is its payload: a JSON object
// whose member "synod" is "decision", "approve" or "reject". The shapes are read from
// the parsed payload value (the payload grammar, section 4, gives every reader the same
// value), and every other payload is simply not a decision or a vote.
import { LIMITS } from '../limits.ts'
import type { Entry, Hash } from '../log/entry-types.ts'
import { ownMember as member, RESERVED_MEMBER, reservedPayload, unknownMember } from '../codec/json-members.ts'

/** What a decision asks for: `threshold` of the named `approvers`, by height `deadline`. */
export interface DecisionSpec {
  /** Approver public keys, lower-case hex, distinct, in the order the proposer wrote them. */
  readonly approvers: readonly string[]
  /** k: approvals that decide (1 <= k <= approvers.length). */
  readonly threshold: number
  /** Last block height at which a vote counts. */
  readonly deadline: number
}

export type VoteKind = 'approve' | 'reject'

export interface Vote {
  readonly kind: VoteKind
  /** The decision voted on: the vote entry's one ref. */
  readonly decision: Hash
}

/** How an entry reads as a decision or a vote. `malformed` is a payload that claims the
 * reserved member ("synod" with a reserved value) but breaks its shape: it is neither a
 * decision nor a vote, and the auditor reports it. */
export type DecisionPayload =
  | { readonly type: 'none' }
  | { readonly type: 'decision', readonly spec: DecisionSpec }
  | { readonly type: 'vote', readonly vote: Vote }
  | { readonly type: 'malformed', readonly reserved: string, readonly problem: string }

export { RESERVED_MEMBER }
const DECISION_MEMBERS = new Set([RESERVED_MEMBER, 'approvers', 'threshold', 'deadline', 'subject'])
const VOTE_MEMBERS = new Set([RESERVED_MEMBER, 'note'])
const KEY_HEX = /^[0-9a-f]{64}$/
const NONE: DecisionPayload = { type: 'none' }


function isUintIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max
}

function readSpec(payload: { readonly [key: string]: unknown }): DecisionSpec | string {
  const extra = unknownMember(payload, DECISION_MEMBERS)
  if (extra !== null) return `unknown member ${JSON.stringify(extra.slice(0, 40))}`
  const approvers = member(payload, 'approvers')
  if (!Array.isArray(approvers) || approvers.length === 0 || approvers.length > LIMITS.decisionApproversMax) {
    return `"approvers" must be a list of 1 to ${LIMITS.decisionApproversMax} agent keys`
  }
  const seen = new Set<string>()
  for (const [i, key] of approvers.entries()) {
    if (typeof key !== 'string' || !KEY_HEX.test(key)) return `approvers[${i}] is not 64 lower-case hex characters`
    if (seen.has(key)) return `approvers[${i}] repeats ${key}`
    seen.add(key)
  }
  const threshold = member(payload, 'threshold')
  if (!isUintIn(threshold, 1, approvers.length)) return `"threshold" must be an integer from 1 to ${approvers.length}, the number of approvers`
  const deadline = member(payload, 'deadline')
  if (!isUintIn(deadline, 1, Number.MAX_SAFE_INTEGER)) return '"deadline" must be a block height of at least 1'
  return { approvers: approvers as string[], threshold, deadline }
}

function readVote(kind: VoteKind, payload: { readonly [key: string]: unknown }, refs: readonly Hash[]): Vote | string {
  const extra = unknownMember(payload, VOTE_MEMBERS)
  if (extra !== null) return `unknown member ${JSON.stringify(extra.slice(0, 40))}`
  if (refs.length !== 1) return `a vote has exactly one ref, the decision's id; this entry has ${refs.length}`
  return { kind, decision: refs[0]! }
}

/** Reads an entry as a decision, a vote or neither. Total: never throws. */
export function readDecisionPayload(entry: Pick<Entry, 'payload' | 'refs'>): DecisionPayload {
  const read = reservedPayload(entry.payload)
  if (read === null) return NONE
  const { object: value, reserved } = read
  if (reserved === 'decision') {
    const spec = readSpec(value)
    return typeof spec === 'string' ? { type: 'malformed', reserved, problem: spec } : { type: 'decision', spec }
  }
  if (reserved === 'approve' || reserved === 'reject') {
    const vote = readVote(reserved, value, entry.refs)
    return typeof vote === 'string' ? { type: 'malformed', reserved, problem: vote } : { type: 'vote', vote }
  }
  return NONE
}

/** The payload of a decision: the reserved members and, when given, the `subject`. */
export function decisionPayloadText(spec: DecisionSpec, subject?: unknown): string {
  const value: { [key: string]: unknown } = { synod: 'decision', approvers: [...spec.approvers], threshold: spec.threshold, deadline: spec.deadline }
  if (subject !== undefined) value.subject = subject
  return JSON.stringify(value)
}

/** The payload of a vote; its entry carries the decision's id as its one ref. */
export function votePayloadText(kind: VoteKind, note?: string): string {
  return JSON.stringify(note === undefined ? { synod: kind } : { synod: kind, note })
}
