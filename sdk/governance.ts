// Namespace governance through the SDK (docs/sdk.md "Governance", the rules in
// docs/formats.md section 13): commit a namespace's policy, and read the policy in force.
// A policy is committed through SynodClient.commit() (retries, a verified receipt). A
// read asks every node's GET /v1/policy and believes an answer only when f+1 nodes give
// the same one (at least one of them honest), and only after the client fetched the
// policy entry it names with a verified receipt and read it as that policy itself.
// Browser-safe: fetch only.
import { validatorSetOf } from '../src/log/genesis.ts'
import { policyPayloadText, readPolicyPayload, readKeyList } from '../src/governance/policy-payload.ts'
import { LIMITS } from '../src/limits.ts'
import type { CommitOptions, NodeFault, SynodClient } from './client.ts'
import { ConfigurationError, InvalidEntryError, MalformedResponseError, NoQuorumReachableError, SynodError, type NodeError } from './errors.ts'
import type { FetchLike } from './node-api.ts'
import { asNodeError, getNodeJson } from './node-json.ts'
import type { CommittedDecision, JsonData } from './types.ts'
import { isAbortOf } from './util.ts'

export const GOVERNANCE_DEFAULTS = {
  requestTimeoutMs: 10_000,
} as const

export interface GovernanceOptions {
  /** fetch implementation for the policy reads; default the global fetch. */
  readonly fetch?: FetchLike
  /** Called for each node whose answer is malformed or names an entry that is not its policy. */
  readonly onNodeFault?: (fault: NodeFault) => void
  readonly requestTimeoutMs?: number
}

/** A namespace's whole policy (it replaces the previous one; nothing is merged). */
export interface PolicyInput {
  /** `'any'`, or exactly these agents (hex or bytes; 0 to 32). */
  readonly writers: 'any' | readonly (string | Uint8Array)[]
  /** The namespace's own admins (0 to 32); its ancestors' admins keep their authority. */
  readonly admins?: readonly (string | Uint8Array)[]
  /** Default approvers of the namespace's decisions and their threshold. */
  readonly approvers?: { readonly keys: readonly (string | Uint8Array)[], readonly threshold: number }
  /** A payload schema (the subset of docs/formats.md section 13). */
  readonly schema?: JsonData
  /** How long the namespace's sealed payloads are kept, in heights (docs/formats.md
   * section 14, "Retention"); omitted: until erased. */
  readonly retention?: { readonly heights: number }
  readonly note?: JsonData
}

/** The governance in force for a namespace, as f+1 nodes agree on it. */
export interface PolicyInForce {
  readonly namespace: string
  /** The highest committed height among the agreeing answers. */
  readonly height: number
  /** Every admin of the namespace (genesis and policy admins of it and its ancestors). */
  readonly admins: readonly string[]
  /** The record in force (the namespace's or its nearest governed ancestor's), or null. */
  readonly policy: {
    readonly namespace: string
    readonly entry: string
    readonly agent: string
    readonly height: number
    readonly writers: 'any' | readonly string[]
    readonly admins: readonly string[]
    readonly approvers: { readonly keys: readonly string[], readonly threshold: number } | null
    readonly schema: JsonData | null
    /** Sealed payloads committed under this record are erased this many heights later. */
    readonly retention: { readonly heights: number } | null
  } | null
}

const HEX = /^[0-9a-f]{64}$/

function keyHex(key: string | Uint8Array): string {
  if (typeof key === 'string') return key
  return [...key].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function isObject(v: unknown): v is { readonly [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function own(object: { readonly [key: string]: unknown }, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined
}

function keys(value: unknown, what: string, node: string): string[] {
  const list = readKeyList(value, what, 0, LIMITS.decisionApproversMax)
  if (typeof list === 'string') throw new MalformedResponseError(node, `GET /v1/policy: ${list}`)
  return list
}

/** Reads a node's answer into a PolicyInForce; throws MalformedResponseError. */
function readAnswer(node: string, namespace: string, body: unknown): PolicyInForce {
  const bad = (what: string): never => {
    throw new MalformedResponseError(node, `GET /v1/policy: ${what}`)
  }
  if (!isObject(body)) bad('not an object')
  const b = body as { readonly [key: string]: unknown }
  if (own(b, 'namespace') !== namespace) bad(`answers for ${JSON.stringify(own(b, 'namespace'))}, not ${namespace}`)
  const height = own(b, 'height')
  if (typeof height !== 'number' || !Number.isSafeInteger(height) || height < 0) bad('no height')
  const admins = keys(own(b, 'admins'), 'admins', node)
  const p = own(b, 'policy')
  if (p === null) return { namespace, height: height as number, admins, policy: null }
  if (!isObject(p)) bad('policy is neither null nor an object')
  const r = p as { readonly [key: string]: unknown }
  const governing = own(r, 'namespace')
  if (typeof governing !== 'string' || !(governing === namespace || namespace.startsWith(`${governing}/`))) bad('the policy is not of the namespace or an ancestor')
  for (const name of ['entry', 'agent']) if (typeof own(r, name) !== 'string' || !HEX.test(own(r, name) as string)) bad(`policy.${name} is not 64 hex characters`)
  const recordHeight = own(r, 'height')
  if (typeof recordHeight !== 'number' || !Number.isSafeInteger(recordHeight) || recordHeight < 1) bad('policy.height is not a height')
  const writers = own(r, 'writers') === 'any' ? 'any' : keys(own(r, 'writers'), 'writers', node)
  const approversValue = own(r, 'approvers')
  let approvers: { keys: string[], threshold: number } | null = null
  if (approversValue !== null) {
    if (!isObject(approversValue)) bad('policy.approvers is neither null nor an object')
    const a = approversValue as { readonly [key: string]: unknown }
    const threshold = own(a, 'threshold')
    if (typeof threshold !== 'number' || !Number.isSafeInteger(threshold)) bad('policy.approvers.threshold is not an integer')
    approvers = { keys: keys(own(a, 'keys'), 'approvers', node), threshold: threshold as number }
  }
  const retentionValue = own(r, 'retention') ?? null
  let retention: { heights: number } | null = null
  if (retentionValue !== null) {
    const heights = isObject(retentionValue) ? own(retentionValue, 'heights') : undefined
    if (typeof heights !== 'number' || !Number.isSafeInteger(heights) || heights < 1) bad('policy.retention is neither null nor {heights}')
    retention = { heights: heights as number }
  }
  return {
    namespace, height: height as number, admins,
    policy: {
      namespace: governing as string, entry: own(r, 'entry') as string, agent: own(r, 'agent') as string, height: recordHeight as number,
      writers, admins: keys(own(r, 'admins'), 'admins', node), approvers, schema: (own(r, 'schema') ?? null) as JsonData | null, retention,
    },
  }
}

/** What must agree between answers: everything but the height each node is at. */
function agreementKey(a: PolicyInForce): string {
  return JSON.stringify([a.admins, a.policy])
}

export class SynodGovernance {
  readonly client: SynodClient
  readonly #fetch: FetchLike
  readonly #onFault: ((fault: NodeFault) => void) | undefined
  readonly #requestTimeoutMs: number

  constructor(client: SynodClient, options: GovernanceOptions = {}) {
    this.client = client
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
    this.#onFault = options.onNodeFault
    this.#requestTimeoutMs = options.requestTimeoutMs ?? GOVERNANCE_DEFAULTS.requestTimeoutMs
  }

  /**
   * Commits `policy` as the namespace's whole policy, in force from the block after the
   * one that commits it. The client's identity must be an admin of the namespace (or of
   * an ancestor) when that block is proposed: otherwise the validators refuse it
   * (EntryRejectedError, rule policy-not-admin).
   */
  async setPolicy(namespace: string, policy: PolicyInput, options: CommitOptions = {}): Promise<CommittedDecision> {
    if (this.client.identity === null) throw new ConfigurationError('setPolicy() needs an identity (SynodClientOptions.identity)')
    if (this.client.genesis.governance === undefined) throw new ConfigurationError(`chain '${this.client.genesis.chainId}' has no namespace governance (its genesis has no governance member)`)
    const payload = policyPayloadText({
      writers: policy.writers === 'any' ? 'any' : policy.writers.map(keyHex),
      ...(policy.admins === undefined ? {} : { admins: policy.admins.map(keyHex) }),
      ...(policy.approvers === undefined ? {} : { approvers: { keys: policy.approvers.keys.map(keyHex), threshold: policy.approvers.threshold } }),
      ...(policy.schema === undefined ? {} : { schema: policy.schema }),
      ...(policy.retention === undefined ? {} : { retention: policy.retention }),
      ...(policy.note === undefined ? {} : { note: policy.note }),
    })
    // The core's reader decides what a policy is: refuse here what the validators would call malformed.
    const read = readPolicyPayload({ payload })
    if (read.type !== 'policy') throw new InvalidEntryError(`not a valid policy: ${read.type === 'malformed' ? read.problem : read.type}`)
    return this.client.commit(namespace, JSON.parse(payload) as JsonData, options)
  }

  /**
   * The governance in force for the namespace: the answer f+1 nodes agree on, with the
   * policy entry it names fetched with a verified receipt and read as that policy.
   * Throws NoQuorumReachableError when no f+1 nodes agree (e.g. a policy committing
   * right now: ask again).
   */
  async policy(namespace: string, options: { readonly signal?: AbortSignal } = {}): Promise<PolicyInForce> {
    const { signal } = options
    const errors: NodeError[] = []
    const groups = new Map<string, PolicyInForce[]>()
    await Promise.all(this.client.nodes.map(async (node) => {
      try {
        const answer = readAnswer(node, namespace, await this.#getJson(node, `/v1/policy?namespace=${encodeURIComponent(namespace)}`, signal))
        const key = agreementKey(answer)
        groups.set(key, [...(groups.get(key) ?? []), answer])
      } catch (err) {
        if (isAbortOf(err, signal)) throw err
        errors.push(this.#nodeError(node, err))
      }
    }))
    const needed = validatorSetOf(this.client.genesis).f + 1
    for (const answers of groups.values()) {
      if (answers.length < needed) continue
      const best = answers.reduce((a, b) => (b.height > a.height ? b : a))
      if (best.policy !== null) await this.#checkEntry(best, signal)
      return best
    }
    throw new NoQuorumReachableError(`the policy of '${namespace}' (${needed} nodes agreeing)`, errors)
  }

  /** The agreed record's entry is committed (verified receipt) and is exactly that policy. */
  async #checkEntry(answer: PolicyInForce, signal: AbortSignal | undefined): Promise<void> {
    const p = answer.policy!
    const committed = await this.client.get(p.entry, { signal })
    const read = readPolicyPayload(committed.entry)
    const same = read.type === 'policy' && committed.namespace === p.namespace
      && JSON.stringify(read.spec.writers) === JSON.stringify(p.writers) && JSON.stringify(read.spec.admins) === JSON.stringify(p.admins)
      && JSON.stringify(read.spec.approvers) === JSON.stringify(p.approvers) && JSON.stringify(read.spec.schemaJson) === JSON.stringify(p.schema)
      && JSON.stringify(read.spec.retention) === JSON.stringify(p.retention)
    // f+1 agreeing nodes include an honest one: a mismatch means more than f are faulty.
    if (!same) throw new SynodError(`entry ${p.entry} is not the policy of '${p.namespace}' that f+1 nodes report`)
  }

  #getJson(node: string, path: string, signal: AbortSignal | undefined): Promise<unknown> {
    return getNodeJson(this.#fetch, node, path, signal, this.#requestTimeoutMs)
  }

  #nodeError(node: string, err: unknown): NodeError {
    return asNodeError(node, err, this.#onFault)
  }
}
