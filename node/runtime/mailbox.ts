// The driver's inputs, each kind in its own bounded queue, taken by one loop:
//  - timers first (one per kind: round, propose, sync);
//  - consensus messages (proposals, votes, timeouts, sync) and local submissions
//    alternate, so neither starves the other;
//  - bulk messages (relayed entry batches) come after those, but at least every
//    BULK_SHARE-th take, so a flood of entry batches cannot delay votes (head-of-line
//    blocking) and is not starved either. When the bulk queue is full, new bulk
//    messages are dropped: the entries also travel inside proposals and are
//    forwarded again on timeouts.
import type { Rejection } from '../../src/consensus/rejections.ts'
import type { TimerKind } from '../../src/consensus/types.ts'
import type { Entry } from '../../src/log/entry.ts'
import { BoundedQueue } from '../util/bounded-queue.ts'

export interface TimerInput {
  readonly type: 'timer'
  readonly kind: TimerKind
  readonly round: number
}

export interface NetworkInput<M> {
  readonly type: 'network'
  readonly from: number
  /** Bulk traffic (entry batches) yields to consensus traffic. */
  readonly bulk: boolean
  readonly message: M
  /** Encoded size: bulk messages are bounded in bytes as well as in count. */
  readonly bytes?: number
  /** For a sync response whose entry signatures are being checked on worker threads:
   * settles when the check is done, and the loop waits for it before the replica sees
   * the message (so that the replica's own checks find the results). */
  readonly checked?: Promise<void>
}

export interface SubmitInput {
  readonly type: 'submit'
  readonly entries: readonly Entry[]
  readonly settle: (result: SubmitOutcome) => void
}

/** Per entry: null when accepted (or already known), else the replica's reason. */
export type SubmitOutcome = { readonly ok: true, readonly rejected: readonly (Rejection | null)[] } | { readonly ok: false, readonly error: Error }

export type Input<M> = TimerInput | NetworkInput<M> | SubmitInput

/** One take in this many goes to bulk traffic when there is any. */
const BULK_SHARE = 4

export class Mailbox<M> {
  readonly #timers = new BoundedQueue<TimerInput>({ itemsMax: 64, overflow: 'drop-oldest' })
  readonly #consensus: BoundedQueue<NetworkInput<M>>
  readonly #bulk: BoundedQueue<NetworkInput<M>>
  readonly #submits: BoundedQueue<SubmitInput>
  readonly #consensusMax: number
  #takes = 0
  #preferSubmit = false
  #waiter: (() => void) | null = null
  #roomWaiter: (() => void) | null = null
  #closed = false

  /** `bulkBytesMax` bounds the encoded bytes of queued bulk messages: decoded, an entry
   * batch takes a few times its encoding, and 16,384 batches of up to 1 MiB would be
   * gigabytes. */
  constructor(networkMax: number, submitsMax: number, bulkBytesMax = Infinity) {
    this.#consensusMax = networkMax
    this.#consensus = new BoundedQueue({ itemsMax: networkMax, overflow: 'reject-new' })
    this.#bulk = new BoundedQueue({ itemsMax: networkMax, sizeMax: bulkBytesMax, overflow: 'reject-new' }, (input) => input.bytes ?? 0)
    this.#submits = new BoundedQueue({ itemsMax: submitsMax, overflow: 'reject-new' })
  }

  get length(): number {
    return this.#timers.length + this.#consensus.length + this.#bulk.length + this.#submits.length
  }

  /** Bulk messages dropped because their queue was full. */
  get bulkDropped(): number {
    return this.#bulk.dropped
  }

  #wake(): void {
    const waiter = this.#waiter
    this.#waiter = null
    waiter?.()
  }

  pushTimer(input: TimerInput): void {
    if (this.#closed) return
    this.#timers.push(input)
    this.#wake()
  }

  /** False when the message was dropped (closed, or its queue full). */
  pushNetwork(input: NetworkInput<M>): boolean {
    if (this.#closed) return false
    const ok = (input.bulk ? this.#bulk : this.#consensus).push(input)
    this.#wake()
    return ok
  }

  /** False when the submission queue is full (the caller answers 'busy'). */
  pushSubmit(input: SubmitInput): boolean {
    if (this.#closed) return false
    const ok = this.#submits.push(input)
    this.#wake()
    return ok
  }

  /** Takes submissions queued behind the first one, up to `entriesMax` entries in all. */
  takeMoreSubmits(entriesMax: number, already: number): SubmitInput[] {
    const out: SubmitInput[] = []
    let count = already
    // Bounded by the queue's length.
    for (let head = this.#submits.peek(); head !== undefined && count + head.entries.length <= entriesMax; head = this.#submits.peek()) {
      out.push(this.#submits.shift()!)
      count += head.entries.length
    }
    return out
  }

  /** Resolves when the consensus queue has room (or the mailbox closes): the network
   * pump waits here, leaving messages in the transport's fair per-peer queues. */
  async roomForNetwork(): Promise<void> {
    // Each wait ends when the loop takes a consensus message or the mailbox closes.
    while (!this.#closed && this.#consensus.length >= this.#consensusMax) {
      await new Promise<void>((resolve) => { this.#roomWaiter = resolve })
    }
  }

  #take(): Input<M> | undefined {
    const timer = this.#timers.shift()
    if (timer !== undefined) return timer
    this.#takes++
    if (this.#takes % BULK_SHARE === 0) {
      const bulk = this.#bulk.shift()
      if (bulk !== undefined) return bulk
    }
    this.#preferSubmit = !this.#preferSubmit
    const input = this.#preferSubmit
      ? (this.#submits.shift() ?? this.#consensus.shift())
      : (this.#consensus.shift() ?? this.#submits.shift())
    if (input?.type === 'network' && this.#roomWaiter !== null) {
      const waiter = this.#roomWaiter
      this.#roomWaiter = null
      waiter()
    }
    return input ?? this.#bulk.shift()
  }

  /** The next input, or null once closed. */
  async next(): Promise<Input<M> | null> {
    // Each wait ends with a push or close; the loop re-checks after every wake.
    for (;;) {
      if (this.#closed) return null
      const input = this.#take()
      if (input !== undefined) return input
      await new Promise<void>((resolve) => { this.#waiter = resolve })
    }
  }

  /** Stops the loop; pending submissions are answered with `error`. */
  close(error: Error): void {
    this.#closed = true
    for (let s = this.#submits.shift(); s !== undefined; s = this.#submits.shift()) s.settle({ ok: false, error })
    this.#consensus.clear()
    this.#bulk.clear()
    this.#timers.clear()
    this.#wake()
    const roomWaiter = this.#roomWaiter
    this.#roomWaiter = null
    roomWaiter?.()
  }
}
