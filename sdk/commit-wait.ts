// Phase 2 of a commit: the signed entry is in at least one node; spread it to f+1 nodes
// (so a censoring minority cannot hold it back), wait for its receipt on one node, then
// on every node if that one is slow or fails, resubmit now and then, and notice when f+1 nodes say it can never commit (a later seq
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
  readonly #began = Date.now()
  #lastSubmit = this.#began
  /** When the receipt waits go to every node, unless the first node's wait ended or
   * failed before; Infinity once they did. */
  #widenAt: number
  #confirming: Promise<void> | null = null
  #spreading: Promise<void> = Promise.resolve()

  constructor(deps: CommitWaitDependencies, op: CommitWaitContext) {
    this.#deps = deps
    this.#op = op
    this.#idHex = toHex(entryId(op.entry))
    this.#background = anySignal([op.deadline, this.#done.signal])
    const encoded = encodeEntry(op.entry)
    const widenMs = deps.receipts.widenMs(deps.pool.settings.receiptWidenMs)
    this.#widenAt = widenMs === 0 ? 0 : this.#began + widenMs
    const onSlow = (): void => {
      if (this.#widenAt === Infinity) return
      this.#widenAt = 0
      this.#waits.wake()
    }
    this.#waits = new ReceiptWaits(op.attempt, this.#background, op.signal, (node) => deps.receipts.poll(node, this.#idHex, encoded, op.attempt, this.#background, op.signal, (answer) => this.#onVerdict(node.url, answer.lastSeq, answer.error), onSlow))
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
    const { attempt, deadline } = this.#op
    const waits = this.#waits
    // One long poll on one node (asked again when its wait ends): any honest node can
    // serve the receipt, each within a frame and a write of the first to have it (the
    // commit certificate's former sends it on at once). Every other node gets a long
    // poll too once receiptWidenMs passed without a receipt, or at once when that
    // node's wait ends or fails (a wrong receipt, an error, an answer without waiting,
    // a verdict): so a slow, hung or lying node adds at most receiptWidenMs (less once
    // the client has seen a few commits: twice their median wait). Waiting on
    // every node from the start answered a few ms sooner at times, at the cost of one
    // request per node per commit and an aborted connection for each but the first.
    const first = this.#firstNode()
    if (first !== undefined) waits.start(first)
    this.#spreading = this.#spread().catch(() => {})
    for (;;) {
      if (this.#verdicts.size >= pool.agreeing) {
        const found = [...this.#verdicts.values()]
        return { receipt: null, superseded: { lastSeq: Math.min(...found.map((v) => v.lastSeq)), errors: found.map((v) => v.error) } }
      }
      if (this.#verdicts.size > 0) this.#confirm()
      if (waits.active === 0 || Date.now() >= this.#widenAt) this.#widen()
      if (attempt.faulty.size >= pool.nodes.length) throw new NoQuorumReachableError(`commit of entry ${this.#idHex}`, attempt.list())
      const now = Date.now()
      if (now - this.#lastSubmit >= pool.settings.resubmitMs) await this.#resubmit(now)
      const receipt = await waits.next(Math.max(1, Math.min(this.#widenAt, this.#lastSubmit + pool.settings.resubmitMs) - Date.now()))
      if (receipt !== null) {
        this.#deps.receipts.noteWait(Date.now() - this.#began)
        return { receipt, superseded: null }
      }
      deadline.throwIfAborted()
    }
  }

  /** The node to wait on first: the one that served this client's last receipt, unless
   * it proved faulty lately; else the first in submission order that took the entry. */
  #firstNode(): NodeApi | undefined {
    const { pool, receipts } = this.#deps
    const { attempt, accepted } = this.#op
    const preferred = receipts.preferred
    if (preferred !== null && !attempt.faulty.has(preferred) && !pool.suspected(preferred)) {
      const node = pool.nodes.find((n) => n.url === preferred)
      if (node !== undefined) return node
    }
    const order = pool.submissionOrder(attempt.faulty)
    return order.find((n) => accepted.has(n.url)) ?? order[0]
  }

  /** Receipt waits on every node not proven faulty, from now on. */
  #widen(): void {
    this.#widenAt = Infinity
    for (const node of this.#deps.pool.ordered(this.#op.attempt.faulty)) this.#waits.start(node)
  }

  /** The same signed entry again (a node that restarted may have lost its mempool); a
   * node that has it answers 'duplicate'. After a verdict, every other node is asked
   * again (one may have answered while a commit was in flight). */
  async #resubmit(now: number): Promise<void> {
    const { pool } = this.#deps
    const { attempt, accepted } = this.#op
    this.#lastSubmit = now
    this.#confirming = null
    this.#widen()
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
      if (this.#widenAt === Infinity) this.#waits.start(node)
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
