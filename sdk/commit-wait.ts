// Phase 2 of a commit: the signed entry is in at least one node; spread it to f+1 nodes
// (so a censoring minority cannot hold it back), wait on every node for its receipt,
// resubmit now and then, and notice when f+1 nodes say it can never commit (a later seq
// of its agent committed first). Browser-safe.
import { toHex } from '../src/crypto/hash.ts'
import { encodeEntry, entryId, type Entry } from '../src/log/entry.ts'
import type { Receipt } from '../src/log/receipt.ts'
import type { SubmitPipeline } from './batching.ts'
import { CommitTimeoutError, NodeResponseError, NoQuorumReachableError, type NodeError } from './errors.ts'
import type { NodeApi } from './node-api.ts'
import type { Attempt, NodePool } from './node-pool.ts'
import { ReceiptWaits } from './receipt-waits.ts'
import type { Receipts } from './receipts.ts'
import { anySignal, isAbortOf } from './util.ts'

/** How a commit attempt of one signed entry ended. */
export type CommitOutcome =
  | { readonly receipt: Receipt, readonly superseded: null }
  /** f+1 nodes said the entry can never commit; `lastSeq` is the lowest committed seq of
   * the agent they reported (at least one of them is honest). */
  | { readonly receipt: null, readonly superseded: { readonly lastSeq: number, readonly errors: readonly NodeError[] } }

export interface CommitWaitDependencies {
  readonly pool: NodePool
  readonly receipts: Receipts
  readonly pipeline: SubmitPipeline
  /** How many nodes should hold the entry (f+1 by default). */
  readonly submitTo: number
}

/** The operation's own context: which entry, who failed, who accepted, its deadlines. */
export interface CommitWaitContext {
  readonly entry: Entry
  readonly attempt: Attempt
  readonly accepted: Set<string>
  readonly deadline: AbortSignal
  readonly signal: AbortSignal | undefined
}

/** Phase 2 of one signed entry; see the file comment. One instance per entry. */
export class CommitWait {
  readonly #deps: CommitWaitDependencies
  readonly #op: CommitWaitContext
  readonly #idHex: string
  /** Ends the background work (submissions, receipt waits) when the wait ends, however it ends. */
  readonly #done = new AbortController()
  readonly #background: AbortSignal
  /** Nodes that said this entry can never commit (final, so they are not asked again). */
  readonly #verdicts = new Map<string, { lastSeq: number, error: NodeResponseError }>()
  readonly #waits: ReceiptWaits
  #lastSubmit = Date.now()
  #confirming: Promise<void> | null = null
  #spreading: Promise<void> = Promise.resolve()

  constructor(deps: CommitWaitDependencies, op: CommitWaitContext) {
    this.#deps = deps
    this.#op = op
    this.#idHex = toHex(entryId(op.entry))
    this.#background = anySignal([op.deadline, this.#done.signal])
    const encoded = encodeEntry(op.entry)
    this.#waits = new ReceiptWaits(op.attempt, this.#background, op.signal, (node) => deps.receipts.poll(node, this.#idHex, encoded, op.attempt, this.#background, op.signal, (answer) => this.#onVerdict(node.url, answer.lastSeq, answer.error)))
  }

  /** Waits for a verified receipt, or f+1 verdicts of 'superseded'. Throws
   * CommitTimeoutError at the deadline, NoQuorumReachableError once every node proved faulty. */
  async run(timeoutMs: number): Promise<CommitOutcome> {
    const { attempt, accepted, deadline, signal } = this.#op
    try {
      return await this.#loop()
    } catch (err) {
      if (isAbortOf(err, signal)) throw err
      if (deadline.aborted) throw new CommitTimeoutError(this.#idHex, timeoutMs, [...accepted], attempt.list())
      throw err
    } finally {
      this.#done.abort()
    }
  }

  async #loop(): Promise<CommitOutcome> {
    const { pool } = this.#deps
    const { attempt, accepted, deadline } = this.#op
    const waits = this.#waits
    // One long poll per node (each asks again when its wait ends), started as each node
    // takes the entry, and on the others once f+1 took it: any honest node can serve
    // the receipt, and the first to hold the commit certificate is the leader that
    // formed it, which is often not a node that took the entry (waiting only on those
    // cost one more network hop per commit). After resubmitMs without a receipt, every
    // node is asked again.
    for (const node of pool.nodes) if (accepted.has(node.url)) waits.start(node)
    this.#spreading = this.#spread().then(() => {
      if (accepted.size >= this.#deps.submitTo) for (const node of pool.ordered(attempt.faulty)) waits.start(node)
    }).catch(() => {})
    for (;;) {
      if (this.#verdicts.size >= pool.agreeing) {
        const found = [...this.#verdicts.values()]
        return { receipt: null, superseded: { lastSeq: Math.min(...found.map((v) => v.lastSeq)), errors: found.map((v) => v.error) } }
      }
      if (this.#verdicts.size > 0) this.#confirm()
      if (waits.active === 0) for (const node of pool.ordered(attempt.faulty)) waits.start(node)
      if (attempt.faulty.size >= pool.nodes.length) throw new NoQuorumReachableError(`commit of entry ${this.#idHex}`, attempt.list())
      const now = Date.now()
      if (now - this.#lastSubmit >= pool.settings.resubmitMs) await this.#resubmit(now)
      const receipt = await waits.next(Math.max(1, this.#lastSubmit + pool.settings.resubmitMs - Date.now()))
      if (receipt !== null) return { receipt, superseded: null }
      deadline.throwIfAborted()
    }
  }

  /** The same signed entry again (a node that restarted may have lost its mempool); a
   * node that has it answers 'duplicate'. After a verdict, every other node is asked
   * again (one may have answered while a commit was in flight). */
  async #resubmit(now: number): Promise<void> {
    const { pool } = this.#deps
    const { attempt, accepted } = this.#op
    this.#lastSubmit = now
    this.#confirming = null
    for (const node of pool.ordered(attempt.faulty)) this.#waits.start(node)
    await this.#spreading
    const again = pool.nodes.filter((n) => accepted.has(n.url) && !attempt.faulty.has(n.url) && !this.#verdicts.has(n.url))
    this.#spreading = Promise.all(again.map((node) => this.#submitTo(node))).then(() => this.#spread()).catch(() => {})
  }

  #onVerdict(url: string, lastSeq: number, error: NodeResponseError): void {
    if (lastSeq < this.#op.entry.seq || this.#op.attempt.faulty.has(url)) return
    this.#verdicts.set(url, { lastSeq, error })
    this.#waits.finish(url)
  }

  async #submitTo(node: NodeApi): Promise<void> {
    try {
      await this.#deps.pipeline.submit(node, this.#op.entry, this.#background)
      this.#op.accepted.add(node.url)
      this.#waits.start(node)
    } catch (err) {
      if (this.#background.aborted) return
      const lastSeq = err instanceof NodeResponseError && err.code === 'stale-seq' && err.details.reason === 'committed' ? err.details.lastSeq : undefined
      if (typeof lastSeq === 'number' && Number.isSafeInteger(lastSeq)) this.#onVerdict(node.url, lastSeq, err as NodeResponseError)
      else this.#deps.pool.noteError(this.#op.attempt, err, this.#op.signal)
    }
  }

  /** One node's verdict is put to the others: the same signed entry again, which any
   * node checks against its own committed log, whether it saw the entry or not. */
  #confirm(): void {
    if (this.#confirming !== null) return
    const others = this.#deps.pool.ordered(this.#op.attempt.faulty).filter((n) => !this.#verdicts.has(n.url))
    this.#confirming = Promise.all(others.map((node) => this.#submitTo(node))).then(() => this.#waits.wake(), () => {})
  }

  /** Up to f+1 accepting nodes: a censoring minority cannot hold the entry back. */
  async #spread(): Promise<void> {
    const missing = this.#deps.submitTo - this.#op.accepted.size
    if (missing <= 0) return
    const more = this.#deps.pool.submissionOrder(new Set([...this.#op.accepted, ...this.#op.attempt.faulty])).slice(0, missing)
    await Promise.all(more.map((node) => this.#submitTo(node)))
  }
}
