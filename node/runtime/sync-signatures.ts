// Checks the entry signatures of sync responses (blocks a node fetches to catch up) on a
// pool of worker threads before the replica sees them, and records the entries that
// verify in the replica's verifier: the replica's own check of each entry is then a cache
// hit, and its thread is left the rest of the work (hashes, Merkle roots, storage) while
// the workers verify the next response. A node catching up spends most of its time on one
// Ed25519 verification per entry, and on the main thread alone that runs on one core.
//
// Nothing here decides validity. An entry whose signature does not verify is not
// recorded, and the replica then verifies it itself and rejects its block; if the pool
// fails, messages go on unchecked and the replica verifies everything itself.
//
// The workers exist only once needed: they start with the node's first range request
// (or the first response worth checking) and end with the node.
import { availableParallelism } from 'node:os'
import type { Logger } from 'pino'
import type { Message } from '../../src/consensus/types.ts'
import type { Verifier } from '../../src/consensus/verifier.ts'
import { encodeEntry, type Entry } from '../../src/log/entry.ts'
import { SignaturePool } from '../workers/signature-pool.ts'

/** Below this many entries a response is left to the replica: a worker round trip costs
 * more than verifying a few signatures in place. */
const POOL_ENTRIES_MIN = 64
/** Entries per worker batch: small enough that every worker gets a share of a response
 * and results are recorded while the rest are verified, large enough that the cost of
 * a message to a worker is small next to the verifications. */
const BATCH_ENTRIES = 256
/** Responses checked at once: the one the replica will take next and the one after it
 * (range sync asks for one range ahead). More would only queue on the workers. */
const CHECKS_IN_FLIGHT_MAX = 2

export class SyncSignatureChecker {
  readonly #chainId: string
  readonly #verifier: Verifier
  readonly #logger: Logger
  readonly #poolSize: number
  #pool: SignaturePool | null = null
  /** Set when the pool failed or was closed: no more checks, the replica does them all. */
  #off = false
  #inFlight = 0
  #roomWaiters: (() => void)[] = []

  constructor(chainId: string, verifier: Verifier, logger: Logger, poolSize: number = availableParallelism()) {
    this.#chainId = chainId
    this.#verifier = verifier
    this.#logger = logger
    this.#poolSize = poolSize
    // No pool: the replica verifies every entry itself (the simulator's choice).
    this.#off = poolSize <= 0
  }

  /** Starts the pool's workers (about a quarter of a second) ahead of the first check. */
  prepare(): void {
    if (!this.#off) this.#pool ??= new SignaturePool(this.#poolSize)
  }

  /** Whether `message` is a sync response with enough entries to check on the pool. */
  wants(message: Message): boolean {
    return this.#entriesToCheck(message) !== null
  }

  /** Resolves when fewer than CHECKS_IN_FLIGHT_MAX checks are running (or once closed). */
  async roomForCheck(): Promise<void> {
    // Each wait ends when a check finishes or the checker closes.
    while (!this.#off && this.#inFlight >= CHECKS_IN_FLIGHT_MAX) await new Promise<void>((resolve) => this.#roomWaiters.push(resolve))
  }

  /** Checks the entries of a sync response and records those that verify. Never rejects:
   * whatever goes wrong, the replica still verifies what was not recorded. */
  async check(message: Message): Promise<void> {
    const entries = this.#entriesToCheck(message)
    if (entries === null) return
    this.#inFlight++
    try {
      await this.#checkEntries(entries)
    } finally {
      this.#inFlight--
      this.#roomWaiters.shift()?.()
    }
  }

  async #checkEntries(entries: readonly Entry[]): Promise<void> {
    this.prepare()
    const pool = this.#pool!
    const batches: Promise<void>[] = []
    for (let start = 0; start < entries.length; start += BATCH_ENTRIES) {
      const batch = entries.slice(start, start + BATCH_ENTRIES)
      // The encodings are needed here anyway (ids, leaves) and are kept per entry object.
      batches.push(pool.entries(this.#chainId, batch.map((entry) => encodeEntry(entry))).then((valid) => this.#record(batch, valid)))
    }
    try {
      await Promise.all(batches)
    } catch (err) {
      if (this.#off) return // closed meanwhile
      this.#off = true
      this.#logger.warn({ err }, 'the signature pool failed; sync responses are verified on the main thread')
      void pool.close()
    }
  }

  #entriesToCheck(message: Message): Entry[] | null {
    if (this.#off || (message.type !== 'range-response' && message.type !== 'block-response')) return null
    const entries = message.blocks.flatMap((block) => block.entries)
    return entries.length >= POOL_ENTRIES_MIN ? entries : null
  }

  #record(batch: readonly Entry[], valid: Uint8Array): void {
    this.#verifier.entriesVerified(batch.filter((_, i) => valid[i] === 1))
  }

  async close(): Promise<void> {
    this.#off = true
    for (const wake of this.#roomWaiters.splice(0)) wake()
    await this.#pool?.close()
  }
}
