// Receipt long polls (the backend's awaitReceipt): each waits for its entry's receipt,
// woken by the node's events rather than polling the store.
import { toHex } from '../../src/crypto/hash.ts'
import type { Hash } from '../../src/log/entry.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import { checkSignal } from './backend-reads.ts'
import type { ValidatorNode } from './validator-node.ts'

/** One receipt long poll (awaitReceipt). `wakes` counts the events that may have made its
 * receipt available; the waiter re-reads the store once per change of it. */
interface ReceiptWaiter {
  /** Height of the block holding the entry, once known to be committed. */
  height: number | null
  wakes: number
  wake: (() => void) | null
}

export class ReceiptWaiters {
  readonly #node: ValidatorNode
  /** Receipt long polls, by entry id (hex). Woken by the node's events: a commit wakes the
   * waiters of the entries it holds, a commit certificate those whose entry it covers. So
   * each commit costs work in proportion to its entries, not to the number of waiters,
   * and no waiter polls the store. (The server bounds how many wait.) */
  readonly #waiters = new Map<string, Set<ReceiptWaiter>>()

  constructor(node: ValidatorNode) {
    this.#node = node
    node.onEvent((event) => {
      if (event.type === 'commit') {
        // Superseded entries can never commit: their waiters answer so at once.
        for (const id of [...event.entryIds, ...event.supersededIds]) {
          const waiters = this.#waiters.get(id)
          if (waiters !== undefined) for (const w of waiters) this.#wake(w)
        }
      } else if (event.type === 'certified') {
        for (const waiters of this.#waiters.values()) {
          for (const w of waiters) if (w.height !== null && w.height <= event.height) this.#wake(w)
        }
      }
    })
  }

  #wake(waiter: ReceiptWaiter): void {
    waiter.wakes++
    const wake = waiter.wake
    waiter.wake = null
    wake?.()
  }

  /** The entry's receipt once it exists; null when the wait ends first, the node stops,
   * or the entry was superseded (final: it can never commit). */
  async wait(id: Hash, waitMs: number, signal: AbortSignal): Promise<Receipt | null> {
    const store = this.#node.store
    const deadline = performance.now() + waitMs
    const key = toHex(id)
    const waiter: ReceiptWaiter = { height: null, wakes: 0, wake: null }
    // Registered before the first read, so an event during a read is not missed: it
    // bumps `wakes` and the loop reads again.
    let set = this.#waiters.get(key)
    if (set === undefined) this.#waiters.set(key, set = new Set())
    set.add(waiter)
    try {
      let seen = -1
      for (;;) {
        checkSignal(signal)
        if (waiter.wakes !== seen) {
          seen = waiter.wakes
          const receipt = await store.receipt(id)
          if (receipt !== null) {
            if (this.#node.tracing) this.#node.traceHop('receipt-answer', { entry: key.slice(0, 16) })
            return receipt
          }
          // Final: the server answers 410 seq-superseded (getEntry says so).
          if (this.#node.supersededEntry(id) !== undefined) return null
          if (waiter.height === null) {
            const stored = await store.entryById(id)
            if (stored !== undefined) {
              waiter.height = stored.height
              // A certificate stored before the height was known woke nobody: read again.
              if (this.#node.ccHeight >= stored.height) waiter.wakes++
            }
          }
          continue
        }
        const left = deadline - performance.now()
        if (left <= 0 || this.#node.stopping) return null
        await sleepUntilWoken(waiter, left, signal)
      }
    } finally {
      set.delete(waiter)
      if (set.size === 0 && this.#waiters.get(key) === set) this.#waiters.delete(key)
    }
  }
}

/** Resolves when the waiter is woken, `ms` pass, or the signal aborts. */
function sleepUntilWoken(waiter: ReceiptWaiter, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      waiter.wake = null
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    waiter.wake = done
  })
}
