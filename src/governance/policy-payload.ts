// The reserved payload shape of a policy entry (docs/formats.md section 13). Like a
// decision (src/decisions/payload.ts), a policy entry is an ordinary entry whose payload
// value is an object with member "synod": here "policy". The entry's namespace is the
// namespace it governs. Read from the parsed value, so every reader sees the same shape.
import { LIMITS } from '../limits.ts'
import type { Entry } from '../log/entry-types.ts'
import { readSchema, type Schema } from './schema.ts'
import { mayHoldReservedMember, ownMember, RESERVED_MEMBER, reservedPayload, type JsonObject } from '../codec/json-members.ts'

export const POLICY_KIND = 'policy'

/** A namespace's whole policy as one policy entry states it. Keys are lower-case hex. */
export interface PolicySpec {
  /** `'any'`: every agent the genesis policy allows; otherwise exactly these agents. */
  readonly writers: 'any' | readonly string[]
  /** The namespace's own admins (its ancestors' admins keep their authority too). */
  readonly admins: readonly string[]
  /** Default approvers of the namespace's decisions, or null. */
  readonly approvers: { readonly keys: readonly string[], readonly threshold: number } | null
  readonly schema: Schema | null
  /** The schema as written (its JSON value), for reads; null without one. */
  readonly schemaJson: unknown
  /** How long the sidecars of the namespace's sealed entries are kept: a sealed entry
   * committed at height h while this record is in force is erased at height h +
   * `heights` (docs/formats.md section 14, "Retention"). Null: kept until erased. */
  readonly retention: { readonly heights: number } | null
}

export type PolicyPayload =
  | { readonly type: 'none' }
  | { readonly type: 'policy', readonly spec: PolicySpec }
  | { readonly type: 'malformed', readonly problem: string }

const MEMBERS = new Set([RESERVED_MEMBER, 'writers', 'admins', 'approvers', 'threshold', 'schema', 'retention', 'note'])
const KEY_HEX = /^[0-9a-f]{64}$/
const NONE: PolicyPayload = { type: 'none' }

const own = ownMember

/** A list of distinct hex keys of `min` to `max` items, or the problem. */
export function readKeyList(value: unknown, what: string, min: number, max: number): string[] | string {
  if (!Array.isArray(value) || value.length < min || value.length > max) return `"${what}" must be a list of ${min} to ${max} agent keys`
  const seen = new Set<string>()
  for (const [i, key] of value.entries()) {
    if (typeof key !== 'string' || !KEY_HEX.test(key)) return `${what}[${i}] is not 64 lower-case hex characters`
    if (seen.has(key)) return `${what}[${i}] repeats ${key}`
    seen.add(key)
  }
  return value as string[]
}

function readSpec(value: JsonObject): PolicySpec | string {
  for (const name of Object.keys(value)) if (!MEMBERS.has(name)) return `unknown member ${JSON.stringify(name.slice(0, 40))}`
  const writersValue = own(value, 'writers')
  let writers: 'any' | string[]
  if (writersValue === 'any') writers = 'any'
  else {
    if (writersValue === undefined) return '"writers" is required: "any" or a list of agent keys'
    const list = readKeyList(writersValue, 'writers', 0, LIMITS.policyKeysMax)
    if (typeof list === 'string') return list
    writers = list
  }
  let admins: string[] = []
  if (own(value, 'admins') !== undefined) {
    const list = readKeyList(own(value, 'admins'), 'admins', 0, LIMITS.policyKeysMax)
    if (typeof list === 'string') return list
    admins = list
  }
  const approversValue = own(value, 'approvers')
  const thresholdValue = own(value, 'threshold')
  let approvers: PolicySpec['approvers'] = null
  if (approversValue !== undefined || thresholdValue !== undefined) {
    if (approversValue === undefined || thresholdValue === undefined) return '"approvers" and "threshold" come together'
    const keys = readKeyList(approversValue, 'approvers', 1, LIMITS.decisionApproversMax)
    if (typeof keys === 'string') return keys
    if (typeof thresholdValue !== 'number' || !Number.isSafeInteger(thresholdValue) || thresholdValue < 1 || thresholdValue > keys.length) {
      return `"threshold" must be an integer from 1 to ${keys.length}, the number of approvers`
    }
    approvers = { keys, threshold: thresholdValue }
  }
  let schema: Schema | null = null
  const schemaJson = own(value, 'schema') ?? null
  if (own(value, 'schema') !== undefined) {
    const read = readSchema(own(value, 'schema'))
    if (typeof read === 'string') return read
    schema = read
  }
  let retention: PolicySpec['retention'] = null
  if (own(value, 'retention') !== undefined) {
    const read = readRetention(own(value, 'retention'))
    if (typeof read === 'string') return read
    retention = read
  }
  return { writers, admins, approvers, schema, schemaJson, retention }
}

/** `{ "heights": n }`, 1 <= n <= LIMITS.retentionHeightsMax, nothing else. */
function readRetention(value: unknown): { readonly heights: number } | string {
  const problem = `"retention" must be {"heights": n} with n an integer from 1 to ${LIMITS.retentionHeightsMax}`
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return problem
  const object = value as JsonObject
  for (const name of Object.keys(object)) if (name !== 'heights') return `${problem}; unknown member ${JSON.stringify(name.slice(0, 40))}`
  const heights = own(object, 'heights')
  if (typeof heights !== 'number' || !Number.isSafeInteger(heights) || heights < 1 || heights > LIMITS.retentionHeightsMax) return problem
  return { heights }
}

/** Whether the payload text may hold the reserved member at all: it spells "synod" out
 * or has a \u escape (the only other way to write the name). Cheap, before any parse. */
export function mayBeReserved(payload: string): boolean {
  return mayHoldReservedMember(payload)
}

/** Reads an entry as a policy entry, or not one, or a malformed claim. Total: never throws. */
export function readPolicyPayload(entry: Pick<Entry, 'payload'>): PolicyPayload {
  const read = reservedPayload(entry.payload)
  if (read === null || read.reserved !== POLICY_KIND) return NONE
  const spec = readSpec(read.object)
  return typeof spec === 'string' ? { type: 'malformed', problem: spec } : { type: 'policy', spec }
}

/** The payload of a policy entry, as the SDK writes it. */
export function policyPayloadText(policy: {
  readonly writers: 'any' | readonly string[]
  readonly admins?: readonly string[]
  readonly approvers?: { readonly keys: readonly string[], readonly threshold: number }
  readonly schema?: unknown
  readonly retention?: { readonly heights: number }
  readonly note?: unknown
}): string {
  const value: { [key: string]: unknown } = { synod: POLICY_KIND, writers: policy.writers === 'any' ? 'any' : [...policy.writers] }
  if (policy.admins !== undefined) value.admins = [...policy.admins]
  if (policy.approvers !== undefined) {
    value.approvers = [...policy.approvers.keys]
    value.threshold = policy.approvers.threshold
  }
  if (policy.schema !== undefined) value.schema = policy.schema
  if (policy.retention !== undefined) value.retention = { heights: policy.retention.heights }
  if (policy.note !== undefined) value.note = policy.note
  return JSON.stringify(value)
}
