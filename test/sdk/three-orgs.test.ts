// sdk/examples/three-orgs.ts end to end against API servers over one in-memory ledger
// (test/support-sdk/cluster.ts, 127.0.0.1): the MCP approver is a real `synod mcp` child
// over stdio, the human approver a `synod approve` child, the audit `synod export` and
// `synod audit` children; the example ends each child it starts.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyApprovalProof } from '../../src/decisions/proof.ts'
import { AgentIdentity, SynodClient, SynodDecisions } from '../../sdk/index.ts'
import { runThreeOrgs, type ThreeOrgsResult } from '../../sdk/examples/three-orgs.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

describe('three-organisations example', () => {
  let cluster: TestCluster
  let result: ThreeOrgsResult
  const lines: string[] = []

  beforeAll(async () => {
    cluster = await startCluster({ honest: 3 })
    // Bounded: typically 5-10 s, more on a loaded 2-core machine (six child processes start).
    result = await runThreeOrgs({ nodes: cluster.urls, genesis: cluster.net.genesis, log: (l) => lines.push(l), timeoutMs: 75_000 })
  }, 90_000)
  afterAll(async () => {
    await cluster?.close()
  })

  it('ended the `synod mcp` child it started', () => {
    expect(result.mcpPid).toBeTypeOf('number')
    // Signal 0 only asks whether the pid exists.
    expect(() => process.kill(result.mcpPid!, 0)).toThrow(/ESRCH/)
  })

  it('is approved by exactly the MCP and the CLI approvers, with a proof that verifies offline', async () => {
    expect([...result.proofApprovers].sort()).toEqual([result.approvers.mcp, result.approvers.cli].sort())
    expect(result.proofApprovers).not.toContain(result.approvers.late)
    expect(result.proofVerifiedOffline).toBe(true)
    // Fetched afresh from the nodes by a stranger, and checked against the genesis alone.
    const stranger = new SynodDecisions(new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate() }))
    const outcome = await stranger.outcome(result.decision)
    expect(outcome.status).toBe('approved')
    if (outcome.status !== 'approved') return
    const verdict = verifyApprovalProof(outcome.approved.proof, cluster.net.genesis)
    expect(verdict).toMatchObject({ ok: true, decision: result.decision })
    expect(lines.some((l) => l.startsWith('[globex/reviewer] approve_decision: vote'))).toBe(true)
    expect(lines.some((l) => l.startsWith('[acme/risk officer] ran `synod approve'))).toBe(true)
  })

  it('the executor acted once, its record referencing the decision', async () => {
    expect(result.executions).toBe(1)
    const reader = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis })
    const records = []
    // Every execution record on the log that refs this decision.
    for await (const d of reader.query({ namespace: 'initech/executions' })) if (d.refs.includes(result.decision)) records.push(d)
    expect(records.map((d) => d.id)).toEqual([result.execution])
    expect(records[0]!.refs).toEqual([result.decision])
    expect(records[0]!.payload).toMatchObject({ decision: result.decision, plan: result.attachment, status: 'done' })
  })

  it('the erased plan cannot be read from any node, even with its key', async () => {
    expect(result.afterErase.map((a) => a.node).sort()).toEqual([...cluster.urls].sort())
    expect(result.afterErase.every((a) => a.outcome === 'erased')).toBe(true)
    for (const url of cluster.urls) {
      const res = await fetch(`${url}/v1/sealed/${result.attachment}`)
      expect(res.status).toBe(410)
    }
  })

  it('the full audit passes and lists the plan as erased', () => {
    expect(result.audit.exportOk).toBe(true)
    expect(result.audit.nodeOk).toBe(true)
    expect(result.audit.erased).toEqual([result.attachment])
    expect(result.audit.sidecars).toEqual({ erased: 1 })
    expect(result.audit.decisions).toMatchObject({ approved: 1, rejected: 0, pending: 0, expired: 0 })
    expect(result.audit.ignoredVotes).toEqual({ 'vote-after-decided': 1 })
    expect(lines.some((l) => l.includes('AUDIT PASSED') && l.includes('(the plan: erased, not tampered)'))).toBe(true)
  })
  // The full run as `npm run example:three-orgs` costs a second set of child processes
  // (docs/sdk.md shows it against `npm run devnet`); here only its entry point and flags.
  it('runs as `npm run example:three-orgs`, and says what a bad invocation lacks', async () => {
    const failed = await promisify(execFile)('npm', ['run', '--silent', 'example:three-orgs', '--', '--nodes', cluster.urls.join(',')], { encoding: 'utf8', timeout: 30_000 })
      .catch((e: { code: number, stderr: string }) => e)
    expect((failed as { code: number }).code).toBe(1)
    expect((failed as { stderr: string }).stderr).toContain('example:three-orgs: Error: --nodes needs --genesis FILE')
    const dir = mkdtempSync(join(tmpdir(), 'synod-three-orgs-test-'))
    try {
      const missing = await promisify(execFile)('npm', ['run', '--silent', 'example:three-orgs', '--', '--devnet', dir], { encoding: 'utf8', timeout: 30_000 })
        .catch((e: { code: number, stderr: string }) => e)
      expect((missing as { stderr: string }).stderr).toMatch(/found no node configs .* pass --nodes and --genesis/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 40_000)
})
