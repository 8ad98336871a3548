// synod/ai against the real Vercel AI SDK (`ai`): each tool's execute called as
// generateText calls it (validated input, execution options), against an in-process cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asSchema, type ToolSet } from 'ai'
import { synodAiTools } from '../../../sdk/adapters/ai.ts'
import { adapterClient, EXPECTED_TOOL_NAMES, runAdapterFlow } from '../../support-sdk/adapter-flow.ts'
import { startCluster, type TestCluster } from '../../support-sdk/cluster.ts'

describe('Vercel AI SDK adapter', () => {
  let cluster: TestCluster
  let tools: ToolSet
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
    tools = synodAiTools({ client: adapterClient(cluster, 22) })
  })
  afterAll(async () => {
    await cluster.close()
  })

  // What generateText does with a model's tool call: validate the input by the tool's
  // schema (the AI SDK's own asSchema), then execute with the call's options.
  const call = async (name: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const found = tools[name]
    if (found === undefined || found.execute === undefined) throw new Error(`no tool ${name}`)
    const validated = await asSchema(found.inputSchema).validate!(input)
    if (!validated.success) throw validated.error
    const out: unknown = await found.execute(validated.value, { toolCallId: `call-${name}`, messages: [], context: {}, abortSignal: AbortSignal.timeout(30_000) })
    return out as Record<string, unknown>
  }

  it('offers every tool with its description and a JSON Schema', async () => {
    expect(Object.keys(tools).sort()).toEqual(EXPECTED_TOOL_NAMES)
    for (const t of Object.values(tools)) expect(t.description!.length).toBeGreaterThan(40)
    const schema = await asSchema(tools.commit_acme_approvals!.inputSchema).jsonSchema
    expect(Object.keys((schema as { properties: object }).properties).sort()).toEqual(['idempotencyKey', 'payload', 'refs'])
  })

  it('commits, gets, queries, verifies and audits', async () => {
    await runAdapterFlow(call, 'acme/ai')
  })

  it('refuses arguments that do not match the schema before the tool runs', async () => {
    const validated = await asSchema(tools.get_decision!.inputSchema).validate!({ id: 'not-an-id' })
    expect(validated.success).toBe(false)
  })
})
