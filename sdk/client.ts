// SynodClient: commits, reads and follows decisions through several nodes while trusting
// none of them. Every receipt is verified here against the genesis (commit certificate
// quorum, inclusion proof, entry signature); every record is checked before it is
// yielded; a node that serves something that does not verify is reported and skipped.
// Browser-safe: it imports no Node module (test/sdk/browser-bundle.test.ts checks).
import { bytesEqual } from '../src/codec/cbor.ts'
import { CodecError } from '../src/codec/errors.ts'
import { fromHex, toHex } from '../src/crypto/hash.ts'
import { encodeEntry, entryFromCbor, entryId, entryToCbor, verifyEntrySignature, type Entry } from '../src/log/entry.ts'
import { policyAllows, validatorSetOf, type Genesis } from '../src/log/genesis.ts'
import type { Receipt } from '../src/log/receipt.ts'
import type { ValidatorSet } from '../src/log/validator-set.ts'
import { verifyReceipt } from '../src/log/verify.ts'
import { payloadJsonProblem } from '../src/log/payload-json.ts'
import {
  CommitTimeoutError,
  ConfigurationError,
  EntryNotFoundError,
  EntryRejectedError,
  InvalidEntryError,
  InvalidProofError,
  MalformedResponseError,
  NodeError,
  NodeResponseError,
  NoQuorumReachableError,
  PayloadValidationError,
  PolicyRejectedError,
  SeqSupersededError,
} from './errors.ts'
import type { AgentIdentity } from './identity.ts'
import { SDK_DEFAULTS, SDK_LIMITS } from './limits.ts'
import { ReceiptBatcher, SubmitPipeline } from './batching.ts'
import { NodeApi, type FetchLike, type RawRecord, type ReceiptAnswer } from './node-api.ts'
import { ClockSequence, type SequenceSource } from './sequence.ts'
import type { CommittedDecision, Decision, NamespaceSchemas, PayloadInput, PayloadOutput, VerifyLevel } from './types.ts'
import { anySignal, backoffMs, isAbortOf, sleep } from './util.ts'

/** A node proved faulty: it served data that does not verify, or malformed answers. */
export type NodeFault = InvalidProofError | MalformedResponseError

export interface SynodClientOptions<S extends NamespaceSchemas = NamespaceSchemas> {
  /** Base URLs of the nodes' HTTP APIs. Give at least f+1 so a censoring minority cannot
   * hold back a commit. */
  readonly nodes: readonly string[]
  /** The chain's genesis: the only thing the client trusts. */
  readonly genesis: Genesis
  /** The agent that signs commits (reads need none). */
  readonly identity?: AgentIdentity
  /** Payload schemas per namespace (zod). */
  readonly schemas?: S
  /** fetch implementation; default the global fetch. */
  readonly fetch?: FetchLike
  /** Where seqs come from; default ClockSequence (see sequence.ts). */
  readonly sequence?: SequenceSource
  /** Called for each node fault (invalid proof, forged receipt, malformed answer). */
  readonly onNodeFault?: (fault: NodeFault) => void
  /** Randomness for jitter and node order, in [0, 1); default Math.random. Tests pass a seeded one. */
  readonly random?: () => number
  /** How many nodes commit() submits to; default f+1 of the genesis (capped to the node list). */
  readonly submitTo?: number
  readonly commitTimeoutMs?: number
  readonly requestTimeoutMs?: number
  readonly backoffBaseMs?: number
  readonly backoffMaxMs?: number
  readonly receiptPollMs?: number
  readonly receiptPollMaxMs?: number
  /** Long-poll wait per receipt request (see SDK_DEFAULTS.receiptWaitMs); 0: poll instead. */
  readonly receiptWaitMs?: number
  readonly receiptRequestTimeoutMs?: number
  readonly resubmitMs?: number
  readonly faultCooldownMs?: number
  readonly reconnectMs?: number
  /** Coalescing of concurrent commits into batch requests (docs/sdk.md "Batching");
   * default on with SDK_DEFAULTS' bounds. false: one entry per request, one entry in
   * flight at a time (the behaviour before batches). */
  readonly batch?: false | {
    readonly entriesMax?: number
    readonly bytesMax?: number
    readonly lingerMs?: number
    readonly receiptIdsMax?: number
  }
}

export interface CommitOptions {
  /** Ids (hex or bytes) of earlier entries this decision refers to (at most 16). Signed
   * with the entry, but opaque to the log: nothing checks that they name an entry (verify
   * the referenced entry's receipt to rely on it; docs/formats.md section 4). */
  readonly refs?: readonly (string | Uint8Array)[]
  /** A client key (at most 128 bytes) recorded in the entry, to recognise the decision
   * later (e.g. a task id). The log does not deduplicate by it: retries of one commit()
   * reuse the same signed entry, which is what makes them idempotent. */
  readonly idempotencyKey?: string
  /** Deadline for the whole commit; default commitTimeoutMs. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /** When f+1 nodes say the signed entry can never commit (a later seq of this agent
   * committed first, e.g. another concurrent commit of this client), sign the same
   * decision again with a fresh seq and go on (default true: safe, the old entry can
   * never commit, so the decision is not committed twice). false: throw
   * SeqSupersededError at once instead. */
  readonly resignSuperseded?: boolean
}

/** How a commit attempt of one signed entry ended. */
type CommitOutcome =
  | { readonly receipt: Receipt, readonly superseded: null }
  /** f+1 nodes said the entry can never commit; `lastSeq` is the lowest committed seq of
   * the agent they reported (at least one of them is honest). */
  | { readonly receipt: null, readonly superseded: { readonly lastSeq: number, readonly errors: readonly NodeError[] } }

export interface ReadOptions {
  readonly signal?: AbortSignal
}

export interface QueryOptions<N extends string = string> {
  readonly namespace?: N
  /** Agent public key, hex. */
  readonly agent?: string
  readonly fromHeight?: number
  readonly toHeight?: number
  /** Most items yielded in total (default: all). */
  readonly limit?: number
  /** Default 'signature'. */
  readonly verify?: VerifyLevel
  readonly signal?: AbortSignal
}

export interface SubscribeOptions<N extends string = string> {
  readonly namespace?: N
  /** First log index to deliver; default the current end of the log (new decisions only). */
  readonly from?: number
  /** Default 'receipt'. */
  readonly verify?: VerifyLevel
  readonly signal?: AbortSignal
}

interface Settings {
  readonly commitTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly receiptPollMs: number
  readonly receiptPollMaxMs: number
  readonly receiptWaitMs: number
  readonly receiptRequestTimeoutMs: number
  readonly resubmitMs: number
  readonly faultCooldownMs: number
  readonly reconnectMs: number
}

/** Per-operation view of the nodes: who failed how, who is excluded. */
class Attempt {
  readonly errors = new Map<string, NodeError>()
  readonly faulty = new Set<string>()

  record(err: NodeError): void {
    this.errors.set(err.node, err)
  }

  list(): NodeError[] {
    return [...this.errors.values()]
  }
}

const STALE_SEQ = /last seq (\d+)/

export class SynodClient<S extends NamespaceSchemas = NamespaceSchemas> {
  readonly genesis: Genesis
  readonly identity: AgentIdentity | null
  readonly #set: ValidatorSet
  readonly #nodes: readonly NodeApi[]
  readonly #schemas: S | undefined
  readonly #sequence: SequenceSource
  readonly #onFault: ((fault: NodeFault) => void) | undefined
  readonly #random: () => number
  readonly #submitTo: number
  readonly #settings: Settings
  /** The nodes in the order this client submits to (see #submissionOrder). */
  readonly #submitOrder: readonly NodeApi[]
  /** node url -> time (ms) until which it is asked last. */
  readonly #suspectUntil = new Map<string, number>()
  /** Every submission of this client, in one queue: each node receives this client's
   * entries in seq order (a node refuses a seq below one it already has), concurrent
   * commits coalesced into batch requests (batching.ts). */
  readonly #pipeline: SubmitPipeline
  /** Per node url: its receipt requests, coalesced. */
  readonly #receiptBatchers = new Map<string, ReceiptBatcher>()

  constructor(options: SynodClientOptions<S>) {
    if (options.nodes.length === 0) throw new ConfigurationError('give at least one node URL')
    const urls = new Set<string>()
    for (const url of options.nodes) {
      let parsed: URL
      try {
        parsed = new URL(url)
      } catch {
        throw new ConfigurationError(`'${url}' is not a URL`)
      }
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigurationError(`'${url}' is not an http(s) URL`)
      urls.add(url.replace(/\/+$/, ''))
    }
    this.genesis = options.genesis
    this.identity = options.identity ?? null
    this.#set = validatorSetOf(options.genesis)
    this.#schemas = options.schemas
    this.#sequence = options.sequence ?? new ClockSequence()
    this.#onFault = options.onNodeFault
    this.#random = options.random ?? Math.random
    this.#settings = {
      commitTimeoutMs: options.commitTimeoutMs ?? SDK_DEFAULTS.commitTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? SDK_DEFAULTS.requestTimeoutMs,
      backoffBaseMs: options.backoffBaseMs ?? SDK_DEFAULTS.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs ?? SDK_DEFAULTS.backoffMaxMs,
      receiptPollMs: options.receiptPollMs ?? SDK_DEFAULTS.receiptPollMs,
      receiptPollMaxMs: options.receiptPollMaxMs ?? SDK_DEFAULTS.receiptPollMaxMs,
      receiptWaitMs: Math.max(0, Math.min(options.receiptWaitMs ?? SDK_DEFAULTS.receiptWaitMs, 10_000)),
      receiptRequestTimeoutMs: options.receiptRequestTimeoutMs ?? SDK_DEFAULTS.receiptRequestTimeoutMs,
      resubmitMs: options.resubmitMs ?? SDK_DEFAULTS.resubmitMs,
      faultCooldownMs: options.faultCooldownMs ?? SDK_DEFAULTS.faultCooldownMs,
      reconnectMs: options.reconnectMs ?? SDK_DEFAULTS.reconnectMs,
    }
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.#nodes = [...urls].map((url) => new NodeApi(url, { fetch: fetchImpl, requestTimeoutMs: this.#settings.requestTimeoutMs }))
    this.#submitTo = Math.max(1, Math.min(options.submitTo ?? this.#set.f + 1, this.#nodes.length))
    this.#submitOrder = this.#ordered()
    const batch = options.batch ?? {}
    this.#pipeline = new SubmitPipeline(batch === false
      ? { entriesMax: 1, bytesMax: Number.MAX_SAFE_INTEGER, lingerMs: 0 }
      : { entriesMax: batch.entriesMax ?? SDK_DEFAULTS.batchEntriesMax, bytesMax: batch.bytesMax ?? SDK_DEFAULTS.batchBytesMax, lingerMs: batch.lingerMs ?? SDK_DEFAULTS.batchLingerMs })
    const receiptBounds = batch === false
      ? { idsMax: 1, requestsMax: Number.MAX_SAFE_INTEGER }
      : { idsMax: batch.receiptIdsMax ?? SDK_DEFAULTS.receiptBatchIdsMax, requestsMax: SDK_DEFAULTS.receiptRequestsPerNodeMax }
    for (const node of this.#nodes) this.#receiptBatchers.set(node.url, new ReceiptBatcher(node, receiptBounds))
  }

  /** HTTP requests sent for submissions and receipt waits so far (for tests and benchmarks). */
  get requestCounts(): { readonly submit: number, readonly receipt: number } {
    let receipt = 0
    for (const b of this.#receiptBatchers.values()) receipt += b.requests
    return { submit: this.#pipeline.requests, receipt }
  }

  /** The payload schemas per namespace this client was given. */
  get schemas(): S | undefined {
    return this.#schemas
  }

  /** The node URLs this client talks to. */
  get nodes(): readonly string[] {
    return this.#nodes.map((n) => n.url)
  }

  /** f+1 for the genesis: how many nodes must agree before the client believes a refusal. */
  get #agreeing(): number {
    return Math.min(this.#set.f + 1, this.#nodes.length)
  }

  // --- commit ---

  /**
   * Signs a decision, submits it to f+1 nodes (so a censoring minority cannot hold it
   * back), retries idempotently (the same signed entry, so the same id) with backoff and
   * jitter, and resolves with a receipt the client verified itself: quorum of the genesis
   * validators on the checkpoint, inclusion proof, signature, and the receipt's entry
   * byte-for-byte the one it signed.
   *
   * Throws InvalidEntryError / PayloadValidationError / PolicyRejectedError before
   * sending when the entry cannot be valid; EntryRejectedError when f+1 nodes refuse it;
   * NoQuorumReachableError when no node accepted it before the deadline (or every node
   * proved faulty); CommitTimeoutError when it was accepted but no verified receipt came.
   */
  async commit<N extends string>(namespace: N, payload: PayloadInput<S, N>, options: CommitOptions = {}): Promise<CommittedDecision<PayloadOutput<S, N>>> {
    const identity = this.identity
    if (identity === null) throw new ConfigurationError('commit() needs an identity (SynodClientOptions.identity)')
    options.signal?.throwIfAborted()
    const timeoutMs = options.timeoutMs ?? this.#settings.commitTimeoutMs
    const payloadText = this.#payloadText(namespace, payload)
    const refs = (options.refs ?? []).map((r, i) => {
      if (r instanceof Uint8Array) return r
      if (typeof r !== 'string' || !/^[0-9a-f]{64}$/.test(r)) throw new InvalidEntryError(`refs[${i}] must be an entry id (64 lower-case hex characters)`)
      return fromHex(r)
    })
    const idempotencyKey = options.idempotencyKey ?? ''
    if (!policyAllows(this.genesis.policy, namespace, identity.publicKey)) throw new PolicyRejectedError(namespace, identity.publicKeyHex)
    const sign = (seq: number): Entry => {
      const entry = identity.sign({ namespace, seq, payload: payloadText, refs, idempotencyKey }, this.genesis.chainId)
      try {
        // The core's own reader: namespace form, payload bound, refs count, key length.
        entryFromCbor(entryToCbor(entry), this.genesis.params.payloadBytesMax)
      } catch (err) {
        if (err instanceof CodecError) throw new InvalidEntryError(err.message)
        throw err
      }
      return entry
    }
    sign(1) // form checks now, before waiting for this client's earlier commits
    const deadline = anySignal([options.signal], timeoutMs)
    const attempt = new Attempt()
    for (let resigned = 0; ; resigned++) {
      const accepted = new Set<string>()
      let entry: Entry
      // Phase 1, in seq order with this client's other commits (the seq is drawn and the
      // entry queued in one step, and the pipeline keeps queue order per node): sign, and
      // get the entry into at least one node (resigning only if every answer was 'stale-seq').
      try {
        entry = await this.#firstAcceptance(sign, attempt, accepted, deadline, options.signal)
      } catch (err) {
        if (isAbortOf(err, options.signal)) throw err
        if (deadline.aborted) throw new NoQuorumReachableError(`commit to '${namespace}' within ${timeoutMs} ms`, attempt.list())
        throw err
      }
      // Phase 2: spread to f+1 nodes, poll for a receipt, resubmit now and then.
      const outcome = await this.#awaitCommit(entry, attempt, accepted, deadline, options.signal, timeoutMs)
      if (outcome.superseded === null) return this.#decision(outcome.receipt.entry, outcome.receipt.index, null, outcome.receipt) as CommittedDecision<PayloadOutput<S, N>>
      // A later seq of this agent committed first (each node has its own mempool, and a
      // leader proposes what it has), so this entry can never commit: signing the same
      // decision again with a seq above the committed one cannot commit it twice.
      const { lastSeq, errors } = outcome.superseded
      if (options.resignSuperseded === false || resigned >= SDK_LIMITS.supersededResignMax) {
        throw new SeqSupersededError(toHex(entryId(entry)), entry.seq, lastSeq, errors)
      }
      this.#sequence.observe(lastSeq)
    }
  }

  #payloadText(namespace: string, payload: unknown): string {
    let value = payload
    const schema = this.#schemas?.[namespace]
    if (schema !== undefined) {
      const parsed = schema.safeParse(payload)
      if (!parsed.success) throw new PayloadValidationError(namespace, parsed.error.message, parsed.error.issues)
      value = parsed.data
    }
    let text: string | undefined
    try {
      text = JSON.stringify(value)
    } catch (err) {
      throw new InvalidEntryError(`the payload is not JSON data: ${(err as Error).message}`)
    }
    if (typeof text !== 'string') throw new InvalidEntryError('the payload is not JSON data (undefined or a function)')
    // The log's payload grammar (e.g. a string holding a lone surrogate stringifies to a
    // \u escape that no validator accepts): refused here, before signing.
    const problem = payloadJsonProblem(text)
    if (problem !== null) throw new InvalidEntryError(`the payload is not a valid payload JSON text: ${problem}`)
    return text
  }

  /** Nodes to submit entries to, in this client's fixed order (drawn once: different
   * clients spread over the nodes), suspects last. Fixed, so that an agent's entries go
   * to the same f+1 nodes, each in seq order (an entry's first submissions are answered
   * before the next entry goes out): then every node sees them in seq order, directly or
   * by gossip from those nodes, and a leader seldom has seq n+1 without seq n, which
   * would make n superseded (docs/protocol.md). Shuffled per entry, about one in thirty
   * was (bench/concurrent-commits.ts, 4 validators, 4 clients x 8 commits in flight:
   * 17 of 523; with this order 0 of 884, and 0 of 1,054 at 16 in flight). */
  #submissionOrder(exclude: ReadonlySet<string>): NodeApi[] {
    const now = Date.now()
    const suspect = (n: NodeApi): number => ((this.#suspectUntil.get(n.url) ?? 0) > now ? 1 : 0)
    // Array.prototype.sort is stable: the fixed order holds among equals.
    return this.#submitOrder.filter((n) => !exclude.has(n.url)).sort((a, b) => suspect(a) - suspect(b))
  }

  /** Nodes in the order to ask them: shuffled (spreads load), suspects last. */
  #ordered(exclude: ReadonlySet<string> = new Set()): NodeApi[] {
    const now = Date.now()
    const list = this.#nodes.filter((n) => !exclude.has(n.url))
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1))
      ;[list[i], list[j]] = [list[j]!, list[i]!]
    }
    const suspect = (n: NodeApi): number => ((this.#suspectUntil.get(n.url) ?? 0) > now ? 1 : 0)
    return list.sort((a, b) => suspect(a) - suspect(b))
  }

  #fault(attempt: Attempt, fault: NodeFault): void {
    attempt.record(fault)
    attempt.faulty.add(fault.node)
    this.#suspectUntil.set(fault.node, Date.now() + this.#settings.faultCooldownMs)
    try {
      this.#onFault?.(fault)
    } catch {
      // a listener's error is not the operation's
    }
  }

  /** Records a per-node error; faults also exclude the node from this operation. */
  #noteError(attempt: Attempt, err: unknown, signal: AbortSignal | undefined): void {
    if (isAbortOf(err, signal)) throw err
    if (err instanceof InvalidProofError || err instanceof MalformedResponseError) this.#fault(attempt, err)
    else if (err instanceof NodeError) attempt.record(err)
    else throw err
  }

  async #firstAcceptance(sign: (seq: number) => Entry, attempt: Attempt, accepted: Set<string>, deadline: AbortSignal, signal: AbortSignal | undefined): Promise<Entry> {
    let entry = sign(this.#sequence.next())
    let resequenced = 0
    for (let round = 0; ; round++) {
      deadline.throwIfAborted()
      const permanent = new Map<string, NodeResponseError>()
      const stale: NodeResponseError[] = []
      const targets = this.#submissionOrder(attempt.faulty).slice(0, this.#submitTo)
      if (targets.length === 0) throw new NoQuorumReachableError('commit', attempt.list())
      await Promise.all(targets.map(async (node) => {
        try {
          const answer = await this.#pipeline.submit(node, entry, deadline)
          if (answer.id !== toHex(entryId(entry))) {
            this.#fault(attempt, new InvalidProofError(node.url, 'id-mismatch', `answered id ${answer.id} for an entry whose id is ${toHex(entryId(entry))}`))
            return
          }
          accepted.add(node.url)
        } catch (err) {
          if (isAbortOf(err, deadline) && !signal?.aborted) return
          this.#noteError(attempt, err, signal)
          if (err instanceof NodeResponseError && !err.transient) {
            if (err.code === 'stale-seq') stale.push(err)
            else permanent.set(node.url, err)
          }
        }
      }))
      if (accepted.size > 0) return entry
      deadline.throwIfAborted()
      if (stale.length > 0 && permanent.size === 0 && resequenced < SDK_LIMITS.resequenceMax) {
        // No node took this entry, so it is in no mempool: signing the same decision
        // again with a higher seq cannot make it commit twice.
        for (const err of stale) {
          const last = typeof err.details.lastSeq === 'number' ? err.details.lastSeq : Number(STALE_SEQ.exec(err.message)?.[1] ?? NaN)
          if (Number.isSafeInteger(last)) this.#sequence.observe(last)
        }
        entry = sign(this.#sequence.next())
        resequenced += 1
        continue
      }
      const refusals = [...permanent.values(), ...stale]
      if (refusals.length >= this.#agreeing) {
        const policy = refusals.filter((e) => e.code === 'policy-denied')
        if (policy.length >= this.#agreeing) throw new PolicyRejectedError(entry.namespace, toHex(entry.agent), refusals)
        throw new EntryRejectedError(toHex(entryId(entry)), refusals[0]!.code, refusals)
      }
      // Fewer than f+1 refusals may be lies: those nodes are not asked again for this entry.
      for (const url of permanent.keys()) attempt.faulty.add(url)
      const retryAfter = Math.max(0, ...attempt.list().map((e) => (e instanceof NodeResponseError ? e.retryAfterMs ?? 0 : 0)))
      await sleep(Math.max(Math.min(retryAfter, this.#settings.backoffMaxMs), backoffMs(round, this.#settings.backoffBaseMs, this.#settings.backoffMaxMs, this.#random)), deadline)
    }
  }

  async #awaitCommit(entry: Entry, attempt: Attempt, accepted: Set<string>, deadline: AbortSignal, signal: AbortSignal | undefined, timeoutMs: number): Promise<CommitOutcome> {
    const idHex = toHex(entryId(entry))
    const encoded = encodeEntry(entry)
    const startedAt = Date.now()
    let lastSubmit = startedAt
    // Background work (submissions, receipt waits) stops when this commit ends, however it ends.
    const done = new AbortController()
    const background = anySignal([deadline, done.signal])
    /** Nodes that said this entry can never commit (final, so they are not asked again). */
    const verdicts = new Map<string, { lastSeq: number, error: NodeResponseError }>()
    const onVerdict = (url: string, lastSeq: number, error: NodeResponseError): void => {
      if (lastSeq < entry.seq || attempt.faulty.has(url)) return
      verdicts.set(url, { lastSeq, error })
      waits.finish(url)
    }
    const waits = new ReceiptWaits(attempt, background, signal, (node) => this.#pollReceipt(node, idHex, encoded, attempt, background, signal, (answer) => onVerdict(node.url, answer.lastSeq, answer.error)))
    const submitTo = async (node: NodeApi): Promise<void> => {
      try {
        await this.#pipeline.submit(node, entry, background)
        accepted.add(node.url)
        waits.start(node)
      } catch (err) {
        if (background.aborted) return
        const lastSeq = err instanceof NodeResponseError && err.code === 'stale-seq' && err.details.reason === 'committed' ? err.details.lastSeq : undefined
        if (typeof lastSeq === 'number' && Number.isSafeInteger(lastSeq)) onVerdict(node.url, lastSeq, err as NodeResponseError)
        else this.#noteError(attempt, err, signal)
      }
    }
    // One node's verdict is put to the others: the same signed entry again, which any
    // node checks against its own committed log, whether it saw the entry or not.
    let confirming: Promise<void> | null = null
    const confirm = (): void => {
      if (confirming !== null) return
      const others = this.#ordered(attempt.faulty).filter((n) => !verdicts.has(n.url))
      confirming = Promise.all(others.map((node) => submitTo(node))).then(() => waits.wake(), () => {})
    }
    // Up to f+1 accepting nodes: a censoring minority cannot hold the entry back.
    const spread = async (): Promise<void> => {
      const missing = this.#submitTo - accepted.size
      if (missing <= 0) return
      const more = this.#submissionOrder(new Set([...accepted, ...attempt.faulty])).slice(0, missing)
      await Promise.all(more.map((node) => submitTo(node)))
    }
    try {
      // One long poll per node (each asks again when its wait ends), started as each node
      // takes the entry, and on the others once f+1 took it: any honest node can serve
      // the receipt, and the first to hold the commit certificate is the leader that
      // formed it, which is often not a node that took the entry (waiting only on those
      // cost one more network hop per commit). After resubmitMs without a receipt, every
      // node is asked again.
      for (const node of this.#nodes) if (accepted.has(node.url)) waits.start(node)
      let spreading = spread().then(() => {
        if (accepted.size >= this.#submitTo) for (const node of this.#ordered(attempt.faulty)) waits.start(node)
      }).catch(() => {})
      for (;;) {
        if (verdicts.size >= this.#agreeing) {
          const found = [...verdicts.values()]
          return { receipt: null, superseded: { lastSeq: Math.min(...found.map((v) => v.lastSeq)), errors: found.map((v) => v.error) } }
        }
        if (verdicts.size > 0) confirm()
        if (waits.active === 0) for (const node of this.#ordered(attempt.faulty)) waits.start(node)
        if (attempt.faulty.size >= this.#nodes.length) throw new NoQuorumReachableError(`commit of entry ${idHex}`, attempt.list())
        const now = Date.now()
        if (now - lastSubmit >= this.#settings.resubmitMs) {
          // The same signed entry again (a node that restarted may have lost its
          // mempool); a node that has it answers 'duplicate'. After a verdict, every
          // other node is asked again (one may have answered while a commit was in flight).
          lastSubmit = now
          confirming = null
          for (const node of this.#ordered(attempt.faulty)) waits.start(node)
          await spreading
          const again = this.#nodes.filter((n) => accepted.has(n.url) && !attempt.faulty.has(n.url) && !verdicts.has(n.url))
          spreading = Promise.all(again.map((node) => submitTo(node))).then(spread).catch(() => {})
        }
        const receipt = await waits.next(Math.max(1, lastSubmit + this.#settings.resubmitMs - Date.now()))
        if (receipt !== null) return { receipt, superseded: null }
        deadline.throwIfAborted()
      }
    } catch (err) {
      if (isAbortOf(err, signal)) throw err
      if (deadline.aborted) throw new CommitTimeoutError(idHex, timeoutMs, [...accepted], attempt.list())
      throw err
    } finally {
      done.abort()
    }
  }

  /**
   * Waits on one node for the receipt of `idHex`: long polls (receiptWaitMs), asked again
   * as soon as one ends without the receipt; polling with growing intervals for a node that
   * does not support waiting. Answers the receipt once it verified (and, with `expected`,
   * is for exactly that entry), or null when the node proved faulty or `background`
   * aborted. Other errors are recorded and retried with backoff.
   */
  async #pollReceipt(node: NodeApi, idHex: string, expected: Uint8Array | null, attempt: Attempt, background: AbortSignal, signal: AbortSignal | undefined, onSuperseded: (answer: Extract<ReceiptAnswer, { status: 'superseded' }>) => void): Promise<Receipt | null> {
    let waitMs = this.#settings.receiptWaitMs
    let pollMs = this.#settings.receiptPollMs
    let failures = 0
    while (!background.aborted && !attempt.faulty.has(node.url)) {
      const asked = Date.now()
      try {
        const answer = await this.#receiptBatchers.get(node.url)!.receipt(idHex, background, waitMs + this.#settings.receiptRequestTimeoutMs, waitMs)
        failures = 0
        if (answer.status === 'certified') {
          this.#checkReceipt(node.url, answer.receipt, idHex, expected)
          return answer.receipt
        }
        if (answer.status === 'superseded') {
          // Final at this node: asking it again would only hear the same.
          onSuperseded(answer)
          return null
        }
        // A batch that ended early because another id settled: ask again at once.
        if (answer.early !== true && (waitMs === 0 || Date.now() - asked < waitMs / 2)) {
          // Answered without waiting: poll this node at growing intervals instead.
          await sleep(Math.floor(pollMs * (0.5 + this.#random())), background)
          pollMs = Math.min(this.#settings.receiptPollMaxMs, Math.ceil(pollMs * 1.5))
        }
      } catch (err) {
        if (background.aborted) return null
        if (waitMs > 0 && err instanceof NodeResponseError && err.status === 400 && err.code === 'invalid-parameter') {
          waitMs = 0 // a node from before long polls: poll it
          continue
        }
        this.#noteError(attempt, err, signal)
        if (attempt.faulty.has(node.url)) return null
        failures += 1
        await sleep(backoffMs(failures, this.#settings.backoffBaseMs, this.#settings.backoffMaxMs, this.#random), background)
      }
    }
    return null
  }

  /**
   * Asks every node not yet proven faulty (or only those in `only`) for the receipt of
   * `idHex`, in parallel, and
   * answers the first that verifies (the others are cancelled). A receipt that does not
   * verify, or that is for another entry, is a fault of the node that served it.
   */
  async #receiptRound(idHex: string, expected: Uint8Array | null, attempt: Attempt, deadline: AbortSignal, signal: AbortSignal | undefined, only: ReadonlySet<string> | null = null): Promise<{ receipt: Receipt | null, pending: number, unknown: number, superseded: Extract<ReceiptAnswer, { status: 'superseded' }>[], node?: string }> {
    const nodes = this.#ordered(attempt.faulty).filter((n) => only === null || only.has(n.url))
    const round = new AbortController()
    const roundSignal = anySignal([deadline, round.signal])
    let pending = 0
    let unknown = 0
    // Not committed, and never will be, say these: for a record that claims to be, as good as unknown.
    const superseded: Extract<ReceiptAnswer, { status: 'superseded' }>[] = []
    let winner: { receipt: Receipt, node: string } | null = null
    await Promise.all(nodes.map(async (node) => {
      try {
        const answer = await node.receipt(idHex, roundSignal, this.#settings.receiptRequestTimeoutMs)
        if (answer.status === 'pending') pending += 1
        else if (answer.status === 'unknown') unknown += 1
        else if (answer.status === 'superseded') {
          unknown += 1
          superseded.push(answer)
        } else {
          this.#checkReceipt(node.url, answer.receipt, idHex, expected)
          if (winner === null) {
            winner = { receipt: answer.receipt, node: node.url }
            round.abort()
          }
        }
      } catch (err) {
        if (roundSignal.aborted && !signal?.aborted && !deadline.aborted) return // cancelled: a winner was found
        if (isAbortOf(err, deadline) && !signal?.aborted) return
        this.#noteError(attempt, err, signal)
      }
    }))
    const won = winner as { receipt: Receipt, node: string } | null
    if (won !== null) return { receipt: won.receipt, pending, unknown, superseded, node: won.node }
    if (signal?.aborted) throw signal.reason
    deadline.throwIfAborted()
    return { receipt: null, pending, unknown, superseded }
  }

  /** Throws InvalidProofError unless the receipt verifies and is for exactly this entry. */
  #checkReceipt(node: string, receipt: Receipt, idHex: string, expected: Uint8Array | null): void {
    const verdict = verifyReceipt(receipt, this.genesis, this.#set)
    if (!verdict.ok) throw new InvalidProofError(node, verdict.code, verdict.reason)
    const bytes = encodeEntry(receipt.entry)
    if (expected !== null && !bytesEqual(bytes, expected)) throw new InvalidProofError(node, 'wrong-entry', `the receipt is for another entry than ${idHex}`)
    const got = toHex(entryId(receipt.entry))
    if (got !== idHex) throw new InvalidProofError(node, 'wrong-entry', `the receipt is for entry ${got}, not ${idHex}`)
  }

  // --- reads ---

  /**
   * The committed decision with this id and a receipt the client verified. Throws
   * EntryNotFoundError (pending: true when a node has it uncertified) or
   * NoQuorumReachableError when no node answered usefully.
   */
  async get<N extends string = string>(id: string, options: ReadOptions & { namespace?: N } = {}): Promise<CommittedDecision<PayloadOutput<S, N>>> {
    if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidEntryError(`'${id}' is not an entry id (64 lower-case hex characters)`)
    const attempt = new Attempt()
    const signal = anySignal([options.signal], this.#settings.requestTimeoutMs * 2)
    let found
    try {
      found = await this.#receiptRound(id, null, attempt, signal, options.signal)
    } catch (err) {
      if (isAbortOf(err, options.signal)) throw err
      throw new NoQuorumReachableError(`get ${id}`, attempt.list())
    }
    if (found.receipt !== null) return this.#decision(found.receipt.entry, found.receipt.index, null, found.receipt) as CommittedDecision<PayloadOutput<S, N>>
    if (found.superseded.length >= this.#agreeing) throw supersededError(id, found.superseded)
    if (found.pending > 0) throw new EntryNotFoundError(id, true, attempt.list())
    if (found.unknown > 0) throw new EntryNotFoundError(id, false, attempt.list())
    throw new NoQuorumReachableError(`get ${id}`, attempt.list())
  }

  /**
   * Waits until the entry with this id has a verified receipt (e.g. after a
   * CommitTimeoutError). One long poll per node (asked again when a wait ends), until
   * the deadline; nodes that do not support waiting are polled. Throws
   * SeqSupersededError as soon as f+1 nodes say the entry can never commit (only nodes
   * that had the entry pending can say so for an id).
   */
  async awaitReceipt(id: string, options: ReadOptions & { timeoutMs?: number } = {}): Promise<CommittedDecision> {
    const timeoutMs = options.timeoutMs ?? this.#settings.commitTimeoutMs
    const deadline = anySignal([options.signal], timeoutMs)
    const attempt = new Attempt()
    const done = new AbortController()
    const background = anySignal([deadline, done.signal])
    const verdicts = new Map<string, Extract<ReceiptAnswer, { status: 'superseded' }>>()
    const waits: ReceiptWaits = new ReceiptWaits(attempt, background, options.signal, (node) => this.#pollReceipt(node, id, null, attempt, background, options.signal, (answer) => {
      verdicts.set(node.url, answer)
      waits.finish(node.url)
    }))
    try {
      // One long poll per node (polling for nodes that do not support waiting).
      for (const node of this.#ordered(attempt.faulty)) waits.start(node)
      for (;;) {
        const receipt = await waits.next(this.#settings.resubmitMs)
        if (receipt === null && verdicts.size >= this.#agreeing) throw supersededError(id, [...verdicts.values()])
        if (receipt !== null) return this.#decision(receipt.entry, receipt.index, null, receipt) as CommittedDecision
        if (attempt.faulty.size >= this.#nodes.length) throw new NoQuorumReachableError(`receipt of ${id}`, attempt.list())
        deadline.throwIfAborted()
        for (const node of this.#ordered(attempt.faulty)) waits.start(node)
      }
    } catch (err) {
      if (isAbortOf(err, options.signal)) throw err
      if (deadline.aborted) throw new CommitTimeoutError(id, timeoutMs, [], attempt.list())
      throw err
    } finally {
      done.abort()
    }
  }

  /**
   * Committed decisions matching the filters, in log order, across pages and nodes: when
   * a node fails mid-way the query resumes on another from the last height delivered,
   * skipping what was already yielded (by log index), so there is no duplicate.
   * Each item is checked at the `verify` level (default 'signature'; see VerifyLevel).
   */
  async *query<N extends string = string>(options: QueryOptions<N> = {}): AsyncGenerator<Decision<PayloadOutput<S, N>>> {
    const verify = options.verify ?? 'signature'
    const limit = options.limit ?? Infinity
    const attempt = new Attempt()
    let yielded = 0
    let lastIndex = -1
    let lastHeight = options.fromHeight
    let failures = 0
    while (yielded < limit) {
      const candidates = this.#ordered(attempt.faulty)
      if (candidates.length === 0) throw new NoQuorumReachableError('query', attempt.list())
      const node = candidates[failures % candidates.length]!
      let cursor: string | undefined
      try {
        for (;;) {
          const page = await node.query({
            namespace: options.namespace,
            agent: options.agent,
            fromHeight: lastHeight,
            toHeight: options.toHeight,
            cursor,
            limit: SDK_LIMITS.queryPageLimit,
          }, anySignal([options.signal], this.#settings.requestTimeoutMs))
          for (const raw of page.items) {
            if (raw.index <= lastIndex) continue // already delivered (resumed on another node)
            this.#checkRecord(node.url, raw, options.namespace, options.agent)
            if (options.fromHeight !== undefined && raw.height < options.fromHeight) throw new InvalidProofError(node.url, 'filter-ignored', `record ${raw.index} is at height ${raw.height}, below fromHeight ${options.fromHeight}`)
            if (options.toHeight !== undefined && raw.height > options.toHeight) throw new InvalidProofError(node.url, 'filter-ignored', `record ${raw.index} is at height ${raw.height}, above toHeight ${options.toHeight}`)
            const receipt = verify === 'receipt' ? await this.#receiptForRecord(node.url, raw, options.signal) : null
            lastIndex = raw.index
            lastHeight = raw.height
            yielded += 1
            yield this.#decision(raw.entry, raw.index, raw.height, receipt) as Decision<PayloadOutput<S, N>>
            if (yielded >= limit) return
          }
          if (page.nextCursor === null) return
          cursor = page.nextCursor
        }
      } catch (err) {
        this.#noteError(attempt, err, options.signal)
        failures += 1
        if (failures > this.#nodes.length * 3) throw new NoQuorumReachableError('query', attempt.list())
        await sleep(backoffMs(failures, this.#settings.backoffBaseMs, this.#settings.backoffMaxMs, this.#random), options.signal)
      }
    }
  }

  /**
   * Follows the log: decisions from log index `from` (default: from now on), in log
   * order, verified at the `verify` level (default 'receipt': each item is delivered only
   * with a verified receipt at exactly its log index). When the node streaming fails,
   * closes, or serves something that does not verify, the subscription resumes on another
   * node after the last index delivered: no gap, no duplicate. Without a namespace filter
   * the indices must also be contiguous, so a node cannot skip an entry unnoticed; with a
   * filter, a lying node could omit matching entries (nothing proves completeness of a
   * filtered stream), which is why f+1 honest nodes matter.
   *
   * Runs until the signal aborts or the consumer stops iterating.
   */
  async *subscribe<N extends string = string>(options: SubscribeOptions<N> = {}): AsyncGenerator<Decision<PayloadOutput<S, N>>> {
    const verify = options.verify ?? 'receipt'
    const attempt = new Attempt()
    const stop = new AbortController()
    const signal = anySignal([options.signal, stop.signal])
    let next = options.from ?? await this.#logSize(attempt, options.signal)
    let turn = 0
    let failuresInARow = 0
    try {
      for (;;) {
        signal.throwIfAborted()
        const candidates = this.#ordered(attempt.faulty)
        if (candidates.length === 0) throw new NoQuorumReachableError('subscribe', attempt.list())
        const node = candidates[turn % candidates.length]!
        turn += 1
        let delivered = false
        try {
          for await (const raw of node.subscribe(next, options.namespace, signal)) {
            if (raw.index < next) continue // a replay of what was delivered
            if (options.namespace === undefined && raw.index !== next) {
              throw new InvalidProofError(node.url, 'gap', `the stream jumped from log index ${next} to ${raw.index}`)
            }
            this.#checkRecord(node.url, raw, options.namespace, undefined)
            const receipt = verify === 'receipt' ? await this.#receiptForRecord(node.url, raw, signal) : null
            next = raw.index + 1
            delivered = true
            failuresInARow = 0
            yield this.#decision(raw.entry, raw.index, raw.height, receipt) as Decision<PayloadOutput<S, N>>
          }
          // The node ended the stream (shutting down): resume elsewhere.
        } catch (err) {
          this.#noteError(attempt, err, signal)
          if (signal.aborted) throw signal.reason
        }
        if (!delivered) failuresInARow += 1
        const wait = failuresInARow === 0 ? this.#settings.reconnectMs : backoffMs(failuresInARow, this.#settings.reconnectMs, this.#settings.backoffMaxMs * 5, this.#random)
        await sleep(wait, signal)
        // A node excluded for faults stays excluded for this subscription; after a full
        // circle of failures every non-faulty node is tried again.
      }
    } finally {
      stop.abort()
    }
  }

  /**
   * The current log size (number of committed entries): the smallest that f+1 nodes
   * report. A subscription from here sees every decision committed after the call.
   * Unverified by nature (a size is not a proof), and safe for that use: a node lying
   * low only makes a subscriber re-read older, verified decisions.
   */
  async logSize(options: ReadOptions = {}): Promise<number> {
    return this.#logSize(new Attempt(), options.signal)
  }

  /** The log size to start a subscription at: the smallest any of f+1 nodes reports
   * (a node lying high would make the client skip entries; lying low only costs time). */
  async #logSize(attempt: Attempt, signal: AbortSignal | undefined): Promise<number> {
    const sizes: number[] = []
    for (const node of this.#ordered(attempt.faulty)) {
      try {
        const health = await node.health(anySignal([signal], this.#settings.requestTimeoutMs))
        if (health.chainId !== this.genesis.chainId) {
          this.#fault(attempt, new MalformedResponseError(node.url, `serves chain '${health.chainId}', not '${this.genesis.chainId}'`))
          continue
        }
        sizes.push(health.logSize)
        if (sizes.length >= this.#agreeing) break
      } catch (err) {
        this.#noteError(attempt, err, signal)
      }
    }
    if (sizes.length === 0) throw new NoQuorumReachableError('subscribe: log size', attempt.list())
    return Math.min(...sizes)
  }

  /** Form checks on a record from a node: signature, genesis rules, id, filters. */
  #checkRecord(node: string, raw: RawRecord, namespace: string | undefined, agent: string | undefined): void {
    const id = toHex(entryId(raw.entry))
    if (id !== raw.id) throw new InvalidProofError(node, 'id-mismatch', `record ${raw.index} claims id ${raw.id}, its entry hashes to ${id}`)
    if (namespace !== undefined && raw.entry.namespace !== namespace) throw new InvalidProofError(node, 'filter-ignored', `record ${raw.index} is in namespace '${raw.entry.namespace}', not '${namespace}'`)
    if (agent !== undefined && toHex(raw.entry.agent) !== agent) throw new InvalidProofError(node, 'filter-ignored', `record ${raw.index} is by another agent than ${agent}`)
    // verifyReceipt's entry checks without a proof: signature, payload bound, policy.
    const payloadBytes = new TextEncoder().encode(raw.entry.payload).length
    if (payloadBytes > this.genesis.params.payloadBytesMax) throw new InvalidProofError(node, 'entry-not-allowed', `record ${raw.index}: payload over the chain's limit`)
    if (!policyAllows(this.genesis.policy, raw.entry.namespace, raw.entry.agent)) throw new InvalidProofError(node, 'entry-not-allowed', `record ${raw.index}: the agent may not write to '${raw.entry.namespace}'`)
    if (!verifyEntrySignature(raw.entry, this.genesis.chainId)) throw new InvalidProofError(node, 'bad-entry-signature', `record ${raw.index}: the entry signature does not verify`)
  }

  /**
   * A verified receipt for a record a node streamed, from any node, at exactly the
   * record's index. Waits while nodes say 'pending' (a commit certificate lags a commit
   * by a block at most). If f+1 nodes (or all) say they do not know the entry, the
   * record was made up: a fault of the node that streamed it.
   */
  async #receiptForRecord(streamNode: string, raw: RawRecord, signal: AbortSignal | undefined): Promise<Receipt> {
    const attempt = new Attempt()
    const encoded = encodeEntry(raw.entry)
    let pollMs = this.#settings.receiptPollMs
    for (;;) {
      const roundSignal = anySignal([signal], this.#settings.requestTimeoutMs * 2)
      const found = await this.#receiptRound(raw.id, encoded, attempt, roundSignal, signal).catch((err: unknown) => {
        if (isAbortOf(err, signal)) throw err
        return { receipt: null, pending: 0, unknown: 0, superseded: [] }
      })
      if (found.receipt !== null) {
        if (found.receipt.index !== raw.index) {
          throw new InvalidProofError(streamNode, 'wrong-index', `streamed entry ${raw.id} at log index ${raw.index}; its verified receipt puts it at ${found.receipt.index}`)
        }
        return found.receipt
      }
      if (found.pending === 0 && found.unknown >= this.#agreeing) {
        throw new InvalidProofError(streamNode, 'uncommitted-record', `streamed entry ${raw.id} at index ${raw.index}, which ${found.unknown} nodes do not know`)
      }
      if (attempt.faulty.size >= this.#nodes.length) throw new NoQuorumReachableError(`receipt of ${raw.id}`, attempt.list())
      await sleep(Math.floor(pollMs * (0.5 + this.#random())), signal)
      pollMs = Math.min(this.#settings.receiptPollMaxMs, Math.ceil(pollMs * 1.5))
    }
  }

  /** A Decision from a checked entry, with its payload parsed and schema-validated. */
  #decision(entry: Entry, index: number, height: number | null, receipt: Receipt | null): Decision {
    let payload: unknown
    let payloadError: string | null = null
    try {
      payload = JSON.parse(entry.payload)
    } catch {
      payload = entry.payload
      payloadError = 'the payload is not JSON'
    }
    const schema = this.#schemas?.[entry.namespace]
    if (schema !== undefined && payloadError === null) {
      const parsed = schema.safeParse(payload)
      if (parsed.success) payload = parsed.data
      else payloadError = parsed.error.message
    }
    const base = {
      id: toHex(entryId(entry)),
      agent: toHex(entry.agent),
      namespace: entry.namespace,
      seq: entry.seq,
      payloadText: entry.payload,
      refs: entry.refs.map(toHex),
      idempotencyKey: entry.idempotencyKey,
      index,
      height,
      entry,
      receipt,
    }
    return payloadError === null ? { ...base, payloadError: null, payload } : { ...base, payloadError, payload }
  }
}

/** The error for an id that f+1 nodes (`answers`) say can never commit. */
function supersededError(id: string, answers: readonly Extract<ReceiptAnswer, { status: 'superseded' }>[]): SeqSupersededError {
  // The lowest report: at least one of f+1 is honest, so the committed seq is at least this.
  const lowest = answers.reduce((a, b) => (b.lastSeq < a.lastSeq ? b : a))
  return new SeqSupersededError(id, lowest.seq, lowest.lastSeq, answers.map((a) => a.error))
}

/**
 * The receipt waits of one operation: at most one per node (SynodClient.pollReceipt), the
 * first verified receipt wins and ends the others (through the operation's signal).
 */
class ReceiptWaits {
  readonly #attempt: Attempt
  readonly #background: AbortSignal
  readonly #signal: AbortSignal | undefined
  readonly #poll: (node: NodeApi) => Promise<Receipt | null>
  readonly #running = new Set<string>()
  /** Nodes whose answer is final (the entry can never commit there): not asked again. */
  readonly #final = new Set<string>()
  #winner: Receipt | null = null
  #wake: (() => void) | null = null
  /** A notify() came while no next() waited. */
  #woken = false

  constructor(attempt: Attempt, background: AbortSignal, signal: AbortSignal | undefined, poll: (node: NodeApi) => Promise<Receipt | null>) {
    this.#attempt = attempt
    this.#background = background
    this.#signal = signal
    this.#poll = poll
  }

  /** Waits running now. */
  get active(): number {
    return this.#running.size
  }

  /** No more waits on this node; wakes the caller of next(). */
  finish(url: string): void {
    this.#final.add(url)
    this.#notify()
  }

  /** Wakes the caller of next() (something it should look at happened). */
  wake(): void {
    this.#notify()
  }

  /** Starts waiting on `node` unless a wait on it runs, it proved faulty or answered for good. */
  start(node: NodeApi): void {
    if (this.#winner !== null || this.#running.has(node.url) || this.#final.has(node.url) || this.#attempt.faulty.has(node.url) || this.#background.aborted) return
    this.#running.add(node.url)
    this.#poll(node).then(
      (receipt) => { if (receipt !== null && this.#winner === null) this.#winner = receipt },
      () => {},
    ).finally(() => {
      this.#running.delete(node.url)
      this.#notify()
    })
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = null
    // Kept for the next call of next() when nobody waits now: not lost between calls.
    if (wake === null) this.#woken = true
    wake?.()
  }

  /** The winning receipt; or null after `ms`, as soon as no wait runs any more, or on
   * wake(). With no wait running it waits `ms` (or a wake()), so a caller that cannot
   * start one does not spin. Rejects with the caller's or the deadline's abort. */
  async next(ms: number): Promise<Receipt | null> {
    const woken = this.#woken
    this.#woken = false
    if (this.#winner === null && !woken) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          this.#background.removeEventListener('abort', done)
          this.#wake = null
          resolve()
        }
        const timer = setTimeout(done, ms)
        this.#background.addEventListener('abort', done, { once: true })
        this.#wake = done
      })
    }
    if (this.#winner !== null) return this.#winner
    if (this.#signal?.aborted) throw this.#signal.reason
    return null
  }
}
