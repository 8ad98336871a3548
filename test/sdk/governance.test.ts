// SynodGovernance (sdk/governance.ts) against real API servers over one in-memory ledger
// (test/support-sdk/cluster.ts), two organisations on one chain: each genesis admin sets
// its namespace's policy, neither can set the other's, and what the policies say is
// enforced on commits and read back as f+1 nodes agree, with a node that tampers with records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentIdentity, SynodClient, SynodDecisions, SynodGovernance, seededRandom, type NodeFault } from '../../sdk/index.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'
import { testNet } from '../support/chain-builder.ts'

const SEED = Number(process.env.SDK_TEST_SEED ?? Date.now() % 2 ** 31)
console.log(`governance.test.ts seed ${SEED} (rerun with SDK_TEST_SEED=${SEED})`)

const id = (n: number) => AgentIdentity.fromSeed(new Uint8Array(32).fill(n))
const acmeAdmin = id(61)
const globexAdmin = id(62)
const acmeLead = id(63)
const acmeAgent = id(64)
const globexAgent = id(65)

describe('two organisations govern their namespaces through the SDK', () => {
  let cluster: TestCluster
  const faults: NodeFault[] = []
  const net = testNet(4, 'sdk-governed', { governance: { admins: new Map([['acme', [acmeAdmin.publicKey]], ['globex', [globexAdmin.publicKey]]]) } })

  const client = (identity: AgentIdentity) => new SynodClient({ nodes: cluster.urls, genesis: net.genesis, identity, random: seededRandom(SEED) })
  const governance = (identity: AgentIdentity) => new SynodGovernance(client(identity), { onNodeFault: (f) => faults.push(f) })

  beforeAll(async () => {
    cluster = await startCluster({ honest: 2, liars: ['tamper-records'], net })
  })
  afterAll(async () => {
    await cluster.close()
  })

  it('sets, enforces and reads each organisation\'s policy', async () => {
    await governance(acmeAdmin).setPolicy('acme', {
      writers: [acmeAgent.publicKeyHex, acmeLead.publicKeyHex], admins: [acmeLead.publicKeyHex],
      approvers: { keys: [acmeLead.publicKeyHex, globexAgent.publicKeyHex], threshold: 1 },
    })
    await governance(globexAdmin).setPolicy('globex', { writers: 'any', schema: { type: 'object', required: ['action'] } })
    // Neither admin governs the other's namespace: the nodes refuse the entry.
    await expect(governance(acmeAdmin).setPolicy('globex', { writers: [] })).rejects.toMatchObject({ name: 'EntryRejectedError', code: 'governance-denied' })

    const read = await governance(globexAgent).policy('acme/desk')
    expect(read.policy).toMatchObject({ namespace: 'acme', agent: acmeAdmin.publicKeyHex, writers: [acmeAgent.publicKeyHex, acmeLead.publicKeyHex], approvers: { threshold: 1 } })
    expect([...read.admins].sort()).toEqual([acmeAdmin.publicKeyHex, acmeLead.publicKeyHex].sort())
    expect((await governance(acmeAgent).policy('globex')).policy).toMatchObject({ writers: 'any', schema: { type: 'object', required: ['action'] } })
    expect((await governance(acmeAgent).policy('initech')).policy).toBeNull()

    // What the policies say holds for commits.
    await expect(client(acmeAgent).commit('acme/desk', { plan: 'q3' })).resolves.toMatchObject({ namespace: 'acme/desk' })
    await expect(client(globexAgent).commit('acme/desk', { plan: 'mine' })).rejects.toMatchObject({ name: 'EntryRejectedError', code: 'governance-denied' })
    await expect(client(acmeAgent).commit('globex', { action: 'buy' })).resolves.toMatchObject({ namespace: 'globex' })
    const refused = client(acmeAgent).commit('globex', { note: 'no action' })
    await expect(refused).rejects.toMatchObject({ name: 'EntryRejectedError', code: 'governance-denied' })
    expect((await refused.catch((e: { errors: { details: unknown }[] }) => e.errors[0]!.details))).toMatchObject({ rule: 'entry-schema-mismatch', namespace: 'globex' })

    // acme's policy admin governs below acme: a sub-namespace of its own.
    await governance(acmeLead).setPolicy('acme/desk', { writers: 'any' })
    expect((await governance(globexAgent).policy('acme/desk/eu')).policy).toMatchObject({ namespace: 'acme/desk', writers: 'any', agent: acmeLead.publicKeyHex })
  })

  it('bug: propose() needed approvers even where a policy names default ones; it now names the policy\'s default approvers', async () => {
    // After the first test: acme's record names approvers (acme-lead, globex-agent; 1 of 2), acme/desk's names none.
    const decisions = new SynodDecisions(client(acmeAgent), { onNodeFault: (f) => faults.push(f) })
    const d = await decisions.propose('acme/plans', { deadlineHeights: 50, subject: { plan: 'default approvers' } })
    const spec = JSON.parse(d.payloadText) as { approvers: string[], threshold: number }
    expect(spec).toMatchObject({ approvers: [acmeLead.publicKeyHex, globexAgent.publicKeyHex], threshold: 1 })
    await expect(decisions.propose('acme/desk', { deadlineHeights: 5 })).rejects.toThrow(/the policy of 'acme\/desk' names none/)
    await expect(decisions.propose('initech', { deadlineHeights: 5 })).rejects.toThrow(/no policy governs it/)
    await expect(decisions.propose('acme/plans', { approvers: [acmeLead.publicKeyHex], deadlineHeights: 5 })).rejects.toMatchObject({ name: 'ConfigurationError' })
    // Named approvers still win over the default.
    const named = await decisions.propose('acme/plans', { approvers: [globexAgent.publicKeyHex], threshold: 1, deadlineHeights: 50 })
    expect(JSON.parse(named.payloadText)).toMatchObject({ approvers: [globexAgent.publicKeyHex], threshold: 1 })
  })

  it('sets a retention and reads it back', async () => {
    await governance(globexAdmin).setPolicy('globex/vault', { writers: 'any', retention: { heights: 40 } })
    expect((await governance(acmeAgent).policy('globex/vault/x')).policy).toMatchObject({ namespace: 'globex/vault', retention: { heights: 40 } })
    expect((await governance(acmeAgent).policy('globex')).policy).toMatchObject({ retention: null })
    await expect(governance(globexAdmin).setPolicy('globex/vault', { writers: 'any', retention: { heights: 0 } })).rejects.toMatchObject({ name: 'InvalidEntryError' })
  })

  it('refuses before sending a policy the validators would call malformed, and on a chain without governance', async () => {
    await expect(governance(acmeAdmin).setPolicy('acme', { writers: [acmeAgent.publicKeyHex, acmeAgent.publicKeyHex] })).rejects.toMatchObject({ name: 'InvalidEntryError' })
    await expect(governance(acmeAdmin).setPolicy('acme', { writers: 'any', schema: { pattern: '^a' } })).rejects.toThrow(/unknown keyword "pattern"/)
    const plain = new SynodGovernance(new SynodClient({ nodes: cluster.urls, genesis: testNet(4, 'sdk-governed').genesis, identity: acmeAdmin }))
    await expect(plain.setPolicy('acme', { writers: 'any' })).rejects.toMatchObject({ name: 'ConfigurationError' })
  })
})
