// synod/openai-agents: Synod's tools as OpenAI Agents SDK function tools (@openai/agents,
// an optional peer dependency). Built from the one definition of each tool
// (sdk/tools/definitions.ts) that the MCP server uses too. See docs/sdk.md, "Agent frameworks".
//
// Non-strict: OpenAI's strict mode rejects optional fields that are not nullable and
// open objects (a payload or receipt is any JSON object), which these tools need. The
// model gets the tools' JSON Schema, and each call is validated here by the zod schema.
import { tool, type FunctionTool } from '@openai/agents'
import { z } from 'zod'
import type { NamespaceSchemas } from '../types.ts'
import { runToolSafely, synodTools, type SynodTool, type SynodToolsOptions, type ToolResult } from '../tools/definitions.ts'

/** A non-strict tool's parameters: a JSON Schema object (the SDK does not export its type). */
type NonStrictParameters = Extract<Parameters<typeof tool>[0], { strict: false }>['parameters']

/** The JSON Schema a model sees for a tool's input (no $schema key: a tool parameter). */
function parametersOf(definition: SynodTool): NonStrictParameters {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(definition.inputSchema, { io: 'input' })
  return schema as unknown as NonStrictParameters
}

/** Validates the model's arguments by the tool's zod schema, then runs it; never throws. */
async function runValidated(definition: SynodTool, input: unknown, signal: AbortSignal | undefined): Promise<ToolResult> {
  const parsed = definition.inputSchema.safeParse(input)
  if (!parsed.success) return { error: 'ToolInputError', message: `invalid arguments for ${definition.name}: ${z.prettifyError(parsed.error)}`, issues: parsed.error.issues }
  return runToolSafely(definition, parsed.data, { signal })
}

/**
 * Synod's tools (commit_decision, commit_<namespace>, get_decision, query_decisions,
 * verify_receipt, audit_range) for an OpenAI Agents SDK `Agent({ tools })`. Each returns
 * its result as JSON text; a failure (invalid arguments included) is returned, not thrown,
 * as `{ error, message, ... }` so the model reads the typed error and can correct itself.
 */
export function synodOpenAiAgentsTools<S extends NamespaceSchemas>(options: SynodToolsOptions<S>): FunctionTool[] {
  return synodTools(options).map((definition) => tool({
    name: definition.name,
    description: definition.description,
    parameters: parametersOf(definition),
    strict: false,
    execute: async (input, _context, details) => JSON.stringify(await runValidated(definition, input, details?.signal)),
  }))
}
