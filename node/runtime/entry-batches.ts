// Entry batches on their way to the next leaders, one batch per destination. The replica
// asks for a send of entries per accepted submission; one message per submission would
// flood a leader's loop under load, so entries for one peer are batched: a batch goes
// out when it holds ENTRY_BATCH_MAX entries or ENTRY_BATCH_BYTES_MAX bytes (estimated),
// or ENTRY_BATCH_DELAY_MS after that peer's previous batch. The first entries after a
// quiet spell (the previous batch to that peer is older than the delay) go out at once:
// on an idle path a wait would only add latency. Revisit with the mailbox's bulk-dropped
// count and the commit latency.
import type { Entry } from '../../src/log/entry.ts'
import type { RuntimeTimers, TimerHandle } from './timers.ts'

const ENTRY_BATCH_MAX = 512
const ENTRY_BATCH_BYTES_MAX = 1024 * 1024
const ENTRY_BATCH_DELAY_MS = 10
/** Estimated encoded bytes of an entry beyond its payload (JSON text encodes as a CBOR
 * text string; the factor covers escapes): key, signature, namespace, framing. */
const ENTRY_OVERHEAD_BYTES = 300

interface PeerBatch {
  entries: Entry[]
  bytes: number
  timer: TimerHandle | null
  /** When the last batch to this peer went out (the monotonic clock). */
  sentAtMs: number
}

export class EntryBatches {
  readonly #clock: RuntimeTimers
  readonly #send: (to: number, entries: readonly Entry[]) => void
  readonly #peers = new Map<number, PeerBatch>()
  #closed = false

  constructor(clock: RuntimeTimers, send: (to: number, entries: readonly Entry[]) => void) {
    this.#clock = clock
    this.#send = send
  }

  add(to: number, entries: readonly Entry[]): void {
    if (this.#closed) return
    let batch = this.#peers.get(to)
    if (batch === undefined) this.#peers.set(to, batch = { entries: [], bytes: 0, timer: null, sentAtMs: -Infinity })
    for (const entry of entries) {
      batch.entries.push(entry)
      batch.bytes += entry.payload.length * 3 + ENTRY_OVERHEAD_BYTES
      if (batch.entries.length >= ENTRY_BATCH_MAX || batch.bytes >= ENTRY_BATCH_BYTES_MAX) this.#flush(to, batch)
    }
    if (batch.entries.length === 0 || batch.timer !== null) return
    const sinceLastMs = this.#clock.monotonicMs() - batch.sentAtMs
    if (sinceLastMs >= ENTRY_BATCH_DELAY_MS) this.#flush(to, batch)
    else batch.timer = this.#clock.setTimeout(() => this.#flush(to, batch), ENTRY_BATCH_DELAY_MS - sinceLastMs)
  }

  /** Drops what is queued and sends nothing more. */
  close(): void {
    this.#closed = true
    for (const batch of this.#peers.values()) if (batch.timer !== null) this.#clock.clearTimeout(batch.timer)
    this.#peers.clear()
  }

  #flush(to: number, batch: PeerBatch): void {
    if (batch.timer !== null) this.#clock.clearTimeout(batch.timer)
    batch.timer = null
    const entries = batch.entries
    batch.entries = []
    batch.bytes = 0
    if (entries.length === 0 || this.#closed) return
    batch.sentAtMs = this.#clock.monotonicMs()
    this.#send(to, entries)
  }
}
