// A ledger over this node's committed log, fed on demand: each call reads, through the
// backend's query, the blocks committed since the last one, one catch-up at a time, so
// the work is incremental and a request that times out mid-way keeps its progress. The
// decisions and policy routes each keep one around their core ledger.
import type { Entry } from '../../src/log/entry-types.ts'
import type { NodeBackend } from './backend.ts'

/** Entries read per query page while a ledger catches up: the API's own page cap. */
const CATCH_UP_PAGE_ENTRIES = 500

/** What a core ledger over the committed log offers its follower (DecisionLedger,
 * PolicyLedger). */
export interface FollowedLedger {
  /** Entries appended so far. */
  readonly logSize: number
  /** Appends the next committed entry; one the rules refuse is counted by the ledger. */
  append(record: { readonly entry: Entry, readonly index: number, readonly height: number }): unknown
  /** Every entry up to and including this height has been appended. */
  advanceTo(height: number): void
}

export class LogFollower {
  readonly #backend: NodeBackend
  readonly #ledger: FollowedLedger
  /** First height not yet read. */
  #nextHeight = 1
  #running: Promise<void> = Promise.resolve()

  constructor(backend: NodeBackend, ledger: FollowedLedger) {
    this.#backend = backend
    this.#ledger = ledger
  }

  /** Reads what was committed since the last call into the ledger. */
  async catchUp(signal: AbortSignal): Promise<void> {
    const run = this.#running.then(() => this.#read(signal))
    this.#running = run.catch(() => undefined)
    await run
  }

  async #read(signal: AbortSignal): Promise<void> {
    const target = this.#backend.health().height
    if (target < this.#nextHeight) return
    let cursor: string | undefined
    for (;;) {
      const page = await this.#backend.query({ fromHeight: this.#nextHeight, toHeight: target, cursor, limit: CATCH_UP_PAGE_ENTRIES }, signal)
      for (const r of page.items) {
        if (r.index < this.#ledger.logSize) continue // read by an earlier catch-up that stopped mid-height
        this.#ledger.append({ entry: r.entry, index: r.index, height: r.height })
      }
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    this.#ledger.advanceTo(target)
    this.#nextHeight = target + 1
  }
}
