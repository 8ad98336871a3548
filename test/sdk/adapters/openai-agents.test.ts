// synod/openai-agents against the real @openai/agents: each function tool invoked as the
// Runner invokes it (tool.invoke with a RunContext and the model's JSON arguments), against
// an in-process cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunContext, type FunctionTool } from '@openai/agents'
import { synodOpenAiAgentsTools } from '../../../sdk/adapters/openai-agents.ts'
import { adapterClient, EXPECTED_TOOL_NAMES, runAdapterFlow } from '../../support-sdk/adapter-flow.ts'
import { startCluster, type TestCluster } from '../../support-sdk/cluster.ts'

describe('OpenAI Agents SDK adapter', () => {
  let cluster: TestCluster
  let tools: FunctionTool[]
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
    tools = synodOpenAiAgentsTools({ client: adapterClient(cluster, 23) })
  })
  afterAll(async () => {
    await cluster.close()
  })

  const call = async (name: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const found = tools.find((t) => t.name === name)
    if (found === undefined) throw new Error(`no tool ${name}`)
    const out: unknown = await found.invoke(new RunContext(), JSON.stringify(input))
    expect(typeof out).toBe('string')
    return JSON.parse(out as string) as Record<string, unknown>
  }

  it('offers every tool as a non-strict function tool with a JSON Schema', () => {
    expect(tools.map((t) => t.name).sort()).toEqual(EXPECTED_TOOL_NAMES)
    for (const t of tools) {
      expect(t.type).toBe('function')
      expect(t.strict).toBe(false)
      expect(t.description.length).toBeGreaterThan(40)
      expect(t.parameters.type).toBe('object')
    }
    const typed = tools.find((t) => t.name === 'commit_acme_approvals')!
    expect(Object.keys(typed.parameters.properties).sort()).toEqual(['idempotencyKey', 'payload', 'refs'])
  })

  it('commits, gets, queries, verifies and audits', async () => {
    await runAdapterFlow(call, 'acme/openai-agents')
  })

  it('returns invalid arguments to the model as a typed error', async () => {
    const out = await call('get_decision', { id: 'not-an-id' })
    expect(out.error).toBe('ToolInputError')
    expect(out.issues).toEqual(expect.any(Array))
  })
})
