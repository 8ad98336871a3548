// Sealed decisions on a chain with namespace governance, through the SDK against real API
// servers over one in-memory ledger (test/support-sdk/cluster.ts): a namespace admin who
// is not the author erases a sealed entry, and a policy's retention erases another when
// its height comes; every honest node deletes the sidecar, the reader is told it is erased
// (by f+1 nodes: a client does not replay the policies), and the audit lists both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAudit } from '../../audit/run-audit.ts'
import { AgentIdentity, SynodClient, SynodGovernance, seededRandom } from '../../sdk/index.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'
import { testNet } from '../support/chain-builder.ts'

const SEED = Number(process.env.SDK_TEST_SEED ?? Date.now() % 2 ** 31)
console.log(`sealed-governed.test.ts seed ${SEED} (rerun with SDK_TEST_SEED=${SEED})`)

const id = (n: number) => AgentIdentity.fromSeed(new Uint8Array(32).fill(n))
const clinicAdmin = id(71)
const officer = id(72)
const doctor = id(73)

/** A node's answer for the sidecar: its status and the error's members besides code and message. */
async function status(url: string, entry: string): Promise<{ status: number, details: { [key: string]: unknown } }> {
  const res = await fetch(`${url}/v1/sealed/${entry}`)
  const body = await res.json() as { error?: { [key: string]: unknown } }
  const { code: _code, message: _message, ...details } = body.error ?? {}
  return { status: res.status, details }
}

describe('erasure by an admin and by retention, through the SDK', () => {
  let cluster: TestCluster
  const net = testNet(4, 'sdk-sealed-governed', { governance: { admins: new Map([['clinic', [clinicAdmin.publicKey]]]) } })
  const client = (identity?: AgentIdentity) => new SynodClient({ nodes: cluster.urls, genesis: net.genesis, random: seededRandom(SEED), ...(identity === undefined ? {} : { identity }) })

  beforeAll(async () => {
    cluster = await startCluster({ honest: 3, net })
  })
  afterAll(async () => {
    await cluster.close()
  })

  it('an admin erases another agent\'s sealed entry; retention erases one at its height; the audit lists both', async () => {
    const governance = new SynodGovernance(client(clinicAdmin))
    await governance.setPolicy('clinic/notes', { writers: 'any', admins: [officer.publicKeyHex] })
    await governance.setPolicy('clinic/triage', { writers: 'any', retention: { heights: 3 } })

    const note = await client(doctor).commitSealed('clinic/notes', { patient: 'B. Jones' })
    expect((await client().getSealed(note.decision.id, { key: note.key })).payload).toEqual({ patient: 'B. Jones' })
    // The officer is neither the author nor a writer of a namespace the genesis closes: only the policy's admins list lets it erase.
    const erased = await client(officer).erase(note.decision.id, { reason: 'request of the data subject' })
    await expect(client().getSealed(note.decision.id, { key: note.key })).rejects.toMatchObject({ name: 'SealedUnavailableError', reason: 'erased' })
    for (const url of cluster.urls) expect(await status(url, note.decision.id)).toEqual({ status: 410, details: { erase: erased.erase.id } })

    const triage = await client(doctor).commitSealed('clinic/triage', { patient: 'C. Lee', priority: 2 })
    // Nothing else is submitted: the ledger's last block is the one that committed it (the audit below checks).
    const sealedAt = cluster.ledger.height
    expect((await client().getSealed(triage.decision.id, { key: triage.key })).payload).toEqual({ patient: 'C. Lee', priority: 2 })
    const expiresAt = sealedAt + 3
    // Blocks until its expiry: the sidecar stays up to the block before, and goes with it.
    while (cluster.ledger.height < expiresAt - 1) cluster.ledger.commit()
    expect((await client().getSealed(triage.decision.id, { key: triage.key })).payload).toMatchObject({ patient: 'C. Lee' })
    cluster.ledger.commit()
    await expect(client().getSealed(triage.decision.id, { key: triage.key })).rejects.toMatchObject({ name: 'SealedUnavailableError', reason: 'erased', erase: null, expiredAt: expiresAt })
    for (const url of cluster.urls) expect(await status(url, triage.decision.id)).toEqual({ status: 410, details: { expiredAt: expiresAt } })

    const exported = await fetch(`${cluster.urls[0]}/v1/export`)
    const report = await runAudit((async function* () { yield new Uint8Array(await exported.arrayBuffer()) })(), { genesis: net.genesis, allowUncertifiedTail: true })
    expect(report.failure).toBeNull()
    const listed = new Map(report.sealed.entries.map((e) => [e.id, e]))
    expect(listed.get(note.decision.id)).toMatchObject({ status: 'erased', erasure: 'erase', erasedBy: erased.erase.id })
    expect(listed.get(triage.decision.id)).toMatchObject({ height: sealedAt, status: 'erased', erasure: 'retention', erasedAtHeight: expiresAt, expiresAt })
  })
})
