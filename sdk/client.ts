// SynodClient: commits, reads and follows decisions through several nodes while trusting
// none of them. Every receipt is verified here against the genesis (commit certificate
// quorum, inclusion proof, entry signature); every record is checked before it is
// yielded; a node that serves something that does not verify is reported and skipped.
// Browser-safe: it imports no Node module (test/sdk/browser-bundle.test.ts checks).
//
// This file is the public face; the work is in one module per part:
//   options.ts       the options and the resolved timing settings
//   node-pool.ts     the nodes: order, suspects, per-operation errors and faults
//   receipts.ts      receipts asked of the nodes and verified (receipt-waits.ts: long polls)
//   commit.ts        commit(): sign, first acceptance (commit-wait.ts: spread, receipt, verdicts)
//   read.ts          get(), awaitReceipt(), query(), logSize()
//   subscribe.ts     subscribe()
//   records.ts       payload text, record checks, the Decision a caller receives
//   sealed.ts        commitSealed(), getSealed(), erase(): sealed payloads and their erasure
//                    (sealing.ts: AES-256-GCM with Web Crypto)
//   (k-of-m approvals over commit and get are approvals.ts, SynodDecisions)
import { validatorSetOf, type Genesis } from '../src/log/genesis.ts'
import { ReceiptBatcher, SubmitPipeline } from './batching.ts'
import { Committer } from './commit.ts'
import { ConfigurationError, type NodeError } from './errors.ts'
import type { AgentIdentity } from './identity.ts'
import { SDK_DEFAULTS } from './limits.ts'
import { NodeApi, type FetchLike } from './node-api.ts'
import { Attempt, NodePool } from './node-pool.ts'
import { settingsOf, type CommitOptions, type QueryOptions, type ReadOptions, type SubscribeOptions, type SynodClientOptions } from './options.ts'
import { awaitDecision, getDecision, logSizeOf, queryDecisions, type ReadDependencies } from './read.ts'
import { Receipts } from './receipts.ts'
import { commitSealed, eraseSealed, getSealed, uploadSealed, type ErasedDecision, type OpenedDecision, type SealedCommit, type SealedDependencies, type SealOptions } from './sealed.ts'
import { ClockSequence } from './sequence.ts'
import { subscribeDecisions } from './subscribe.ts'
import type { CommittedDecision, Decision, NamespaceSchemas, PayloadInput, PayloadOutput } from './types.ts'

export type { CommitOptions, NodeFault, QueryOptions, ReadOptions, SubscribeOptions, SynodClientOptions } from './options.ts'

/** The node URLs, checked and without trailing slashes (duplicates dropped). */
function nodeUrls(nodes: readonly string[]): string[] {
  if (nodes.length === 0) throw new ConfigurationError('give at least one node URL')
  const urls = new Set<string>()
  for (const url of nodes) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new ConfigurationError(`'${url}' is not a URL`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigurationError(`'${url}' is not an http(s) URL`)
    urls.add(url.replace(/\/+$/, ''))
  }
  return [...urls]
}

export class SynodClient<S extends NamespaceSchemas = NamespaceSchemas> {
  readonly genesis: Genesis
  readonly identity: AgentIdentity | null
  readonly #schemas: S | undefined
  readonly #pool: NodePool
  readonly #pipeline: SubmitPipeline
  readonly #receipts: Receipts
  readonly #committer: Committer
  readonly #reads: ReadDependencies
  readonly #sealed: SealedDependencies

  constructor(options: SynodClientOptions<S>) {
    const urls = nodeUrls(options.nodes)
    this.genesis = options.genesis
    this.identity = options.identity ?? null
    this.#schemas = options.schemas
    const set = validatorSetOf(options.genesis)
    const settings = settingsOf(options)
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    const nodes = urls.map((url) => new NodeApi(url, { fetch: fetchImpl, requestTimeoutMs: settings.requestTimeoutMs }))
    this.#pool = new NodePool(options.genesis, set, nodes, settings, options.random ?? Math.random, options.onNodeFault)
    const batch = options.batch ?? {}
    this.#pipeline = new SubmitPipeline(batch === false
      ? { entriesMax: 1, bytesMax: Number.MAX_SAFE_INTEGER, lingerMs: 0 }
      : { entriesMax: batch.entriesMax ?? SDK_DEFAULTS.batchEntriesMax, bytesMax: batch.bytesMax ?? SDK_DEFAULTS.batchBytesMax, lingerMs: batch.lingerMs ?? SDK_DEFAULTS.batchLingerMs })
    const receiptBounds = batch === false
      ? { idsMax: 1, requestsMax: Number.MAX_SAFE_INTEGER }
      : { idsMax: batch.receiptIdsMax ?? SDK_DEFAULTS.receiptBatchIdsMax, requestsMax: SDK_DEFAULTS.receiptRequestsPerNodeMax }
    this.#receipts = new Receipts(this.#pool, new Map(nodes.map((node) => [node.url, new ReceiptBatcher(node, receiptBounds)])))
    this.#committer = new Committer({
      pool: this.#pool,
      receipts: this.#receipts,
      pipeline: this.#pipeline,
      sequence: options.sequence ?? new ClockSequence(),
      submitTo: Math.max(1, Math.min(options.submitTo ?? set.f + 1, nodes.length)),
      schemas: options.schemas,
    })
    this.#reads = { pool: this.#pool, receipts: this.#receipts, schemas: options.schemas }
    this.#sealed = { reads: this.#reads, committer: this.#committer, identity: this.identity }
  }

  /** HTTP requests sent for submissions and receipt waits so far (for tests and benchmarks). */
  get requestCounts(): { readonly submit: number, readonly receipt: number } {
    return { submit: this.#pipeline.requests, receipt: this.#receipts.requests }
  }

  /** The payload schemas per namespace this client was given. */
  get schemas(): S | undefined {
    return this.#schemas
  }

  /** The node URLs this client talks to. */
  get nodes(): readonly string[] {
    return this.#pool.nodes.map((n) => n.url)
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
    return this.#committer.commit(this.identity, namespace, payload, options) as Promise<CommittedDecision<PayloadOutput<S, N>>>
  }

  // --- sealed decisions (docs/sdk.md "Sealed decisions") ---

  /**
   * Commits a decision whose payload is sealed: encrypted (AES-256-GCM) under a fresh key
   * (or options.key), with only its commitments in the entry; then uploads the sealed
   * blob (and the key, with depositKey) to every node, each of which checks it against
   * the entry. The entry, its receipt and every audit verify whether or not the blob
   * stays. Resolves with the verified decision and the key (keep it: without it, and
   * without a deposit, nobody can read the payload). Throws what commit() throws.
   */
  async commitSealed<N extends string>(namespace: N, payload: PayloadInput<S, N>, options: SealOptions = {}): Promise<SealedCommit> {
    return commitSealed(this.#sealed, namespace, payload, options)
  }

  /** Uploads a sealed entry's blob (and key, if given) again, to every node. */
  async uploadSealed(id: string, blob: Uint8Array, key: Uint8Array | null = null, options: ReadOptions & { timeoutMs?: number } = {}): Promise<{ storedOn: string[], errors: NodeError[] }> {
    return uploadSealed(this.#sealed, id, blob, key, options)
  }

  /**
   * A sealed decision with a verified receipt, opened: the sidecar from any node that
   * holds it, checked against the entry's commitments, decrypted with options.key or the
   * key a node holds (deposited). Throws SealedUnavailableError ('erased' when a verified
   * erase is committed, 'no-key', 'unavailable'), SealedOpenError for a wrong key given.
   */
  async getSealed(id: string, options: ReadOptions & { key?: Uint8Array | string } = {}): Promise<OpenedDecision> {
    return getSealed(this.#sealed, id, options)
  }

  /**
   * Erases a sealed decision: commits an erase entry in its namespace naming it, after
   * which every honest node deletes its blob and key and refuses them again. Allowed for
   * its author, and for every writer of a namespace the genesis write policy governs;
   * refused here before signing otherwise. The sealed entry stays in the log (author,
   * namespace, time, size), and copies already read are not reached (docs/sdk.md).
   */
  async erase(id: string, options: CommitOptions & { reason?: string } = {}): Promise<ErasedDecision> {
    return eraseSealed(this.#sealed, id, options)
  }

  // --- reads ---

  /**
   * The committed decision with this id and a receipt the client verified. Throws
   * EntryNotFoundError (pending: true when a node has it uncertified) or
   * NoQuorumReachableError when no node answered usefully.
   */
  async get<N extends string = string>(id: string, options: ReadOptions & { namespace?: N } = {}): Promise<CommittedDecision<PayloadOutput<S, N>>> {
    return getDecision(this.#reads, id, options) as Promise<CommittedDecision<PayloadOutput<S, N>>>
  }

  /**
   * Waits until the entry with this id has a verified receipt (e.g. after a
   * CommitTimeoutError). One long poll per node (asked again when a wait ends), until
   * the deadline; nodes that do not support waiting are polled. Throws
   * SeqSupersededError as soon as f+1 nodes say the entry can never commit (only nodes
   * that had the entry pending can say so for an id).
   */
  async awaitReceipt(id: string, options: ReadOptions & { timeoutMs?: number } = {}): Promise<CommittedDecision> {
    return awaitDecision(this.#reads, id, options)
  }

  /**
   * Committed decisions matching the filters, in log order, across pages and nodes: when
   * a node fails mid-way the query resumes on another from the last height delivered,
   * skipping what was already yielded (by log index), so there is no duplicate.
   * Each item is checked at the `verify` level (default 'signature'; see VerifyLevel).
   */
  async *query<N extends string = string>(options: QueryOptions<N> = {}): AsyncGenerator<Decision<PayloadOutput<S, N>>> {
    yield* queryDecisions(this.#reads, options) as AsyncGenerator<Decision<PayloadOutput<S, N>>>
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
    yield* subscribeDecisions(this.#reads, options) as AsyncGenerator<Decision<PayloadOutput<S, N>>>
  }

  /**
   * The current log size (number of committed entries): the smallest that f+1 nodes
   * report. A subscription from here sees every decision committed after the call.
   * Unverified by nature (a size is not a proof), and safe for that use: a node lying
   * low only makes a subscriber re-read older, verified decisions.
   */
  async logSize(options: ReadOptions = {}): Promise<number> {
    return logSizeOf(this.#pool, new Attempt(), options.signal)
  }
}
