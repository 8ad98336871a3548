// synod/langchain against the real @langchain/core: each tool invoked as a LangChain
// agent would (tool.invoke with the model's arguments), against an in-process cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ToolInputParsingException, type StructuredToolInterface } from '@langchain/core/tools'
import { synodLangChainTools } from '../../../sdk/adapters/langchain.ts'
import { adapterClient, EXPECTED_TOOL_NAMES, runAdapterFlow } from '../../support-sdk/adapter-flow.ts'
import { startCluster, type TestCluster } from '../../support-sdk/cluster.ts'

describe('LangChain.js adapter', () => {
  let cluster: TestCluster
  let tools: StructuredToolInterface[]
  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
    tools = synodLangChainTools({ client: adapterClient(cluster, 21) })
  })
  afterAll(async () => {
    await cluster.close()
  })

  const call = async (name: string, input: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const found = tools.find((t) => t.name === name)
    if (found === undefined) throw new Error(`no tool ${name}`)
    const out: unknown = await found.invoke(input)
    expect(typeof out).toBe('string')
    return JSON.parse(out as string) as Record<string, unknown>
  }

  it('offers every tool with its description and schema', () => {
    expect(tools.map((t) => t.name).sort()).toEqual(EXPECTED_TOOL_NAMES)
    for (const t of tools) expect(t.description.length).toBeGreaterThan(40)
  })

  it('commits, gets, queries, verifies and audits', async () => {
    await runAdapterFlow(call, 'acme/langchain')
  })

  it('rejects arguments that do not match the schema before anything is sent', async () => {
    await expect(tools.find((t) => t.name === 'get_decision')!.invoke({ id: 'not-an-id' })).rejects.toThrow(ToolInputParsingException)
  })
})
