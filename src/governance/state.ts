// The governance state G(h) after block h, and the judge of block h+1's entries against
// it (docs/formats.md section 13). Immutable: a block node, the auditor and the readers'
// ledger each hold a GovernanceState, and the step to the next one makes a new object
// (sharing the parent's when the block holds no policy entry). Every lookup by namespace
// or agent goes through a Map or Set: both come from outside.
import { assert } from '../assert.ts'
import { toHex } from '../crypto/hash.ts'
import { readDecisionPayload } from '../decisions/payload.ts'
import { readSealedPayload } from '../sealed/payload.ts'
import { LIMITS } from '../limits.ts'
import type { Entry } from '../log/entry-types.ts'
import type { Genesis } from '../log/genesis.ts'
import { mayBeReserved, readPolicyPayload, type PolicySpec } from './policy-payload.ts'
import { schemaMismatch } from './schema.ts'

/** A namespace's policy in force, and the entry that set it. */
export interface PolicyRecord {
  readonly namespace: string
  readonly spec: PolicySpec
  /** The policy entry's id (hex), its agent (hex) and its block's height. */
  readonly entry: string
  readonly agent: string
  readonly height: number
  /** `spec.writers` as a Set, or null for "any". */
  readonly writers: ReadonlySet<string> | null
  readonly admins: ReadonlySet<string>
}

/** Why an entry is not valid under the governance state (docs/formats.md section 13,
 * rules 1 to 5). `rule` is the auditor's failure code. */
export type GovernanceProblem =
  | { readonly rule: 'policy-malformed', readonly namespace: string, readonly detail: string }
  | { readonly rule: 'policy-not-admin', readonly namespace: string, readonly agent: string }
  | { readonly rule: 'entry-not-writer', readonly namespace: string, readonly governedBy: string, readonly agent: string }
  | { readonly rule: 'entry-schema-mismatch', readonly namespace: string, readonly governedBy: string, readonly detail: string }
  | { readonly rule: 'policy-records-full', readonly namespace: string, readonly limit: number }

export type GovernanceRule = GovernanceProblem['rule']
export const GOVERNANCE_RULES: readonly GovernanceRule[] = ['policy-malformed', 'policy-not-admin', 'entry-not-writer', 'entry-schema-mismatch', 'policy-records-full']

export function describeGovernanceProblem(p: GovernanceProblem): string {
  switch (p.rule) {
    case 'policy-malformed': return `a malformed policy entry for '${p.namespace}': ${p.detail}`
    case 'policy-not-admin': return `agent ${p.agent.slice(0, 16)}… is not an admin of '${p.namespace}'`
    case 'entry-not-writer': return `agent ${p.agent.slice(0, 16)}… is not a writer of '${p.namespace}' (the policy of '${p.governedBy}')`
    case 'entry-schema-mismatch': return `the payload does not satisfy the schema of '${p.governedBy}' in force for '${p.namespace}': ${p.detail}`
    case 'policy-records-full': return `a policy for '${p.namespace}' would make more than ${p.limit} governed namespaces`
  }
}

/** `ns` and its ancestors by whole segments, longest first: a/b/c, a/b, a. */
export function* ancestorsOf(namespace: string): IterableIterator<string> {
  let ns = namespace
  for (;;) {
    yield ns
    const cut = ns.lastIndexOf('/')
    if (cut === -1) return
    ns = ns.slice(0, cut)
  }
}

/** The policy entries a block adds, in block order, for the step to the next state. */
interface Accepted {
  readonly namespace: string
  readonly spec: PolicySpec
  readonly entry: string
  readonly agent: string
}

export class GovernanceState {
  /** namespace -> genesis admins (hex). */
  readonly #genesisAdmins: ReadonlyMap<string, ReadonlySet<string>>
  /** namespace -> its record. Never mutated once the state exists. */
  readonly #records: ReadonlyMap<string, PolicyRecord>
  /** Height of the block this is the state after. */
  readonly height: number

  private constructor(genesisAdmins: ReadonlyMap<string, ReadonlySet<string>>, records: ReadonlyMap<string, PolicyRecord>, height: number) {
    assert(records.size <= LIMITS.policyRecordsMax, `${records.size} policy records are at most ${LIMITS.policyRecordsMax}`)
    this.#genesisAdmins = genesisAdmins
    this.#records = records
    this.height = height
  }

  /** G(0) of a chain, or null when its genesis has no governance (governance is off). */
  static initial(genesis: Genesis): GovernanceState | null {
    if (genesis.governance === undefined) return null
    const admins = new Map<string, ReadonlySet<string>>()
    for (const [ns, keys] of genesis.governance.admins) admins.set(ns, new Set(keys.map(toHex)))
    return new GovernanceState(admins, new Map(), 0)
  }

  get recordCount(): number {
    return this.#records.size
  }

  /** Whether agent (hex) is an admin of namespace in this state: a genesis admin or a
   * record's admin of the namespace or of any ancestor. The question other rules ask
   * (e.g. who may erase an entry of a namespace). */
  isAdmin(namespace: string, agentHex: string): boolean {
    for (const ns of ancestorsOf(namespace)) {
      if (this.#genesisAdmins.get(ns)?.has(agentHex) === true) return true
      if (this.#records.get(ns)?.admins.has(agentHex) === true) return true
    }
    return false
  }

  /** Every admin (hex) of the namespace: genesis admins and records' admins of it and of
   * its ancestors, nearest namespace first, each once. */
  adminsOf(namespace: string): string[] {
    const out = new Set<string>()
    for (const ns of ancestorsOf(namespace)) {
      for (const a of this.#records.get(ns)?.admins ?? []) out.add(a)
      for (const a of this.#genesisAdmins.get(ns) ?? []) out.add(a)
    }
    return [...out]
  }

  /** The namespace's own record, or null. */
  record(namespace: string): PolicyRecord | null {
    return this.#records.get(namespace) ?? null
  }

  /** The record in force for the namespace: its longest ancestor's that has one. */
  recordInForce(namespace: string): PolicyRecord | null {
    for (const ns of ancestorsOf(namespace)) {
      const record = this.#records.get(ns)
      if (record !== undefined) return record
    }
    return null
  }

  /** Every record, in the order the namespaces were first governed. */
  records(): IterableIterator<PolicyRecord> {
    return this.#records.values()
  }

  /** The genesis admins (hex) of each namespace that has some. */
  genesisAdmins(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#genesisAdmins
  }

  /** A judge for the entries of the block after this state, in block order. */
  blockJudge(): BlockJudge {
    return new BlockJudge(this)
  }

  /** The state after a block at `height` that adds `accepted` (in block order). */
  next(height: number, accepted: readonly Accepted[]): GovernanceState {
    assert(height > this.height, `height ${height} is above the state's ${this.height}`)
    if (accepted.length === 0) return new GovernanceState(this.#genesisAdmins, this.#records, height)
    const records = new Map(this.#records)
    for (const a of accepted) {
      const record: PolicyRecord = {
        namespace: a.namespace, spec: a.spec, entry: a.entry, agent: a.agent, height,
        writers: a.spec.writers === 'any' ? null : new Set(a.spec.writers), admins: new Set(a.spec.admins),
      }
      // Replacing keeps a namespace's place in the Map's order: first governed, first listed.
      records.set(a.namespace, record)
    }
    return new GovernanceState(this.#genesisAdmins, records, height)
  }
}

/** Judges the entries of one block, in block order, against the state before it. Only
 * the record limit depends on earlier entries of the block (rule 5). */
export class BlockJudge {
  readonly #state: GovernanceState
  readonly #accepted: Accepted[] = []
  /** Namespaces without a record before the block that a policy entry of it governs. */
  readonly #newNamespaces = new Set<string>()
  #finished = false

  constructor(state: GovernanceState) {
    this.#state = state
  }

  get before(): GovernanceState {
    return this.#state
  }

  /** Why the entry is not valid here, or null; a valid policy entry is remembered for
   * finish(). Call once per entry of the block, in block order, and only for entries
   * that passed the genesis checks (signature, payload bound, write policy).
   * `entryIdHex` is asked only for a valid policy entry (the id costs a hash). */
  judge(entry: Pick<Entry, 'agent' | 'namespace' | 'payload' | 'refs'>, entryIdHex: () => string): GovernanceProblem | null {
    assert(!this.#finished, 'a finished block judge judges no more entries')
    const problem = this.check(entry)
    if (problem !== null) return problem
    const read = mayBeReserved(entry.payload) ? readPolicyPayload(entry) : null
    if (read !== null && read.type === 'policy') {
      if (this.#state.record(entry.namespace) === null) this.#newNamespaces.add(entry.namespace)
      this.#accepted.push({ namespace: entry.namespace, spec: read.spec, entry: entryIdHex(), agent: toHex(entry.agent) })
    }
    return null
  }

  /** judge() without remembering anything: what a submission check asks. */
  check(entry: Pick<Entry, 'agent' | 'namespace' | 'payload' | 'refs'>): GovernanceProblem | null {
    const state = this.#state
    const namespace = entry.namespace
    const agent = toHex(entry.agent)
    const read = mayBeReserved(entry.payload) ? readPolicyPayload(entry) : null
    if (read !== null && read.type === 'malformed') return { rule: 'policy-malformed', namespace, detail: read.problem }
    if (read !== null && read.type === 'policy') {
      if (!state.isAdmin(namespace, agent)) return { rule: 'policy-not-admin', namespace, agent }
      const isNew = state.record(namespace) === null && !this.#newNamespaces.has(namespace)
      if (isNew && state.recordCount + this.#newNamespaces.size >= LIMITS.policyRecordsMax) return { rule: 'policy-records-full', namespace, limit: LIMITS.policyRecordsMax }
      return null
    }
    const record = state.recordInForce(namespace)
    if (record === null) return null
    if (record.writers !== null && !record.writers.has(agent)) return { rule: 'entry-not-writer', namespace, governedBy: record.namespace, agent }
    if (record.spec.schema !== null && !schemaExempt(entry)) {
      let value: unknown
      try {
        value = JSON.parse(entry.payload)
      } catch {
        // Not reachable for an entry that passed the payload grammar (section 4).
        return { rule: 'entry-schema-mismatch', namespace, governedBy: record.namespace, detail: 'the payload is not JSON' }
      }
      const mismatch = schemaMismatch(record.spec.schema, value)
      if (mismatch !== null) return { rule: 'entry-schema-mismatch', namespace, governedBy: record.namespace, detail: mismatch }
    }
    return null
  }

  /** The state after the block at `height` if it ended here; the judge goes on. */
  peek(height: number): GovernanceState {
    return this.#state.next(height, [...this.#accepted])
  }

  /** The state after the block at `height`. */
  finish(height: number): GovernanceState {
    assert(!this.#finished, 'a block judge finishes once')
    this.#finished = true
    return this.#state.next(height, this.#accepted)
  }
}

/**
 * The question other rules ask (e.g. an erase rule: "the sealed entry's author or a
 * namespace admin"): whether `agentHex` is an admin of `namespace` for an entry of the
 * block at height h, given the state in force there, which is the state after block
 * h - 1: in the block rule `parent.governance` (ParentState, BlockNode), in the auditor
 * `ChainVerifier.governance` before block h is pushed, in a reader `PolicyLedger.isAdminAt`.
 * On a chain without governance (state null) nobody is.
 */
export function isNamespaceAdmin(state: GovernanceState | null, namespace: string, agentHex: string): boolean {
  return state !== null && state.isAdmin(namespace, agentHex)
}

/** Entries a payload schema does not apply to (docs/formats.md section 13, rule 4):
 * decisions and votes, whose payloads have their own grammar (section 12), and sealed
 * entries and erases (section 14): a sealed payload holds only commitments, so no schema
 * can see its content, and an erase has its own grammar. A new reserved payload kind is
 * added here. */
export function schemaExempt(entry: Pick<Entry, 'payload' | 'refs'>): boolean {
  if (!mayBeReserved(entry.payload)) return false
  const read = readDecisionPayload(entry)
  if (read.type === 'decision' || read.type === 'vote') return true
  const sealed = readSealedPayload(entry).type
  return sealed === 'sealed' || sealed === 'erase'
}
