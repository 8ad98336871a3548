// Decisions with k-of-m approvals through the SDK (docs/sdk.md "Decisions", the rules in
// docs/formats.md section 12): propose a decision, approve or reject one, and wait for
// its outcome. Writes go through SynodClient.commit() (so they get its retries, batching
// and verified receipts); reads of a decision's state ask the nodes' GET
// /v1/decisions/:id, and trust none of them: an approval is believed only with an
// approval proof this module verifies against the genesis, and a rejection or expiry,
// which no proof shows, only when f+1 nodes say so (at least one of them honest).
// Browser-safe: fetch only.
import { toHex } from '../src/crypto/hash.ts'
import { ccFromCbor, checkCc, describeCertificateProblem } from '../src/log/certificates.ts'
import { validatorSetOf } from '../src/log/genesis.ts'
import { fromJson } from '../src/log/json.ts'
import { decisionPayloadText, readDecisionPayload, votePayloadText, type DecisionSpec, type VoteKind } from '../src/decisions/payload.ts'
import { approvalProofFromJson, verifyApprovalProof, type ApprovalProof } from '../src/decisions/proof.ts'
import type { DecisionStatus } from '../src/decisions/state.ts'
import type { CommitOptions, NodeFault, SynodClient } from './client.ts'
import { ConfigurationError, InvalidEntryError, InvalidProofError, MalformedResponseError, NodeResponseError, NoQuorumReachableError, SynodError, type NodeError } from './errors.ts'
import { SynodGovernance } from './governance.ts'
import type { FetchLike } from './node-api.ts'
import { asNodeError, getNodeJson } from './node-json.ts'
import type { CommittedDecision, JsonData } from './types.ts'
import { anySignal, isAbortOf, sleep } from './util.ts'

/** Defaults of awaitDecision(): how long to wait, how often to ask the nodes. */
export const DECISION_DEFAULTS = {
  awaitTimeoutMs: 120_000,
  /** Between two rounds of questions to the nodes: a decision waits on people and other
   * agents, so a second is quick enough, and n requests a second cost a node little. */
  pollMs: 1000,
  requestTimeoutMs: 10_000,
} as const

const ID_HEX = /^[0-9a-f]{64}$/
const STATUSES: ReadonlySet<string> = new Set<DecisionStatus>(['pending', 'approved', 'rejected', 'expired'])

export interface DecisionsOptions {
  /** fetch implementation for the state reads; default the global fetch. */
  readonly fetch?: FetchLike
  /** Called for each node that served a proof that does not verify, or a malformed answer. */
  readonly onNodeFault?: (fault: NodeFault) => void
  readonly requestTimeoutMs?: number
}

export interface ProposeOptions extends CommitOptions {
  /** Approver public keys (hex or bytes): 1 to 64, distinct. Omitted (with threshold):
   * the namespace's default approvers, from the policy in force (docs/formats.md
   * section 13, "Who approves by default"). */
  readonly approvers?: readonly (string | Uint8Array)[]
  /** k: approvals that decide; given with approvers, or omitted with them. */
  readonly threshold?: number
  /** The last block height at which a vote counts... */
  readonly deadline?: number
  /** ...or that many heights above the chain's latest certified height (asked of the nodes). */
  readonly deadlineHeights?: number
  /** What is decided: any JSON, recorded in the decision. */
  readonly subject?: JsonData
}

export interface VoteOptions extends CommitOptions {
  /** Namespace of the vote entry; default the decision's. */
  readonly namespace?: string
  /** Any JSON recorded with the vote (a reason). */
  readonly note?: JsonData
}

export interface AwaitDecisionOptions {
  readonly timeoutMs?: number
  readonly pollMs?: number
  readonly signal?: AbortSignal
}

/** A decision proven approved: the proof verified against the client's genesis. */
export interface ApprovedDecision {
  readonly id: string
  readonly spec: DecisionSpec
  /** The `subject` of the decision, parsed (undefined when it has none). */
  readonly subject: unknown
  /** The approvers whose approvals the proof holds, hex. */
  readonly approvers: readonly string[]
  readonly proof: ApprovalProof
}

/** What one node says of a decision (unverified but for the proof). */
export interface DecisionStatusAnswer {
  readonly node: string
  readonly status: DecisionStatus
  readonly height: number
  readonly proof: ApprovalProof | null
}

/** What outcome() finds. */
export type DecisionOutcome =
  | { readonly status: 'approved', readonly approved: ApprovedDecision }
  | { readonly status: 'rejected' | 'expired', readonly nodes: readonly string[] }
  | { readonly status: 'undecided', readonly answers: readonly DecisionStatusAnswer[], readonly errors: readonly NodeError[] }

/** The entry is not a decision (docs/formats.md section 12). */
export class NotADecisionError extends SynodError {
  override readonly name = 'NotADecisionError'
  readonly id: string
  constructor(id: string, why: string) {
    super(`entry ${id} is not a decision: ${why}`)
    this.id = id
  }
}

/** This client's identity is not among the decision's approvers: its vote would not count. */
export class NotAnApproverError extends SynodError {
  override readonly name = 'NotAnApproverError'
  readonly id: string
  readonly agent: string
  constructor(id: string, agent: string) {
    super(`agent ${agent} is not an approver of decision ${id}`)
    this.id = id
    this.agent = agent
  }
}

/** The decision ended without approval: rejected or expired, as f+1 nodes said. */
export class DecisionNotApprovedError extends SynodError {
  override readonly name = 'DecisionNotApprovedError'
  readonly id: string
  readonly status: 'rejected' | 'expired'
  readonly nodes: readonly string[]
  constructor(id: string, status: 'rejected' | 'expired', nodes: readonly string[]) {
    super(`decision ${id} is ${status} (said by ${nodes.join(', ')})`)
    this.id = id
    this.status = status
    this.nodes = nodes
  }
}

/** No verified outcome within the deadline. `last` is what the nodes said last. */
export class DecisionTimeoutError extends SynodError {
  override readonly name = 'DecisionTimeoutError'
  readonly id: string
  readonly timeoutMs: number
  readonly last: readonly DecisionStatusAnswer[]
  readonly errors: readonly NodeError[]
  constructor(id: string, timeoutMs: number, last: readonly DecisionStatusAnswer[], errors: readonly NodeError[]) {
    super(`decision ${id} has no verified outcome within ${timeoutMs} ms (nodes say: ${last.map((a) => a.status).join(', ') || 'nothing'})`)
    this.id = id
    this.timeoutMs = timeoutMs
    this.last = last
    this.errors = errors
  }
}

function keyHex(key: string | Uint8Array, i: number): string {
  if (key instanceof Uint8Array) return toHex(key)
  if (typeof key !== 'string' || !ID_HEX.test(key)) throw new InvalidEntryError(`approvers[${i}] must be an agent key (64 lower-case hex characters)`)
  return key
}

function checkId(id: string): void {
  if (typeof id !== 'string' || !ID_HEX.test(id)) throw new InvalidEntryError(`'${String(id)}' is not an entry id (64 lower-case hex characters)`)
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** propose / approve / reject / awaitDecision over one SynodClient. */
export class SynodDecisions {
  readonly client: SynodClient
  readonly #fetch: FetchLike
  readonly #onFault: ((fault: NodeFault) => void) | undefined
  readonly #requestTimeoutMs: number

  constructor(client: SynodClient, options: DecisionsOptions = {}) {
    this.client = client
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.#onFault = options.onNodeFault
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DECISION_DEFAULTS.requestTimeoutMs
  }

  /** Commits a decision asking `threshold` of `approvers` to approve by the deadline;
   * without approvers, the namespace's default approvers and threshold (its policy in
   * force, as f+1 nodes agree on it). */
  async propose(namespace: string, options: ProposeOptions): Promise<CommittedDecision> {
    const { approvers, threshold } = await this.#approversFor(namespace, options)
    let deadline = options.deadline
    if ((deadline === undefined) === (options.deadlineHeights === undefined)) throw new ConfigurationError('give exactly one of deadline and deadlineHeights')
    if (deadline === undefined) {
      const heights = options.deadlineHeights!
      if (!Number.isSafeInteger(heights) || heights < 1) throw new InvalidEntryError('deadlineHeights must be a positive integer')
      deadline = await this.certifiedHeight(options.signal) + heights
    }
    const spec: DecisionSpec = { approvers, threshold, deadline }
    const payload = decisionPayloadText(spec, options.subject)
    // The core's reader decides what a decision is: refuse here what it would call malformed.
    const read = readDecisionPayload({ payload, refs: [] })
    if (read.type !== 'decision') throw new InvalidEntryError(`not a valid decision: ${read.type === 'malformed' ? read.problem : read.type}`)
    return this.client.commit(namespace, JSON.parse(payload) as JsonData, options)
  }

  /** The approvers a proposal names: the caller's, or the namespace's default. */
  async #approversFor(namespace: string, options: ProposeOptions): Promise<{ approvers: string[], threshold: number }> {
    if ((options.approvers === undefined) !== (options.threshold === undefined)) throw new ConfigurationError('give approvers and threshold together, or neither (the namespace\'s default approvers)')
    if (options.approvers !== undefined) return { approvers: options.approvers.map(keyHex), threshold: options.threshold! }
    if (this.client.genesis.governance === undefined) {
      throw new ConfigurationError(`chain '${this.client.genesis.chainId}' has no namespace governance, so no default approvers: give approvers and threshold`)
    }
    const inForce = await new SynodGovernance(this.client, { fetch: this.#fetch, onNodeFault: this.#onFault, requestTimeoutMs: this.#requestTimeoutMs }).policy(namespace, { signal: options.signal })
    const defaults = inForce.policy?.approvers ?? null
    if (defaults === null) {
      throw new ConfigurationError(`namespace '${namespace}' has no default approvers (${inForce.policy === null ? 'no policy governs it' : `the policy of '${inForce.policy.namespace}' names none`}): give approvers and threshold`)
    }
    return { approvers: [...defaults.keys], threshold: defaults.threshold }
  }

  /** Commits this client's approval of the decision (after checking it is one, and that
   * this identity is among its approvers). */
  async approve(id: string, options: VoteOptions = {}): Promise<CommittedDecision> {
    return this.#vote('approve', id, options)
  }

  /** Commits this client's rejection of the decision. */
  async reject(id: string, options: VoteOptions = {}): Promise<CommittedDecision> {
    return this.#vote('reject', id, options)
  }

  async #vote(kind: VoteKind, id: string, options: VoteOptions): Promise<CommittedDecision> {
    checkId(id)
    const identity = this.client.identity
    if (identity === null) throw new ConfigurationError(`${kind}() needs an identity (SynodClientOptions.identity)`)
    const decision = await this.client.get(id, { signal: options.signal })
    const read = readDecisionPayload(decision.entry)
    if (read.type !== 'decision') throw new NotADecisionError(id, read.type === 'malformed' ? read.problem : 'its payload is not a decision')
    if (!read.spec.approvers.includes(identity.publicKeyHex)) throw new NotAnApproverError(id, identity.publicKeyHex)
    const payload = JSON.parse(votePayloadText(kind)) as { [key: string]: JsonData }
    if (options.note !== undefined) payload.note = options.note
    return this.client.commit(options.namespace ?? decision.namespace, payload, { ...options, refs: [id] })
  }

  /** The highest height a node proves certified (its latest commit certificate, verified). */
  async certifiedHeight(signal?: AbortSignal): Promise<number> {
    const set = validatorSetOf(this.client.genesis)
    const errors: NodeError[] = []
    const heights = await Promise.all(this.client.nodes.map(async (node) => {
      try {
        const body = await this.#getJson(node, '/v1/checkpoint', signal)
        const cc = ccFromCbor(fromJson(isObject(body) ? body.checkpoint : undefined), 'checkpoint')
        const problem = checkCc(set, this.client.genesis.chainId, cc)
        if (problem !== null) throw new InvalidProofError(node, 'bad-commit-certificate', describeCertificateProblem(problem))
        return cc.height
      } catch (err) {
        if (isAbortOf(err, signal)) throw err
        // Nothing certified yet: the chain is at height 0 as far as this node knows.
        if (err instanceof NodeResponseError && err.code === 'no-checkpoint') return 0
        errors.push(this.#nodeError(node, err))
        return -1
      }
    }))
    const best = Math.max(...heights)
    if (best < 0) throw new NoQuorumReachableError('the certified height', errors)
    return best
  }

  /** What each node says of the decision now; a proof that does not verify is a node
   * fault (reported, and the answer left out). */
  async status(id: string, signal?: AbortSignal): Promise<{ answers: DecisionStatusAnswer[], errors: NodeError[] }> {
    checkId(id)
    const answers: DecisionStatusAnswer[] = []
    const errors: NodeError[] = []
    await Promise.all(this.client.nodes.map(async (node) => {
      try {
        answers.push(this.#readAnswer(node, id, await this.#getJson(node, `/v1/decisions/${id}`, signal)))
      } catch (err) {
        if (isAbortOf(err, signal)) throw err
        errors.push(this.#nodeError(node, err))
      }
    }))
    return { answers, errors }
  }

  /**
   * The decision's outcome as far as it is proven now, from one round of questions to
   * every node: approved (a proof that verified), rejected or expired (f+1 nodes say so),
   * or undecided (with what each node said).
   */
  async outcome(id: string, signal?: AbortSignal): Promise<DecisionOutcome> {
    const { answers, errors } = await this.status(id, signal)
    const proven = answers.find((a) => a.proof !== null)
    if (proven !== undefined) return { status: 'approved', approved: this.#approved(id, proven.proof!) }
    const agreeing = Math.min(validatorSetOf(this.client.genesis).f + 1, this.client.nodes.length)
    for (const closed of ['rejected', 'expired'] as const) {
      const saying = answers.filter((a) => a.status === closed).map((a) => a.node)
      if (saying.length >= agreeing) return { status: closed, nodes: saying }
    }
    return { status: 'undecided', answers, errors }
  }

  /**
   * Resolves with the decision's verified approval proof as soon as a node serves one;
   * throws DecisionNotApprovedError when f+1 nodes say it is rejected or expired, and
   * DecisionTimeoutError at the deadline.
   */
  async awaitDecision(id: string, options: AwaitDecisionOptions = {}): Promise<ApprovedDecision> {
    checkId(id)
    const timeoutMs = options.timeoutMs ?? DECISION_DEFAULTS.awaitTimeoutMs
    const deadline = anySignal([options.signal], timeoutMs)
    let last: Extract<DecisionOutcome, { status: 'undecided' }> = { status: 'undecided', answers: [], errors: [] }
    try {
      for (;;) {
        const now = await this.outcome(id, deadline)
        if (now.status === 'approved') return now.approved
        if (now.status !== 'undecided') throw new DecisionNotApprovedError(id, now.status, now.nodes)
        last = now
        await sleep(options.pollMs ?? DECISION_DEFAULTS.pollMs, deadline)
      }
    } catch (err) {
      if (isAbortOf(err, options.signal)) throw err
      if (deadline.aborted) throw new DecisionTimeoutError(id, timeoutMs, last.answers, last.errors)
      throw err
    }
  }

  #approved(id: string, proof: ApprovalProof): ApprovedDecision {
    const verdict = verifyApprovalProof(proof, this.client.genesis)
    if (!verdict.ok) throw new Error(`unreachable: a proof checked in #readAnswer fails: ${verdict.code}`)
    let subject: unknown
    try {
      const value = JSON.parse(proof.decision.entry.payload) as { subject?: unknown }
      subject = Object.hasOwn(value, 'subject') ? value.subject : undefined
    } catch {
      subject = undefined
    }
    return { id, spec: verdict.spec, subject, approvers: verdict.approvers, proof }
  }

  #readAnswer(node: string, id: string, body: unknown): DecisionStatusAnswer {
    if (!isObject(body) || typeof body.status !== 'string' || !STATUSES.has(body.status) || typeof body.height !== 'number' || body.id !== id) {
      throw new MalformedResponseError(node, 'a decision answer without id, status and height')
    }
    let proof: ApprovalProof | null = null
    if (body.proof !== null && body.proof !== undefined) {
      try {
        proof = approvalProofFromJson(body.proof)
      } catch (err) {
        throw new MalformedResponseError(node, `its approval proof does not decode: ${(err as Error).message}`)
      }
      const verdict = verifyApprovalProof(proof, this.client.genesis)
      if (!verdict.ok) throw new InvalidProofError(node, verdict.code, verdict.reason)
      if (verdict.decision !== id) throw new InvalidProofError(node, 'other-decision', `the proof is of decision ${verdict.decision}`)
    }
    return { node, status: body.status as DecisionStatus, height: body.height, proof }
  }

  #getJson(node: string, path: string, signal: AbortSignal | undefined): Promise<unknown> {
    return getNodeJson(this.#fetch, node, path, signal, this.#requestTimeoutMs)
  }

  #nodeError(node: string, err: unknown): NodeError {
    return asNodeError(node, err, this.#onFault)
  }
}
