// Integration: crypto-erasure on real `synod start` processes (127.0.0.1). A writer commits
// a sealed decision through the SDK; the sidecar reaches every validator; a reader opens
// it with the key; one validator is stopped and the author erases the entry while it is
// down; every running validator deletes the sidecar in the erase's commit, and the stopped
// one does so when it restarts and catches up. Then every node refuses a re-upload, the
// entry's receipt still verifies, and the audit of the export passes and lists the entry
// as erased. Then a sidecar uploaded to one validator only is read from another (the
// validators replicate it). Every spawned process is stopped by its pid in afterAll.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClusterFiles, NodeProcess, type ClusterFiles } from '../../devnet/cluster.ts'
import { AgentIdentity, SynodClient, verifyReceipt } from '../../sdk/index.ts'
import { runAudit } from '../../audit/run-audit.ts'

/** How long a restarted validator may take to catch up the erase's height. */
const CATCH_UP_MS_MAX = 60_000

async function sidecarStatus(url: string, id: string): Promise<{ status: number, code: string | null }> {
  const res = await fetch(`${url}/v1/sealed/${id}`)
  const body = await res.json() as { error?: { code?: string } }
  return { status: res.status, code: body.error?.code ?? null }
}

/** The node's answer once it says erased, or its last answer when CATCH_UP_MS_MAX passes
 * first: a validator commits a block a moment after the one whose receipt the writer saw. */
async function erasedAnswer(url: string, id: string): Promise<{ status: number, code: string | null }> {
  const deadline = Date.now() + CATCH_UP_MS_MAX
  let answer = await sidecarStatus(url, id)
  while (answer.status !== 410 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    answer = await sidecarStatus(url, id)
  }
  return answer
}

describe('crypto-erasure on a cluster of validator processes', () => {
  let dir: string
  let files: ClusterFiles
  let nodes: NodeProcess[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-sealed-it-'))
    files = await createClusterFiles({ dir: join(dir, 'cluster'), nodes: 4, agents: 2, logLevel: 'warn' })
    nodes = files.nodes.map((f) => new NodeProcess(f))
    await Promise.all(nodes.map((n) => n.start()))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => null)))
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('seal, read, erase with a validator down: gone from every validator, refused after, receipt and audit verify', async () => {
    const urls = nodes.map((n) => n.httpUrl)
    const client = (a: number | null, nodeUrls = urls): SynodClient => new SynodClient({ nodes: nodeUrls, genesis: files.genesis, ...(a === null ? {} : { identity: AgentIdentity.fromSeed(files.agents[a]!.seed) }) })
    const sealed = await client(0).commitSealed('clinic/notes', { patient: 'A. Smith', finding: 'negative' })
    const id = sealed.decision.id
    expect([...sealed.storedOn].sort()).toEqual([...urls].sort())
    for (const url of urls) expect((await sidecarStatus(url, id)).status).toBe(200)
    expect((await client(1).getSealed(id, { key: sealed.key })).payload).toEqual({ patient: 'A. Smith', finding: 'negative' })

    // Validator 3 goes down holding the sidecar; the author erases with the other three.
    await nodes[3]!.stop()
    const erased = await client(0, urls.slice(0, 3)).erase(id, { reason: 'consent withdrawn' })
    for (const url of urls.slice(0, 3)) expect(await erasedAnswer(url, id)).toEqual({ status: 410, code: 'erased' })

    // Back up, it commits the erase while catching up, and deletes the sidecar then.
    await nodes[3]!.start()
    expect(await erasedAnswer(nodes[3]!.httpUrl, id)).toEqual({ status: 410, code: 'erased' })

    const again = await client(0, nodes.map((n) => n.httpUrl)).uploadSealed(id, sealed.blob, null, { timeoutMs: 5000 })
    expect(again.storedOn).toEqual([])
    expect(again.errors.map((e) => (e as { code?: string }).code)).toEqual(nodes.map(() => 'erased'))
    await expect(client(1, nodes.map((n) => n.httpUrl)).getSealed(id, { key: sealed.key })).rejects.toMatchObject({ name: 'SealedUnavailableError', reason: 'erased', erase: erased.erase.id })

    const got = await client(null, nodes.map((n) => n.httpUrl)).get(id)
    expect(verifyReceipt(got.receipt, files.genesis)).toMatchObject({ ok: true })
    const res = await fetch(`${nodes[3]!.httpUrl}/v1/export?fromHeight=1`)
    expect(res.ok).toBe(true)
    const report = await runAudit(res.body! as AsyncIterable<Uint8Array>, { genesis: files.genesis, allowUncertifiedTail: true })
    expect(report.ok, JSON.stringify(report.failure)).toBe(true)
    expect(report.sealed.counts).toEqual({ sealed: 1, erased: 1 })
    expect(report.sealed.entries).toEqual([expect.objectContaining({ id, status: 'erased', erasedBy: erased.erase.id })])
  }, 180_000)

  it('a sidecar uploaded to one validator over HTTP is read from another: the validators replicate it', async () => {
    const urls = nodes.map((n) => n.httpUrl)
    const writer = new SynodClient({ nodes: [urls[0]!], genesis: files.genesis, identity: AgentIdentity.fromSeed(files.agents[0]!.seed) })
    const sealed = await writer.commitSealed('clinic/notes', { patient: 'B. Jones', finding: 'positive' }, { depositKey: true })
    expect(sealed.storedOn).toEqual([urls[0]])
    const id = sealed.decision.id
    const deadline = Date.now() + CATCH_UP_MS_MAX
    let answers = await Promise.all(urls.map((url) => sidecarStatus(url, id)))
    while (answers.some((a) => a.status !== 200) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      answers = await Promise.all(urls.map((url) => sidecarStatus(url, id)))
    }
    expect(answers.map((a) => a.status)).toEqual(urls.map(() => 200))
    // A reader that asks only validator 2 opens it with the deposited key that came along.
    const reader = new SynodClient({ nodes: [urls[2]!], genesis: files.genesis })
    expect((await reader.getSealed(id)).payload).toEqual({ patient: 'B. Jones', finding: 'positive' })
  }, 120_000)
})
