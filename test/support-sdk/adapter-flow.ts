// The flow every agent-framework adapter test runs through its framework's own tool
// objects (no model): commit (generic and typed), get, query, verify a receipt (and a
// forged one), audit, and the failures a model must be able to read.
import { expect } from 'vitest'
import { z } from 'zod'
import { AgentIdentity, SynodClient } from '../../sdk/index.ts'
import type { TestCluster } from './cluster.ts'

type Json = Record<string, unknown>

/** Calls one tool by name with JSON arguments, as the framework would, and returns its parsed result. */
export type CallTool = (name: string, input: Json) => Promise<Json>

export const adapterSchemas = { 'acme/approvals': z.object({ plan: z.string().regex(/^[0-9a-f]{64}$/), approved: z.boolean() }).describe('An approval of a plan.') }

export const EXPECTED_TOOL_NAMES = ['approve_decision', 'audit_range', 'commit_acme_approvals', 'commit_decision', 'decision_status', 'get_decision', 'propose_decision', 'query_decisions', 'reject_decision', 'verify_receipt']

export function adapterClient(cluster: TestCluster, seed: number): SynodClient<typeof adapterSchemas> {
  return new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.fromSeed(new Uint8Array(32).fill(seed)), schemas: adapterSchemas })
}

/** Runs the flow in namespace `ns` (one per adapter, so queries see only their own). */
export async function runAdapterFlow(call: CallTool, ns: string): Promise<void> {
  const committed = await call('commit_decision', { namespace: ns, payload: { goal: 'ship v1' }, idempotencyKey: 'plan-1' })
  expect(committed.committed).toBe(true)
  expect(committed.verified).toBe('receipt')
  expect(committed.height).toEqual(expect.any(Number))
  const id = committed.id as string

  const approval = await call('commit_acme_approvals', { payload: { plan: id, approved: true }, refs: [id] })
  expect(approval.committed).toBe(true)
  expect(approval.refs).toEqual([id])

  const rejected = await call('commit_decision', { namespace: 'acme/approvals', payload: { plan: 'nope' } })
  expect(rejected.error).toBe('PayloadValidationError')

  const got = await call('get_decision', { id })
  expect(got.payload).toEqual({ goal: 'ship v1' })
  expect(got.height).toBe(committed.height)

  const listed = await call('query_decisions', { namespace: ns, verify: 'receipt' })
  expect(listed.count).toBe(1)
  expect((listed.items as Json[])[0]!.id).toBe(id)

  const valid = await call('verify_receipt', { receipt: got.receipt as Json })
  expect(valid.valid).toBe(true)
  expect(valid.id).toBe(id)
  const forged = structuredClone(got.receipt) as { index: number }
  forged.index += 1
  const invalid = await call('verify_receipt', { receipt: forged })
  expect(invalid.valid).toBe(false)

  const audit = await call('audit_range', {})
  expect(audit.ok).toBe(true)
  expect(audit.entries as number).toBeGreaterThanOrEqual(2)
  const elsewhere = await call('audit_range', { node: 'http://169.254.169.254' })
  expect(elsewhere.error).toBe('Error')

  const missing = await call('get_decision', { id: '00'.repeat(32) })
  expect(missing.error).toBe('EntryNotFoundError')
}
