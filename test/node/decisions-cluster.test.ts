// Integration: k-of-m approvals on real `synod start` processes (127.0.0.1). A planner
// proposes a 2-of-3 decision through the SDK; one reviewer approves through the MCP
// server's tool, a human through `synod approve` with an identity file, while one
// validator is stopped; an executor's awaitDecision resolves with the approval proof it
// verified; the node's proof verifies offline and the audit of the export counts the
// decision approved. Every spawned process is stopped by its pid in afterAll.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClusterFiles, NodeProcess, SYNOD_BIN, type ClusterFiles } from '../../devnet/cluster.ts'
import { getJson } from '../../devnet/http-client.ts'
import { AgentIdentity, SynodClient, SynodDecisions, approvalProofFromJson, verifyApprovalProof } from '../../sdk/index.ts'
import { createSynodMcpServer } from '../../sdk/mcp/server.ts'
import { runAudit } from '../../audit/run-audit.ts'

const run = promisify(execFile)

describe('k-of-m approvals on a cluster of validator processes', () => {
  let dir: string
  let files: ClusterFiles
  let nodes: NodeProcess[] = []
  const identity = (a: number): AgentIdentity => AgentIdentity.fromSeed(files.agents[a]!.seed)

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-decisions-it-'))
    files = await createClusterFiles({ dir: join(dir, 'cluster'), nodes: 4, agents: 5, logLevel: 'warn' })
    nodes = files.nodes.map((f) => new NodeProcess(f))
    await Promise.all(nodes.map((n) => n.start()))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => null)))
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('planner proposes, a reviewer approves over MCP, a human with the CLI, the executor gets the verified proof', async () => {
    const urls = nodes.map((n) => n.httpUrl)
    const client = (a: number): SynodClient => new SynodClient({ nodes: urls, genesis: files.genesis, identity: identity(a) })
    const [planner, mcpReviewer, human, third, executor] = [0, 1, 2, 3, 4]
    const d = await new SynodDecisions(client(planner)).propose('acme/releases', {
      approvers: [mcpReviewer, human, third].map((a) => identity(a).publicKeyHex), threshold: 2, deadlineHeights: 10_000, subject: { release: '1.4.0' },
    })
    const waiting = new SynodDecisions(client(executor)).awaitDecision(d.id, { pollMs: 200, timeoutMs: 90_000 })

    const server = createSynodMcpServer({ client: client(mcpReviewer) })
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await server.connect(serverSide)
    const mcp = new Client({ name: 'reviewer', version: '1.0.0' })
    await mcp.connect(clientSide)
    const voted = await mcp.callTool({ name: 'approve_decision', arguments: { id: d.id, note: 'tests pass' } }) as CallToolResult
    expect(voted.isError ?? false, JSON.stringify(voted.content)).toBe(false)
    await mcp.close()

    // The human approves while validator 3 is down: the CLI submits to f+1 of the others.
    await nodes[3]!.stop()
    const cli = await run(process.execPath, [SYNOD_BIN, 'approve', d.id, '--identity', join(files.dir, 'agents', `agent-${human}.key.json`), '--nodes', urls.join(','), '--genesis', files.genesisFile], { timeout: 90_000 })
    expect(cli.stdout).toMatch(/^APPROVED decision [0-9a-f]{64}: vote [0-9a-f]{64} committed/)

    const approved = await waiting
    expect([...approved.approvers].sort()).toEqual([mcpReviewer, human].map((a) => identity(a).publicKeyHex).sort())
    expect(approved.subject).toEqual({ release: '1.4.0' })

    const answer = await getJson(`${urls[0]}/v1/decisions/${d.id}`)
    expect(answer.status).toBe(200)
    const body = answer.body as { status: string, proof: unknown }
    expect(body.status).toBe('approved')
    expect(verifyApprovalProof(approvalProofFromJson(body.proof), files.genesis)).toMatchObject({ ok: true, decision: d.id })

    const res = await fetch(`${urls[0]}/v1/export?fromHeight=1`)
    expect(res.ok).toBe(true)
    const report = await runAudit(res.body! as AsyncIterable<Uint8Array>, { genesis: files.genesis, allowUncertifiedTail: true })
    expect(report.ok, JSON.stringify(report.failure)).toBe(true)
    expect(report.decisions.counts.approved).toBe(1)
  }, 180_000)
})
