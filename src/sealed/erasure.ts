// When an erase entry erases (docs/formats.md section 14). One rule, `judgeErase`, used
// by every node at commit (node/store/chain-store.ts deletes the sidecar in the commit's
// own batch) and by the ErasureLedger below, which the auditor and the SDK feed the
// committed log: so every honest node and every audit agree on which sealed entries are
// erased, from the log alone.
//
// Rules, in the order an erase is judged (the first that applies decides):
//   1. no sealed entry with its ref's id is earlier in the log: ignored (an unsealed
//      entry there counts as none: telling the two apart would need an index of every
//      id, which an auditor streaming an export does not keep);
//   2. the erase is not in the sealed entry's namespace: ignored;
//   3. its agent is not the sealed entry's agent, and the namespace is open (no key of
//      the genesis write policy governs it): ignored. In a governed namespace every
//      agent the policy lets write there may erase (that it could commit the erase in
//      that namespace is the proof);
//   4. the sealed entry is already erased: ignored (harmless, reported);
//   5. otherwise the sealed entry is erased from the erase's commit on.
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { entryId, type Entry } from '../log/entry.ts'
import { policyGoverns, type WritePolicy } from '../log/genesis.ts'
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
 * code of the rule that ignores it. */
export function judgeErase(erase: Entry, target: EraseTarget | undefined, policy: WritePolicy): EraseIgnoredCode | null {
  if (target === undefined || readSealedPayload(target.entry).type !== 'sealed') return 'erase-of-unknown-entry'
  if (erase.namespace !== target.entry.namespace) return 'erase-wrong-namespace'
  if (!bytesEqual(erase.agent, target.entry.agent) && !policyGoverns(policy, target.entry.namespace)) return 'erase-not-allowed'
  if (target.erased) return 'repeated-erase'
  return null
}

/** A committed entry and where it sits, in log order: what the ledger consumes. */
export interface ErasureLogRecord {
  readonly entry: Entry
  readonly index: number
  readonly height: number
}

export interface ErasedBy {
  /** The erase entry's id, hex. */
  readonly id: string
  readonly agent: string
  readonly index: number
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
  /** The erase that erased it; null while not erased. */
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

  /** The next committed entry: its index must be the log size so far. */
  append(record: ErasureLogRecord): void {
    if (record.index !== this.#logSize) throw new RangeError(`log index ${record.index} does not follow ${this.#logSize - 1}`)
    this.#logSize += 1
    const read = readSealedPayload(record.entry)
    if (read.type === 'none') return
    const id = toHex(entryId(record.entry))
    if (read.type === 'malformed') {
      this.#anomaly(read.reserved === 'sealed' ? 'malformed-sealed' : 'malformed-erase', id, record, null, read.problem)
      return
    }
    if (read.type === 'sealed') {
      this.#sealed.set(id, {
        entry: record.entry,
        state: { id, agent: toHex(record.entry.agent), namespace: record.entry.namespace, index: record.index, height: record.height, spec: read.spec, erasedBy: null },
      })
      return
    }
    const targetId = toHex(read.target)
    const tracked = this.#sealed.get(targetId)
    const target = tracked === undefined ? undefined : { entry: tracked.entry, erased: tracked.state.erasedBy !== null }
    const code = judgeErase(record.entry, target, this.#policy)
    if (code !== null) {
      this.#anomaly(code, id, record, targetId, eraseDetail(code, record.entry, tracked))
      return
    }
    tracked!.state.erasedBy = { id, agent: toHex(record.entry.agent), index: record.index, height: record.height }
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
    case 'erase-not-allowed': return `agent ${toHex(erase.agent)} is not the sealed entry's author, and its namespace is open`
    case 'repeated-erase': return `the sealed entry was erased at log index ${tracked?.state.erasedBy?.index ?? '?'}`
  }
}
