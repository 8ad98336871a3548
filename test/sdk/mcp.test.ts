// The MCP server end to end, driven by the MCP SDK's own Client: in memory (every tool),
// over stdio (`synod mcp` as a subprocess, as an MCP host runs it) and over streamable HTTP.
import { spawn } from 'node:child_process'
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
import { McpTokenError, serveHttp } from '../../sdk/mcp/transports.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

type Json = Record<string, unknown>

function resultJson(result: unknown): Json {
  const r = result as CallToolResult
  const text = r.content.find((c) => c.type === 'text')
  if (text === undefined || text.type !== 'text') throw new Error('no text content')
  // Sent once: the JSON text only, no structuredContent copy of it.
  expect(r.structuredContent).toBeUndefined()
  expect(r.content.length).toBe(1)
  return JSON.parse(text.text) as Json
}

const TOKEN = 'test-token-0123456789abcdef'

/** POSTs a tools/list to an HTTP MCP endpoint with these headers; resolves the status. */
function postStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')
  })
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
    expect(tools.map((t) => t.name).sort()).toEqual(['approve_decision', 'audit_range', 'commit_acme_approvals', 'commit_decision', 'decision_status', 'get_decision', 'propose_decision', 'query_decisions', 'reject_decision', 'verify_receipt'])
    const typed = tools.find((t) => t.name === 'commit_acme_approvals')!
    const payload = (typed.inputSchema.properties as Json).payload as Json
    expect(payload.type).toBe('object')
    expect(Object.keys(payload.properties as Json).sort()).toEqual(['approved', 'note', 'plan'])
    for (const t of tools) expect(t.description!.length).toBeGreaterThan(40)
  })

  it('regression: payload is typed as JSON in the schema, and a JSON string from a text-only client commits the object', async () => {
    const { tools } = await client.listTools()
    const generic = tools.find((t) => t.name === 'commit_decision')!
    const payload = (generic.inputSchema.properties as Json).payload as { anyOf?: { type: string }[] }
    expect(payload.anyOf?.map((branch) => branch.type)).toEqual(['object', 'array', 'string', 'number', 'boolean', 'null'])
    expect(generic.inputSchema.required).toContain('payload')
    // What the MCP Inspector CLI sent for `--tool-arg payload={"goal":"x"}`.
    const asText = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/text', payload: '{"goal":"from text"}' } }))
    expect(asText.payload).toEqual({ goal: 'from text' })
    const listText = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/text', payload: ' [1, 2] ' } }))
    expect(listText.payload).toEqual([1, 2])
    // Other strings stay strings, malformed JSON text included.
    const plain = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/text', payload: 'ship it' } }))
    expect(plain.payload).toBe('ship it')
    const broken = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/text', payload: '{not json}' } }))
    expect(broken.payload).toBe('{not json}')
  })

  it('results carry the block height', async () => {
    const committed = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/heights', payload: { n: 1 } } }))
    expect(committed.height).toEqual(expect.any(Number))
    expect(committed.height as number).toBeGreaterThanOrEqual(1)
    expect(committed.height as number).toBeLessThanOrEqual((committed.checkpoint as Json).height as number)
    const got = resultJson(await client.callTool({ name: 'get_decision', arguments: { id: committed.id } }))
    expect(got.height).toBe(committed.height)
    const listed = resultJson(await client.callTool({ name: 'query_decisions', arguments: { namespace: 'acme/heights' } }))
    expect((listed.items as Json[])[0]!.height).toBe(committed.height)
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
    expect((listed.items as Json[])[0]!.height).toBe(got.height)
    expect(listed.count).toBe(1)

    const valid = resultJson(await client.callTool({ name: 'verify_receipt', arguments: { receipt: got.receipt } }))
    expect(valid.valid).toBe(true)
    const forged = structuredClone(got.receipt) as { index: number }
    forged.index += 1
    const invalid = resultJson(await client.callTool({ name: 'verify_receipt', arguments: { receipt: forged } }))
    expect(invalid.valid).toBe(false)

    const audit = resultJson(await client.callTool({ name: 'audit_range', arguments: {} }))
    expect(audit.ok).toBe(true)
    expect(audit.entries).toBeGreaterThanOrEqual(2)
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
    const served = await serveHttp(() => createSynodMcpServer({ client: synod }), { port: 0, token: TOKEN })
    const client = new Client({ name: 'http-test', version: '1.0.0' })
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(served.url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }))
      const { tools } = await client.listTools()
      expect(tools.length).toBe(9)
      const committed = resultJson(await client.callTool({ name: 'commit_decision', arguments: { namespace: 'acme/http', payload: [1, 2, 3] } }))
      expect(committed.payload).toEqual([1, 2, 3])
      // DNS-rebinding protection: a request whose Host is not the loopback is refused.
      expect(await postStatus(served.url, { host: 'evil.example', authorization: `Bearer ${TOKEN}` })).toBe(403)
    } finally {
      await client.close()
      await served.close()
    }
  })

  it('regression: HTTP requires the bearer token (anyone who reaches it signs as the agent)', async () => {
    const synod = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate() })
    const make = () => createSynodMcpServer({ client: synod })
    await expect(serveHttp(make, { port: 0 } as never)).rejects.toThrow(McpTokenError)
    await expect(serveHttp(make, { port: 0, token: 'short' })).rejects.toThrow(/at least 16 characters/)
    const served = await serveHttp(make, { port: 0, token: TOKEN })
    try {
      expect(await postStatus(served.url, {})).toBe(401)
      expect(await postStatus(served.url, { authorization: 'Bearer wrong-token-0123456789abcdef' })).toBe(401)
      expect(await postStatus(served.url, { authorization: `Bearer ${TOKEN}x` })).toBe(401)
      expect(await postStatus(served.url, { authorization: `Basic ${TOKEN}` })).toBe(401)
      expect(await postStatus(served.url, { authorization: `Bearer ${TOKEN}` })).toBe(200)
      expect(await postStatus(served.url, { authorization: `bearer ${TOKEN}` })).toBe(200)
    } finally {
      await served.close()
    }
  })

  it('`synod mcp --http` refuses to start without a token and serves with $SYNOD_MCP_TOKEN', async () => {
    const args = ['bin/synod.js', 'mcp', '--nodes', cluster.urls.join(','), '--genesis', join(dir, 'genesis.json'), '--identity', join(dir, 'agent.json'), '--http', '0']
    const run = (env: Record<string, string | undefined>, untilUrl: boolean) => new Promise<{ code: number | null, stderr: string, url: string | null, kill: () => void }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`synod mcp did not start within 20 s: ${stderr}`))
      }, 20_000)
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8')
        const url = /streamable HTTP at (\S+)/.exec(stderr)?.[1]
        if (untilUrl && url !== undefined) {
          clearTimeout(timer)
          resolve({ code: null, stderr, url, kill: () => child.kill('SIGTERM') })
        }
      })
      child.on('exit', (code) => {
        clearTimeout(timer)
        resolve({ code, stderr, url: null, kill: () => {} })
      })
    })
    const refused = await run({ SYNOD_MCP_TOKEN: undefined }, false)
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/needs a bearer token: set SYNOD_MCP_TOKEN/)
    const served = await run({ SYNOD_MCP_TOKEN: TOKEN }, true)
    try {
      expect(await postStatus(served.url!, {})).toBe(401)
      const client = new Client({ name: 'cli-http-test', version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(new URL(served.url!), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }))
      expect((await client.listTools()).tools.length).toBe(9)
      await client.close()
    } finally {
      served.kill()
    }
  })
})
