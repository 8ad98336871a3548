// The governance part of docs/test-vectors.json (docs/formats.md section 13): a genesis
// with a governance member (its canonical CBOR and hash), policy payloads to classify,
// schemas with payloads that satisfy them or not, and blocks of candidate entries with
// the rule each one fails (or null) and the records in force after them. Built from
// fixed seeds; every expectation is checked here against what the spec's rules give,
// so the file never records what the code merely happens to answer.
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, entryToCbor, type Entry } from '../../src/log/entry.ts'
import { genesisHash, genesisToCbor, genesisToJson } from '../../src/log/genesis.ts'
import { toJson } from '../../src/log/json.ts'
import { decisionPayloadText } from '../../src/decisions/payload.ts'
import { readPolicyPayload } from '../../src/governance/policy-payload.ts'
import { readSchema, schemaMismatch } from '../../src/governance/schema.ts'
import { GovernanceState, type GovernanceState as State } from '../../src/governance/state.ts'
import { TestAgent, testNet } from './chain-builder.ts'
import { policyPayloadText } from './governance.ts'

const KEY = 'a'.repeat(64)

const PAYLOADS: readonly { name: string, payload: string, expect: 'policy' | 'none' | 'malformed' }[] = [
  { name: 'open writers', payload: '{"synod":"policy","writers":"any"}', expect: 'policy' },
  { name: 'every member', payload: `{"synod":"policy","writers":["${KEY}"],"admins":["${KEY}"],"approvers":["${KEY}"],"threshold":1,"schema":{"type":"object"},"note":"q3"}`, expect: 'policy' },
  { name: 'no writers at all (an empty list)', payload: '{"synod":"policy","writers":[]}', expect: 'policy' },
  { name: 'the reserved name written with a \\u escape', payload: '{"\\u0073ynod":"policy","writers":"any"}', expect: 'policy' },
  { name: 'not reserved: another value of "synod"', payload: '{"synod":"policies","writers":"any"}', expect: 'none' },
  { name: 'not reserved: not an object', payload: '["synod","policy"]', expect: 'none' },
  { name: 'malformed: writers missing', payload: '{"synod":"policy"}', expect: 'malformed' },
  { name: 'malformed: writers neither "any" nor a list', payload: '{"synod":"policy","writers":"all"}', expect: 'malformed' },
  { name: 'malformed: approvers without threshold', payload: `{"synod":"policy","writers":"any","approvers":["${KEY}"]}`, expect: 'malformed' },
  { name: 'malformed: threshold above the approvers', payload: `{"synod":"policy","writers":"any","approvers":["${KEY}"],"threshold":2}`, expect: 'malformed' },
  { name: 'malformed: a repeated writer', payload: `{"synod":"policy","writers":["${KEY}","${KEY}"]}`, expect: 'malformed' },
  { name: 'malformed: an upper-case key', payload: `{"synod":"policy","writers":["${KEY.toUpperCase()}"]}`, expect: 'malformed' },
  { name: 'malformed: retention is not part of this version', payload: '{"synod":"policy","writers":"any","retention":100}', expect: 'malformed' },
  { name: 'malformed: a schema keyword outside the subset', payload: '{"synod":"policy","writers":"any","schema":{"pattern":"^a"}}', expect: 'malformed' },
]

const ORDER_SCHEMA = {
  type: 'object', required: ['action'], additionalProperties: false,
  properties: { action: { enum: ['buy', 'sell'] }, amount: { type: 'integer', minimum: 1 }, tags: { type: 'array', maxItems: 2, items: { type: 'string', maxLength: 3 } } },
}

const SCHEMAS: readonly { name: string, schema: unknown, payload: string, expect: 'ok' | 'mismatch' }[] = [
  { name: 'satisfies every keyword', schema: ORDER_SCHEMA, payload: '{"action":"buy","amount":2,"tags":["a"]}', expect: 'ok' },
  { name: '2.0 is an integer', schema: ORDER_SCHEMA, payload: '{"action":"buy","amount":2.0}', expect: 'ok' },
  { name: 'a required member missing', schema: ORDER_SCHEMA, payload: '{"amount":2}', expect: 'mismatch' },
  { name: 'not one of the enum values', schema: ORDER_SCHEMA, payload: '{"action":"hold"}', expect: 'mismatch' },
  { name: 'a member not in properties', schema: ORDER_SCHEMA, payload: '{"action":"buy","extra":1}', expect: 'mismatch' },
  { name: 'a fraction where an integer is asked', schema: ORDER_SCHEMA, payload: '{"action":"buy","amount":1.5}', expect: 'mismatch' },
  { name: 'too many items', schema: ORDER_SCHEMA, payload: '{"action":"buy","tags":["a","b","c"]}', expect: 'mismatch' },
  { name: 'string length in code points: one emoji is 1', schema: { maxLength: 1 }, payload: '"\\ud83d\\ude00"', expect: 'ok' },
  { name: 'keywords apply to their own type only', schema: { minLength: 3, minItems: 3 }, payload: '7', expect: 'ok' },
  { name: '"constructor" is a member name like any other', schema: { required: ['constructor'] }, payload: '{}', expect: 'mismatch' },
]

interface Candidate {
  readonly entry: Entry
  readonly expect: string | null
}

function entryJson(e: Entry) {
  return toJson(entryToCbor(e))
}

function recordsJson(state: State) {
  return [...state.records()].map((r) => ({
    namespace: r.namespace, entry: r.entry, height: r.height,
    writers: r.spec.writers, admins: r.spec.admins,
  }))
}

export function buildGovernanceVectors() {
  const acmeRoot = new TestAgent('vectors/governance/acme-root')
  const alice = new TestAgent('vectors/governance/alice')
  const bob = new TestAgent('vectors/governance/bob')
  const hex = (a: TestAgent) => toHex(a.publicKey)
  const net = testNet(4, 'vectors-governed', { governance: { admins: new Map([['acme', [acmeRoot.publicKey]]]) } })
  const genesis = net.genesis
  const chainId = genesis.chainId
  const blocks: readonly (readonly Candidate[])[] = [
    [
      { entry: acmeRoot.entryText(chainId, 'acme', policyPayloadText({ writers: [hex(alice)], admins: [hex(bob)], schema: ORDER_SCHEMA })), expect: null },
      { entry: bob.entry(chainId, 'acme', { note: 'the policy is not in force in its own block' }), expect: null },
      { entry: bob.entryText(chainId, 'acme/desk', policyPayloadText({ writers: 'any' })), expect: 'policy-not-admin' },
    ],
    [
      { entry: alice.entry(chainId, 'acme', { action: 'buy', amount: 2 }), expect: null },
      { entry: bob.entry(chainId, 'acme', { action: 'buy' }), expect: 'entry-not-writer' },
      { entry: alice.entry(chainId, 'acme/desk', { action: 'hold' }), expect: 'entry-schema-mismatch' },
      { entry: alice.entryText(chainId, 'acme', decisionPayloadText({ approvers: [hex(bob)], threshold: 1, deadline: 9 })), expect: null },
      { entry: bob.entryText(chainId, 'acme/desk', policyPayloadText({ writers: [hex(bob)] })), expect: null },
      { entry: alice.entryText(chainId, 'acme', '{"synod":"policy","writers":"everyone"}'), expect: 'policy-malformed' },
      { entry: alice.entry(chainId, 'acmex', { free: true }), expect: null },
    ],
    [
      { entry: bob.entry(chainId, 'acme/desk', { anything: 1 }), expect: null },
      { entry: alice.entry(chainId, 'acme/desk', { action: 'buy' }), expect: 'entry-not-writer' },
    ],
  ]
  let state = GovernanceState.initial(genesis)!
  const blocksJson = blocks.map((candidates, i) => {
    const judge = state.blockJudge()
    const out = candidates.map((c) => {
      const got = judge.judge(c.entry, () => toHex(entryId(c.entry)))?.rule ?? null
      if (got !== c.expect) throw new Error(`governance vector: block ${i + 1} entry of ${c.entry.namespace}: ${got}, not ${c.expect}`)
      return { id: toHex(entryId(c.entry)), entry: entryJson(c.entry), expect: c.expect }
    })
    state = judge.finish(i + 1)
    return { height: i + 1, entries: out }
  })
  return {
    description: 'docs/formats.md section 13. genesis: a genesis with a governance member (the chain of the blocks below), its JSON form, canonical CBOR and hash. payloads: how each payload reads (policy, none or malformed). schemas: a schema, a payload, and whether the payload satisfies it. blocks: candidate entries of each block in block order, each judged against the state after the previous block, with the rule it fails or null; refused entries change nothing. records: the records in force after the last block.',
    genesis: { json: genesisToJson(genesis), cbor: toHex(encodeCanonical(genesisToCbor(genesis))), hash: toHex(genesisHash(genesis)) },
    payloads: PAYLOADS.map((p) => {
      const got = readPolicyPayload({ payload: p.payload }).type
      if (got !== p.expect) throw new Error(`governance payload vector '${p.name}' reads as ${got}, not ${p.expect}`)
      return p
    }),
    schemas: SCHEMAS.map((s) => {
      const schema = readSchema(s.schema)
      if (typeof schema === 'string') throw new Error(`governance schema vector '${s.name}': ${schema}`)
      const got = schemaMismatch(schema, JSON.parse(s.payload)) === null ? 'ok' : 'mismatch'
      if (got !== s.expect) throw new Error(`governance schema vector '${s.name}': ${got}, not ${s.expect}`)
      return s
    }),
    blocks: blocksJson,
    records: recordsJson(state),
  }
}
