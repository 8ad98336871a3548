// synod/langchain: Synod's tools as LangChain.js tools (@langchain/core, an optional peer
// dependency). Built from the one definition of each tool (sdk/tools/definitions.ts) that
// the MCP server uses too. See docs/sdk.md, "Agent frameworks".
import { tool, type StructuredToolInterface } from '@langchain/core/tools'
import type { NamespaceSchemas } from '../types.ts'
import { runToolSafely, synodTools, type SynodToolsOptions } from '../tools/definitions.ts'

/**
 * Synod's tools (commit_decision, commit_<namespace>, get_decision, query_decisions,
 * verify_receipt, audit_range) for a LangChain agent. Each returns its result as JSON
 * text; a failure is returned, not thrown, as `{ error, message, ... }` so the model
 * reads the typed error (e.g. PayloadValidationError with its issues) and can correct itself.
 */
export function synodLangChainTools<S extends NamespaceSchemas>(options: SynodToolsOptions<S>): StructuredToolInterface[] {
  return synodTools(options).map((definition) => tool(
    async (input: Record<string, unknown>, config) => JSON.stringify(await runToolSafely(definition, input, { signal: config?.signal })),
    { name: definition.name, description: definition.description, schema: definition.inputSchema },
  ))
}
