// Agents of three organisations decide together through the Synod log (issue 16):
//
//   acme     planner      seals the plan's details (they name a person) as a sealed entry in
//                         acme/plans, then proposes a decision in acme/decisions that refs it,
//                         naming one approver per organisation, threshold 2
//   globex   reviewer     an agent that approves through MCP tool calls: a real MCP client
//                         talking over stdio to `synod mcp`, which signs with globex's key
//   acme     risk officer a human who approves with the CLI: `synod approve ID --identity FILE`
//   initech  compliance   the third approver: rejects once the decision is already approved
//                         (the rules ignore that vote, and the audit reports it)
//   initech  executor     awaitDecision() until a node serves an approval proof, verifies it
//                         again offline against the genesis alone, opens the sealed plan with
//                         the key acme handed it, acts once, and records its execution
//   acme     planner      later erases the sealed plan (a data-subject request): every node
//                         deletes blob and key; the decision, its proof and the chain still verify
//   auditor               `synod export`, `synod audit --export` (the full chain audit) and
//                         `synod audit --node URL --sidecars`: passes, lists the plan as erased
//
// Why a separate sealed entry and not a sealed decision: a decision's payload must be the
// decision object itself (docs/formats.md section 12: every node, SDK and auditor reads its
// approvers and threshold from it), and a sealed entry's payload is commitments only
// (section 14). A decision's refs are the application's, so it refs the sealed plan; the
// plan's content can go while the decision, its votes and its proof stay verifiable.
//
// Run against a running devnet (or any nodes):
//   npm run example:three-orgs                       (the devnet.json of a running `npm run devnet`)
//   npm run example:three-orgs -- --devnet <devnet dir>
//   npm run example:three-orgs -- --nodes http://127.0.0.1:8000,http://127.0.0.1:8001 --genesis genesis.json
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { SIDECAR_FAULTS, type SidecarVerdict } from '../../audit/sidecars.ts'
import { approvalProofFromJson, approvalProofToJson, verifyApprovalProof } from '../../src/decisions/proof.ts'
import { genesisFromJson, genesisToJson, type Genesis } from '../../src/log/genesis.ts'
import { AgentIdentity, SealedUnavailableError, SynodClient, SynodDecisions, type CommittedDecision } from '../index.ts'
import { saveIdentity } from '../identity-file.ts'
import { clusterFromFlags } from './cluster-flags.ts'

/** The CLI entry point that a human, `synod mcp` and the auditor run. */
const SYNOD_BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/synod.js')
/** Each CLI run (approve, export, audit) and each MCP call gets this long. */
const CHILD_TIMEOUT_MS = 60_000
/** Between two questions of awaitDecision() to the nodes. */
const POLL_MS = 200
/** The decision's deadline, in heights above the certified height when it is proposed:
 * far enough that a devnet producing blocks quickly does not expire it mid-run. */
const DEADLINE_HEIGHTS = 100_000

export interface ThreeOrgsOptions {
  readonly nodes: readonly string[]
  readonly genesis: Genesis
  readonly log?: (line: string) => void
  readonly signal?: AbortSignal
  /** Whole run; default 120 s. */
  readonly timeoutMs?: number
}

export interface ThreeOrgsAudit {
  /** `synod audit --export FILE`: the chain re-verified from the export. */
  readonly exportOk: boolean
  /** `synod audit --node URL --sidecars`: the chain again, and the node's sidecars judged. */
  readonly nodeOk: boolean
  readonly height: number
  readonly entries: number
  /** Ids of the entries the audit lists as erased. */
  readonly erased: readonly string[]
  /** What the sidecar check found of each verdict (e.g. { erased: 1 }). */
  readonly sidecars: Readonly<Record<string, number>>
  /** Decisions by state, as the auditor computed them from the log. */
  readonly decisions: Readonly<Record<string, number>>
  /** Votes the rules ignored, by code. */
  readonly ignoredVotes: Readonly<Record<string, number>>
}

export interface ThreeOrgsResult {
  readonly chainId: string
  readonly attachment: string
  readonly decision: string
  readonly approvers: { readonly mcp: string, readonly cli: string, readonly late: string }
  /** The pid `synod mcp` ran as (ended before the run returns). */
  readonly mcpPid: number | null
  /** The approvers the verified proof holds. */
  readonly proofApprovers: readonly string[]
  /** The proof verified offline (from its JSON form, against the genesis alone). */
  readonly proofVerifiedOffline: boolean
  /** How many times the executor acted, and its record. */
  readonly executions: number
  readonly execution: string
  readonly erase: string
  /** Per node: what a reader holding the key got after the erase ('erased' or the error). */
  readonly afterErase: readonly { readonly node: string, readonly outcome: string }[]
  readonly audit: ThreeOrgsAudit
}

function short(id: string): string {
  return id.slice(0, 12)
}

function receiptLine(d: CommittedDecision): string {
  const c = d.receipt.checkpoint
  return `receipt verified: log index ${d.index}, checkpoint height ${c.height}, ${c.sigs.length} validator signatures`
}

function toolJson(result: unknown, tool: string): Record<string, unknown> {
  const r = result as CallToolResult
  const text = r.content.find((c) => c.type === 'text')
  if (text === undefined || text.type !== 'text') throw new Error(`MCP tool ${tool} answered without text content`)
  if (r.isError === true) throw new Error(`MCP tool ${tool} failed: ${text.text.slice(0, 1000)}`)
  const json: unknown = JSON.parse(text.text)
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error(`MCP tool ${tool} answered ${text.text.slice(0, 200)}, not a JSON object`)
  return json as Record<string, unknown>
}

/** Runs the synod CLI as a child process; its stdout, or an error with its stderr. */
function synod(args: readonly string[], signal: AbortSignal): Promise<{ stdout: string, code: number }> {
  return new Promise((resolveRun, reject) => {
    execFile(process.execPath, [SYNOD_BIN, ...args], { timeout: CHILD_TIMEOUT_MS, signal, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err === null) return resolveRun({ stdout, code: 0 })
      const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      // `synod audit` exits 2 when the audit fails: that is an answer, not a crash.
      if (code === 2 && args[0] === 'audit') return resolveRun({ stdout, code })
      reject(new Error(`synod ${args[0]} exited with ${String((err as { code?: unknown }).code ?? err.message)}: ${stderr.trim().slice(-1000)}`, { cause: err }))
    })
  })
}

interface AuditJson {
  ok: boolean
  height: number
  entries: number
  failure: { code: string, reason: string } | null
  decisions: { counts: Record<string, number>, ignored: Record<string, number> }
  sealed: { entries: { id: string, status: string }[] }
  sidecars?: { counts: Record<string, number>, findings: { verdict: string, id: string }[] }
}

/** Runs the three organisations' agents once, end to end; throws on anything unverified. */
export async function runThreeOrgs(options: ThreeOrgsOptions): Promise<ThreeOrgsResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'))
  const timeoutMs = options.timeoutMs ?? 120_000
  const signal = AbortSignal.any([...(options.signal === undefined ? [] : [options.signal]), AbortSignal.timeout(timeoutMs)])
  const { nodes, genesis } = options
  const dir = mkdtempSync(join(tmpdir(), 'synod-three-orgs-'))
  const genesisFile = join(dir, 'genesis.json')
  writeFileSync(genesisFile, JSON.stringify(genesisToJson(genesis)))
  const chain = ['--nodes', nodes.join(','), '--genesis', genesisFile]
  // The MCP server child, while it runs: ended in `finally` whatever happens.
  const child: { mcp: Client | null, transport: StdioClientTransport | null } = { mcp: null, transport: null }
  try {
    // --- three organisations, each with its own keys and namespaces ---
    const run = Math.random().toString(16).slice(2, 10)
    const who = {
      planner: AgentIdentity.generate(), // acme
      riskOfficer: AgentIdentity.generate(), // acme, a human with an identity file
      reviewer: AgentIdentity.generate(), // globex, an agent behind `synod mcp`
      compliance: AgentIdentity.generate(), // initech
      executor: AgentIdentity.generate(), // initech
    }
    const riskOfficerFile = join(dir, 'acme-risk-officer.key.json')
    const reviewerFile = join(dir, 'globex-reviewer.key.json')
    saveIdentity(who.riskOfficer, riskOfficerFile)
    saveIdentity(who.reviewer, reviewerFile)
    const client = (identity: AgentIdentity, name: string): SynodClient => new SynodClient({
      nodes, genesis, identity, onNodeFault: (f) => log(`[${name}] !! node fault, skipped: ${f.message}`),
    })
    const planner = client(who.planner, 'acme/planner')
    const compliance = new SynodDecisions(client(who.compliance, 'initech/compliance'))
    const executorClient = client(who.executor, 'initech/executor')
    const executor = new SynodDecisions(executorClient)
    log(`run ${run}: chain '${genesis.chainId}', ${genesis.validators.length} validators, ${nodes.length} nodes`)
    log(`  acme:    planner ${short(who.planner.publicKeyHex)}, risk officer (human, CLI) ${short(who.riskOfficer.publicKeyHex)}`)
    log(`  globex:  reviewer (agent, MCP) ${short(who.reviewer.publicKeyHex)}`)
    log(`  initech: compliance ${short(who.compliance.publicKeyHex)}, executor ${short(who.executor.publicKeyHex)}`)

    // --- 1. acme seals the plan's details, then proposes the decision that refs them ---
    const details = { run, change: 'migrate the customer-records database to region eu-2', dataSubject: 'Jane Doe, customer 4471', window: 'Saturday 02:00-04:00 UTC' }
    const sealed = await planner.commitSealed('acme/plans', details, { signal })
    log(`[acme/planner] sealed the plan's details as ${short(sealed.decision.id)} in acme/plans (AES-256-GCM, sidecar on ${sealed.storedOn.length}/${nodes.length} nodes; only commitments in the log) — ${receiptLine(sealed.decision)}`)
    const approvers = { mcp: who.reviewer.publicKeyHex, cli: who.riskOfficer.publicKeyHex, late: who.compliance.publicKeyHex }
    const decision = await new SynodDecisions(planner).propose('acme/decisions', {
      approvers: [approvers.cli, approvers.mcp, approvers.late],
      threshold: 2,
      deadlineHeights: DEADLINE_HEIGHTS,
      subject: { run, action: 'migrate customer-records to eu-2', plan: sealed.decision.id },
      refs: [sealed.decision.id],
      signal,
    })
    log(`[acme/planner] proposed decision ${short(decision.id)} in acme/decisions: 2 of 3 approvers (acme, globex, initech), refs the sealed plan — ${receiptLine(decision)}`)

    // --- 2. initech's executor starts waiting for a verified approval proof ---
    // It runs beside the reviewers and acts at most once, on a proof it checked itself.
    const stopExecutor = new AbortController()
    const executorSignal = AbortSignal.any([signal, stopExecutor.signal])
    let executions = 0
    let mcpPid: number | null = null
    const executing = (async () => {
      log(`[initech/executor] awaitDecision(${short(decision.id)}): waiting for an approval proof`)
      const approved = await executor.awaitDecision(decision.id, { pollMs: POLL_MS, signal: executorSignal })
      log(`[initech/executor] APPROVED: proof verified against the genesis (${approved.approvers.length} of ${approved.spec.approvers.length} approvers, threshold ${approved.spec.threshold}): ${approved.approvers.map(short).join(', ')}`)
      // Offline: the proof as it would be stored or sent, decoded and checked against the genesis alone.
      const proofJson = JSON.stringify(approvalProofToJson(approved.proof))
      const offline = verifyApprovalProof(approvalProofFromJson(JSON.parse(proofJson)), genesisFromJson(genesisToJson(genesis)))
      if (!offline.ok) throw new Error(`the approval proof does not verify offline: ${offline.code}: ${offline.reason}`)
      if (offline.decision !== decision.id) throw new Error(`the approval proof is of decision ${offline.decision}, not ${decision.id}`)
      log(`[initech/executor] proof re-verified offline from its ${proofJson.length}-byte JSON: the decision's and ${approved.proof.approvals.length} approvals' receipts, cutoff certificate at height ${approved.proof.cutoff.height} <= deadline ${approved.spec.deadline}`)
      const planId = (approved.subject as { plan?: unknown } | undefined)?.plan
      if (planId !== sealed.decision.id) throw new Error(`the approved decision's subject names plan ${String(planId)}, not ${sealed.decision.id}`)
      // acme handed the plan's key to the executor (out of band): the SDK checks blob and key against the entry's commitments.
      const plan = await executorClient.getSealed(sealed.decision.id, { key: sealed.key, signal: executorSignal })
      log(`[initech/executor] opened sealed plan ${short(plan.decision.id)} (blob and key match the entry's commitments; served by ${plan.servedBy}): "${(plan.payload as typeof details).change}"`)
      // The action itself, then its record: the idempotency key makes a retried commit the same entry.
      executions += 1
      const record = await executorClient.commit('initech/executions', {
        run, decision: decision.id, plan: sealed.decision.id, status: 'done', approvers: [...approved.approvers],
      }, { refs: [decision.id], idempotencyKey: `${run}-execute-${decision.id}`, signal: executorSignal })
      log(`[initech/executor] ACTED: migration done; execution record ${short(record.id)} refs the decision — ${receiptLine(record)}`)
      return { approved, offline, record }
    })()
    // Should a reviewer's step fail, the executor stops waiting (and its failure is not left unhandled).
    executing.catch(() => undefined)

    try {
      // --- 3. globex's reviewer approves through MCP tool calls ---
      const mcpTransport = new StdioClientTransport({ command: process.execPath, args: [SYNOD_BIN, 'mcp', ...chain, '--identity', reviewerFile], stderr: 'pipe' })
      child.transport = mcpTransport
      const mcp = new Client({ name: 'globex-reviewer', version: '1.0.0' })
      child.mcp = mcp
      await mcp.connect(mcpTransport, { signal, timeout: CHILD_TIMEOUT_MS })
      const call = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> =>
        toolJson(await mcp.callTool({ name, arguments: args }, undefined, { signal, timeout: CHILD_TIMEOUT_MS }), name)
      mcpPid = mcpTransport.pid
      const seen = await call('get_decision', { id: decision.id })
      const status = await call('decision_status', { id: decision.id })
      const said = Array.isArray(status.nodes) ? (status.nodes as { status?: unknown }[]).map((n) => String(n.status)).join(', ') : String(status.status)
      log(`[globex/reviewer] MCP over stdio to \`synod mcp\` (pid ${mcpTransport.pid}): get_decision ${short(decision.id)} (receipt verified by the server: checkpoint height ${String((seen.checkpoint as { height?: unknown } | undefined)?.height)}, ${String((seen.checkpoint as { signers?: unknown } | undefined)?.signers)} signatures); decision_status: ${String(status.status)} (nodes: ${said})`)
      const mcpVote = await call('approve_decision', { id: decision.id, namespace: 'globex/reviews', note: 'rollback plan checked' })
      if (mcpVote.committed !== true) throw new Error(`approve_decision did not commit: ${JSON.stringify(mcpVote)}`)
      log(`[globex/reviewer] approve_decision: vote ${short(String(mcpVote.id))} committed in globex/reviews at log index ${String(mcpVote.index)} (1 of 2)`)
      await mcp.close()
      child.mcp = null
      child.transport = null

      // --- 4. acme's risk officer, a human, approves with the CLI and an identity file ---
      const cli = (await synod(['approve', decision.id, '--identity', riskOfficerFile, '--namespace', 'acme/reviews', '--note', 'ok, in the maintenance window', ...chain], signal)).stdout.trim()
      if (!cli.startsWith(`APPROVED decision ${decision.id}: vote `)) throw new Error(`synod approve printed something else: ${cli.slice(0, 300)}`)
      log(`[acme/risk officer] ran \`synod approve ${short(decision.id)}… --identity acme-risk-officer.key.json --namespace acme/reviews\` (2 of 2): ${cli.replace(decision.id, short(decision.id) + '…')}`)
    } catch (err) {
      stopExecutor.abort(err)
      throw err
    }

    // --- 5. the executor proves the approval and acts ---
    const { approved, offline, record } = await executing

    // The third approver votes after the fact: the decision is final, the vote is ignored.
    const late = await compliance.reject(decision.id, { namespace: 'initech/reviews', note: 'too late to object', signal })
    log(`[initech/compliance] rejected after the threshold (vote ${short(late.id)}): ignored by the rules (vote-after-decided); the decision stays approved`)

    // --- 6. later: a data-subject request; acme erases the sealed plan ---
    const erased = await planner.erase(sealed.decision.id, { reason: 'data-subject erasure request', signal })
    log(`[acme/planner] erased plan ${short(sealed.decision.id)}: erase entry ${short(erased.erase.id)} — ${receiptLine(erased.erase)}`)
    const afterErase: { node: string, outcome: string }[] = []
    for (const node of nodes) {
      // Even with the key, from each node on its own: nothing left to read.
      const one = new SynodClient({ nodes: [node], genesis })
      let outcome: string
      try {
        await one.getSealed(sealed.decision.id, { key: sealed.key, signal })
        outcome = 'still readable'
      } catch (err) {
        if (!(err instanceof SealedUnavailableError)) throw err
        outcome = err.reason
      }
      afterErase.push({ node, outcome })
    }
    log(`[auditor] reading the plan with its key, node by node: ${afterErase.map((a) => a.outcome).join(', ')}`)
    // The decision and its proof do not depend on the plan's content.
    const still = verifyApprovalProof(approved.proof, genesis)
    log(`[auditor] the approval proof still verifies after the erase: ${still.ok}`)

    // --- 7. the full audit, as `synod audit` runs it ---
    const height = Math.max(await executor.certifiedHeight(signal), erased.erase.receipt.checkpoint.height)
    const exportFile = join(dir, 'chain.export')
    const exported = JSON.parse((await synod(['export', '--node', nodes[0]!, '--to', String(height), '--out', exportFile, '--json'], signal)).stdout) as { blocks: number, bytes: number }
    log(`[auditor] \`synod export --to ${height}\`: ${exported.blocks} blocks, ${exported.bytes} bytes`)
    const fromFile = JSON.parse((await synod(['audit', '--export', exportFile, '--genesis', genesisFile, '--json'], signal)).stdout) as AuditJson
    const fromNode = JSON.parse((await synod(['audit', '--node', nodes[0]!, '--to', String(height), '--genesis', genesisFile, '--sidecars', '--json'], signal)).stdout) as AuditJson
    const erasedIds = fromFile.sealed.entries.filter((e) => e.status === 'erased').map((e) => e.id)
    const audit: ThreeOrgsAudit = {
      exportOk: fromFile.ok,
      nodeOk: fromNode.ok && fromNode.sidecars !== undefined && fromNode.sidecars.findings.every((f) => !SIDECAR_FAULTS.has(f.verdict as SidecarVerdict)),
      height: fromFile.height,
      entries: fromFile.entries,
      erased: erasedIds,
      sidecars: fromNode.sidecars?.counts ?? {},
      decisions: fromFile.decisions.counts,
      ignoredVotes: fromFile.decisions.ignored,
    }
    const failure = fromFile.failure ?? fromNode.failure
    log(`[auditor] \`synod audit --export\`: ${audit.exportOk ? 'AUDIT PASSED' : 'AUDIT FAILED'} (${audit.entries} entries to height ${audit.height}; decisions ${JSON.stringify(audit.decisions)}; ignored votes ${JSON.stringify(audit.ignoredVotes)})${failure === null ? '' : `: ${failure.code}: ${failure.reason}`}`)
    log(`[auditor] \`synod audit --node --sidecars\`: ${audit.nodeOk ? 'AUDIT PASSED' : 'AUDIT FAILED'}; sidecars ${JSON.stringify(audit.sidecars)}; erased entries listed: ${erasedIds.map(short).join(', ') || 'none'}${erasedIds.includes(sealed.decision.id) ? ' (the plan: erased, not tampered)' : ''}`)
    return {
      chainId: genesis.chainId,
      attachment: sealed.decision.id,
      decision: decision.id,
      approvers,
      proofApprovers: approved.approvers,
      mcpPid,
      proofVerifiedOffline: offline.ok,
      executions,
      execution: record.id,
      erase: erased.erase.id,
      afterErase,
      audit,
    }
  } finally {
    // close() ends stdin, then escalates to SIGTERM and SIGKILL if the child lingers.
    await child.mcp?.close().catch(() => undefined)
    await child.transport?.close().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devnet: { type: 'string' },
      nodes: { type: 'string' },
      genesis: { type: 'string' },
    },
  })
  const { nodes, genesis } = clusterFromFlags(values, (line) => process.stdout.write(`${line}\n`))
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort(new Error('interrupted')))
  const r = await runThreeOrgs({ nodes, genesis, signal: controller.signal })
  const ok = r.audit.exportOk && r.audit.nodeOk && r.audit.erased.includes(r.attachment) && r.executions === 1 && r.afterErase.every((a) => a.outcome === 'erased')
  process.stdout.write(`${ok ? 'DONE' : 'FAILED'}: decision ${r.decision} approved by MCP and CLI, executed ${r.executions}x, plan ${r.attachment} erased; audit ${r.audit.exportOk && r.audit.nodeOk ? 'passed' : 'failed'}\n`)
  if (!ok) process.exitCode = 1
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('sdk/examples/three-orgs.ts')) {
  main().then(() => process.exit(process.exitCode ?? 0), (err: unknown) => {
    process.stderr.write(`example:three-orgs: ${(err as Error).name}: ${(err as Error).message}\n`)
    process.exit(1)
  })
}
