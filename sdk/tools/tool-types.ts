// The shape of a tool, shared by the tool modules (definitions.ts and decision-tools.ts,
// which definitions.ts imports), and the inputs and hints they both use.
import { z } from 'zod'

/** What a framework hands a running tool: the caller's abort signal, if any. */
export interface ToolRunContext {
  readonly signal?: AbortSignal
}

/** Hints for hosts (the MCP tool annotations). */
export interface ToolAnnotations {
  readonly readOnlyHint?: boolean
  readonly destructiveHint?: boolean
  readonly idempotentHint?: boolean
  readonly openWorldHint?: boolean
}

/** The result of a tool, as JSON: what the model reads. */
export type ToolResult = Record<string, unknown>

/** One tool: everything a framework needs to offer it to a model. `run` throws on failure
 * (wrappers turn the error into `toolErrorJson`); its input has been parsed by `inputSchema`. */
export interface SynodTool {
  readonly name: string
  readonly title: string
  readonly description: string
  /** The input as a zod object shape (MCP takes the shape, the frameworks `z.object(shape)`). */
  readonly inputShape: z.ZodRawShape
  readonly inputSchema: z.ZodObject
  readonly annotations: ToolAnnotations
  run(input: Record<string, unknown>, context: ToolRunContext): Promise<ToolResult>
}

/** Hints of a tool that writes to the log, and of one that only reads. */
export const WRITE: ToolAnnotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true }
export const READ: ToolAnnotations = { readOnlyHint: true, openWorldHint: true }

export const ENTRY_ID = z.string().regex(/^[0-9a-f]{64}$/, 'an entry id: 64 lower-case hex characters')
export const NAMESPACE = z.string().min(1).max(128).regex(/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/, "lower-case segments of [a-z0-9._-] separated by '/', e.g. 'acme/plans'")

/** A tool from its parts; its input schema is the object of its shape. */
export function defineTool(t: Omit<SynodTool, 'inputSchema'>): SynodTool {
  return { ...t, inputSchema: z.object(t.inputShape) }
}
