// The MCP server: Synod's operations as tools for any MCP-capable agent, on the official
// @modelcontextprotocol/sdk. Every tool runs through a SynodClient, so what an agent
// gets back has been verified against the genesis exactly as the SDK verifies it.
//
// The tools themselves (names, descriptions, input schemas, handlers) are defined once in
// sdk/tools/definitions.ts, shared with the agent-framework adapters in sdk/adapters/.
//
// Node-only (the auditor streams an export); not part of the browser path.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { SYNOD_VERSION } from '../../src/version.ts'
import type { NamespaceSchemas } from '../types.ts'
import { synodTools, TOOL_LIMITS, toolErrorJson, type SynodToolsOptions } from '../tools/definitions.ts'

export { commitToolName, payloadFromArgument } from '../tools/definitions.ts'

export const MCP_SERVER_NAME = 'synod'
export const MCP_SERVER_VERSION = SYNOD_VERSION

/** Bounds of the tools' inputs and outputs (defined with the tools: sdk/tools/definitions.ts). */
export const MCP_LIMITS = TOOL_LIMITS

export type SynodMcpOptions<S extends NamespaceSchemas> = SynodToolsOptions<S>

/** A result, once: as compact JSON text, which every MCP client hands to its model. No
 * structuredContent copy (the tools declare no output schema, so it is optional): with
 * it, each result went over the wire and into the model's context twice in full. */
function ok(result: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(result) }] }
}

function failure(err: unknown): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(toolErrorJson(err)) }] }
}

/** A new MCP server with Synod's tools. One per session or per stateless request. */
export function createSynodMcpServer<S extends NamespaceSchemas>(options: SynodMcpOptions<S>): McpServer {
  const { client } = options
  const genesis = client.genesis
  const agent = client.identity?.publicKeyHex ?? null
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: MCP_SERVER_VERSION },
    {
      instructions: [
        `Synod is a Byzantine-fault-tolerant, append-only decision log shared by agents of several organisations (chain '${genesis.chainId}').`,
        'Commit a decision when you decide something others must be able to rely on; read and query decisions to coordinate.',
        'Every result was verified by this server against the genesis validator set (quorum-signed checkpoint, Merkle inclusion proof, agent signature): a receipt is proof of commitment that anyone can re-check offline with verify_receipt.',
        agent === null ? 'This server has no agent identity: it can read but not commit.' : `Commits are signed as agent ${agent}.`,
      ].join(' '),
    },
  )

  for (const tool of synodTools(options)) {
    server.registerTool(tool.name, {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputShape,
      annotations: tool.annotations,
    }, async (input: Record<string, unknown>, extra: { signal: AbortSignal }) => {
      try {
        return ok(await tool.run(input, { signal: extra.signal }))
      } catch (err) {
        return failure(err)
      }
    })
  }

  return server
}
