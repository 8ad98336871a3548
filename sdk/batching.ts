// Coalescing of a client's requests (docs/sdk.md "Batching"). Browser-safe.
//
// SubmitPipeline: every submission of a client (first submissions, spreading to f+1
// nodes, resubmissions) goes through one FIFO queue, in rounds. A round takes the
// queue's head (bounded by count and bytes per node), sends each node its share in one
// request (POST /v1/entries/batch, or POST /v1/entries for a single entry), and waits
// for every node's answer before the next round. An idle client's commit makes a round
// of its own at once; commits that arrive during a round go together in the next. So
// each node receives this client's entries in seq order, as it did with one entry in
// flight at a time, and each submission gets its own answer or error.
//
// ReceiptBatcher: one node's receipt long polls, coalesced into POST /v1/receipts/batch.
import type { Entry } from '../src/log/entry.ts'
import { NodeError, NodeResponseError } from './errors.ts'
import { entryBody, type BatchReceiptAnswer, type BatchSubmitAnswer, type NodeApi, type ReceiptAnswer, type SubmitAnswer } from './node-api.ts'
import { SDK_LIMITS } from './limits.ts'
import { sleep } from './util.ts'

export interface BatchBounds {
  /** Most entries per node request; 1 sends every entry alone. */
  readonly entriesMax: number
  /** Most bytes of entry JSON per node request. */
  readonly bytesMax: number
  /** After a round, wait this long for more entries unless the next round is full. */
  readonly lingerMs: number
}

/** A queued item with its own promise; `settled` once answered or abandoned. */
interface Waiting<T> {
  readonly signal: AbortSignal | undefined
  settled: boolean
  resolve(value: T): void
  reject(err: unknown): void
}

/** A promise for one queued item: rejected at once when its signal aborts (the item is
 * then skipped if not sent yet, and its answer dropped if it was). */
function enqueue<T, I extends Waiting<T>>(queue: I[], make: (waiting: Waiting<T>) => I): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let onAbort: (() => void) | undefined
    const waiting: Waiting<T> = {
      signal: undefined,
      settled: false,
      resolve: (value) => {
        if (waiting.settled) return
        waiting.settled = true
        if (onAbort !== undefined) item.signal?.removeEventListener('abort', onAbort)
        resolve(value)
      },
      reject: (err) => {
        if (waiting.settled) return
        waiting.settled = true
        if (onAbort !== undefined) item.signal?.removeEventListener('abort', onAbort)
        reject(err)
      },
    }
    const item = make(waiting)
    if (item.signal?.aborted) {
      reject(item.signal.reason)
      return
    }
    if (item.signal !== undefined) {
      onAbort = () => item.reject(item.signal!.reason)
      item.signal.addEventListener('abort', onAbort, { once: true })
    }
    queue.push(item)
  })
}

interface QueuedSubmit extends Waiting<SubmitAnswer> {
  readonly node: NodeApi
  readonly entry: Entry
  readonly json: string
  readonly bytes: number
}

const utf8 = new TextEncoder()

export class SubmitPipeline {
  readonly #bounds: BatchBounds
  readonly #queue: QueuedSubmit[] = []
  /** Nodes that answered 404 no-route to a batch (older nodes): sent single submits. */
  readonly #noBatch = new Set<string>()
  #running = false
  /** Requests sent, for tests and metrics. */
  requests = 0

  constructor(bounds: BatchBounds) {
    if (!(bounds.entriesMax >= 1) || !(bounds.bytesMax >= 1) || !(bounds.lingerMs >= 0)) throw new RangeError(`bad batch bounds ${JSON.stringify(bounds)}`)
    this.#bounds = bounds
  }

  /** Submits `entry` to `node` in this client's order: what node.submit would answer or throw. */
  submit(node: NodeApi, entry: Entry, signal: AbortSignal | undefined): Promise<SubmitAnswer> {
    const json = entryBody(entry)
    const answer = enqueue<SubmitAnswer, QueuedSubmit>(this.#queue, (waiting) => Object.assign(waiting, { node, entry, json, bytes: utf8.encode(json).length, signal }))
    if (!this.#running) {
      // In a microtask, not a timer: the caller queues the entry for all its nodes in one
      // synchronous step, and the round sends them together.
      this.#running = true
      queueMicrotask(() => void this.#run())
    }
    return answer
  }

  async #run(): Promise<void> {
    try {
      for (let first = true; ; first = false) {
        this.#dropSettled()
        if (this.#queue.length === 0) return
        // Idle: at once. After a round: a moment for more to join, unless full already.
        if (!first && this.#bounds.lingerMs > 0 && !this.#full()) {
          await sleep(this.#bounds.lingerMs)
          this.#dropSettled()
          if (this.#queue.length === 0) return
        }
        await this.#round(this.#take())
      }
    } finally {
      this.#running = false
    }
  }

  #dropSettled(): void {
    let i = 0
    while (i < this.#queue.length && this.#queue[i]!.settled) i++
    if (i > 0) this.#queue.splice(0, i)
  }

  /** Whether the queue already fills a round for some node. */
  #full(): boolean {
    const count = new Map<string, number>()
    for (const item of this.#queue) {
      const n = (count.get(item.node.url) ?? 0) + 1
      if (n >= this.#bounds.entriesMax) return true
      count.set(item.node.url, n)
    }
    return false
  }

  /** The queue's head up to the first item that does not fit its node's share. */
  #take(): Map<NodeApi, QueuedSubmit[]> {
    const shares = new Map<NodeApi, QueuedSubmit[]>()
    const bytes = new Map<NodeApi, number>()
    let taken = 0
    for (const item of this.#queue) {
      if (item.settled) {
        taken++
        continue
      }
      const share = shares.get(item.node) ?? []
      const used = bytes.get(item.node) ?? 0
      if (share.length > 0 && (share.length >= this.#bounds.entriesMax || used + item.bytes > this.#bounds.bytesMax)) break
      share.push(item)
      shares.set(item.node, share)
      bytes.set(item.node, used + item.bytes)
      taken++
    }
    this.#queue.splice(0, taken)
    return shares
  }

  async #round(shares: Map<NodeApi, QueuedSubmit[]>): Promise<void> {
    await Promise.all([...shares].map(([node, items]) => this.#send(node, items)))
  }

  async #send(node: NodeApi, items: readonly QueuedSubmit[]): Promise<void> {
    if (items.length > 1 && !this.#noBatch.has(node.url)) {
      let answers: BatchSubmitAnswer[]
      try {
        this.requests++
        answers = await node.submitBatch(items.map((i) => i.json))
      } catch (err) {
        if (!(err instanceof NodeResponseError && err.status === 404 && err.code === 'no-route')) {
          for (const item of items) item.reject(err)
          return
        }
        this.#noBatch.add(node.url)
        answers = []
      }
      if (answers.length === items.length) {
        answers.forEach((a, i) => (a.ok ? items[i]!.resolve(a.answer) : items[i]!.reject(a.error)))
        return
      }
    }
    // One at a time, in order (a single entry, or a node without batches).
    for (const item of items) {
      if (item.settled) continue
      try {
        this.requests++
        item.resolve(await node.submit(item.entry, item.signal, item.json))
      } catch (err) {
        item.reject(err)
      }
    }
  }
}

interface QueuedReceipt extends Waiting<ReceiptAnswer> {
  readonly idHex: string
  readonly waitMs: number
  readonly timeoutMs: number | undefined
}

export interface ReceiptBatchBounds {
  readonly idsMax: number
  readonly requestsMax: number
}

/** The signal for a request asked by `items`: once every one of them has gone (their
 * signals aborted: their commits ended), the request is of no use, and it is aborted
 * SDK_LIMITS.receiptLingerMs later unless it ended first (see there). `done()` when the
 * request ended. */
function lingerAfter(items: readonly QueuedReceipt[]): { signal: AbortSignal, done: () => void } {
  const unused = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  let ended = false
  const onAbort = (): void => {
    if (ended || timer !== undefined || !items.every((i) => i.settled)) return
    timer = setTimeout(() => unused.abort(), SDK_LIMITS.receiptLingerMs)
  }
  for (const item of items) item.signal?.addEventListener('abort', onAbort, { once: true })
  return {
    signal: unused.signal,
    done: () => {
      ended = true
      clearTimeout(timer)
      for (const item of items) item.signal?.removeEventListener('abort', onAbort)
    },
  }
}

/** One node's receipt requests: those asked while the node's request slots are busy go
 * together in the next POST /v1/receipts/batch. */
export class ReceiptBatcher {
  readonly #node: NodeApi
  readonly #bounds: ReceiptBatchBounds
  readonly #queue: QueuedReceipt[] = []
  #open = 0
  #pumpScheduled = false
  #noBatch = false
  /** Requests sent, for tests and metrics. */
  requests = 0

  constructor(node: NodeApi, bounds: ReceiptBatchBounds) {
    if (!(bounds.idsMax >= 1) || !(bounds.requestsMax >= 1)) throw new RangeError(`bad receipt batch bounds ${JSON.stringify(bounds)}`)
    this.#node = node
    this.#bounds = bounds
  }

  /** What node.receipt(idHex, signal, timeoutMs, waitMs) would answer or throw. */
  receipt(idHex: string, signal: AbortSignal | undefined, timeoutMs: number | undefined, waitMs: number): Promise<ReceiptAnswer> {
    const answer = enqueue<ReceiptAnswer, QueuedReceipt>(this.#queue, (waiting) => Object.assign(waiting, { idHex, waitMs, timeoutMs, signal }))
    this.#schedulePump()
    return answer
  }

  /** Pumps in a microtask, not a timer: the ids that the answers of one request send back
   * (asked again at once) then go together. */
  #schedulePump(): void {
    if (this.#pumpScheduled) return
    this.#pumpScheduled = true
    queueMicrotask(() => {
      this.#pumpScheduled = false
      this.#pump()
    })
  }

  #pump(): void {
    while (this.#open < this.#bounds.requestsMax) {
      const items = this.#take()
      if (items.length === 0) return
      this.#open++
      void this.#send(items).finally(() => {
        this.#open--
        this.#schedulePump()
      })
    }
  }

  /** Up to idsMax unsettled items asking with the same wait as the first. */
  #take(): QueuedReceipt[] {
    const taken: QueuedReceipt[] = []
    const rest: QueuedReceipt[] = []
    for (const item of this.#queue) {
      if (item.settled) continue
      if (taken.length < this.#bounds.idsMax && (taken.length === 0 || item.waitMs === taken[0]!.waitMs)) taken.push(item)
      else rest.push(item)
    }
    this.#queue.splice(0, this.#queue.length, ...rest)
    return taken
  }

  async #send(items: readonly QueuedReceipt[]): Promise<void> {
    const first = items[0]!
    if (items.length === 1 || this.#noBatch) {
      await Promise.all(items.map(async (item) => {
        const linger = lingerAfter([item])
        try {
          this.requests++
          item.resolve(await this.#node.receipt(item.idHex, linger.signal, item.timeoutMs, item.waitMs))
        } catch (err) {
          item.reject(err)
        } finally {
          linger.done()
        }
      }))
      return
    }
    const timeoutMs = items.reduce<number | undefined>((max, i) => (i.timeoutMs === undefined || max === undefined ? undefined : Math.max(max, i.timeoutMs)), first.timeoutMs)
    const unused = lingerAfter(items)
    let answers: BatchReceiptAnswer[]
    try {
      this.requests++
      answers = await this.#node.receiptBatch(items.map((i) => i.idHex), unused.signal, timeoutMs, first.waitMs)
    } catch (err) {
      if (unused.signal.aborted) return
      if (err instanceof NodeResponseError && err.status === 404 && err.code === 'no-route') {
        this.#noBatch = true
        await this.#send(items)
        return
      }
      for (const item of items) item.reject(err)
      return
    } finally {
      unused.done()
    }
    answers.forEach((a, i) => (a instanceof NodeError ? items[i]!.reject(a) : items[i]!.resolve(a)))
  }
}
