// Errors of the HTTP API layer, one class per condition, each with a stable `name`
// (match on it in code and tests) and a stable `code` (what HTTP clients see in
// `{ error: { code, message } }`). Messages carry the offending values.
//
// Two families:
//  - backend errors: thrown by a NodeBackend (node/api/backend.ts) to reject a request
//    for a reason only the node can judge (signature, policy, sequence, capacity);
//  - ApiError: raised by the server itself (bad parameters, limits), with its status.
// The server maps each to one HTTP status in httpStatusOf(); anything else is a 500
// whose details go to the log, never to the client.

/** Common base of every error a NodeBackend may throw on purpose. */
export abstract class NodeBackendError extends Error {
  /** Stable machine-readable code, sent to HTTP clients. */
  abstract readonly code: string
  /** Values sent to HTTP clients next to code and message (fixed keys per class). */
  get details(): Readonly<Record<string, number | string>> {
    return {}
  }
}

/** The entry's signature does not verify under its agent key and this chain's id. */
export class InvalidSignatureError extends NodeBackendError {
  override readonly name = 'InvalidSignatureError'
  readonly code = 'invalid-signature'
}

/** The entry is well-formed and signed but breaks a rule of the log other than the
 * signature (for example a reference to an unknown entry, or a payload over the
 * genesis limit). */
export class InvalidEntryError extends NodeBackendError {
  override readonly name = 'InvalidEntryError'
  readonly code = 'invalid-entry'
}

/** The genesis write policy does not let this agent write to this namespace. */
export class PolicyDeniedError extends NodeBackendError {
  override readonly name = 'PolicyDeniedError'
  readonly code = 'policy-denied'
  readonly namespace: string
  /** The agent's public key, lower-case hex. */
  readonly agent: string
  constructor(namespace: string, agent: string) {
    super(`agent ${agent} may not write to namespace '${namespace}'`)
    this.namespace = namespace
    this.agent = agent
  }
}

/** The namespace governance in force (docs/formats.md section 13) refuses the entry:
 * `rule` is the rule's code (entry-not-writer, policy-not-admin, entry-schema-mismatch,
 * policy-malformed, policy-records-full). */
export class GovernanceDeniedError extends NodeBackendError {
  override readonly name = 'GovernanceDeniedError'
  readonly code = 'governance-denied'
  readonly rule: string
  readonly namespace: string
  constructor(rule: string, namespace: string, message: string) {
    super(message)
    this.rule = rule
    this.namespace = namespace
  }
  override get details(): Readonly<Record<string, number | string>> {
    return { rule: this.rule, namespace: this.namespace }
  }
}

/** Why a seq is stale: 'committed' — the agent's committed seq is `lastSeq` >= seq and
 * this entry is not in the log, so it can never commit (final); 'pending' — another
 * entry of the agent with this seq waits in the mempool (it may yet be dropped). */
export type StaleReason = 'committed' | 'pending'

/** The entry's seq is not above the agent's highest seq already in the log or the
 * mempool, and the entry is not a resubmission of that same entry. */
export class StaleSequenceError extends NodeBackendError {
  override readonly name = 'StaleSequenceError'
  readonly code = 'stale-seq'
  readonly seq: number
  readonly lastSeq: number
  readonly reason: StaleReason
  constructor(seq: number, lastSeq: number, reason: StaleReason) {
    super(reason === 'committed'
      ? `seq ${seq} is not above the agent's last committed seq ${lastSeq}, and this entry is not in the log: it can never commit`
      : `seq ${seq} is not above the agent's last seq ${lastSeq} (an entry with this seq is pending)`)
    this.seq = seq
    this.lastSeq = lastSeq
    this.reason = reason
  }

  override get details(): Readonly<Record<string, number | string>> {
    return { seq: this.seq, lastSeq: this.lastSeq, reason: this.reason }
  }
}

/** The entry was accepted once, but a later seq of its agent committed first: an
 * agent's committed seqs strictly increase, so this entry can never commit (final).
 * Answered to receipt requests for it; its author signs the decision again. */
export class EntrySupersededError extends NodeBackendError {
  override readonly name = 'EntrySupersededError'
  readonly code = 'seq-superseded'
  readonly id: string
  readonly seq: number
  readonly lastSeq: number
  constructor(id: string, seq: number, lastSeq: number) {
    super(`entry ${id} (seq ${seq}) can never commit: its agent's committed seq ${lastSeq} passed it`)
    this.id = id
    this.seq = seq
    this.lastSeq = lastSeq
  }

  override get details(): Readonly<Record<string, number | string>> {
    return { seq: this.seq, lastSeq: this.lastSeq }
  }
}

/** The node's mempool is full: retry later, or at another node. */
export class MempoolFullError extends NodeBackendError {
  override readonly name = 'MempoolFullError'
  readonly code = 'mempool-full'
  readonly retryAfterMs: number
  constructor(entries: number, retryAfterMs = 1000) {
    super(`the mempool holds ${entries} entries, its limit`)
    this.retryAfterMs = retryAfterMs
  }
}

/** The mempool holds as many bytes of entries as it may: this entry does not fit. */
export class MempoolBytesFullError extends NodeBackendError {
  override readonly name = 'MempoolBytesFullError'
  readonly code = 'mempool-bytes-full'
  readonly retryAfterMs: number
  readonly entryBytes: number
  constructor(entryBytes: number, retryAfterMs = 1000) {
    super(`the mempool holds as many bytes of entries as it allows: this entry's ${entryBytes} bytes do not fit`)
    this.entryBytes = entryBytes
    this.retryAfterMs = retryAfterMs
  }
}

/** This agent already has as many entries waiting in the mempool as one agent may. */
export class AgentBacklogFullError extends NodeBackendError {
  override readonly name = 'AgentBacklogFullError'
  readonly code = 'agent-backlog-full'
  readonly retryAfterMs: number
  constructor(agent: string, pending: number, retryAfterMs = 1000) {
    super(`agent ${agent} already has ${pending} entries pending, its limit`)
    this.retryAfterMs = retryAfterMs
  }
}

/** The node cannot serve this now (starting, catching up, stopping). */
export class NotReadyError extends NodeBackendError {
  override readonly name = 'NotReadyError'
  readonly code = 'not-ready'
  readonly retryAfterMs: number
  constructor(message: string, retryAfterMs = 1000) {
    super(message)
    this.retryAfterMs = retryAfterMs
  }
}

/** A requested log size or height lies beyond what this node has committed (it may be
 * behind: try later or at another node). */
export class RangeUnavailableError extends NodeBackendError {
  override readonly name = 'RangeUnavailableError'
  readonly code = 'range-unavailable'
}

/** A query cursor that this node did not produce, or no longer understands. */
export class InvalidCursorError extends NodeBackendError {
  override readonly name = 'InvalidCursorError'
  readonly code = 'invalid-cursor'
}

/** A subscription fell too far behind the commits (for a backend that buffers commits
 * per subscriber rather than reading from storage): the stream ends with this error and
 * the client resumes from its Last-Event-ID. */
export class SubscriberLaggedError extends NodeBackendError {
  override readonly name = 'SubscriberLaggedError'
  readonly code = 'subscriber-lagged'
}

/** An error the server raises itself, with the HTTP status it answers with. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  readonly status: number
  readonly code: string
  /** Sent as Retry-After (whole seconds, rounded up) when set. */
  readonly retryAfterMs: number | null
  constructor(status: number, code: string, message: string, retryAfterMs: number | null = null) {
    super(message)
    this.status = status
    this.code = code
    this.retryAfterMs = retryAfterMs
  }
}

/** The HTTP status for each backend error, by name. */
const BACKEND_STATUS: { readonly [name: string]: number } = {
  InvalidSignatureError: 422,
  InvalidEntryError: 422,
  PolicyDeniedError: 403,
  GovernanceDeniedError: 403,
  StaleSequenceError: 409,
  EntrySupersededError: 410,
  MempoolFullError: 503,
  MempoolBytesFullError: 503,
  AgentBacklogFullError: 429,
  NotReadyError: 503,
  RangeUnavailableError: 404,
  InvalidCursorError: 400,
  SubscriberLaggedError: 503,
}

export interface HttpErrorAnswer {
  readonly status: number
  readonly code: string
  readonly message: string
  readonly retryAfterMs: number | null
  /** Extra fields of the error body, when the error has any. */
  readonly details?: Readonly<Record<string, number | string>>
}

/** The answer for an error, or null when it is not one the server knows (a 500). */
export function httpAnswerOf(err: unknown): HttpErrorAnswer | null {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message, retryAfterMs: err.retryAfterMs }
  if (err instanceof NodeBackendError) {
    const status = Object.hasOwn(BACKEND_STATUS, err.name) ? BACKEND_STATUS[err.name] : undefined
    if (status === undefined) return null
    const retryAfterMs = 'retryAfterMs' in err && typeof err.retryAfterMs === 'number' ? err.retryAfterMs : null
    return { status, code: err.code, message: err.message, retryAfterMs, details: err.details }
  }
  return null
}
