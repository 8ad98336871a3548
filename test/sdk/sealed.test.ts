// Sealed decisions through the SDK (sdk/sealed.ts) against real API servers over one
// in-memory ledger, each honest node with sidecars of its own (test/support-sdk/cluster.ts):
// seal -> read with the key -> erase -> the blob is gone from every node, uploads are
// refused, the entry and its receipt still verify, and the audit of a node's export
// passes and lists the entry as erased. A node that serves altered blobs is caught by
// the commitments and skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runAudit } from '../../audit/run-audit.ts'
import { AgentIdentity, SynodClient, seededRandom, verifyReceipt, type NodeFault } from '../../sdk/index.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

const SEED = Number(process.env.SDK_TEST_SEED ?? Date.now() % 2 ** 31)
console.log(`sealed.test.ts seed ${SEED} (rerun with SDK_TEST_SEED=${SEED})`)

async function sealedAnswer(url: string, id: string): Promise<{ status: number, code: string | null }> {
  const res = await fetch(`${url}/v1/sealed/${id}`)
  const body = await res.json() as { error?: { code?: string } }
  return { status: res.status, code: body.error?.code ?? null }
}

describe('sealed decisions through the SDK', () => {
  let cluster: TestCluster
  const faults: NodeFault[] = []
  const writer = AgentIdentity.fromSeed(new Uint8Array(32).fill(61))
  const stranger = AgentIdentity.fromSeed(new Uint8Array(32).fill(62))
  let honest: string[]
  let liar: string

  function client(identity: AgentIdentity | undefined, urls = cluster.urls): SynodClient {
    return new SynodClient({ nodes: urls, genesis: cluster.net.genesis, ...(identity === undefined ? {} : { identity }), random: seededRandom(SEED), onNodeFault: (f) => faults.push(f) })
  }

  beforeAll(async () => {
    cluster = await startCluster({ honest: 3, liars: ['tamper-sidecar'] })
    honest = cluster.nodes.filter((n) => n.lie === null).map((n) => n.url)
    liar = cluster.nodes.find((n) => n.lie === 'tamper-sidecar')!.url
  })
  afterAll(async () => {
    await cluster.close()
  })

  it('seal, read with the key, erase: gone from every node, refused after, receipt and audit verify', async () => {
    const sealed = await client(writer).commitSealed('clinic/notes', { patient: 'A. Smith', finding: 'negative' })
    const id = sealed.decision.id
    expect(sealed.decision.payloadText).not.toContain('Smith')
    expect(sealed.storedOn).toEqual(expect.arrayContaining(honest))
    expect(sealed.key).toMatch(/^[0-9a-f]{64}$/)

    // A reader with the key, through each honest node paired with the liar.
    for (const url of honest) {
      const opened = await client(undefined, [liar, url]).getSealed(id, { key: sealed.key })
      expect(opened.payload).toEqual({ patient: 'A. Smith', finding: 'negative' })
      expect(opened.servedBy).toBe(url)
    }
    // The liar alone: its altered blob is never opened, only reported.
    await expect(client(undefined, [liar]).getSealed(id, { key: sealed.key })).rejects.toMatchObject({ name: 'SealedUnavailableError', reason: 'unavailable' })
    expect(faults.some((f) => f.node === liar && f.name === 'InvalidProofError' && f.code === 'sidecar-blob-commitment')).toBe(true)
    // Without the key (not deposited): the nodes hold the blob only.
    await expect(client(undefined, honest).getSealed(id)).rejects.toMatchObject({ name: 'SealedUnavailableError', reason: 'no-key' })
    // Someone else's wrong key is refused before any node is asked.
    await expect(client(undefined).getSealed(id, { key: 'ab'.repeat(32) })).rejects.toMatchObject({ name: 'SealedOpenError', code: 'key-commitment' })

    // A stranger may not erase it (open namespace): refused before signing.
    await expect(client(stranger).erase(id)).rejects.toMatchObject({ name: 'InvalidEntryError' })
    const erased = await client(writer).erase(id, { reason: 'consent withdrawn' })
    expect(erased.sealed.id).toBe(id)
    expect(erased.erase.namespace).toBe('clinic/notes')
    expect(erased.erase.refs).toEqual([id])

    for (const url of honest) expect(await sealedAnswer(url, id)).toEqual({ status: 410, code: 'erased' })
    const again = await client(writer).uploadSealed(id, sealed.blob, null, { timeoutMs: 2000 })
    expect(again.storedOn).toEqual([])
    expect(again.errors.filter((e) => honest.includes(e.node)).map((e) => (e as { code?: string }).code)).toEqual(honest.map(() => 'erased'))
    await expect(client(undefined).getSealed(id, { key: sealed.key })).rejects.toMatchObject({ name: 'SealedUnavailableError', reason: 'erased', erase: erased.erase.id })

    // The entry and its receipt are untouched.
    const got = await client(undefined).get(id)
    expect(got.payloadText).toBe(sealed.decision.payloadText)
    expect(verifyReceipt(got.receipt, cluster.net.genesis)).toMatchObject({ ok: true })

    // The audit of an export passes, and lists the entry as erased (not tampered).
    const res = await fetch(`${honest[0]}/v1/export?fromHeight=1`)
    const report = await runAudit(res.body! as AsyncIterable<Uint8Array>, { genesis: cluster.net.genesis, allowUncertifiedTail: true })
    expect(report.ok, JSON.stringify(report.failure)).toBe(true)
    expect(report.sealed.entries.find((e) => e.id === id)).toMatchObject({ status: 'erased', erasedBy: erased.erase.id, namespace: 'clinic/notes' })
    expect(report.sealed.counts.erased).toBeGreaterThanOrEqual(1)
  })

  it('a node that is down gets no sidecar and is named in the errors; the others hold it', async () => {
    const down = honest[2]!
    await cluster.kill(down)
    const sealed = await client(writer).commitSealed('clinic/notes', { visit: 0 })
    expect(sealed.storedOn).toEqual(expect.arrayContaining(honest.slice(0, 2)))
    expect(sealed.storedOn).not.toContain(down)
    expect(sealed.errors.some((e) => e.node === down && e.name === 'NodeUnreachableError')).toBe(true)
    expect((await client(undefined, honest.slice(0, 2)).getSealed(sealed.decision.id, { key: sealed.key })).payload).toEqual({ visit: 0 })
  })

  it('a deposited key lets readers without it read until erasure; a per-subject key opens several entries', async () => {
    const subjectKey = new Uint8Array(32).fill(7)
    const a = await client(writer).commitSealed('clinic/notes', { visit: 1 }, { key: subjectKey, depositKey: true })
    const b = await client(writer).commitSealed('clinic/notes', { visit: 2 }, { key: subjectKey })
    expect(a.key).toBe(b.key)
    expect((await client(undefined, honest).getSealed(a.decision.id)).payload).toEqual({ visit: 1 })
    expect((await client(undefined, honest).getSealed(b.decision.id, { key: subjectKey })).payload).toEqual({ visit: 2 })
    await client(writer).erase(a.decision.id)
    await expect(client(undefined, honest).getSealed(a.decision.id)).rejects.toMatchObject({ name: 'SealedUnavailableError', reason: 'erased' })
    // Erasing one entry leaves the other: erasure is per entry, whatever the key.
    expect((await client(undefined, honest).getSealed(b.decision.id, { key: subjectKey })).payload).toEqual({ visit: 2 })
  })
})
