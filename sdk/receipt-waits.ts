// The receipt waits of one operation (a commit, or awaitReceipt): at most one long poll
// per node, the first verified receipt wins. Browser-safe.
import type { Receipt } from '../src/log/receipt.ts'
import type { NodeApi } from './node-api.ts'
import type { Attempt } from './node-pool.ts'

/**
 * The receipt waits of one operation: at most one per node (Receipts.poll), the
 * first verified receipt wins and ends the others (through the operation's signal).
 */
export class ReceiptWaits {
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
