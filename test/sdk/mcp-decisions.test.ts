// The decision tools through the MCP server (in memory, the MCP SDK's own Client): a
// reviewer agent approves over MCP and reads the verified outcome; a proposal over MCP.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AgentIdentity, SynodClient, SynodDecisions } from '../../sdk/index.ts'
import { createSynodMcpServer } from '../../sdk/mcp/server.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

function resultJson(result: unknown): Record<string, unknown> {
  const text = (result as CallToolResult).content.find((c) => c.type === 'text')
  if (text === undefined || text.type !== 'text') throw new Error('no text content')
  return JSON.parse(text.text) as Record<string, unknown>
}

describe('decision tools over MCP', () => {
  let cluster: TestCluster
  let mcp: Client
  const reviewer = AgentIdentity.fromSeed(new Uint8Array(32).fill(71))
  const planner = AgentIdentity.fromSeed(new Uint8Array(32).fill(72))

  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
    const server = createSynodMcpServer({ client: new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: reviewer }) })
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await server.connect(serverSide)
    mcp = new Client({ name: 'test', version: '1.0.0' })
    await mcp.connect(clientSide)
  })
  afterAll(async () => {
    await mcp.close()
    await cluster.close()
  })

  it('approves over MCP; decision_status reports approved only with a verified proof', async () => {
    const sdk = new SynodDecisions(new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: planner }))
    const d = await sdk.propose('org/decisions', { approvers: [reviewer.publicKeyHex, planner.publicKeyHex], threshold: 1, deadlineHeights: 500, subject: { ship: true } })
    const now = resultJson(await mcp.callTool({ name: 'decision_status', arguments: { id: d.id } }))
    expect(now).toMatchObject({ status: 'undecided' })
    // Asked without waiting, every node answered (a 1-ms deadline once left this empty).
    expect((now.nodes as { status: string }[]).map((n) => n.status)).toEqual(['pending', 'pending'])
    const voted = resultJson(await mcp.callTool({ name: 'approve_decision', arguments: { id: d.id, note: 'checked the plan' } }))
    expect(voted).toMatchObject({ committed: true, kind: 'approve', decision: d.id })
    const status = resultJson(await mcp.callTool({ name: 'decision_status', arguments: { id: d.id, waitSeconds: 10 } }))
    expect(status).toMatchObject({ status: 'approved', verified: true, approvers: [reviewer.publicKeyHex], subject: { ship: true } })
  })

  it('proposes over MCP, and refuses a vote on a decision that does not name this agent', async () => {
    const proposed = resultJson(await mcp.callTool({ name: 'propose_decision', arguments: { namespace: 'org/decisions', approvers: [planner.publicKeyHex], threshold: 1, deadlineHeights: 100 } }))
    expect(proposed).toMatchObject({ committed: true, kind: 'decision', threshold: 1 })
    const refused = await mcp.callTool({ name: 'reject_decision', arguments: { id: proposed.id } })
    expect(refused.isError).toBe(true)
    expect(resultJson(refused)).toMatchObject({ error: 'NotAnApproverError' })
  })
})
