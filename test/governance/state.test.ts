// Namespace governance (docs/formats.md section 13): who may commit a policy, when it
// takes effect, what it allows, and that validators and the auditor judge a chain alike.
import { describe, expect, it } from 'vitest'
import { BlockTree, type BlockNode } from '../../src/consensus/block-tree.ts'
import { validateBlock } from '../../src/consensus/block-validation.ts'
import { codePath, isRejection } from '../../src/consensus/rejections.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { decisionPayloadText, votePayloadText } from '../../src/decisions/payload.ts'
import { blockHash, genesisBlock, genesisQc, type Block } from '../../src/log/block.ts'
import { entryId, type Entry } from '../../src/log/entry.ts'
import { genesisFromJson, genesisHash, genesisToCbor, genesisToJson, validatorSetOf, type Genesis } from '../../src/log/genesis.ts'
import { leaderElectionFor } from '../../src/log/leader-election.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { ChainVerifier } from '../../src/log/verify.ts'
import { LIMITS } from '../../src/limits.ts'
import { readPolicyPayload } from '../../src/governance/policy-payload.ts'
import { GovernanceState, isNamespaceAdmin } from '../../src/governance/state.ts'
import { PolicyLedger, governanceStateOf, type PolicyLogRecord } from '../../src/governance/ledger.ts'
import type { TestAgent} from '../support/chain-builder.ts';
import { ChainBuilder, testNet } from '../support/chain-builder.ts'
import { governedNet, hexOf, policyPayloadText } from '../support/governance.ts'

const g = governedNet()
const chainId = g.genesis.chainId

function policy(agent: TestAgent, namespace: string, spec: Parameters<typeof policyPayloadText>[0]): Entry {
  return agent.entryText(chainId, namespace, policyPayloadText(spec))
}

function plain(agent: TestAgent, namespace: string, payload: unknown = { x: 1 }): Entry {
  return agent.entry(chainId, namespace, payload)
}

/** Judges blocks of entries in order, as the block rule does; the rule of each entry
 * (null: valid) and the state after the last block. */
function judgeBlocks(genesis: Genesis, blocks: readonly (readonly Entry[])[]): { rules: (string | null)[][], state: GovernanceState } {
  let state = GovernanceState.initial(genesis)!
  const rules = blocks.map((entries, i) => {
    const judge = state.blockJudge()
    const out = entries.map((e) => judge.judge(e, () => toHex(entryId(e)))?.rule ?? null)
    state = judge.finish(i + 1)
    return out
  })
  return { rules, state }
}

describe('who may commit a policy', () => {
  it('a genesis admin governs its namespace and every descendant, not a sibling or a prefix that is not a segment', () => {
    const { rules } = judgeBlocks(g.genesis, [[
      policy(g.acmeRoot, 'acme', { writers: 'any' }),
      policy(g.acmeRoot, 'acme/planning/q3', { writers: 'any' }),
      policy(g.acmeRoot, 'globex', { writers: 'any' }),
      policy(g.acmeRoot, 'acmex', { writers: 'any' }),
      policy(g.alice, 'acme', { writers: 'any' }),
    ]])
    expect(rules).toEqual([[null, null, 'policy-not-admin', 'policy-not-admin', 'policy-not-admin']])
  })

  it('a parent\'s admins name a child\'s admins; those govern the child only, and the parent\'s admins keep their authority', () => {
    const { rules, state } = judgeBlocks(g.genesis, [
      [policy(g.acmeRoot, 'acme/planning', { writers: 'any', admins: hexOf(g.alice) })],
      [
        policy(g.alice, 'acme/planning/q3', { writers: hexOf(g.bob) }),
        policy(g.alice, 'acme', { writers: 'any' }),
        policy(g.acmeRoot, 'acme/planning', { writers: 'any' }), // drops alice
      ],
      [policy(g.alice, 'acme/planning/q4', { writers: 'any' })],
    ])
    expect(rules).toEqual([[null], [null, 'policy-not-admin', null], ['policy-not-admin']])
    expect(state.isAdmin('acme/planning/q3', toHex(g.acmeRoot.publicKey))).toBe(true)
    expect(state.isAdmin('acme/planning', toHex(g.alice.publicKey))).toBe(false)
  })

  it('an admin named in a block is not an admin inside that block (the state before the block decides)', () => {
    const { rules } = judgeBlocks(g.genesis, [[
      policy(g.acmeRoot, 'acme/planning', { writers: 'any', admins: hexOf(g.alice) }),
      policy(g.alice, 'acme/planning', { writers: [] }),
    ]])
    expect(rules).toEqual([[null, 'policy-not-admin']])
  })

  it('namespaces such as "constructor" reach no prototype', () => {
    const proto = testNet(4, 'proto', { governance: { admins: new Map([['constructor', [g.alice.publicKey]]]) } }).genesis
    const state = GovernanceState.initial(proto)!
    expect(state.isAdmin('constructor', toHex(g.alice.publicKey))).toBe(true)
    expect(state.isAdmin('tostring', toHex(g.alice.publicKey))).toBe(false)
    expect(state.isAdmin('hasownproperty/x', toHex(g.alice.publicKey))).toBe(false)
    expect(state.recordInForce('constructor')).toBeNull()
    expect(GovernanceState.initial(g.genesis)!.isAdmin('constructor', toHex(g.acmeRoot.publicKey))).toBe(false)
  })
})

describe('what a policy allows, from the block after it', () => {
  it('writers restrict the namespace and its descendants from the next block on; entries in the same block are judged by the state before it', () => {
    const { rules } = judgeBlocks(g.genesis, [
      [policy(g.acmeRoot, 'acme', { writers: hexOf(g.alice) }), plain(g.bob, 'acme')],
      [plain(g.alice, 'acme'), plain(g.bob, 'acme'), plain(g.bob, 'acme/x/y'), plain(g.bob, 'acmex'), plain(g.bob, 'globex')],
    ])
    expect(rules).toEqual([[null, null], [null, 'entry-not-writer', 'entry-not-writer', null, null]])
  })

  it('the nearest record decides: a child record replaces the parent\'s rules for its subtree', () => {
    const { rules } = judgeBlocks(g.genesis, [
      [policy(g.acmeRoot, 'acme', { writers: [] }), policy(g.acmeRoot, 'acme/open', { writers: 'any' })],
      [plain(g.bob, 'acme'), plain(g.bob, 'acme/open/x')],
    ])
    expect(rules).toEqual([[null, null], ['entry-not-writer', null]])
  })

  it('a later policy entry of the same block replaces an earlier one', () => {
    const { rules, state } = judgeBlocks(g.genesis, [
      [policy(g.acmeRoot, 'acme', { writers: [] }), policy(g.acmeRoot, 'acme', { writers: hexOf(g.bob) })],
      [plain(g.bob, 'acme'), plain(g.alice, 'acme')],
    ])
    expect(rules[1]).toEqual([null, 'entry-not-writer'])
    expect(state.recordCount).toBe(1)
  })

  it('admins commit policy entries even where they are not writers', () => {
    const { rules } = judgeBlocks(g.genesis, [
      [policy(g.acmeRoot, 'acme', { writers: [] })],
      [policy(g.acmeRoot, 'acme', { writers: 'any' }), plain(g.acmeRoot, 'acme')],
    ])
    expect(rules[1]).toEqual([null, 'entry-not-writer'])
  })

  it('a schema checks ordinary payloads; decisions, votes and policy entries are exempt', () => {
    const schema = { type: 'object', required: ['action'], properties: { action: { enum: ['buy', 'sell'] } } }
    const decision = g.alice.entryText(chainId, 'acme', decisionPayloadText({ approvers: hexOf(g.bob), threshold: 1, deadline: 9 }))
    const { rules } = judgeBlocks(g.genesis, [
      [policy(g.acmeRoot, 'acme', { writers: 'any', schema })],
      [
        plain(g.alice, 'acme', { action: 'buy' }),
        plain(g.alice, 'acme', { action: 'hold' }),
        plain(g.alice, 'acme', 'buy'),
        decision,
        g.bob.entryText(chainId, 'acme', votePayloadText('approve'), [entryId(decision)]),
        policy(g.acmeRoot, 'acme', { writers: 'any' }),
        plain(g.alice, 'acme', { synod: 'approve' }), // a vote claim without its ref is malformed: not exempt
      ],
    ])
    expect(rules[1]).toEqual([null, 'entry-schema-mismatch', 'entry-schema-mismatch', null, null, null, 'entry-schema-mismatch'])
  })

  it('a malformed policy entry is refused whatever the state', () => {
    const bad = [
      '{"synod":"policy"}',
      '{"synod":"policy","writers":"all"}',
      `{"synod":"policy","writers":"any","approvers":${JSON.stringify(hexOf(g.alice))}}`,
      '{"synod":"policy","writers":"any","retention":10}',
      '{"synod":"policy","writers":"any","schema":{"pattern":"x"}}',
      `{"synod":"policy","writers":${JSON.stringify([...hexOf(g.alice), ...hexOf(g.alice)])}}`,
    ]
    const { rules } = judgeBlocks(g.genesis, [bad.map((p) => g.acmeRoot.entryText(chainId, 'acme', p))])
    expect(rules[0]).toEqual(bad.map(() => 'policy-malformed'))
    expect(readPolicyPayload({ payload: '{"\\u0073ynod":"policy","writers":"any"}' }).type).toBe('policy')
    expect(readPolicyPayload({ payload: '{"synod":"policies","writers":"any"}' }).type).toBe('none')
  })

  it('at most LIMITS.policyRecordsMax namespaces are governed; replacing a record needs no room', () => {
    const many = Array.from({ length: LIMITS.policyRecordsMax + 1 }, (_, i) => policy(g.acmeRoot, `acme/n${i}`, { writers: 'any' }))
    const { rules, state } = judgeBlocks(g.genesis, [many, [policy(g.acmeRoot, 'acme/n0', { writers: [] }), policy(g.acmeRoot, 'acme/more', { writers: [] })]])
    expect(rules[0]!.slice(0, -1).every((r) => r === null)).toBe(true)
    expect(rules[0]!.at(-1)).toBe('policy-records-full')
    expect(rules[1]).toEqual([null, 'policy-records-full'])
    expect(state.recordCount).toBe(LIMITS.policyRecordsMax)
  })
})

describe('the genesis governance member', () => {
  it('absent: the genesis encodes and hashes as before, and a policy payload is an ordinary entry', () => {
    const plainNet = testNet(4, 'governed')
    expect(Object.keys(genesisToCbor(plainNet.genesis) as object)).not.toContain('governance')
    expect(GovernanceState.initial(plainNet.genesis)).toBeNull()
    const verifier = new Verifier(plainNet.genesis, validatorSetOf(plainNet.genesis), 10, 10)
    expect(isRejection(verifier.entry(g.alice.entryText('governed', 'acme', '{"synod":"policy"}')))).toBe(false)
    expect(genesisHash(plainNet.genesis)).not.toEqual(genesisHash(g.genesis))
  })

  it('round-trips through the JSON file form and refuses bad members', () => {
    const json = genesisToJson(g.genesis)
    expect(json.governance?.admins.acme).toEqual(hexOf(g.acmeRoot))
    const back = genesisFromJson(JSON.parse(JSON.stringify(json)))
    expect(genesisHash(back)).toEqual(genesisHash(g.genesis))
    const withAdmins = (admins: unknown) => () => genesisFromJson({ ...json, governance: { admins } })
    expect(withAdmins({})).toThrow(/1 to 64 namespaces/)
    expect(withAdmins({ 'Acme': hexOf(g.alice) })).toThrow(/not a namespace/)
    expect(withAdmins({ acme: [] })).toThrow(/1 to 32 agent keys/)
    expect(withAdmins({ acme: [...hexOf(g.alice), ...hexOf(g.alice)] })).toThrow(/repeats a key/)
    expect(() => genesisFromJson({ ...json, governance: { admins: { acme: hexOf(g.alice) }, extra: 1 } })).toThrow(/unknown field 'governance.extra'/)
  })

  it('with governance, a malformed policy entry is refused on submission', () => {
    const verifier = new Verifier(g.genesis, validatorSetOf(g.genesis), 10, 10)
    const refused = verifier.entry(g.acmeRoot.entryText(chainId, 'acme', '{"synod":"policy","writers":"some"}'))
    expect(isRejection(refused) ? refused.code : null).toBe('entry-governance')
  })
})

function headNode(genesis: Genesis): BlockNode {
  const b = genesisBlock(genesis)
  const h = blockHash(b.header)
  return { block: b, header: b.header, hash: h, hashHex: toHex(h), parentHex: toHex(b.header.parent), log: new MerkleAccumulator(), governance: GovernanceState.initial(genesis), agentSeqs: new Map(), entryIds: new Set(), qc: null, children: [] }
}

describe('validators and the auditor apply one rule', () => {
  it('a chain with policies verifies, and the state after it is the ledger\'s over its entries', () => {
    const chain = new ChainBuilder(g.net)
    chain.add([policy(g.acmeRoot, 'acme', { writers: hexOf(g.alice), admins: hexOf(g.bob) })])
    chain.add([plain(g.alice, 'acme'), policy(g.bob, 'acme/x', { writers: 'any' })])
    chain.add([plain(g.carol, 'acme/x')])
    const verifier = new ChainVerifier(g.genesis)
    for (const item of chain.items) expect(verifier.push(item)).toBeNull()
    expect(verifier.finish().ok).toBe(true)
    const records: PolicyLogRecord[] = chain.items.flatMap((it) => it.block.entries.map((entry) => ({ entry, height: it.block.header.height })))
      .map((r, index) => ({ ...r, index }))
    const fromLog = governanceStateOf(g.genesis, records, 3)
    expect([...fromLog.records()]).toEqual([...verifier.governance!.records()])
    expect(fromLog.height).toBe(3)
  })

  it('a non-writer\'s entry fails the audit at its height and position, and the validators refuse the block', () => {
    const chain = new ChainBuilder(g.net)
    chain.add([policy(g.acmeRoot, 'acme', { writers: hexOf(g.alice) })])
    const bad = chain.add([plain(g.alice, 'acme'), plain(g.bob, 'acme')])
    const verifier = new ChainVerifier(g.genesis)
    verifier.push(chain.items[0]!)
    expect(verifier.push(chain.items[1]!)).toMatchObject({ code: 'entry-not-writer', height: 2, position: 1 })

    const head = headNode(g.genesis)
    const tree = new BlockTree(head, genesisQc(g.genesis), new Map())
    const ctx = { genesis: g.genesis, tree, verifier: new Verifier(g.genesis, validatorSetOf(g.genesis), 100, 100), leaders: leaderElectionFor(g.genesis) }
    const first = validateBlock(ctx, head, chain.items[0]!.block as Block)
    if (isRejection(first)) throw new Error(codePath(first))
    expect(first.governance?.recordCount).toBe(1)
    const second = validateBlock(ctx, first, bad)
    expect(isRejection(second) ? codePath(second) : null).toBe('block-entry-invalid/entry-governance')
    expect(isRejection(second) && second.code === 'block-entry-invalid' && second.problem.code === 'entry-governance' ? second.problem.rule : null).toBe('entry-not-writer')
  })

  it('a partial audit of a governed chain needs the governance state at its start', () => {
    const chain = new ChainBuilder(g.net)
    chain.add([plain(g.alice, 'acme')])
    const start = { header: chain.items[0]!.block.header, accumulator: chain.accumulator.toState() }
    expect(new ChainVerifier(g.genesis, start).failure?.code).toBe('bad-start')
    const ledger = new PolicyLedger(g.genesis)
    ledger.append({ entry: chain.items[0]!.block.entries[0]!, index: 0, height: 1 })
    ledger.advanceTo(1)
    expect(new ChainVerifier(g.genesis, { ...start, governance: ledger.state }).failure).toBeNull()
  })
})

describe('the admin question other rules ask', () => {
  it('PolicyLedger.isAdminAt answers for entries of a height with the state after the height before', () => {
    const ledger = new PolicyLedger(g.genesis)
    const named = policy(g.acmeRoot, 'acme/ops', { writers: 'any', admins: hexOf(g.carol) })
    const carol = toHex(g.carol.publicKey)
    expect(ledger.isAdminAt('acme/ops', carol, 1)).toBe(false)
    ledger.append({ entry: named, index: 0, height: 1 })
    // In block 1 itself carol is not yet an admin; from block 2 on she is.
    expect(ledger.isAdminAt('acme/ops/x', carol, 1)).toBe(false)
    expect(ledger.isAdminAt('acme/ops/x', carol, 2)).toBe(true)
    expect(ledger.isAdminAt('acme', carol, 2)).toBe(false)
    expect(ledger.check(policy(g.carol, 'acme/ops', { writers: [] }), 1)?.rule).toBe('policy-not-admin')
    expect(ledger.check(policy(g.carol, 'acme/ops', { writers: [] }), 2)).toBeNull()
    ledger.advanceTo(1)
    expect(() => ledger.isAdminAt('acme/ops', carol, 1)).toThrow(/past/)
    expect(isNamespaceAdmin(ledger.state, 'acme/ops', carol)).toBe(true)
    expect(isNamespaceAdmin(null, 'acme/ops', carol)).toBe(false)
  })
})
