// The MCP server end to end, driven by the MCP SDK's own Client: in memory (every tool),
// over stdio (`synod mcp` as a subprocess, as an MCP host runs it) and over streamable HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { genesisToJson } from '../../src/log/genesis.ts'
import { AgentIdentity, SynodClient } from '../../sdk/index.ts'
import { saveIdentity } from '../../sdk/identity-file.ts'
import { createSynodMcpServer } from '../../sdk/mcp/server.ts'
import { serveHttp } from '../../sdk/mcp/transports.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

type Json = Record<string, unknown>

function resultJson(result: unknown): Json {
  const r = result as CallToolResult
  const text = r.content.find((c) => c.type === 'text')
  if (text === undefined || text.type !== 'text') throw new Error('no text content')
  return JSON.parse(text.text) as Json
}

const schemas = { 'acme/approvals': z.object({ plan: z.string().regex(/^[0-9a-f]{64}$/), approved: z.boolean(), note: z.string().max(200).optional() }).describe('An approval of a plan.') }

describe('MCP server (in memory)', () => {
  let cluster: TestCluster
  let client: Client
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
    const synod = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.fromSeed(new Uint8Array(32).fill(5)), schemas })
    const server = createSynodMcpServer({ client: synod })
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await server.connect(serverSide)
    client = new Client({ name: 'test', version: '1.0.0' })
    await client.connect(clientSide)
  })
  afterAll(async () => {
    await client.close()
    await cluster.close()
  })

  it('lists the tools with input schemas', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name).sort()).toEqual(['audit_range', 'commit_acme_approvals', 'commit_decision', 'get_decision', 'query_decisions', 'verify_receipt'])
    const typed = tools.find((t) => t.name === 'commit_acme_approvals')!
    const payload = (typed.inputSchema.properties as Json).payload as Json
    expect(payload.type).toBe('object')
    expect(Object.keys(payload.properties as Json).sort()).toEqual(['approved', 'note', 'plan'])
    for (const t of tools) expect(t.description!.length).toBeGreaterThan(40)
  })

  it('commits, gets, queries, verifies and audits', async () => {
    const committed = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/plans', payload: { goal: 'ship v1' }, idempotencyKey: 'plan-1' } }))
    expect(committed.committed).toBe(true)
    expect(committed.verified).toBe('receipt')
    const id = committed.id as string

    const approval = await client.callTool({ name: 'commit_acme_approvals', arguments: { payload: { plan: id, approved: true }, refs: [id] } })
    expect((approval as CallToolResult).isError).toBeFalsy()
    expect(resultJson(approval).refs).toEqual([id])

    const bad = await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/approvals', payload: { plan: 'nope' } } })
    expect((bad as CallToolResult).isError).toBe(true)
    expect(resultJson(bad).error).toBe('PayloadValidationError')

    const got = resultJson(await client.callTool({ name: 'get_decision', arguments: { id } }))
    expect(got.payload).toEqual({ goal: 'ship v1' })

    const listed = resultJson(await client.callTool({ name: 'query_decisions', arguments: { namespace: 'acme/plans', verify: 'receipt' } }))
    expect(listed.count).toBe(1)

    const valid = resultJson(await client.callTool({ name: 'verify_receipt', arguments: { receipt: got.receipt } }))
    expect(valid.valid).toBe(true)
    const forged = structuredClone(got.receipt) as { index: number }
    forged.index += 1
    const invalid = resultJson(await client.callTool({ name: 'verify_receipt', arguments: { receipt: forged } }))
    expect(invalid.valid).toBe(false)

    const audit = resultJson(await client.callTool({ name: 'audit_range', arguments: {} }))
    expect(audit.ok).toBe(true)
    expect(audit.entries).toBe(2)
    const elsewhere = await client.callTool({ name: 'audit_range', arguments: { node: 'http://169.254.169.254' } })
    expect((elsewhere as CallToolResult).isError).toBe(true)
  })

  it('reports unknown ids as a tool error with a typed name', async () => {
    const missing = await client.callTool({ name: 'get_decision', arguments: { id: '00'.repeat(32) } })
    expect((missing as CallToolResult).isError).toBe(true)
    expect(resultJson(missing).error).toBe('EntryNotFoundError')
  })
})

describe('synod mcp over stdio and HTTP', () => {
  let cluster: TestCluster
  let dir: string
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
    dir = mkdtempSync(join(tmpdir(), 'synod-mcp-'))
    writeFileSync(join(dir, 'genesis.json'), JSON.stringify(genesisToJson(cluster.net.genesis)))
    saveIdentity(AgentIdentity.generate(), join(dir, 'agent.json'))
  })
  afterAll(async () => {
    await cluster.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves the tools over stdio as `synod mcp`', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/synod.js', 'mcp', '--nodes', cluster.urls.join(','), '--genesis', join(dir, 'genesis.json'), '--identity', join(dir, 'agent.json')],
      cwd: process.cwd(),
      stderr: 'pipe',
    })
    const client = new Client({ name: 'stdio-test', version: '1.0.0' })
    await client.connect(transport)
    try {
      const committed = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/stdio', payload: { via: 'stdio' } } }))
      expect(committed.committed).toBe(true)
      const got = resultJson(await client.callTool({ name: 'get_decision', arguments: { id: committed.id } }))
      expect(got.payload).toEqual({ via: 'stdio' })
    } finally {
      await client.close()
    }
  })

  it('serves the tools over streamable HTTP (stateless)', async () => {
    const synod = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate() })
    const served = await serveHttp(() => createSynodMcpServer({ client: synod }), { port: 0 })
    const client = new Client({ name: 'http-test', version: '1.0.0' })
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(served.url)))
      const { tools } = await client.listTools()
      expect(tools.length).toBe(5)
      const committed = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/http', payload: [1, 2, 3] } }))
      expect(committed.payload).toEqual([1, 2, 3])
      // DNS-rebinding protection: a request whose Host is not the loopback is refused.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(served.url, { method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json', accept: 'application/json, text/event-stream' } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
      })
      expect(status).toBe(403)
    } finally {
      await client.close()
      await served.close()
    }
  })
})
