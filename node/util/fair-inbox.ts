// A fair inbox: one bounded queue per source, drained round-robin, with one waiting
// reader. A source that floods fills (and loses) only its own queue, so it cannot crowd
// out the others' messages.
import { BoundedQueue } from './bounded-queue.ts'

export class FairInbox<T> {
  readonly #queues: BoundedQueue<T>[]
  #cursor = 0
  #waiter: ((value: IteratorResult<T, undefined>) => void) | null = null
  #closed = false
  #length = 0

  constructor(sources: number, itemsMax: number, sizeMax: number, sizeOf: (item: T) => number) {
    if (!(Number.isSafeInteger(sources) && sources > 0)) throw new RangeError(`sources ${sources} must be a positive integer`)
    this.#queues = Array.from({ length: sources }, () => new BoundedQueue<T>({ itemsMax, sizeMax, overflow: 'reject-new' }, sizeOf))
  }

  /** One more source, at the next index (a peer the transport learned). */
  addSource(itemsMax: number, sizeMax: number, sizeOf: (item: T) => number): number {
    this.#queues.push(new BoundedQueue<T>({ itemsMax, sizeMax, overflow: 'reject-new' }, sizeOf))
    return this.#queues.length - 1
  }

  get length(): number {
    return this.#length
  }

  /** Items refused because their source's queue was full. */
  get dropped(): number {
    let total = 0
    for (const q of this.#queues) total += q.dropped
    return total
  }

  push(source: number, item: T): boolean {
    const queue = this.#queues[source]
    if (queue === undefined) throw new RangeError(`source ${source} is not in 0..${this.#queues.length - 1}`)
    if (this.#closed) return false
    if (this.#waiter !== null) {
      const waiter = this.#waiter
      this.#waiter = null
      waiter({ value: item, done: false })
      return true
    }
    if (!queue.push(item)) return false
    this.#length++
    return true
  }

  #take(): T | undefined {
    if (this.#length === 0) return undefined
    // At most one pass over the sources finds a non-empty queue.
    for (let step = 0; step < this.#queues.length; step++) {
      const queue = this.#queues[this.#cursor]!
      this.#cursor = (this.#cursor + 1) % this.#queues.length
      const item = queue.shift()
      if (item !== undefined) {
        this.#length--
        return item
      }
    }
    throw new Error(`fair inbox length ${this.#length} but every queue is empty`)
  }

  /** Takes an item without waiting, or undefined. */
  poll(): T | undefined {
    return this.#take()
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const item = this.#take()
    if (item !== undefined) return Promise.resolve({ value: item, done: false })
    if (this.#closed) return Promise.resolve({ value: undefined, done: true })
    if (this.#waiter !== null) throw new Error('FairInbox has one reader; next() called while another is waiting')
    return new Promise((resolve) => {
      this.#waiter = resolve
    })
  }

  close(): void {
    this.#closed = true
    if (this.#waiter !== null && this.#length === 0) {
      const waiter = this.#waiter
      this.#waiter = null
      waiter({ value: undefined, done: true })
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.next() }
  }
}
