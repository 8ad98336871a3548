// Genesis: the chain's constitution. Its hash is the parent of the height-0 block, so
// every block, certificate and receipt is bound to one validator set and one policy.
import { encodeCanonical, type CborValue } from '../codec/cbor.ts'
import { CodecError } from '../codec/errors.ts'
import { fromHex, sha256, toHex } from '../crypto/hash.ts'
import { PUBLIC_KEY_BYTES } from '../crypto/ed25519.ts'
import { LIMITS } from '../limits.ts'
import { isNamespace } from './entry.ts'
import { ValidatorSet, type ValidatorInfo } from './validator-set.ts'

export interface ProtocolParams {
  /** First timeout of a round; doubles (times backoffPercent/100) per consecutive timeout. */
  readonly roundTimeoutMs: number
  readonly roundTimeoutMaxMs: number
  readonly backoffPercent: number
  /** How long a leader waits to fill a block when the mempool is not yet full. */
  readonly proposalDelayMs: number
  readonly blockEntriesMax: number
  readonly blockBytesMax: number
  readonly payloadBytesMax: number
}

export interface WritePolicy {
  /** Whether namespaces with no rule are open to every agent. */
  readonly open: boolean
  /** namespace (or namespace prefix, whole segments) -> agents allowed to write there.
   * Read only through own properties (policyAllows): namespaces come from outside, and a
   * plain object answers `constructor` or `__proto__` from its prototype. */
  readonly namespaces: { readonly [namespace: string]: readonly Uint8Array[] }
}

/** Namespace governance (docs/formats.md section 13): who administers which namespaces
 * from the start. Absent: governance is off, and the chain behaves as before it existed. */
export interface GenesisGovernance {
  /** namespace -> its genesis admins (permanent). A Map: namespaces come from outside. */
  readonly admins: ReadonlyMap<string, readonly Uint8Array[]>
}

export interface Genesis {
  readonly chainId: string
  readonly validators: readonly ValidatorInfo[]
  readonly params: ProtocolParams
  readonly policy: WritePolicy
  readonly governance?: GenesisGovernance
}

export const DEFAULT_PARAMS: ProtocolParams = {
  roundTimeoutMs: 1000,
  roundTimeoutMaxMs: 30_000,
  backoffPercent: 150,
  proposalDelayMs: 5,
  blockEntriesMax: 4000,
  blockBytesMax: 2 * 1024 * 1024,
  payloadBytesMax: 16 * 1024,
}

export function genesisToCbor(g: Genesis): CborValue {
  const base = genesisBaseToCbor(g)
  // Absent, not null, without governance: the hash of every genesis before section 13 stays.
  if (g.governance === undefined) return base
  return { ...base, governance: { admins: Object.fromEntries([...g.governance.admins].map(([ns, keys]) => [ns, keys as Uint8Array[]])) } }
}

function genesisBaseToCbor(g: Genesis): { readonly [key: string]: CborValue } {
  return {
    chainId: g.chainId,
    validators: g.validators.map((v) => ({ name: v.name, publicKey: v.publicKey, addresses: v.addresses as string[] })),
    params: { ...g.params },
    policy: {
      open: g.policy.open,
      namespaces: Object.fromEntries(Object.entries(g.policy.namespaces).map(([ns, keys]) => [ns, keys as Uint8Array[]])),
    },
  }
}

/** The genesis hash: SHA-256 of its canonical encoding. */
export function genesisHash(g: Genesis): Uint8Array {
  return sha256(encodeCanonical(genesisToCbor(g)))
}

export function validatorSetOf(g: Genesis): ValidatorSet {
  return new ValidatorSet(g.validators)
}

/** Whether `agent` may write to `namespace` under the policy: the nearest listed
 * namespace or ancestor decides; with none listed, `open` decides. */
export function policyAllows(policy: WritePolicy, namespace: string, agent: Uint8Array): boolean {
  let ns: string | null = namespace
  while (ns !== null) {
    // Own properties only: a namespace such as `constructor` must not find Object's prototype.
    const allowed = Object.hasOwn(policy.namespaces, ns) ? policy.namespaces[ns] : undefined
    if (allowed !== undefined) {
      if (!Array.isArray(allowed)) throw new TypeError(`policy.namespaces['${ns}'] is not a list of agent keys`)
      const hex = toHex(agent)
      return allowed.some((k) => toHex(k) === hex)
    }
    const cut = ns.lastIndexOf('/')
    ns = cut === -1 ? null : ns.slice(0, cut)
  }
  return policy.open
}

/** Whether a key of `policy.namespaces` governs `namespace` (it or one of its parents
 * is a key): then only the agents listed there may write to it, whatever `open` says.
 * Erasure uses it (docs/formats.md section 14): in a governed namespace every listed
 * writer may erase. */
export function policyGoverns(policy: WritePolicy, namespace: string): boolean {
  let ns: string | null = namespace
  while (ns !== null) {
    if (Object.hasOwn(policy.namespaces, ns)) return true
    const cut = ns.lastIndexOf('/')
    ns = cut === -1 ? null : ns.slice(0, cut)
  }
  return false
}

// --- JSON file form: what `synod genesis` writes and every tool reads. Keys are hex. ---

export interface GenesisJson {
  chainId: string
  validators: { name: string, publicKey: string, addresses: string[] }[]
  params: ProtocolParams
  policy: { open: boolean, namespaces: Record<string, string[]> }
  governance?: { admins: Record<string, string[]> }
}

export function genesisToJson(g: Genesis): GenesisJson {
  const json = genesisBaseToJson(g)
  if (g.governance !== undefined) json.governance = { admins: Object.fromEntries([...g.governance.admins].map(([ns, keys]) => [ns, keys.map(toHex)])) }
  return json
}

function genesisBaseToJson(g: Genesis): GenesisJson {
  return {
    chainId: g.chainId,
    validators: g.validators.map((v) => ({ name: v.name, publicKey: toHex(v.publicKey), addresses: [...v.addresses] })),
    params: { ...g.params },
    policy: {
      open: g.policy.open,
      namespaces: Object.fromEntries(Object.entries(g.policy.namespaces).map(([ns, keys]) => [ns, keys.map(toHex)])),
    },
  }
}

function fail(reason: string): never {
  throw new CodecError(`genesis: ${reason}`)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function hexKey(v: unknown, what: string): Uint8Array {
  if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v)) fail(`${what} must be 64 lower-case hex characters`)
  return fromHex(v)
}

function checkedLabel(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > LIMITS.labelBytesMax) fail(`${what} must be a non-empty string of at most ${LIMITS.labelBytesMax} characters`)
  return v
}

/** Parses and validates the JSON file form. Every problem is reported with its path. */
export function genesisFromJson(json: unknown): Genesis {
  if (!isObject(json)) fail('expected a JSON object')
  for (const key of Object.keys(json)) if (!['chainId', 'validators', 'params', 'policy', 'governance'].includes(key)) fail(`unknown field '${key}'`)
  const chainId = json.chainId
  if (typeof chainId !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(chainId) || chainId.length > LIMITS.chainIdBytesMax) {
    fail(`chainId must match [a-z0-9][a-z0-9._-]* and be at most ${LIMITS.chainIdBytesMax} characters`)
  }
  if (!Array.isArray(json.validators) || json.validators.length < 4 || json.validators.length > LIMITS.validatorsMax) {
    fail(`validators must be a list of 4 to ${LIMITS.validatorsMax} validators`)
  }
  const validators = json.validators.map((v: unknown, i: number): ValidatorInfo => {
    if (!isObject(v)) fail(`validators[${i}] must be an object`)
    if (!Array.isArray(v.addresses)) fail(`validators[${i}].addresses must be a list`)
    const publicKey = hexKey(v.publicKey, `validators[${i}].publicKey`)
    if (publicKey.length !== PUBLIC_KEY_BYTES) fail(`validators[${i}].publicKey has the wrong length`)
    return {
      name: checkedLabel(v.name, `validators[${i}].name`),
      publicKey,
      addresses: v.addresses.map((a: unknown, j: number) => checkedLabel(a, `validators[${i}].addresses[${j}]`)),
    }
  })
  const params = { ...DEFAULT_PARAMS } as Record<string, number>
  if (json.params !== undefined) {
    if (!isObject(json.params)) fail('params must be an object')
    for (const [key, value] of Object.entries(json.params)) {
      if (!Object.hasOwn(DEFAULT_PARAMS, key)) fail(`params.${key} is not a protocol parameter`)
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) fail(`params.${key} must be a positive integer`)
      params[key] = value
    }
  }
  const p = params as unknown as ProtocolParams
  if (p.blockEntriesMax > LIMITS.blockEntriesMax) fail(`params.blockEntriesMax is over ${LIMITS.blockEntriesMax}`)
  if (p.blockBytesMax > LIMITS.blockBytesMax) fail(`params.blockBytesMax is over ${LIMITS.blockBytesMax}`)
  if (p.payloadBytesMax > LIMITS.payloadBytesMax) fail(`params.payloadBytesMax is over ${LIMITS.payloadBytesMax}`)
  if (p.backoffPercent < 100) fail('params.backoffPercent must be at least 100')
  let policy: WritePolicy = { open: true, namespaces: {} }
  if (json.policy !== undefined) {
    const pol = json.policy
    if (!isObject(pol) || typeof pol.open !== 'boolean' || !isObject(pol.namespaces)) fail('policy must be { open: boolean, namespaces: { [namespace]: [agent keys] } }')
    // No prototype: a policy key `__proto__` or `constructor` is a namespace like any other.
    const namespaces: Record<string, Uint8Array[]> = Object.create(null) as Record<string, Uint8Array[]>
    for (const [ns, keys] of Object.entries(pol.namespaces)) {
      if (!Array.isArray(keys)) fail(`policy.namespaces.${ns} must be a list of agent keys`)
      namespaces[ns] = keys.map((k: unknown, i: number) => hexKey(k, `policy.namespaces.${ns}[${i}]`))
    }
    policy = { open: pol.open, namespaces }
  }
  const genesis: Genesis = json.governance === undefined
    ? { chainId: chainId as string, validators, params: p, policy }
    : { chainId: chainId as string, validators, params: p, policy, governance: governanceFromJson(json.governance) }
  new ValidatorSet(validators) // throws on repeated keys
  return genesis
}

/** The `governance` member of the JSON form (docs/formats.md section 13). */
function governanceFromJson(value: unknown): GenesisGovernance {
  if (!isObject(value)) fail('governance must be { admins: { [namespace]: [agent keys] } }')
  for (const key of Object.keys(value)) if (key !== 'admins') fail(`unknown field 'governance.${key}'`)
  if (!isObject(value.admins)) fail('governance.admins must be an object: namespace -> agent keys')
  const entries = Object.entries(value.admins)
  if (entries.length === 0 || entries.length > LIMITS.governanceGenesisNamespacesMax) fail(`governance.admins must name 1 to ${LIMITS.governanceGenesisNamespacesMax} namespaces`)
  const admins = new Map<string, Uint8Array[]>()
  for (const [ns, keys] of entries) {
    if (!isNamespace(ns)) fail(`governance.admins: '${ns.slice(0, 40)}' is not a namespace`)
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > LIMITS.policyKeysMax) fail(`governance.admins.${ns} must be a list of 1 to ${LIMITS.policyKeysMax} agent keys`)
    const seen = new Set<string>()
    admins.set(ns, keys.map((k: unknown, i: number) => {
      const key = hexKey(k, `governance.admins.${ns}[${i}]`)
      if (seen.has(k as string)) fail(`governance.admins.${ns}[${i}] repeats a key`)
      seen.add(k as string)
      return key
    }))
  }
  return { admins }
}
