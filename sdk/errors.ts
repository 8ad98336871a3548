// Every error the SDK throws on purpose: one class per condition, each with a stable
// `name` (match on it, not on instanceof across bundles) and the offending values.
//
// Two levels:
//  - NodeError and its subclasses describe what one node did (unreachable, answered an
//    error, answered something that does not verify). They are collected, not thrown
//    alone: the SDK trusts no single node, so one node's failure only means "ask another".
//  - the errors an operation throws (CommitTimeoutError, NoQuorumReachableError, ...)
//    carry the per-node errors that led to them in `errors`.

/** Common base of every SDK error. */
export class SynodError extends Error {
  override readonly name: string = 'SynodError'
}

// --- what one node did ---

/** Base of the per-node errors: which node, and what it did. */
export class NodeError extends SynodError {
  override readonly name: string = 'NodeError'
  /** The node's base URL. */
  readonly node: string
  constructor(node: string, message: string, options?: { cause?: unknown }) {
    super(`${node}: ${message}`, options)
    this.node = node
  }
}

/** The node could not be reached, or the request timed out. Transient: retried. */
export class NodeUnreachableError extends NodeError {
  override readonly name = 'NodeUnreachableError'
}

/** The node answered an HTTP error. `code` is the API's stable error code
 * (docs/api.md), e.g. 'mempool-full', 'stale-seq', 'policy-denied'. */
export class NodeResponseError extends NodeError {
  override readonly name = 'NodeResponseError'
  readonly status: number
  readonly code: string
  /** From Retry-After, when the node sent one. */
  readonly retryAfterMs: number | null
  /** The body's extra fields (e.g. lastSeq for 'stale-seq'), when any. */
  readonly details: Readonly<Record<string, unknown>>
  constructor(node: string, status: number, code: string, message: string, retryAfterMs: number | null, details: Readonly<Record<string, unknown>> = {}) {
    super(node, `HTTP ${status} ${code}: ${message}`)
    this.status = status
    this.code = code
    this.retryAfterMs = retryAfterMs
    this.details = details
  }

  /** Whether asking again (here or elsewhere) may succeed. */
  get transient(): boolean {
    return this.status === 408 || this.status === 429 || this.status >= 500
  }
}

/** The node answered something that is not a well-formed API answer (bad JSON, wrong
 * fields, a value that does not decode). A protocol fault: the node is skipped. */
export class MalformedResponseError extends NodeError {
  override readonly name = 'MalformedResponseError'
}

/**
 * The node served data that does not verify: a receipt whose proof, certificate or
 * signature fails verifyReceipt, a receipt for another entry than asked, an entry whose
 * signature does not verify, a log index out of order. Proof that the node is faulty
 * or lying: it is reported (onNodeFault) and skipped.
 */
export class InvalidProofError extends NodeError {
  override readonly name = 'InvalidProofError'
  /** A stable reason code: verifyReceipt's code ('bad-inclusion-proof',
   * 'bad-commit-certificate', 'bad-entry-signature', ...) or the SDK's own
   * ('wrong-entry', 'wrong-index', 'index-not-increasing', 'id-mismatch'). */
  readonly code: string
  constructor(node: string, code: string, reason: string) {
    super(node, `invalid proof (${code}): ${reason}`)
    this.code = code
  }
}

// --- what an operation throws ---

/** The entry breaks a rule the SDK checks before sending (namespace form, payload size,
 * refs count, idempotency key length, seq range). Nothing was sent. */
export class InvalidEntryError extends SynodError {
  override readonly name = 'InvalidEntryError'
}

/** The payload does not match the zod schema registered for its namespace. Nothing was sent. */
export class PayloadValidationError extends SynodError {
  override readonly name = 'PayloadValidationError'
  readonly namespace: string
  /** The schema's issues, as zod reports them. */
  readonly issues: readonly unknown[]
  constructor(namespace: string, message: string, issues: readonly unknown[]) {
    super(`payload for namespace '${namespace}' does not match its schema: ${message}`)
    this.namespace = namespace
    this.issues = issues
  }
}

/**
 * The genesis write policy does not let this agent write to this namespace. Thrown
 * before sending when the SDK's own check (against the genesis it was given) fails, or
 * when at least f+1 nodes refused the entry for policy (a lone node saying so is not
 * believed: the SDK checked the policy itself).
 */
export class PolicyRejectedError extends SynodError {
  override readonly name = 'PolicyRejectedError'
  readonly namespace: string
  /** The agent public key, lower-case hex. */
  readonly agent: string
  readonly errors: readonly NodeError[]
  constructor(namespace: string, agent: string, errors: readonly NodeError[] = []) {
    super(`agent ${agent} may not write to namespace '${namespace}' under the genesis policy`)
    this.namespace = namespace
    this.agent = agent
    this.errors = errors
  }
}

/** At least f+1 nodes refused the entry for a permanent reason (e.g. 'invalid-entry':
 * a reference to an unknown entry). Only f nodes can lie, so one honest node agrees. */
export class EntryRejectedError extends SynodError {
  override readonly name = 'EntryRejectedError'
  /** Entry id, hex. */
  readonly id: string
  readonly code: string
  readonly errors: readonly NodeError[]
  constructor(id: string, code: string, errors: readonly NodeError[]) {
    super(`entry ${id} was refused by ${errors.length} nodes (${code}): ${errors[0]?.message ?? ''}`)
    this.id = id
    this.code = code
    this.errors = errors
  }
}

/**
 * No node could serve the operation: every node was unreachable, answered errors, or
 * served data that does not verify, until the deadline or until none was left to ask.
 * `errors` holds the last error of each node; a node that lied shows an InvalidProofError.
 */
export class NoQuorumReachableError extends SynodError {
  override readonly name = 'NoQuorumReachableError'
  readonly errors: readonly NodeError[]
  constructor(what: string, errors: readonly NodeError[]) {
    const summary = errors.map((e) => `${e.name}: ${e.message}`).join('; ')
    super(`${what}: no node gave a verifiable answer${summary ? ` (${summary})` : ''}`)
    this.errors = errors
  }
}

/**
 * The entry was accepted by at least one node but no verified receipt arrived before
 * the deadline. It may still commit: commit() again with the same `idempotencyKey`
 * is not enough (a new seq makes a new entry); use `client.awaitReceipt(id)` or
 * `client.get(id)` with the id carried here.
 */
export class CommitTimeoutError extends SynodError {
  override readonly name = 'CommitTimeoutError'
  /** The signed entry's id, hex. */
  readonly id: string
  readonly timeoutMs: number
  /** Nodes that accepted the entry. */
  readonly acceptedBy: readonly string[]
  readonly errors: readonly NodeError[]
  constructor(id: string, timeoutMs: number, acceptedBy: readonly string[], errors: readonly NodeError[]) {
    super(`no verified receipt for entry ${id} within ${timeoutMs} ms (accepted by ${acceptedBy.length === 0 ? 'no node' : acceptedBy.join(', ')})`)
    this.id = id
    this.timeoutMs = timeoutMs
    this.acceptedBy = acceptedBy
    this.errors = errors
  }
}

/**
 * The entry can never commit: a later seq of its agent committed first (an agent's
 * committed seqs strictly increase; with concurrent commits through several nodes, a
 * leader may have only the later entry). At least f+1 nodes said so (answered receipt
 * requests with 'seq-superseded', or a resubmission with 'stale-seq' against their
 * committed log), so at least one honest node did, and the verdict is final. commit()
 * throws it only when asked not to re-sign (CommitOptions.resignSuperseded: false), or
 * when re-signing did not help SDK_LIMITS.supersededResignMax times; awaitReceipt()
 * throws it for an id. Nothing was committed for this entry: sign the decision again.
 */
export class SeqSupersededError extends SynodError {
  override readonly name = 'SeqSupersededError'
  /** The superseded entry's id, hex. */
  readonly id: string
  readonly seq: number
  /** The agent's committed seq that passed `seq` (the lowest that f+1 nodes reported). */
  readonly lastSeq: number
  readonly errors: readonly NodeError[]
  constructor(id: string, seq: number, lastSeq: number, errors: readonly NodeError[]) {
    super(`entry ${id} (seq ${seq}) can never commit: its agent's committed seq ${lastSeq} passed it (said by ${errors.length} nodes)`)
    this.id = id
    this.seq = seq
    this.lastSeq = lastSeq
    this.errors = errors
  }
}

/** No node knows this entry id (at least f+1 nodes, or every node, answered 404), or it
 * is known but not yet certified (`pending`). */
export class EntryNotFoundError extends SynodError {
  override readonly name = 'EntryNotFoundError'
  readonly id: string
  /** True when some node has the entry but no commit certificate covers it yet. */
  readonly pending: boolean
  readonly errors: readonly NodeError[]
  constructor(id: string, pending: boolean, errors: readonly NodeError[] = []) {
    super(pending ? `entry ${id} is known but not yet certified` : `entry ${id} is not known to any node asked`)
    this.id = id
    this.pending = pending
    this.errors = errors
  }
}

/** The client was configured wrongly (no nodes, a URL that is not http(s), a genesis for
 * another chain than the nodes'). */
export class ConfigurationError extends SynodError {
  override readonly name = 'ConfigurationError'
}

/** Why a sealed payload could not be opened with the blob and key at hand: the blob or
 * key is not the one the entry commits to ('blob-size', 'blob-commitment', 'key-size',
 * 'key-commitment'), or it does not decrypt to the committed plaintext ('decrypt-failed',
 * 'size-mismatch', 'bad-plaintext'). */
export class SealedOpenError extends SynodError {
  override readonly name = 'SealedOpenError'
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** A sealed entry's content cannot be read. `reason` 'erased': an erase of the entry is
 * committed (`erase` names it), so honest nodes deleted the sidecar and no honest node
 * serves it again; 'unavailable': no node asked holds the sidecar (not uploaded to them,
 * or they lost it); 'no-key': the nodes hold the blob but not the key, and none was given.
 * `errors`: what each node answered. */
export class SealedUnavailableError extends SynodError {
  override readonly name = 'SealedUnavailableError'
  readonly id: string
  readonly reason: 'erased' | 'unavailable' | 'no-key'
  readonly erase: string | null
  /** When its namespace's retention erased it: the height, as the nodes report it. */
  readonly expiredAt: number | null
  readonly errors: readonly NodeError[]
  constructor(id: string, reason: 'erased' | 'unavailable' | 'no-key', erase: string | null, errors: readonly NodeError[], expiredAt: number | null = null) {
    super(reason === 'erased'
      ? `sealed entry ${id} is erased${erase !== null ? ` (erase ${erase})` : expiredAt !== null ? ` (by retention at height ${expiredAt})` : ''}`
      : reason === 'no-key' ? `sealed entry ${id}: the nodes hold its blob but not its key, and no key was given` : `no node asked holds the sidecar of sealed entry ${id}`)
    this.id = id
    this.reason = reason
    this.erase = erase
    this.expiredAt = expiredAt
    this.errors = errors
  }
}
