// Bounded queues: nothing in the node queues without a limit. A full queue says so (push
// returns false or the oldest item is dropped, as the owner chooses) and counts the loss.

export interface QueueOptions {
  /** Most items held. */
  readonly itemsMax: number
  /** Most total size held (as measured by sizeOf); Infinity for no byte bound. */
  readonly sizeMax?: number
  /** 'reject-new' refuses the new item; 'drop-oldest' evicts from the front. */
  readonly overflow: 'reject-new' | 'drop-oldest'
}

/** A FIFO with an item and size bound. Not async: see AsyncQueue for a waiting reader. */
export class BoundedQueue<T> {
  readonly #items: T[] = []
  #head = 0
  #size = 0
  readonly #options: QueueOptions
  readonly #sizeOf: (item: T) => number
  /** Items lost to overflow since creation. */
  dropped = 0

  constructor(options: QueueOptions, sizeOf: (item: T) => number = () => 0) {
    if (!(Number.isSafeInteger(options.itemsMax) && options.itemsMax > 0)) throw new RangeError(`itemsMax ${options.itemsMax} must be a positive integer`)
    this.#options = options
    this.#sizeOf = sizeOf
  }

  get length(): number {
    return this.#items.length - this.#head
  }

  get size(): number {
    return this.#size
  }

  /** Adds an item; returns false if it was refused (or alone exceeds the size bound). */
  push(item: T): boolean {
    const itemSize = this.#sizeOf(item)
    const sizeMax = this.#options.sizeMax ?? Infinity
    if (itemSize > sizeMax) {
      this.dropped++
      return false
    }
    if (this.#options.overflow === 'reject-new') {
      if (this.length >= this.#options.itemsMax || this.#size + itemSize > sizeMax) {
        this.dropped++
        return false
      }
    } else {
      // Bounded: each iteration removes one item, and the queue holds at most itemsMax.
      while (this.length > 0 && (this.length >= this.#options.itemsMax || this.#size + itemSize > sizeMax)) {
        this.shift()
        this.dropped++
      }
    }
    this.#items.push(item)
    this.#size += itemSize
    return true
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined
    const item = this.#items[this.#head]!
    this.#items[this.#head] = undefined as T
    this.#head++
    this.#size -= this.#sizeOf(item)
    // Compact now and then so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items.splice(0, this.#head)
      this.#head = 0
    }
    return item
  }

  peek(): T | undefined {
    return this.length === 0 ? undefined : this.#items[this.#head]
  }

  clear(): void {
    this.#items.length = 0
    this.#head = 0
    this.#size = 0
  }
}

/** A bounded queue with one waiting reader: `next()` resolves when an item arrives. */
export class AsyncQueue<T> {
  readonly #queue: BoundedQueue<T>
  #waiter: ((value: IteratorResult<T, undefined>) => void) | null = null
  #closed = false

  constructor(options: QueueOptions, sizeOf?: (item: T) => number) {
    this.#queue = new BoundedQueue(options, sizeOf)
  }

  get length(): number {
    return this.#queue.length
  }

  get dropped(): number {
    return this.#queue.dropped
  }

  get closed(): boolean {
    return this.#closed
  }

  push(item: T): boolean {
    if (this.#closed) return false
    if (this.#waiter !== null) {
      const waiter = this.#waiter
      this.#waiter = null
      waiter({ value: item, done: false })
      return true
    }
    return this.#queue.push(item)
  }

  /** The next item, or done when the queue is closed and drained. */
  next(): Promise<IteratorResult<T, undefined>> {
    const item = this.#queue.shift()
    if (item !== undefined) return Promise.resolve({ value: item, done: false })
    if (this.#closed) return Promise.resolve({ value: undefined, done: true })
    if (this.#waiter !== null) throw new Error('AsyncQueue has one reader; next() called while another is waiting')
    return new Promise((resolve) => {
      this.#waiter = resolve
    })
  }

  /** Stops accepting items; the reader drains what is left, then gets done. */
  close(): void {
    this.#closed = true
    if (this.#waiter !== null && this.#queue.length === 0) {
      const waiter = this.#waiter
      this.#waiter = null
      waiter({ value: undefined, done: true })
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.next() }
  }
}
