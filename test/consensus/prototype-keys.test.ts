// Strings from outside (namespaces, policy keys, JSON field names) never reach an object
// prototype. The bug this pins: an entry to namespace `constructor` from a fresh agent made
// policyAllows find Object.prototype.constructor, `allowed.some` threw inside
// Replica.step, and the validator stopped ("the node cannot go on").
import fc from 'fast-check'
import type { RejectionCode } from '../../src/consensus/rejections.ts'
import { describe, expect, it } from 'vitest'
import { Replica } from '../../src/consensus/replica.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { signEntry, type Entry } from '../../src/log/entry.ts'
import { genesisFromJson, genesisToJson, policyAllows, type Genesis, type WritePolicy } from '../../src/log/genesis.ts'
import { fromJson, toJson } from '../../src/log/json.ts'
import { CHAIN, makeGenesis } from './fixtures.ts'

const FC_SEED = Number(process.env.FC_SEED ?? 20261203)
console.info(`[prototype-keys.test] fast-check seed ${FC_SEED} (replay with FC_SEED=${FC_SEED})`)

/** Names an object answers from its prototype, and a few that are special to engines. */
export const ADVERSARIAL_KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', 'toLocaleString', '__defineGetter__', '__lookupGetter__', 'then', 'length',
] as const
/** The ones that are valid namespace segments (lower-case). */
const LOWER_CASE_KEYS = ['constructor', 'prototype', 'then', 'length', 'tostring', 'valueof'] as const

function agentEntry(seedByte: number, namespace: string, seq = 1): Entry {
  const seed = new Uint8Array(32).fill(seedByte)
  return signEntry({ agent: publicKeyFromSeed(seed), namespace, seq, payload: '{}', refs: [], idempotencyKey: '' }, CHAIN, seed)
}

function submitted(replica: Replica, entries: Entry[]): (RejectionCode | null)[] {
  const actions = replica.step({ type: 'submit', now: 0, entries })
  const answer = actions.find((a) => a.type === 'submitted')
  if (answer?.type !== 'submitted') throw new Error('no submitted action')
  return answer.results.map((r) => r.rejected?.code ?? null)
}

/** The reference: the policy as a Map, the nearest listed ancestor decides. */
function referenceAllows(policy: Map<string, string[]>, open: boolean, namespace: string, agentHex: string): boolean {
  for (let ns: string | null = namespace; ns !== null;) {
    const allowed = policy.get(ns)
    if (allowed !== undefined) return allowed.includes(agentHex)
    const cut = ns.lastIndexOf('/')
    ns = cut === -1 ? null : ns.slice(0, cut)
  }
  return open
}

describe('outside strings never reach a prototype', () => {
  it('regression: remote crash — an entry to namespace `constructor` threw inside Replica.step', () => {
    const { genesis, seeds } = makeGenesis(4)
    for (const open of [true, false]) {
      const g: Genesis = { ...genesis, policy: { open, namespaces: { team: [publicKeyFromSeed(new Uint8Array(32).fill(7))] } } }
      const replica = new Replica({ genesis: g, validatorIndex: 0, seed: seeds[0]! })
      replica.step({ type: 'start', now: 0 })
      const results = submitted(replica, [agentEntry(42, 'constructor'), agentEntry(43, 'constructor/x'), agentEntry(44, 'a/constructor/prototype')])
      // Open: accepted like any unlisted namespace; closed: refused with a reason, never a throw.
      for (const r of results) {
        if (open) expect(r).toBeNull()
        else expect(r).toBe('entry-policy-denied')
      }
    }
  })

  it('policyAllows agrees with a Map for adversarial namespaces and policy keys (genesis read from JSON)', () => {
    const { genesis } = makeGenesis(4, { proposalDelayMs: 5 })
    const agents = [1, 2, 3].map((b) => toHex(publicKeyFromSeed(new Uint8Array(32).fill(b))))
    const segment = fc.oneof(fc.constantFrom(...ADVERSARIAL_KEYS, ...LOWER_CASE_KEYS), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,6}$/))
    const namespace = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'))
    const policyKeys = fc.uniqueArray(fc.tuple(namespace, fc.subarray(agents)), { maxLength: 6, selector: ([k]) => k })
    fc.assert(fc.property(policyKeys, fc.boolean(), namespace, fc.constantFrom(...agents), (keys, open, ns, agent) => {
      // Written as JSON text and parsed: JSON.parse makes `__proto__` an own key, as a file would.
      const text = `{"open":${open},"namespaces":{${keys.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}}`
      const json = { ...genesisToJson(genesis), policy: JSON.parse(text) as unknown }
      const parsed = genesisFromJson(json)
      const reference = new Map(keys.map(([k, v]) => [k, v]))
      const policy: WritePolicy = parsed.policy
      expect(policyAllows(policy, ns, publicKeyFromSeed(new Uint8Array(32).fill(agents.indexOf(agent) + 1)))).toBe(referenceAllows(reference, open, ns, agent))
      // The policy survives its JSON round trip with every key.
      expect(Object.keys(genesisToJson(parsed).policy.namespaces).sort()).toEqual(keys.map(([k]) => k).sort())
    }), { seed: FC_SEED, numRuns: 300 })
  })

  it('a replica never throws on entries to adversarial namespaces, under open and closed policies', () => {
    const { genesis, seeds } = makeGenesis(4)
    const lower = fc.oneof(fc.constantFrom(...LOWER_CASE_KEYS), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,6}$/))
    const namespace = fc.array(lower, { minLength: 1, maxLength: 3 }).map((s) => s.join('/'))
    fc.assert(fc.property(fc.array(namespace, { minLength: 1, maxLength: 6 }), fc.boolean(), (namespaces, open) => {
      const listed = Object.fromEntries(namespaces.slice(0, 2).map((ns) => [ns, [publicKeyFromSeed(new Uint8Array(32).fill(9))]]))
      const g: Genesis = { ...genesis, policy: { open, namespaces: listed } }
      const replica = new Replica({ genesis: g, validatorIndex: 1, seed: seeds[1]! })
      replica.step({ type: 'start', now: 0 })
      const results = submitted(replica, namespaces.map((ns, i) => agentEntry(50 + i, ns)))
      expect(results).toHaveLength(namespaces.length)
    }), { seed: FC_SEED, numRuns: 100 })
  })

  it('JSON field names such as `__proto__` stay own keys through fromJson and toJson', () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"constructor":2,"toString":"a"}') as unknown
    const value = fromJson(parsed)
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(Object.keys(value as object).sort()).toEqual(['__proto__', 'constructor', 'toString'])
    expect(JSON.stringify(toJson(value))).toBe(JSON.stringify(parsed))
  })
})
