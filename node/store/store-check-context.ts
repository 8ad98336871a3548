// What the record-level store checks share (store-check-contents.ts and the modules it
// runs): the key-value backend, the findings so far, the summary, and the reads of a
// header or an accumulator state that report a record that does not decode.
import { type BlockHeader } from '../../src/log/block.ts'
import { type MerkleAccumulatorState } from '../../src/log/merkle.ts'
import { NODE_LIMITS } from '../limits.ts'
import { type StoreFinding } from './errors.ts'
import { keys } from './keys.ts'
import { type KvBackend } from './kv.ts'
import { decodeStoredAccumulator, decodeStoredHeader } from './store-records.ts'

/** Thrown by Findings.add past storeCheckFindingsMax: ends the check. */
export class FindingsFull extends Error {}

/** Collects findings; past storeCheckFindingsMax it ends the check. */
export class Findings {
  readonly list: StoreFinding[] = []
  add(code: string, detail: string): void {
    this.list.push({ code, detail })
    if (this.list.length >= NODE_LIMITS.storeCheckFindingsMax) throw new FindingsFull()
  }
}

export interface ContentSummary {
  fresh: boolean
  height: number | null
  logSize: number | null
  blocksChecked: number
  entriesChecked: number
}

/** The state of one run of the record checks, and the reads they all make. */
export class CheckContext {
  readonly kv: KvBackend
  readonly full: boolean
  readonly summary: ContentSummary = { fresh: false, height: null, logSize: null, blocksChecked: 0, entriesChecked: 0 }
  /** Full mode: the highest seq seen per agent, to compare with the stored seqs. */
  readonly seqs = new Map<string, number>()
  readonly #findings: Findings

  constructor(kv: KvBackend, findings: Findings, full: boolean) {
    this.kv = kv
    this.#findings = findings
    this.full = full
  }

  add(code: string, detail: string): void {
    this.#findings.add(code, detail)
  }

  async lastKey(tag: number): Promise<Uint8Array | undefined> {
    const [row] = await this.kv.scan({ gte: Uint8Array.of(tag), lt: Uint8Array.of(tag + 1), reverse: true, limit: 1 })
    return row?.[0]
  }

  async header(height: number): Promise<BlockHeader | undefined> {
    const bytes = await this.kv.get(keys.header(height))
    if (bytes === undefined) return undefined
    try {
      return decodeStoredHeader(bytes)
    } catch (err) {
      this.add('header-corrupt', `the header at height ${height} does not decode: ${(err as Error).message}`)
      return undefined
    }
  }

  async accumulator(height: number): Promise<MerkleAccumulatorState | undefined> {
    const bytes = await this.kv.get(keys.accumulator(height))
    if (bytes === undefined) {
      this.add('accumulator-missing', `no accumulator state is stored for height ${height}`)
      return undefined
    }
    try {
      return decodeStoredAccumulator(bytes)
    } catch (err) {
      this.add('accumulator-corrupt', `the accumulator state at height ${height} does not decode: ${(err as Error).message}`)
      return undefined
    }
  }
}
