// When an erase entry erases, and when retention does (docs/formats.md section 14). One
// rule, `judgeErase`, and one expiry, `retentionOf`, used by every node at commit
// (node/store/erasure-ops.ts deletes the sidecar in the commit's own batch) and by the
// ErasureLedger below, which the auditor feeds the committed log: so every honest node
// and every audit agree on which sealed entries are erased, from the log alone.
//
// Rules, in the order an erase is judged (the first that applies decides):
//   1. no sealed entry with its ref's id is earlier in the log: ignored (an unsealed
//      entry there counts as none: telling the two apart would need an index of every
//      id, which an auditor streaming an export does not keep);
//   2. the erase is not in the sealed entry's namespace: ignored;
//   3. its agent is not the sealed entry's agent, the namespace is open (no key of the
//      genesis write policy governs it, and no policy record in force lists its
//      writers), and the agent is not an admin of the namespace: ignored. In a closed
//      namespace every agent allowed to write there may erase (that it could commit the
//      erase in that namespace is the proof);
//   4. the sealed entry is already erased (by an erase or by retention): ignored;
//   5. otherwise the sealed entry is erased from the erase's commit on.
// The governance a rule reads is the state in force for the erase's block, G(h - 1).
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { entryId, type Entry } from '../log/entry.ts'
import { policyGoverns, type WritePolicy } from '../log/genesis.ts'
import type { GovernanceState } from '../governance/state.ts'
import { readSealedPayload, type SealSpec } from './payload.ts'

export const ERASE_IGNORED_CODES = [
  'erase-of-unknown-entry', 'erase-wrong-namespace', 'erase-not-allowed', 'repeated-erase',
] as const
export type EraseIgnoredCode = (typeof ERASE_IGNORED_CODES)[number]

/** What the rule needs of the entry an erase names: the entry, and whether it is erased
 * already. `undefined` when no entry with that id is earlier in the log. */
export interface EraseTarget {
  readonly entry: Entry
  readonly erased: boolean
}

/** Null when `erase` (an entry that reads as an erase) erases its target; else the
 * code of the rule that ignores it. `governance`: the state in force for the erase's
 * block (G(h - 1)), null on a chain without governance. */
export function judgeErase(erase: Entry, target: EraseTarget | undefined, policy: WritePolicy, governance: GovernanceState | null): EraseIgnoredCode | null {
  if (target === undefined || readSealedPayload(target.entry).type !== 'sealed') return 'erase-of-unknown-entry'
  if (erase.namespace !== target.entry.namespace) return 'erase-wrong-namespace'
  if (!mayErase(erase, target.entry, policy, governance)) return 'erase-not-allowed'
  if (target.erased) return 'repeated-erase'
  return null
}

/** Rule 3: the author, any agent of a closed namespace, or an admin of the namespace. */
function mayErase(erase: Entry, sealed: Entry, policy: WritePolicy, governance: GovernanceState | null): boolean {
  if (bytesEqual(erase.agent, sealed.agent)) return true
  const namespace = sealed.namespace
  if (policyGoverns(policy, namespace)) return true
  if (governance === null) return false
  if ((governance.recordInForce(namespace)?.writers ?? null) !== null) return true
  return governance.isAdmin(namespace, toHex(erase.agent))
}

/** The retention, in heights, of a sealed entry committed in a block whose governance in
 * force (G(h - 1)) is `governance`: the record in force for its namespace decides, as it
 * stands when the entry commits (a later policy changes nothing for it). Null: kept
 * until an erase. The sidecar is erased at height h + the retention. */
export function retentionOf(sealed: Pick<Entry, 'namespace'>, governance: GovernanceState | null): number | null {
  return governance?.recordInForce(sealed.namespace)?.spec.retention?.heights ?? null
}

/** A committed entry and where it sits, in log order: what the ledger consumes. */
export interface ErasureLogRecord {
  readonly entry: Entry
  readonly index: number
  readonly height: number
}

/** What erased a sealed entry: an erase entry, or its namespace's retention. */
export type ErasedBy =
  | {
    readonly by: 'erase'
    /** The erase entry's id, hex. */
    readonly id: string
    readonly agent: string
    readonly index: number
    readonly height: number
  }
  | {
    readonly by: 'retention'
    /** No erase entry did it. */
    readonly id: null
    /** The height it expired at: its own height plus the retention. */
    readonly height: number
  }

export interface SealedState {
  /** The sealed entry's id, hex. */
  readonly id: string
  readonly agent: string
  readonly namespace: string
  readonly index: number
  readonly height: number
  readonly spec: SealSpec
  /** The height its retention erases it at, or null (no retention in force when it
   * committed). */
  readonly expiresAt: number | null
  /** What erased it; null while not erased. */
  readonly erasedBy: ErasedBy | null
}

export const SEALED_ANOMALY_CODES = ['malformed-sealed', 'malformed-erase', ...ERASE_IGNORED_CODES] as const
export type SealedAnomalyCode = (typeof SEALED_ANOMALY_CODES)[number]

export interface SealedAnomaly {
  readonly code: SealedAnomalyCode
  /** The entry's id, hex. */
  readonly entry: string
  readonly index: number
  readonly height: number
  /** The sealed entry an erase names, hex; null for a malformed sealed entry. */
  readonly target: string | null
  readonly detail: string
}

/** Anomalies kept as examples (all are counted), bounded however many a log holds. */
const ANOMALY_EXAMPLES_MAX = 100

interface Tracked {
  readonly entry: Entry
  readonly state: { -readonly [K in keyof SealedState]: SealedState[K] }
}

/** Sealed entries and their erasure over a committed log fed in order. Memory grows
 * with the number of sealed entries, not with the log. */
export class ErasureLedger {
  readonly #policy: WritePolicy
  /** id hex -> tracked; insertion order is log order. */
  readonly #sealed = new Map<string, Tracked>()
  readonly #anomalyCounts = new Map<SealedAnomalyCode, number>(SEALED_ANOMALY_CODES.map((c) => [c, 0]))
  readonly #anomalies: SealedAnomaly[] = []
  /** Sealed entries with a retention, by expiry height: a min-heap of [height, id]. */
  readonly #expiries = new ExpiryHeap()
  /** The height up to which expiries are applied. */
  #expiredThrough = 0
  #logSize: number

  /** `from`: the log index the ledger starts at (a partial export; sealed entries before
   * it are unknown, so erases of them read as of an unknown entry). */
  constructor(policy: WritePolicy, from = 0) {
    this.#policy = policy
    this.#logSize = from
  }

  get logSize(): number {
    return this.#logSize
  }

  /** The committed log has reached block `height`: retention erases what expires at
   * or below it. The expiries of a block come before its entries (an erase in the block
   * where its sealed entry expires is a repeated erase). */
  advanceTo(height: number): void {
    if (height <= this.#expiredThrough) return
    this.#expiredThrough = height
    for (let next = this.#expiries.peek(); next !== undefined && next.height <= height; next = this.#expiries.peek()) {
      this.#expiries.pop()
      const tracked = this.#sealed.get(next.id)
      // Erased before it expired: the erase stands.
      if (tracked !== undefined && tracked.state.erasedBy === null) tracked.state.erasedBy = { by: 'retention', id: null, height: next.height }
    }
  }

  /** The next committed entry: its index must be the log size so far. `governance`: the
   * state in force for its block (G(h - 1)), null on a chain without governance. */
  append(record: ErasureLogRecord, governance: GovernanceState | null = null): void {
    if (record.index !== this.#logSize) throw new RangeError(`log index ${record.index} does not follow ${this.#logSize - 1}`)
    this.advanceTo(record.height)
    this.#logSize += 1
    const read = readSealedPayload(record.entry)
    if (read.type === 'none') return
    const id = toHex(entryId(record.entry))
    if (read.type === 'malformed') {
      this.#anomaly(read.reserved === 'sealed' ? 'malformed-sealed' : 'malformed-erase', id, record, null, read.problem)
      return
    }
    if (read.type === 'sealed') {
      const retention = retentionOf(record.entry, governance)
      const expiresAt = retention === null ? null : record.height + retention
      this.#sealed.set(id, {
        entry: record.entry,
        state: { id, agent: toHex(record.entry.agent), namespace: record.entry.namespace, index: record.index, height: record.height, spec: read.spec, expiresAt, erasedBy: null },
      })
      if (expiresAt !== null) this.#expiries.push({ height: expiresAt, id })
      return
    }
    const targetId = toHex(read.target)
    const tracked = this.#sealed.get(targetId)
    const target = tracked === undefined ? undefined : { entry: tracked.entry, erased: tracked.state.erasedBy !== null }
    const code = judgeErase(record.entry, target, this.#policy, governance)
    if (code !== null) {
      this.#anomaly(code, id, record, targetId, eraseDetail(code, record.entry, tracked))
      return
    }
    tracked!.state.erasedBy = { by: 'erase', id, agent: toHex(record.entry.agent), index: record.index, height: record.height }
  }

  #anomaly(code: SealedAnomalyCode, entry: string, record: ErasureLogRecord, target: string | null, detail: string): void {
    this.#anomalyCounts.set(code, (this.#anomalyCounts.get(code) ?? 0) + 1)
    if (this.#anomalies.length < ANOMALY_EXAMPLES_MAX) this.#anomalies.push({ code, entry, index: record.index, height: record.height, target, detail })
  }

  /** The sealed entry with this id (hex), or null when none is in the log consumed. */
  state(id: string): SealedState | null {
    return this.#sealed.get(id)?.state ?? null
  }

  /** Every sealed entry, in log order. */
  *states(): IterableIterator<SealedState> {
    for (const t of this.#sealed.values()) yield t.state
  }

  counts(): { readonly sealed: number, readonly erased: number } {
    let erased = 0
    for (const t of this.#sealed.values()) if (t.state.erasedBy !== null) erased += 1
    return { sealed: this.#sealed.size, erased }
  }

  anomalies(): { readonly counts: ReadonlyMap<SealedAnomalyCode, number>, readonly examples: readonly SealedAnomaly[] } {
    return { counts: this.#anomalyCounts, examples: this.#anomalies }
  }
}

function eraseDetail(code: EraseIgnoredCode, erase: Entry, tracked: Tracked | undefined): string {
  switch (code) {
    case 'erase-of-unknown-entry': return 'no sealed entry with this id is committed before the erase'
    case 'erase-wrong-namespace': return `the erase is in namespace '${erase.namespace}', the sealed entry in '${tracked?.entry.namespace ?? '?'}'`
    case 'erase-not-allowed': return `agent ${toHex(erase.agent)} is not the sealed entry's author nor an admin of its namespace, and the namespace is open`
    case 'repeated-erase': {
      const by = tracked?.state.erasedBy
      return by?.by === 'retention' ? `the sealed entry expired at height ${by.height} (its namespace's retention)` : `the sealed entry was erased at log index ${by?.index ?? '?'}`
    }
  }
}

/** A binary min-heap of expiries by height: the ledger's memory stays one slot per
 * sealed entry with a retention, and each expiry costs O(log n) however far apart the
 * heights are. */
class ExpiryHeap {
  readonly #items: { readonly height: number, readonly id: string }[] = []

  push(item: { readonly height: number, readonly id: string }): void {
    const items = this.#items
    items.push(item)
    for (let i = items.length - 1; i > 0;) {
      const parent = (i - 1) >> 1
      if (items[parent]!.height <= items[i]!.height) break
      ;[items[parent], items[i]] = [items[i]!, items[parent]!]
      i = parent
    }
  }

  peek(): { readonly height: number, readonly id: string } | undefined {
    return this.#items[0]
  }

  pop(): void {
    const items = this.#items
    const last = items.pop()
    if (last === undefined || items.length === 0) return
    items[0] = last
    for (let i = 0; ;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < items.length && items[l]!.height < items[m]!.height) m = l
      if (r < items.length && items[r]!.height < items[m]!.height) m = r
      if (m === i) return
      ;[items[m], items[i]] = [items[i]!, items[m]!]
      i = m
    }
  }
}
