// The entries a node accepted from clients and has not seen committed, and what became
// of those that can never commit.
//
// The committed log holds each agent's entries in strictly increasing seq. When an
// agent's entry with seq s commits, its pending entries with a lower seq can never commit
// (a leader that lacked the earlier entry proposed the later one first; with concurrent
// submissions of one agent through several nodes this happens). Such an entry is
// *superseded*: it leaves the pending map at that commit (as it leaves the replica's
// mempool) and is remembered, bounded, so that an entry lookup or a receipt wait for it
// answers at once that it can never commit, instead of 'pending' until the client's
// deadline. The verdict is final: the committed log only grows.
import { toHex } from '../../src/crypto/hash.ts'
import { encodeEntry, entryId, type Entry } from '../../src/log/entry.ts'

export interface PendingSubmission {
  readonly entry: Entry
  readonly atMs: number
  /** Encoded size, counted against the byte bound. */
  readonly bytes: number
}

/** An entry that can never commit: its agent's committed seq reached `lastSeq` >= its
 * seq. Only these numbers are kept, not the entry (its payload may be 64 KiB). */
export interface SupersededEntry {
  readonly seq: number
  /** The agent's committed seq when the entry was found superseded. */
  readonly lastSeq: number
}

export interface PendingSubmissionLimits {
  /** Pending entries kept; the oldest record goes when full (its entry may have been dropped). */
  readonly pendingMax: number
  /** Encoded bytes of the pending entries kept: a record outlives an entry the mempool
   * dropped, so the records need a byte bound of their own (a flood of big entries). */
  readonly pendingBytesMax?: number
  /** Superseded entries remembered; the oldest goes when full (a lookup then answers
   * 'unknown', and a resubmission of it still gets 'stale-seq', checked against the log). */
  readonly supersededMax: number
}

/** What a committed block did to the pending entries. */
export interface CommitOutcome {
  /** For each entry of the block that was pending here: ms since it was accepted. */
  readonly latenciesMs: number[]
  /** Ids (hex) of pending entries the block superseded. */
  readonly superseded: string[]
}

export class PendingSubmissions {
  readonly #limits: PendingSubmissionLimits
  /** id hex -> pending entry, oldest first. */
  readonly #byId = new Map<string, PendingSubmission>()
  /** agent hex -> ids (hex) of its pending entries. */
  readonly #byAgent = new Map<string, Set<string>>()
  /** id hex -> superseded entry, oldest first. */
  readonly #superseded = new Map<string, SupersededEntry>()
  #bytes = 0

  constructor(limits: PendingSubmissionLimits) {
    if (!(limits.pendingMax >= 1 && limits.supersededMax >= 1)) throw new RangeError(`pending submission limits must be at least 1: ${JSON.stringify(limits)}`)
    this.#limits = limits
  }

  get size(): number {
    return this.#byId.size
  }

  /** Encoded bytes of the pending entries. */
  get bytes(): number {
    return this.#bytes
  }

  get supersededCount(): number {
    return this.#superseded.size
  }

  has(idHex: string): boolean {
    return this.#byId.has(idHex)
  }

  get(idHex: string): PendingSubmission | undefined {
    return this.#byId.get(idHex)
  }

  superseded(idHex: string): SupersededEntry | undefined {
    return this.#superseded.get(idHex)
  }

  /** Records an entry the replica accepted. */
  note(entry: Entry, atMs: number): void {
    const idHex = toHex(entryId(entry))
    if (this.#byId.has(idHex)) return
    const bytes = encodeEntry(entry).length
    const bytesMax = this.#limits.pendingBytesMax ?? Infinity
    // Bounded: each pass removes one record.
    while (this.#byId.size > 0 && (this.#byId.size >= this.#limits.pendingMax || this.#bytes + bytes > bytesMax)) {
      this.#remove(this.#byId.keys().next().value!)
    }
    this.#byId.set(idHex, { entry, atMs, bytes })
    this.#bytes += bytes
    // A resubmission of an entry found superseded cannot get here (the replica refuses
    // its seq), but an evicted pending record may be noted again: it is pending again.
    this.#superseded.delete(idHex)
    const agentHex = toHex(entry.agent)
    let ids = this.#byAgent.get(agentHex)
    if (ids === undefined) this.#byAgent.set(agentHex, ids = new Set())
    ids.add(idHex)
  }

  /** A block committed (its entries' ids in `ids`, hex): its entries leave, and so does
   * every pending entry of its agents with a seq at or below the agent's new committed seq. */
  commit(entries: readonly Entry[], ids: readonly string[], nowMs: number): CommitOutcome {
    if (entries.length !== ids.length) throw new RangeError(`${entries.length} entries with ${ids.length} ids`)
    const latenciesMs: number[] = []
    const superseded: string[] = []
    const lastSeqs = new Map<string, number>()
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!
      const pending = this.#byId.get(ids[i]!)
      if (pending !== undefined) {
        latenciesMs.push(nowMs - pending.atMs)
        this.#remove(ids[i]!)
      }
      const agentHex = toHex(entry.agent)
      lastSeqs.set(agentHex, Math.max(lastSeqs.get(agentHex) ?? -1, entry.seq))
    }
    for (const [agentHex, lastSeq] of lastSeqs) {
      const ids = this.#byAgent.get(agentHex)
      if (ids === undefined) continue
      for (const idHex of [...ids]) {
        const pending = this.#byId.get(idHex)!
        if (pending.entry.seq > lastSeq) continue
        this.#remove(idHex)
        this.#rememberSuperseded(idHex, { seq: pending.entry.seq, lastSeq })
        superseded.push(idHex)
      }
    }
    return { latenciesMs, superseded }
  }

  #rememberSuperseded(idHex: string, record: SupersededEntry): void {
    if (this.#superseded.size >= this.#limits.supersededMax) {
      const oldest = this.#superseded.keys().next().value
      if (oldest !== undefined) this.#superseded.delete(oldest)
    }
    this.#superseded.set(idHex, record)
  }

  #remove(idHex: string): void {
    const pending = this.#byId.get(idHex)
    if (pending === undefined) return
    this.#byId.delete(idHex)
    this.#bytes -= pending.bytes
    const agentHex = toHex(pending.entry.agent)
    const ids = this.#byAgent.get(agentHex)
    ids?.delete(idHex)
    if (ids !== undefined && ids.size === 0) this.#byAgent.delete(agentHex)
  }
}
