// Receipts as the client gets them: asked of the nodes (one round to all, long polls on
// one node, or until a streamed record's receipt comes) and verified here against the
// genesis before anything is believed. Browser-safe.
import { bytesEqual } from '../src/codec/cbor.ts'
import { toHex } from '../src/crypto/hash.ts'
import { encodeEntry, entryId } from '../src/log/entry.ts'
import { describeKnownEpochsProblem, KnownEpochs } from '../src/log/known-epochs.ts'
import type { Receipt } from '../src/log/receipt.ts'
import { verifyReceipt } from '../src/log/verify.ts'
import { InvalidProofError, NodeResponseError, NoQuorumReachableError, SeqSupersededError } from './errors.ts'
import { SDK_LIMITS } from './limits.ts'
import type { ReceiptBatcher } from './batching.ts'
import type { NodeApi, RawRecord, ReceiptAnswer } from './node-api.ts'
import { Attempt, type NodePool } from './node-pool.ts'
import { anySignal, isAbortOf, sleep } from './util.ts'

export type SupersededAnswer = Extract<ReceiptAnswer, { status: 'superseded' }>

/** What one round of receipt requests to every node found. */
export interface ReceiptRound {
  readonly receipt: Receipt | null
  readonly pending: number
  readonly unknown: number
  readonly superseded: SupersededAnswer[]
  readonly node?: string
}

/** The error for an id that f+1 nodes (`answers`) say can never commit. */
export function supersededError(id: string, answers: readonly SupersededAnswer[]): SeqSupersededError {
  // The lowest report: at least one of f+1 is honest, so the committed seq is at least this.
  const lowest = answers.reduce((a, b) => (b.lastSeq < a.lastSeq ? b : a))
  return new SeqSupersededError(id, lowest.seq, lowest.lastSeq, answers.map((a) => a.error))
}

export class Receipts {
  readonly #pool: NodePool
  /** Per node url: its receipt requests, coalesced. */
  readonly #batchers: ReadonlyMap<string, ReceiptBatcher>
  /** The longest epoch chain verified so far: a checkpoint of an epoch known to have
   * ended before its height is refused (src/log/known-epochs.ts). */
  readonly #epochs: KnownEpochs
  /** The node that served the last receipt a wait verified: asked first by the next
   * commit (it answered, and answered first). */
  #preferred: string | null = null
  /** The last SDK_LIMITS.receiptWidenSamples receipt waits of commits, in ms (a ring). */
  readonly #waitMs: number[] = []
  #waitNext = 0

  constructor(pool: NodePool, batchers: ReadonlyMap<string, ReceiptBatcher>) {
    this.#pool = pool
    this.#batchers = batchers
    this.#epochs = new KnownEpochs(pool.genesis, pool.set)
  }

  /** The url of the node that served the last receipt a wait verified, if any. */
  get preferred(): string | null {
    return this.#preferred
  }

  /** Records how long a commit waited for its verified receipt. */
  noteWait(ms: number): void {
    if (this.#waitMs.length < SDK_LIMITS.receiptWidenSamples) this.#waitMs.push(ms)
    else this.#waitMs[this.#waitNext] = ms
    this.#waitNext = (this.#waitNext + 1) % SDK_LIMITS.receiptWidenSamples
  }

  /** How long a commit waits on one node before it asks every node (SDK_LIMITS.receiptWiden*):
   * `maxMs` until enough waits were seen, 0 when `maxMs` is 0. */
  widenMs(maxMs: number): number {
    if (maxMs === 0 || this.#waitMs.length < SDK_LIMITS.receiptWidenSamples / 4) return maxMs
    const sorted = [...this.#waitMs].sort((a, b) => a - b)
    const median = sorted[Math.floor(sorted.length / 2)]!
    return Math.min(maxMs, Math.max(SDK_LIMITS.receiptWidenFloorMs, Math.ceil(SDK_LIMITS.receiptWidenFactor * median)))
  }

  /** HTTP requests sent for receipt waits so far. */
  get requests(): number {
    let receipt = 0
    for (const b of this.#batchers.values()) receipt += b.requests
    return receipt
  }

  /** Throws InvalidProofError unless the receipt verifies and is for exactly this entry. */
  check(node: string, receipt: Receipt, idHex: string, expected: Uint8Array | null): void {
    const verdict = verifyReceipt(receipt, this.#pool.genesis, this.#pool.set)
    if (!verdict.ok) throw new InvalidProofError(node, verdict.code, verdict.reason)
    const bytes = encodeEntry(receipt.entry)
    if (expected !== null && !bytesEqual(bytes, expected)) throw new InvalidProofError(node, 'wrong-entry', `the receipt is for another entry than ${idHex}`)
    const got = toHex(entryId(receipt.entry))
    if (got !== idHex) throw new InvalidProofError(node, 'wrong-entry', `the receipt is for entry ${got}, not ${idHex}`)
    const epochs = this.#epochs.observe(receipt)
    if (epochs !== null) throw new InvalidProofError(node, epochs.code, describeKnownEpochsProblem(epochs))
  }

  /**
   * Waits on one node for the receipt of `idHex`: long polls (receiptWaitMs), asked again
   * as soon as one ends without the receipt; polling with growing intervals for a node that
   * does not support waiting. Answers the receipt once it verified (and, with `expected`,
   * is for exactly that entry), or null when the node proved faulty or `background`
   * aborted. Other errors are recorded and retried with backoff. `onSlow` hears of each
   * error and of an answer that came without waiting: the caller may ask other nodes.
   */
  async poll(node: NodeApi, idHex: string, expected: Uint8Array | null, attempt: Attempt, background: AbortSignal, signal: AbortSignal | undefined, onSuperseded: (answer: SupersededAnswer) => void, onSlow: () => void = () => {}): Promise<Receipt | null> {
    const pool = this.#pool
    const settings = pool.settings
    let waitMs = settings.receiptWaitMs
    let pollMs = settings.receiptPollMs
    let failures = 0
    while (!background.aborted && !attempt.faulty.has(node.url)) {
      const asked = Date.now()
      try {
        const answer = await this.#batchers.get(node.url)!.receipt(idHex, background, waitMs + settings.receiptRequestTimeoutMs, waitMs)
        failures = 0
        if (answer.status === 'certified') {
          this.check(node.url, answer.receipt, idHex, expected)
          this.#preferred = node.url
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
          onSlow()
          await sleep(Math.floor(pollMs * (0.5 + pool.random())), background)
          pollMs = Math.min(settings.receiptPollMaxMs, Math.ceil(pollMs * 1.5))
        }
      } catch (err) {
        if (background.aborted) return null
        if (waitMs > 0 && err instanceof NodeResponseError && err.status === 400 && err.code === 'invalid-parameter') {
          waitMs = 0 // a node from before long polls: poll it
          continue
        }
        pool.noteError(attempt, err, signal)
        if (attempt.faulty.has(node.url)) return null
        onSlow()
        failures += 1
        await sleep(pool.backoffMs(failures), background)
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
  async round(idHex: string, expected: Uint8Array | null, attempt: Attempt, deadline: AbortSignal, signal: AbortSignal | undefined, only: ReadonlySet<string> | null = null): Promise<ReceiptRound> {
    const nodes = this.#pool.ordered(attempt.faulty).filter((n) => only === null || only.has(n.url))
    const round = new AbortController()
    const roundSignal = anySignal([deadline, round.signal])
    let pending = 0
    let unknown = 0
    // Not committed, and never will be, say these: for a record that claims to be, as good as unknown.
    const superseded: SupersededAnswer[] = []
    let winner: { receipt: Receipt, node: string } | null = null
    await Promise.all(nodes.map(async (node) => {
      try {
        const answer = await node.receipt(idHex, roundSignal, this.#pool.settings.receiptRequestTimeoutMs)
        if (answer.status === 'pending') pending += 1
        else if (answer.status === 'unknown') unknown += 1
        else if (answer.status === 'superseded') {
          unknown += 1
          superseded.push(answer)
        } else {
          this.check(node.url, answer.receipt, idHex, expected)
          if (winner === null) {
            winner = { receipt: answer.receipt, node: node.url }
            round.abort()
          }
        }
      } catch (err) {
        if (roundSignal.aborted && !signal?.aborted && !deadline.aborted) return // cancelled: a winner was found
        if (isAbortOf(err, deadline) && !signal?.aborted) return
        this.#pool.noteError(attempt, err, signal)
      }
    }))
    const won = winner as { receipt: Receipt, node: string } | null
    if (won !== null) return { receipt: won.receipt, pending, unknown, superseded, node: won.node }
    if (signal?.aborted) throw signal.reason
    deadline.throwIfAborted()
    return { receipt: null, pending, unknown, superseded }
  }

  /**
   * A verified receipt for a record a node streamed, from any node, at exactly the
   * record's index. Waits while nodes say 'pending' (a commit certificate lags a commit
   * by a block at most). If f+1 nodes (or all) say they do not know the entry, the
   * record was made up: a fault of the node that streamed it.
   */
  async forRecord(streamNode: string, raw: RawRecord, signal: AbortSignal | undefined): Promise<Receipt> {
    const pool = this.#pool
    const attempt = new Attempt()
    const encoded = encodeEntry(raw.entry)
    let pollMs = pool.settings.receiptPollMs
    for (;;) {
      const roundSignal = anySignal([signal], pool.settings.requestTimeoutMs * 2)
      const found = await this.round(raw.id, encoded, attempt, roundSignal, signal).catch((err: unknown): ReceiptRound => {
        if (isAbortOf(err, signal)) throw err
        return { receipt: null, pending: 0, unknown: 0, superseded: [] }
      })
      if (found.receipt !== null) {
        if (found.receipt.index !== raw.index) {
          throw new InvalidProofError(streamNode, 'wrong-index', `streamed entry ${raw.id} at log index ${raw.index}; its verified receipt puts it at ${found.receipt.index}`)
        }
        return found.receipt
      }
      if (found.pending === 0 && found.unknown >= pool.agreeing) {
        throw new InvalidProofError(streamNode, 'uncommitted-record', `streamed entry ${raw.id} at index ${raw.index}, which ${found.unknown} nodes do not know`)
      }
      if (attempt.faulty.size >= pool.nodes.length) throw new NoQuorumReachableError(`receipt of ${raw.id}`, attempt.list())
      await sleep(Math.floor(pollMs * (0.5 + pool.random())), signal)
      pollMs = Math.min(pool.settings.receiptPollMaxMs, Math.ceil(pollMs * 1.5))
    }
  }
}
