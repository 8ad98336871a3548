// The governance state as a pure function of the committed log (docs/formats.md section
// 13), for readers: the node's API, the SDK and a restarting validator feed it the
// committed entries in log order, each with its block's height, and ask what is in
// force. It applies the rule the validators and the auditor apply (the BlockJudge of
// state.ts, each block's entries judged against the state after the previous block), so
// an entry that the ledger finds invalid is one no honest validator committed: the
// ledger reports it (`rejected`) and leaves the state as if it were not there.
import { assert } from '../assert.ts'
import { toHex } from '../crypto/hash.ts'
import { entryId } from '../log/entry.ts'
import type { Block } from '../log/block.ts'
import type { Entry } from '../log/entry-types.ts'
import type { Genesis } from '../log/genesis.ts'
import { GovernanceState, type BlockJudge, type GovernanceProblem } from './state.ts'

/** A committed entry and where it sits, in log order (as DecisionLedger takes them). */
export interface PolicyLogRecord {
  readonly entry: Entry
  /** 0-based leaf index in the log. */
  readonly index: number
  /** Height of the block that holds it. */
  readonly height: number
}

/** An entry of the log the rules find invalid: not in a valid chain. */
export interface RejectedRecord {
  readonly index: number
  readonly height: number
  readonly entry: string
  readonly problem: GovernanceProblem
}

/** Rejected records kept as examples (all are counted). */
const REJECTED_EXAMPLES_MAX = 100

export class PolicyLedger {
  /** The state after the last block whose entries are all consumed. */
  #settled: GovernanceState
  /** The judge of the block being consumed (at #height), or null between blocks. */
  #judge: BlockJudge | null = null
  #height: number
  #nextIndex: number
  #rejectedCount = 0
  readonly #rejected: RejectedRecord[] = []

  /** A ledger over the log from its start (`state` omitted: G(0) of the genesis), or from
   * a known state: the state after block `state.height`, at log size `logSize`. */
  constructor(genesis: Genesis, from?: { readonly state: GovernanceState, readonly logSize: number }) {
    const initial = from?.state ?? GovernanceState.initial(genesis)
    if (initial === null) throw new RangeError(`chain '${genesis.chainId}' has no governance (its genesis has no governance member)`)
    this.#settled = initial
    this.#height = initial.height
    this.#nextIndex = from?.logSize ?? 0
  }

  /** Height of the last block the ledger knows of. */
  get height(): number {
    return this.#height
  }

  /** The log size consumed: the index of the next record expected. */
  get logSize(): number {
    return this.#nextIndex
  }

  /** The committed log has reached `height`: every block up to it is complete. */
  advanceTo(height: number): void {
    assert(Number.isSafeInteger(height) && height >= this.#height, `height ${height} is not below the ledger's ${this.#height}`)
    this.#settle()
    this.#height = height
    // The blocks up to `height` are complete: the state is the one after block `height`.
    if (height > this.#settled.height) this.#settled = this.#settled.next(height, [])
  }

  /** Consumes the next committed entry; the problem when the rules find it invalid
   * (then it changes nothing), else null. */
  append(record: PolicyLogRecord): GovernanceProblem | null {
    assert(record.index === this.#nextIndex, `log index ${record.index} is the next one, ${this.#nextIndex}`)
    assert(record.height >= this.#height && record.height > this.#settled.height, `height ${record.height} is above the settled state's ${this.#settled.height}`)
    if (record.height > this.#height) {
      this.#settle()
      this.#height = record.height
    }
    this.#nextIndex += 1
    this.#judge ??= this.#settled.blockJudge()
    const problem = this.#judge.judge(record.entry, () => toHex(entryId(record.entry)))
    if (problem !== null) {
      const id = toHex(entryId(record.entry))
      this.#rejectedCount += 1
      if (this.#rejected.length < REJECTED_EXAMPLES_MAX) this.#rejected.push({ index: record.index, height: record.height, entry: id, problem })
    }
    return problem
  }

  /** What the rules would say of `entry` as the next entry of the log at `height` (the
   * block being consumed, or a later one), without consuming it. */
  check(entry: Entry, height: number): GovernanceProblem | null {
    assert(height >= this.#height && height > this.#settled.height, `height ${height} is above the settled state's ${this.#settled.height}`)
    const judge = height === this.#height && this.#judge !== null ? this.#judge : this.state.blockJudge()
    return judge.check(entry)
  }

  #settle(): void {
    if (this.#judge === null) return
    this.#settled = this.#judge.finish(this.#height)
    this.#judge = null
  }

  /** The state after every entry consumed so far: in force for the next block once the
   * current one is complete. Reading it changes nothing (more entries of the current
   * block may follow). */
  get state(): GovernanceState {
    return this.#judge === null ? this.#settled : this.#judge.peek(this.#height)
  }

  /** Whether agent (hex) is an admin of namespace for entries of a block at `height`
   * (the state after block height - 1). Only for the next block and later: the ledger
   * keeps no history. */
  isAdminAt(namespace: string, agentHex: string, height: number): boolean {
    assert(height > this.#height || (height === this.#height && this.#judge !== null), `height ${height} is past: the ledger is at ${this.#height}`)
    const state = height > this.#height ? this.state : this.#judge!.before
    return state.isAdmin(namespace, agentHex)
  }

  /** Invalid records: how many, and the first ones. */
  rejected(): { readonly count: number, readonly examples: readonly RejectedRecord[] } {
    return { count: this.#rejectedCount, examples: [...this.#rejected] }
  }
}

/** The governance state after a committed log given in full, in log order, whose last
 * block is at `height`. */
export function governanceStateOf(genesis: Genesis, records: Iterable<PolicyLogRecord>, height: number): GovernanceState {
  const ledger = new PolicyLedger(genesis)
  for (const r of records) ledger.append(r)
  ledger.advanceTo(height)
  return ledger.state
}

/** The governance state after committed `blocks` (in height order from height 1; a
 * height-0 block is skipped), or null for a chain without governance. For drivers that
 * keep committed blocks rather than an entry index (the simulator's storage). */
export function governanceAfterBlocks(genesis: Genesis, blocks: Iterable<Block>): GovernanceState | null {
  if (genesis.governance === undefined) return null
  const ledger = new PolicyLedger(genesis)
  for (const block of blocks) {
    if (block.header.height === 0) continue
    const height = block.header.height
    for (const entry of block.entries) {
      const problem = ledger.append({ entry, index: ledger.logSize, height })
      assert(problem === null, `a committed entry at height ${height} breaks governance rule ${problem?.rule}`)
    }
    ledger.advanceTo(height)
  }
  return ledger.state
}
