// A pool of worker threads that verify entry signatures in parallel: the auditor's and a
// syncing node's hot path is one Ed25519 verification per entry, and it parallelises.
// Batches are answered in any order; callers await each batch's promise.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { RecordResult, WorkerAnswer, WorkerRequest } from './signature-worker.ts'

/** A worker holds a few decoded blocks at a time; without a cap V8 lets each worker's heap
 * grow to a share of the machine's memory before collecting (944 MB RSS seen auditing 1M
 * entries with 2 workers; 612 MB for 300k with a 96 MB cap and the default young
 * generation, 396 MB with these). test/node/signature-pool.test.ts passes the largest
 * blocks a genesis may allow through a worker. */
const WORKER_HEAP_MB_MAX = 32
const WORKER_YOUNG_MB_MAX = 8
/** Most batches queued per worker before verify() callers wait: bounds memory. */
const QUEUED_BATCHES_PER_WORKER_MAX = 4
/** The worker module next to this one: signature-worker.ts in a checkout, .js in the built
 * package (the build rewrites import specifiers, not URLs). */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './signature-worker.ts' : './signature-worker.js', import.meta.url)

interface Pending {
  readonly resolve: (answer: WorkerAnswer) => void
  readonly reject: (err: Error) => void
}

export class SignaturePool {
  readonly size: number
  readonly #workers: Worker[] = []
  readonly #load: number[] = []
  /** A worker that failed (or exited) takes no more batches. */
  readonly #alive: boolean[] = []
  readonly #pending = new Map<number, Pending & { worker: number }>()
  #nextId = 0
  #closed = false
  #waiters: (() => void)[] = []

  constructor(size: number = availableParallelism()) {
    this.size = Math.max(1, size)
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB_MAX, maxYoungGenerationSizeMb: WORKER_YOUNG_MB_MAX } })
      worker.on('message', (m: WorkerAnswer) => this.#settle(m.id, m, null))
      worker.on('error', (err) => this.#failWorker(i, err))
      worker.on('exit', (code) => this.#failWorker(i, new Error(`a signature worker exited with code ${code}`)))
      this.#workers.push(worker)
      this.#load.push(0)
      this.#alive.push(true)
    }
  }

  /** Verifies signatures (key i signed message i with sig i); resolves with one byte each. */
  async verify(keys: readonly Uint8Array[], messages: readonly Uint8Array[], sigs: readonly Uint8Array[]): Promise<Uint8Array> {
    if (keys.length === 0) return new Uint8Array(0)
    const answer = await this.#submit((id) => ({ kind: 'signatures', id, keys, messages, sigs }))
    if (answer.kind !== 'signatures') throw new Error('the worker answered another kind of request')
    return answer.results
  }

  /** Checks entries' signatures (verifyEntrySignature) from their canonical encodings;
   * resolves with one byte per entry, 1 when it decodes and its signature verifies. */
  async entries(chainId: string, encodings: readonly Uint8Array[]): Promise<Uint8Array> {
    if (encodings.length === 0) return new Uint8Array(0)
    const ends = new Uint32Array(encodings.length)
    let total = 0
    encodings.forEach((e, i) => { total += e.length; ends[i] = total })
    const bytes = new Uint8Array(total)
    encodings.forEach((e, i) => bytes.set(e, i === 0 ? 0 : ends[i - 1]))
    const answer = await this.#submit((id) => ({ kind: 'entries', id, chainId, bytes, ends }), [bytes.buffer, ends.buffer])
    if (answer.kind !== 'entries') throw new Error('the worker answered another kind of request')
    return answer.results
  }

  /** For export records (undecoded bytes): each entry's leaf hash and signature validity. */
  async records(chainId: string, records: readonly Uint8Array[]): Promise<readonly (RecordResult | null)[]> {
    const answer = await this.#submit((id) => ({ kind: 'records', id, chainId, records }))
    if (answer.kind !== 'records') throw new Error('the worker answered another kind of request')
    return answer.results
  }

  /** The least loaded live worker, or -1 when none is left. */
  #leastLoaded(): number {
    let best = -1
    for (let i = 0; i < this.#workers.length; i++) {
      if (this.#alive[i] && (best < 0 || this.#load[i]! < this.#load[best]!)) best = i
    }
    return best
  }

  /** `transfer`: buffers of the request handed to the worker (no longer usable here). */
  async #submit(make: (id: number) => WorkerRequest, transfer: readonly ArrayBuffer[] = []): Promise<WorkerAnswer> {
    // Each wait ends when a batch settles, a worker fails or the pool closes.
    for (;;) {
      if (this.#closed) throw new Error('the signature pool is closed')
      const best = this.#leastLoaded()
      if (best < 0) throw new Error('every signature worker has failed')
      if (this.#load[best]! < QUEUED_BATCHES_PER_WORKER_MAX) break
      await new Promise<void>((resolve) => this.#waiters.push(resolve))
    }
    const worker = this.#leastLoaded()
    const id = this.#nextId++
    return new Promise<WorkerAnswer>((resolve, reject) => {
      // Posted first: a request that cannot be cloned throws here and leaves nothing pending.
      this.#workers[worker]!.postMessage(make(id), [...transfer])
      this.#pending.set(id, { resolve, reject, worker })
      this.#load[worker]! += 1
    })
  }

  #settle(id: number, answer: WorkerAnswer | null, err: Error | null): void {
    const pending = this.#pending.get(id)
    if (pending === undefined) return
    this.#pending.delete(id)
    this.#load[pending.worker]! -= 1
    this.#waiters.shift()?.()
    if (err !== null) pending.reject(err)
    else pending.resolve(answer!)
  }

  #failWorker(worker: number, err: Error): void {
    this.#alive[worker] = false
    // A worker ended by close() exits too: its batches were cut off by the close, not a failure.
    if (this.#closed) err = new Error('the signature pool is closed')
    for (const [id, p] of this.#pending) if (p.worker === worker) this.#settle(id, null, err)
    // Callers waiting for room must learn if no worker is left.
    for (const wake of this.#waiters.splice(0)) wake()
  }

  /** Ends the workers; batches still pending are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const wake of this.#waiters.splice(0)) wake()
    await Promise.all(this.#workers.map((w) => w.terminate()))
    const closed = new Error('the signature pool is closed')
    for (const id of [...this.#pending.keys()]) this.#settle(id, null, closed)
  }
}
