// The MCP server: Synod's operations as tools for any MCP-capable agent, on the official
// @modelcontextprotocol/sdk. Every tool runs through a SynodClient, so what an agent
// gets back has been verified against the genesis exactly as the SDK verifies it.
//
// Tools: commit_decision, get_decision, query_decisions, verify_receipt, audit_range,
// and, for each namespace with a zod payload schema, commit_<namespace> whose input
// schema is that payload schema (so the calling model sees the fields it must fill).
//
// Node-only (the auditor streams an export); not part of the browser path.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { runAudit } from '../../audit/run-audit.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { SYNOD_VERSION } from '../../src/version.ts'
import { entryId } from '../../src/log/entry.ts'
import { genesisId, verifyReceipt } from '../../src/log/verify.ts'
import { receiptFromJson, receiptToJson, type Receipt } from '../../src/log/receipt.ts'
import type { SynodClient } from '../client.ts'
import type { Decision, NamespaceSchemas } from '../types.ts'

export const MCP_SERVER_NAME = 'synod'
export const MCP_SERVER_VERSION = SYNOD_VERSION

/** Bounds of the tools' inputs and outputs (a model can ask for a lot). */
export const MCP_LIMITS = {
  /** Most items one query_decisions call returns: enough to read a thread of decisions,
   * small enough to fit a model's context. */
  queryItemsMax: 200,
  queryItemsDefault: 20,
  /** Deadline of one node's answer when a result's block height is looked up: the commit
   * is done and verified by then, so a slow node only costs the result its height (null). */
  heightLookupTimeoutMs: 2_000,
} as const

export interface SynodMcpOptions<S extends NamespaceSchemas> {
  /** The client every tool goes through (its identity signs commit_decision). */
  readonly client: SynodClient<S>
  /** Deadline of one commit from a tool call; default the client's. */
  readonly commitTimeoutMs?: number
}

const ID = z.string().regex(/^[0-9a-f]{64}$/, 'an entry id: 64 lower-case hex characters')
const NAMESPACE = z.string().min(1).max(128).regex(/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/, "lower-case segments of [a-z0-9._-] separated by '/', e.g. 'acme/plans'")
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

function decisionJson(d: Decision): Record<string, unknown> {
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

function checkpointSummary(r: Receipt): Record<string, unknown> {
  const signers = r.checkpoint.sigs.length
  return { height: r.checkpoint.height, logSize: r.checkpoint.logSize, logRoot: toHex(r.checkpoint.logRoot), signers }
}

/** A result, once: as compact JSON text, which every MCP client hands to its model. No
 * structuredContent copy (the tools declare no output schema, so it is optional): with
 * it, each result went over the wire and into the model's context twice in full. */
function ok(result: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(result) }] }
}

function failure(err: unknown): CallToolResult {
  const e = err as Error
  const name = typeof e?.name === 'string' ? e.name : 'Error'
  const extra: Record<string, unknown> = {}
  for (const key of ['id', 'code', 'namespace', 'issues'] as const) {
    const value = (e as unknown as Record<string, unknown>)[key]
    if (value !== undefined) extra[key] = value
  }
  const errors = (e as unknown as { errors?: readonly Error[] }).errors
  if (Array.isArray(errors)) extra.nodeErrors = errors.map((x) => `${x.name}: ${x.message}`)
  return { isError: true, content: [{ type: 'text', text: JSON.stringify({ error: name, message: e?.message ?? String(err), ...extra }) }] }
}

async function guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run()
  } catch (err) {
    return failure(err)
  }
}

/** The tool name for a typed namespace: commit_ + the namespace with '/' as '_'. */
export function commitToolName(namespace: string): string {
  return `commit_${namespace.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 128)
}

/** The height of the block holding entry `id` at log index `index`, as the first node
 * that knows it reports it (GET /v1/entries/:id); null if none does in time. */
async function reportedHeight(nodes: readonly string[], id: string, index: number): Promise<number | null> {
  for (const base of nodes) {
    try {
      const res = await fetch(new URL(`/v1/entries/${id}`, base), { signal: AbortSignal.timeout(MCP_LIMITS.heightLookupTimeoutMs) })
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

  const commit = async (namespace: string, payload: unknown, refs: string[] | undefined, key: string | undefined): Promise<CallToolResult> => {
    const d = await client.commit(namespace, payload as never, { refs, idempotencyKey: key, timeoutMs: options.commitTimeoutMs })
    return ok({ committed: true, ...decisionJson(d), height: await heightOf(d), checkpoint: checkpointSummary(d.receipt) })
  }
  // A receipt proves inclusion at its checkpoint's height but does not name the block
  // holding the entry: ask the nodes, and keep an answer only if it agrees with the
  // verified receipt on the entry's log index.
  const heightOf = async (d: Decision): Promise<number | null> => d.height ?? await reportedHeight(client.nodes, d.id, d.index)

  server.registerTool('commit_decision', {
    title: 'Commit a decision',
    description: 'Append a decision to the Synod log, signed by this server\'s agent identity. Returns only once the decision is committed by a quorum of validators, with its id, log index, block height and a receipt this server verified (commit certificate, inclusion proof, signature). Use refs to link it to earlier decisions (e.g. the plan it approves). Payloads of namespaces with a schema must match it (see the commit_<namespace> tools).',
    inputSchema: {
      namespace: NAMESPACE.describe("Where the decision goes, e.g. 'acme/plans'. Write access per namespace is set by the chain's genesis policy."),
      payload: JSON_PAYLOAD,
      refs: REFS,
      idempotencyKey: KEY,
    },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  }, async ({ namespace, payload, refs, idempotencyKey }) => guarded(() => commit(namespace, payloadFromArgument(payload), refs, idempotencyKey)))

  for (const [namespace, schema] of Object.entries(client.schemas ?? {})) {
    server.registerTool(commitToolName(namespace), {
      title: `Commit to ${namespace}`,
      description: `Commit a decision to namespace '${namespace}'. The payload must match this namespace's schema. Returns once committed, with a verified receipt.${schema.description ? ` ${schema.description}` : ''}`,
      inputSchema: { payload: schema, refs: REFS, idempotencyKey: KEY },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    }, async ({ payload, refs, idempotencyKey }) => guarded(() => commit(namespace, payload, refs as string[] | undefined, idempotencyKey as string | undefined)))
  }

  server.registerTool('get_decision', {
    title: 'Get a decision with its receipt',
    description: 'Fetch a committed decision by its id, with its block height and a receipt verified against the genesis. Fails with EntryNotFoundError (pending: true if it is not yet certified).',
    inputSchema: { id: ID.describe('The decision (entry) id') },
    annotations: { readOnlyHint: true, openWorldHint: true },
  }, async ({ id }) => guarded(async () => {
    const d = await client.get(id)
    return ok({ ...decisionJson(d), height: await heightOf(d), checkpoint: checkpointSummary(d.receipt) })
  }))

  server.registerTool('query_decisions', {
    title: 'Query decisions',
    description: `List committed decisions in log order, filtered by namespace (exact), agent and block height range. Each item's signature is verified; with verify 'receipt' each also comes with a verified receipt (slower). At most ${MCP_LIMITS.queryItemsMax} items per call: continue with fromHeight = the last item's height and skip ids already seen.`,
    inputSchema: {
      namespace: NAMESPACE.optional().describe('Only this namespace (exact match)'),
      agent: ID.optional().describe('Only decisions by this agent (public key, 64 hex)'),
      fromHeight: z.number().int().min(0).optional().describe('Only blocks at or above this height'),
      toHeight: z.number().int().min(0).optional().describe('Only blocks at or below this height'),
      limit: z.number().int().min(1).max(MCP_LIMITS.queryItemsMax).optional().describe(`Most items to return (default ${MCP_LIMITS.queryItemsDefault})`),
      verify: z.enum(['signature', 'receipt']).optional().describe("'signature' (default) or 'receipt'"),
    },
    annotations: { readOnlyHint: true, openWorldHint: true },
  }, async (input) => guarded(async () => {
    const items: Record<string, unknown>[] = []
    for await (const d of client.query({ ...input, limit: input.limit ?? MCP_LIMITS.queryItemsDefault })) items.push(decisionJson(d))
    return ok({ count: items.length, items })
  }))

  server.registerTool('verify_receipt', {
    title: 'Verify a receipt offline',
    description: `Check a Synod receipt (JSON: entry, index, proof, checkpoint) against this chain's genesis only, with no network: the agent's signature and write permission, the Merkle inclusion proof, and the quorum of validator signatures on the checkpoint. Genesis ${genesisId(genesis)}.`,
    inputSchema: { receipt: z.record(z.string(), z.unknown()).describe('The receipt in its JSON form (as returned by commit_decision or get_decision)') },
    annotations: { readOnlyHint: true, openWorldHint: false },
  }, async ({ receipt }) => guarded(async () => {
    let parsed: Receipt
    try {
      parsed = receiptFromJson(receipt)
    } catch (err) {
      return ok({ valid: false, code: 'malformed-receipt', reason: (err as Error).message })
    }
    const verdict = verifyReceipt(parsed, genesis)
    const about = { id: toHex(entryId(parsed.entry)), namespace: parsed.entry.namespace, agent: toHex(parsed.entry.agent), index: parsed.index, checkpoint: checkpointSummary(parsed) }
    return ok(verdict.ok ? { valid: true, ...about } : { valid: false, code: verdict.code, reason: verdict.reason, ...about })
  }))

  server.registerTool('audit_range', {
    title: 'Audit the chain',
    description: 'Stream the chain from one of the configured nodes (GET /v1/export) and re-verify every block from fromHeight to toHeight against the genesis: hash links, proposers, quorum certificates, commit certificates, every entry signature, write policy, per-agent sequence, Merkle roots. Reports the first failure with its height, or the verified totals.',
    inputSchema: {
      fromHeight: z.number().int().min(1).optional().describe('First height (default 1: from the genesis)'),
      toHeight: z.number().int().min(1).optional().describe('Last height (default: the latest the node has)'),
      node: z.string().optional().describe(`Which configured node to stream from (default the first): one of ${client.nodes.join(', ')}`),
      allowUncertifiedTail: z.boolean().optional().describe('Do not fail on blocks after the last commit certificate'),
    },
    annotations: { readOnlyHint: true, openWorldHint: true },
  }, async ({ fromHeight, toHeight, node, allowUncertifiedTail }, extra) => guarded(async () => {
    // Only the configured nodes: a tool must not become a way to make this server fetch any URL.
    const base = node ?? client.nodes[0]!
    if (!client.nodes.includes(base.replace(/\/+$/, ''))) throw new Error(`'${base}' is not one of the configured nodes (${client.nodes.join(', ')})`)
    const url = new URL('/v1/export', base)
    url.searchParams.set('fromHeight', String(fromHeight ?? 1))
    if (toHeight !== undefined) url.searchParams.set('toHeight', String(toHeight))
    const res = await fetch(url, { signal: extra.signal })
    if (!res.ok || res.body === null) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
    const report = await runAudit(chunksOf(res.body), { genesis, toHeight, allowUncertifiedTail: allowUncertifiedTail ?? false, signal: extra.signal })
    return ok({
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
      durationMs: report.durationMs,
    })
  }))

  return server
}
