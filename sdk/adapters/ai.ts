// synod/ai: Synod's tools as Vercel AI SDK tools (`ai`, an optional peer dependency), for
// generateText / streamText / agents. Built from the one definition of each tool
// (sdk/tools/definitions.ts) that the MCP server uses too. See docs/sdk.md, "Agent frameworks".
import { tool, type ToolSet } from 'ai'
import type { NamespaceSchemas } from '../types.ts'
import { runToolSafely, synodTools, type SynodToolsOptions } from '../tools/definitions.ts'

/**
 * Synod's tools keyed by name (commit_decision, commit_<namespace>, get_decision,
 * query_decisions, verify_receipt, audit_range), ready for `tools:` of generateText.
 * Each resolves to its JSON result; a failure resolves, not rejects, to
 * `{ error, message, ... }` so the model reads the typed error and can correct itself.
 */
export function synodAiTools<S extends NamespaceSchemas>(options: SynodToolsOptions<S>): ToolSet {
  const tools: ToolSet = {}
  for (const definition of synodTools(options)) {
    tools[definition.name] = tool({
      title: definition.title,
      description: definition.description,
      inputSchema: definition.inputSchema,
      execute: async (input: Record<string, unknown>, { abortSignal }) => runToolSafely(definition, input, { signal: abortSignal }),
    })
  }
  return tools
}
