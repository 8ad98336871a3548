// Synod's agent tools, defined once: name, description, zod input schema and a handler over
// a SynodClient. The MCP server (sdk/mcp/server.ts) and the agent-framework adapters
// (sdk/adapters/: LangChain.js, Vercel AI SDK, OpenAI Agents SDK) are thin wrappers around
// these definitions, so every surface offers the same tools with the same inputs and results.
//
// Tools: commit_decision, get_decision, query_decisions, verify_receipt, audit_range,
// propose_decision, approve_decision, reject_decision, decision_status (decision-tools.ts),
// and, for each namespace with a zod payload schema, commit_<namespace> whose input
// schema is that payload schema (so the calling model sees the fields it must fill).
//
// Node-only (the auditor streams an export); not part of the browser path.
import { z } from 'zod'
import { runAudit } from '../../audit/run-audit.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { genesisId, verifyReceipt } from '../../src/log/verify.ts'
import { receiptFromJson, receiptToJson, type Receipt } from '../../src/log/receipt.ts'
import type { SynodClient } from '../client.ts'
import type { Decision, NamespaceSchemas } from '../types.ts'
import { decisionTools } from './decision-tools.ts'
import { defineTool, ENTRY_ID, NAMESPACE, READ, WRITE, type SynodTool, type ToolResult, type ToolRunContext } from './tool-types.ts'

/** Bounds of the tools' inputs and outputs (a model can ask for a lot). */
export const TOOL_LIMITS = {
  /** Most items one query_decisions call returns: enough to read a thread of decisions,
   * small enough to fit a model's context. */
  queryItemsMax: 200,
  queryItemsDefault: 20,
  /** Deadline of one node's answer when a result's block height is looked up: the commit
   * is done and verified by then, so a slow node only costs the result its height (null). */
  heightLookupTimeoutMs: 2_000,
} as const

export type { SynodTool, ToolAnnotations, ToolResult, ToolRunContext } from './tool-types.ts'

export interface SynodToolsOptions<S extends NamespaceSchemas> {
  /** The client every tool goes through (its identity signs commit_decision). */
  readonly client: SynodClient<S>
  /** Deadline of one commit from a tool call; default the client's. */
  readonly commitTimeoutMs?: number
}

const ID = ENTRY_ID
const REFS = z.array(ID).max(16).optional().describe('Ids of earlier decisions this one refers to (builds on, approves, supersedes...). At most 16.')
const KEY = z.string().max(128).optional().describe('Optional client key recorded with the decision (e.g. a task id), to recognise it later.')
/** Any JSON value, typed as such in the tool's JSON Schema (an untyped `{}` schema makes
 * clients such as the MCP Inspector CLI send the argument as a string). */
const JSON_PAYLOAD = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string(), z.number(), z.boolean(), z.null()])
  .describe('The decision itself: a JSON object (recommended) or any JSON value, at most the chain\'s payload limit (16 KiB by default). A string holding a JSON object or array (e.g. \'{"goal":"ship"}\') is committed as that object or array, since some clients send every argument as text; any other string is committed as a string.')


/**
 * The payload an agent meant: a string whose text is a JSON object or array is parsed
 * (clients that only send text, like the MCP Inspector CLI, would otherwise commit a JSON
 * string instead of the object); any other value, other strings included, is kept as is.
 */
export function payloadFromArgument(value: unknown): unknown {
  if (typeof value !== 'string') return value
  const text = value.trim()
  if (!(text.startsWith('{') && text.endsWith('}')) && !(text.startsWith('[') && text.endsWith(']'))) return value
  try {
    return JSON.parse(text) as unknown
  } catch {
    return value
  }
}

/** The tool name for a typed namespace: commit_ + the namespace with '/' as '_'. */
export function commitToolName(namespace: string): string {
  return `commit_${namespace.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 128)
}

/** A failed tool call as JSON: the error's stable name, its message and the values it carries. */
export function toolErrorJson(err: unknown): ToolResult {
  const e = err as Error
  const name = typeof e?.name === 'string' ? e.name : 'Error'
  const extra: Record<string, unknown> = {}
  for (const key of ['id', 'code', 'namespace', 'issues'] as const) {
    const value = (e as unknown as Record<string, unknown> | null)?.[key]
    if (value !== undefined) extra[key] = value
  }
  const errors = (e as unknown as { errors?: readonly Error[] } | null)?.errors
  if (Array.isArray(errors)) extra.nodeErrors = errors.map((x) => `${x.name}: ${x.message}`)
  return { error: name, message: e?.message ?? String(err), ...extra }
}

/** Runs a tool and never throws: the result, or `toolErrorJson` of the failure. What the
 * framework adapters hand the model, so that it reads the typed error and can correct itself. */
export async function runToolSafely(tool: SynodTool, input: Record<string, unknown>, context: ToolRunContext): Promise<ToolResult> {
  try {
    return await tool.run(input, context)
  } catch (err) {
    return toolErrorJson(err)
  }
}

function decisionJson(d: Decision): ToolResult {
  return {
    id: d.id,
    agent: d.agent,
    namespace: d.namespace,
    seq: d.seq,
    payload: d.payload,
    payloadError: d.payloadError,
    refs: d.refs,
    idempotencyKey: d.idempotencyKey,
    index: d.index,
    height: d.height,
    verified: d.receipt === null ? 'signature' : 'receipt',
    receipt: d.receipt === null ? null : receiptToJson(d.receipt),
  }
}

function checkpointSummary(r: Receipt): ToolResult {
  const signers = r.checkpoint.sigs.length
  return { height: r.checkpoint.height, logSize: r.checkpoint.logSize, logRoot: toHex(r.checkpoint.logRoot), signers }
}

/** The height of the block holding entry `id` at log index `index`, as the first node
 * that knows it reports it (GET /v1/entries/:id); null if none does in time. */
async function reportedHeight(nodes: readonly string[], id: string, index: number): Promise<number | null> {
  for (const base of nodes) {
    try {
      const res = await fetch(new URL(`/v1/entries/${id}`, base), { signal: AbortSignal.timeout(TOOL_LIMITS.heightLookupTimeoutMs) })
      if (!res.ok) {
        await res.body?.cancel()
        continue
      }
      const body = await res.json() as { index?: unknown, height?: unknown }
      if (body.index === index && Number.isSafeInteger(body.height) && (body.height as number) >= 1) return body.height as number
    } catch {
      // This node is down or slow: ask the next.
    }
  }
  return null
}

async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

/** Synod's tools over one client: the generic ones, then one commit_<namespace> per schema. */
export function synodTools<S extends NamespaceSchemas>(options: SynodToolsOptions<S>): SynodTool[] {
  const { client } = options
  const genesis = client.genesis

  // A receipt proves inclusion at its checkpoint's height but does not name the block
  // holding the entry: ask the nodes, and keep an answer only if it agrees with the
  // verified receipt on the entry's log index.
  const heightOf = async (d: Decision): Promise<number | null> => d.height ?? await reportedHeight(client.nodes, d.id, d.index)
  const commit = async (namespace: string, payload: unknown, refs: unknown, key: unknown): Promise<ToolResult> => {
    const d = await client.commit(namespace, payload as never, { refs: refs as string[] | undefined, idempotencyKey: key as string | undefined, timeoutMs: options.commitTimeoutMs })
    return { committed: true, ...decisionJson(d), height: await heightOf(d), checkpoint: checkpointSummary(d.receipt) }
  }

  const tools: SynodTool[] = [defineTool({
    name: 'commit_decision',
    title: 'Commit a decision',
    description: 'Append a decision to the Synod log, signed by this server\'s agent identity. Returns only once the decision is committed by a quorum of validators, with its id, log index, block height and a receipt this server verified (commit certificate, inclusion proof, signature). Use refs to link it to earlier decisions (e.g. the plan it approves). Payloads of namespaces with a schema must match it (see the commit_<namespace> tools).',
    inputShape: {
      namespace: NAMESPACE.describe("Where the decision goes, e.g. 'acme/plans'. Write access per namespace is set by the chain's genesis policy."),
      payload: JSON_PAYLOAD,
      refs: REFS,
      idempotencyKey: KEY,
    },
    annotations: WRITE,
    run: async ({ namespace, payload, refs, idempotencyKey }) => commit(namespace as string, payloadFromArgument(payload), refs, idempotencyKey),
  })]

  for (const [namespace, schema] of Object.entries(client.schemas ?? {})) {
    tools.push(defineTool({
      name: commitToolName(namespace),
      title: `Commit to ${namespace}`,
      description: `Commit a decision to namespace '${namespace}'. The payload must match this namespace's schema. Returns once committed, with a verified receipt.${schema.description ? ` ${schema.description}` : ''}`,
      inputShape: { payload: schema, refs: REFS, idempotencyKey: KEY },
      annotations: WRITE,
      run: async ({ payload, refs, idempotencyKey }) => commit(namespace, payload, refs, idempotencyKey),
    }))
  }

  tools.push(defineTool({
    name: 'get_decision',
    title: 'Get a decision with its receipt',
    description: 'Fetch a committed decision by its id, with its block height and a receipt verified against the genesis. Fails with EntryNotFoundError (pending: true if it is not yet certified).',
    inputShape: { id: ID.describe('The decision (entry) id') },
    annotations: READ,
    run: async ({ id }) => {
      const d = await client.get(id as string)
      return { ...decisionJson(d), height: await heightOf(d), checkpoint: checkpointSummary(d.receipt) }
    },
  }))

  tools.push(defineTool({
    name: 'query_decisions',
    title: 'Query decisions',
    description: `List committed decisions in log order, filtered by namespace (exact), agent and block height range. Each item's signature is verified; with verify 'receipt' each also comes with a verified receipt (slower). At most ${TOOL_LIMITS.queryItemsMax} items per call: continue with fromHeight = the last item's height and skip ids already seen.`,
    inputShape: {
      namespace: NAMESPACE.optional().describe('Only this namespace (exact match)'),
      agent: ID.optional().describe('Only decisions by this agent (public key, 64 hex)'),
      fromHeight: z.number().int().min(0).optional().describe('Only blocks at or above this height'),
      toHeight: z.number().int().min(0).optional().describe('Only blocks at or below this height'),
      limit: z.number().int().min(1).max(TOOL_LIMITS.queryItemsMax).optional().describe(`Most items to return (default ${TOOL_LIMITS.queryItemsDefault})`),
      verify: z.enum(['signature', 'receipt']).optional().describe("'signature' (default) or 'receipt'"),
    },
    annotations: READ,
    run: async (input) => {
      const query = input as { namespace?: string, agent?: string, fromHeight?: number, toHeight?: number, limit?: number, verify?: 'signature' | 'receipt' }
      const items: ToolResult[] = []
      for await (const d of client.query({ ...query, limit: query.limit ?? TOOL_LIMITS.queryItemsDefault })) items.push(decisionJson(d))
      return { count: items.length, items }
    },
  }))

  tools.push(defineTool({
    name: 'verify_receipt',
    title: 'Verify a receipt offline',
    description: `Check a Synod receipt (JSON: entry, index, proof, checkpoint) against this chain's genesis only, with no network: the agent's signature and write permission, the Merkle inclusion proof, and the quorum of validator signatures on the checkpoint. Genesis ${genesisId(genesis)}.`,
    inputShape: { receipt: z.record(z.string(), z.unknown()).describe('The receipt in its JSON form (as returned by commit_decision or get_decision)') },
    annotations: { readOnlyHint: true, openWorldHint: false },
    run: async ({ receipt }) => {
      let parsed: Receipt
      try {
        parsed = receiptFromJson(receipt)
      } catch (err) {
        return { valid: false, code: 'malformed-receipt', reason: (err as Error).message }
      }
      const verdict = verifyReceipt(parsed, genesis)
      const about = { id: toHex(entryId(parsed.entry)), namespace: parsed.entry.namespace, agent: toHex(parsed.entry.agent), index: parsed.index, checkpoint: checkpointSummary(parsed) }
      return verdict.ok ? { valid: true, ...about } : { valid: false, code: verdict.code, reason: verdict.reason, ...about }
    },
  }))

  tools.push(defineTool({
    name: 'audit_range',
    title: 'Audit the chain',
    description: 'Stream the chain from one of the configured nodes (GET /v1/export) and re-verify every block from fromHeight to toHeight against the genesis: hash links, proposers, quorum certificates, commit certificates, every entry signature, write policy, per-agent sequence, Merkle roots. Reports the first failure with its height, or the verified totals.',
    inputShape: {
      fromHeight: z.number().int().min(1).optional().describe('First height (default 1: from the genesis)'),
      toHeight: z.number().int().min(1).optional().describe('Last height (default: the latest the node has)'),
      node: z.string().optional().describe(`Which configured node to stream from (default the first): one of ${client.nodes.join(', ')}`),
      allowUncertifiedTail: z.boolean().optional().describe('Do not fail on blocks after the last commit certificate'),
    },
    annotations: READ,
    run: async (input, { signal }) => {
      const { fromHeight, toHeight, node, allowUncertifiedTail } = input as { fromHeight?: number, toHeight?: number, node?: string, allowUncertifiedTail?: boolean }
      // Only the configured nodes: a tool must not become a way to make this process fetch any URL.
      const base = node ?? client.nodes[0]!
      if (!client.nodes.includes(base.replace(/\/+$/, ''))) throw new Error(`'${base}' is not one of the configured nodes (${client.nodes.join(', ')})`)
      const url = new URL('/v1/export', base)
      url.searchParams.set('fromHeight', String(fromHeight ?? 1))
      if (toHeight !== undefined) url.searchParams.set('toHeight', String(toHeight))
      const res = await fetch(url, { signal })
      if (!res.ok || res.body === null) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
      const report = await runAudit(chunksOf(res.body), { genesis, toHeight, allowUncertifiedTail: allowUncertifiedTail ?? false, signal })
      return {
        ok: report.ok,
        node: base,
        genesis: report.genesis,
        blocks: report.blocks,
        entries: report.entries,
        height: report.height,
        certifiedHeight: report.certifiedHeight,
        logSize: report.logSize,
        logRoot: toHex(report.logRoot),
        failure: report.failure,
        decisions: { counts: report.decisions.counts, ignored: report.decisions.ignored },
        durationMs: report.durationMs,
      }
    },
  }))

  tools.push(...decisionTools(client, options.commitTimeoutMs))
  return tools
}
