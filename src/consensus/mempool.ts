// The mempool: verified entries waiting for a block. Entries arrive already verified
// (signature, size, namespace policy: see verifier.ts); the pool deduplicates them by
// id and by (agent, seq), bounds them by count and by bytes (a full pool refuses new
// entries with 'mempool-full' when at its entry count, 'mempool-bytes-full' when the
// entry's bytes do not fit: the client retries elsewhere or later), and hands a
// leader a batch that respects per-agent seq order.
//
// Entries stay in the pool until a block holding them commits (or an agent's higher
// seq commits, making them uncommittable). A leader skips those already in the chain
// it extends; so if that chain is abandoned, they are simply proposed again.
import type { CheckedEntry } from './verifier.ts'

/** A verified entry (bytes = encoded size, what counts against blockBytesMax). */
export type PoolEntry = CheckedEntry

export interface MempoolLimits {
  readonly entriesMax: number
  readonly bytesMax: number
}

export type AddResult = 'added' | 'known' | 'mempool-full' | 'mempool-bytes-full' | 'duplicate-seq'

export class Mempool {
  readonly #limits: MempoolLimits
  readonly #byId = new Map<string, PoolEntry>()
  /** agent -> seq -> entry. Map order = order of the agent's first arrival: the fair,
   * deterministic order in which a leader serves agents. */
  readonly #byAgent = new Map<string, Map<number, PoolEntry>>()
  /** Validators each pooled entry was forwarded to by this replica (docs/protocol.md,
   * "Dissemination"); bounded with the pool, forgotten when the entry leaves it. */
  readonly #sentTo = new Map<string, Set<number>>()
  #bytes = 0

  constructor(limits: MempoolLimits) {
    this.#limits = limits
  }

  get size(): number {
    return this.#byId.size
  }

  get bytes(): number {
    return this.#bytes
  }

  has(idHex: string): boolean {
    return this.#byId.has(idHex)
  }

  add(item: PoolEntry): AddResult {
    if (this.#byId.has(item.idHex)) return 'known'
    const seqs = this.#byAgent.get(item.agentHex)
    if (seqs !== undefined && seqs.has(item.entry.seq)) return 'duplicate-seq'
    if (this.#byId.size >= this.#limits.entriesMax) return 'mempool-full'
    if (this.#bytes + item.bytes > this.#limits.bytesMax) return 'mempool-bytes-full'
    this.#byId.set(item.idHex, item)
    if (seqs === undefined) this.#byAgent.set(item.agentHex, new Map([[item.entry.seq, item]]))
    else seqs.set(item.entry.seq, item)
    this.#bytes += item.bytes
    return 'added'
  }

  remove(idHex: string): void {
    const item = this.#byId.get(idHex)
    if (item === undefined) return
    this.#byId.delete(idHex)
    this.#sentTo.delete(idHex)
    this.#bytes -= item.bytes
    const seqs = this.#byAgent.get(item.agentHex)!
    seqs.delete(item.entry.seq)
    if (seqs.size === 0) this.#byAgent.delete(item.agentHex)
  }

  /** After a commit: drop every entry of `agentHex` with seq <= `seq` (committed, or
   * overtaken by a committed higher seq and so never committable). */
  dropUpTo(agentHex: string, seq: number): void {
    const seqs = this.#byAgent.get(agentHex)
    if (seqs === undefined) return
    for (const [s, item] of [...seqs]) if (s <= seq) this.remove(item.idHex)
  }

  /**
   * A batch for a block: at most entriesMax entries and bytesMax bytes, agents in order
   * of first arrival, each agent's entries in ascending seq above `lastSeqOf(agent)`
   * (the highest seq in the chain being extended). `skip` excludes entries already in
   * that chain.
   */
  select(entriesMax: number, bytesMax: number, lastSeqOf: (agentHex: string) => number, skip: (idHex: string) => boolean): PoolEntry[] {
    const out: PoolEntry[] = []
    let bytes = 0
    for (const [agentHex, seqs] of this.#byAgent) {
      const last = lastSeqOf(agentHex)
      const ordered = [...seqs.keys()].filter((s) => s > last).sort((a, b) => a - b)
      for (const seq of ordered) {
        const item = seqs.get(seq)!
        if (skip(item.idHex)) continue
        if (out.length >= entriesMax) return out
        if (bytes + item.bytes > bytesMax) break // keep this agent's seq order: no skipping ahead
        out.push(item)
        bytes += item.bytes
      }
    }
    return out
  }

  /** The pooled entries of `agentHex` with a seq below `seq` not yet forwarded to
   * `target`, ascending: what must reach a new forward target before an entry of that
   * agent does, or it would propose the later seq without the earlier one. */
  unsentBelow(agentHex: string, seq: number, target: number): PoolEntry[] {
    const seqs = this.#byAgent.get(agentHex)
    if (seqs === undefined) return []
    const out: PoolEntry[] = []
    for (const [s, item] of seqs) if (s < seq && this.#sentTo.get(item.idHex)?.has(target) !== true) out.push(item)
    return out.sort((a, b) => a.entry.seq - b.entry.seq)
  }

  /** Pooled entries this replica forwarded to anyone (0 on a replica that only received). */
  get forwardedCount(): number {
    return this.#sentTo.size
  }

  /** Whether this replica forwarded the entry to anyone: it accepted it (or repaired it
   * on a timeout), so keeping leaders supplied with it is its job, not a receiver's. */
  wasForwarded(idHex: string): boolean {
    return (this.#sentTo.get(idHex)?.size ?? 0) > 0
  }

  wasSent(idHex: string, target: number): boolean {
    return this.#sentTo.get(idHex)?.has(target) === true
  }

  /** Records that a pooled entry was forwarded to `target` (no-op for one not pooled). */
  markSent(idHex: string, target: number): void {
    if (!this.#byId.has(idHex)) return
    let set = this.#sentTo.get(idHex)
    if (set === undefined) this.#sentTo.set(idHex, set = new Set())
    set.add(target)
  }

  /** Whether any entry could go into a block extending a chain with these last seqs. */
  hasCandidates(lastSeqOf: (agentHex: string) => number, skip: (idHex: string) => boolean): boolean {
    for (const [agentHex, seqs] of this.#byAgent) {
      const last = lastSeqOf(agentHex)
      for (const [seq, item] of seqs) if (seq > last && !skip(item.idHex)) return true
    }
    return false
  }
}
