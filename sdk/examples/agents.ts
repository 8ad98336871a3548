// Three agents that coordinate only through the Synod log:
//
//   planner   commits plans                         to demo/plans
//   reviewer  follows demo/plans, commits reviews   to demo/reviews     (refs: the plan)
//   executor  follows demo/reviews, runs approved
//             plans, commits reports                to demo/executions  (refs: plan, review)
//
// Each has its own identity and namespace; none talks to another directly. Every
// decision an agent reads or writes is verified by the SDK against the genesis (a
// receipt with a quorum-signed checkpoint and an inclusion proof), so each agent can act
// on what the others decided without trusting the node it reads from.
//
// Run against a running devnet (or any nodes):
//   npm run example:agents                       (the devnet.json of a running `npm run devnet`)
//   npm run example:agents -- --devnet <devnet dir>
//   npm run example:agents -- --nodes http://127.0.0.1:8000,http://127.0.0.1:8001 --genesis genesis.json
import { parseArgs } from 'node:util'
import { z } from 'zod'
import type { Genesis } from '../../src/log/genesis.ts'
import { AgentIdentity, SynodClient, type CommittedDecision, type Decision, type Receipt } from '../index.ts'
import { clusterFromFlags } from './cluster-flags.ts'

export const schemas = {
  'demo/plans': z.object({
    run: z.string(),
    title: z.string().max(200),
    steps: z.array(z.string().max(200)).min(1).max(20),
    risk: z.enum(['low', 'medium', 'high']),
  }),
  'demo/reviews': z.object({
    run: z.string(),
    plan: z.string().regex(/^[0-9a-f]{64}$/),
    approved: z.boolean(),
    reason: z.string().max(500),
  }),
  'demo/executions': z.object({
    run: z.string(),
    plan: z.string().regex(/^[0-9a-f]{64}$/),
    review: z.string().regex(/^[0-9a-f]{64}$/),
    status: z.enum(['done', 'failed']),
    output: z.string().max(1000),
  }),
}

export interface DemoOptions {
  readonly nodes: readonly string[]
  readonly genesis: Genesis
  /** How many plans the planner proposes (every third one is high-risk and gets rejected). */
  readonly plans?: number
  readonly log?: (line: string) => void
  readonly signal?: AbortSignal
  readonly timeoutMs?: number
}

export interface DemoResult {
  readonly plans: number
  readonly approved: number
  readonly rejected: number
  readonly executed: number
}

function short(id: string): string {
  return id.slice(0, 12)
}

function proof(r: Receipt): string {
  return `receipt ok: log index ${r.index}, checkpoint height ${r.checkpoint.height} (log size ${r.checkpoint.logSize}), ${r.checkpoint.sigs.length} validator signatures`
}

/** Runs the three agents until every plan is reviewed and every approved plan executed. */
export async function runAgentsDemo(options: DemoOptions): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(line + '\n'))
  const planCount = options.plans ?? 3
  const run = Math.random().toString(16).slice(2, 10)
  const stop = new AbortController()
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
  // Following stops once every plan is settled; a commit already under way still
  // completes (and is logged), so the demo never ends with an agent's write cut short.
  const following = new AbortController()
  const followSignal = AbortSignal.any([signal, following.signal])
  const timer = setTimeout(() => stop.abort(new Error(`the demo did not finish within ${options.timeoutMs ?? 120_000} ms`)), options.timeoutMs ?? 120_000)
  const agent = (name: string): SynodClient<typeof schemas> => {
    const identity = AgentIdentity.generate()
    log(`[${name}] identity ${identity.publicKeyHex}`)
    return new SynodClient({
      nodes: options.nodes,
      genesis: options.genesis,
      identity,
      schemas,
      onNodeFault: (f) => log(`[${name}] !! node fault, skipped: ${f.message}`),
    })
  }
  const planner = agent('planner')
  const reviewer = agent('reviewer')
  const executor = agent('executor')
  // Everyone follows the log from here on: nothing committed after this is missed.
  const from = await planner.logSize({ signal })
  log(`run ${run}: following the log from index ${from}`)

  const reviewerLoop = async (): Promise<void> => {
    for await (const plan of reviewer.subscribe({ namespace: 'demo/plans', from, signal: followSignal })) {
      if (plan.payloadError !== null || plan.payload.run !== run) continue
      log(`[reviewer] saw plan ${short(plan.id)} "${plan.payload.title}" (risk ${plan.payload.risk}) — ${proof(plan.receipt!)}`)
      const approved = plan.payload.risk !== 'high'
      const review = await reviewer.commit('demo/reviews', {
        run,
        plan: plan.id,
        approved,
        reason: approved ? `risk ${plan.payload.risk} is acceptable` : 'high-risk plans need a human',
      }, { refs: [plan.id], signal })
      log(`[reviewer] ${approved ? 'APPROVED' : 'REJECTED'} plan ${short(plan.id)} as review ${short(review.id)} — ${proof(review.receipt)}`)
    }
  }

  const executorLoop = async (): Promise<void> => {
    for await (const review of executor.subscribe({ namespace: 'demo/reviews', from, signal: followSignal })) {
      if (review.payloadError !== null || review.payload.run !== run) continue
      if (!review.payload.approved) {
        log(`[executor] review ${short(review.id)} rejects plan ${short(review.payload.plan)}: not executing`)
        continue
      }
      // The plan itself, fetched and verified independently of the review.
      const plan = await executor.get<'demo/plans'>(review.payload.plan, { signal })
      if (plan.payloadError !== null) continue
      log(`[executor] executing plan ${short(plan.id)} "${plan.payload.title}": ${plan.payload.steps.join(' -> ')}`)
      const report = await executor.commit('demo/executions', {
        run,
        plan: plan.id,
        review: review.id,
        status: 'done',
        output: `ran ${plan.payload.steps.length} steps`,
      }, { refs: [plan.id, review.id], signal })
      log(`[executor] reported execution ${short(report.id)} — ${proof(report.receipt)}`)
    }
  }

  const loops = [reviewerLoop(), executorLoop()].map((p) => p.catch((err: unknown) => {
    if (!followSignal.aborted) stop.abort(err)
  }))

  try {
    // The planner proposes, then follows reviews and executions until each plan is settled.
    const proposals: CommittedDecision[] = []
    for (let i = 0; i < planCount; i++) {
      const risk = i % 3 === 2 ? 'high' : i % 3 === 1 ? 'medium' : 'low'
      const plan = await planner.commit('demo/plans', {
        run,
        title: `plan ${i + 1}: ${['rotate keys', 'scale workers', 'drop the production database'][i % 3]}`,
        steps: ['prepare', 'apply', 'verify'],
        risk,
      }, { idempotencyKey: `${run}-plan-${i + 1}`, signal })
      proposals.push(plan)
      log(`[planner] proposed plan ${short(plan.id)} (risk ${risk}) — ${proof(plan.receipt)}`)
    }
    const open = new Set(proposals.map((p) => p.id))
    let approved = 0
    let rejected = 0
    let executed = 0
    const settled = (d: Decision): void => {
      const p = d.payload as { plan: string, approved?: boolean }
      if (d.namespace === 'demo/reviews' && p.approved === false && open.delete(p.plan)) rejected += 1
      if (d.namespace === 'demo/reviews' && p.approved === true) approved += 1
      if (d.namespace === 'demo/executions' && open.delete(p.plan)) executed += 1
    }
    for await (const d of planner.subscribe({ from, signal })) {
      if (d.payloadError !== null || (d.payload as { run?: string }).run !== run) continue
      settled(d)
      if (open.size === 0) break
    }
    log(`run ${run}: ${proposals.length} plans, ${approved} approved, ${rejected} rejected, ${executed} executed — all verified against genesis '${options.genesis.chainId}'`)
    return { plans: proposals.length, approved, rejected, executed }
  } finally {
    following.abort()
    await Promise.all(loops)
    clearTimeout(timer)
    stop.abort()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devnet: { type: 'string' },
      nodes: { type: 'string' },
      genesis: { type: 'string' },
      plans: { type: 'string', default: '3' },
    },
  })
  const { nodes, genesis } = clusterFromFlags(values, (line) => process.stdout.write(`${line}\n`))
  process.stdout.write(`chain '${genesis.chainId}', ${genesis.validators.length} validators, nodes ${nodes.join(', ')}\n`)
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort(new Error('interrupted')))
  await runAgentsDemo({ nodes, genesis, plans: Number(values.plans), signal: controller.signal })
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('sdk/examples/agents.ts')) {
  main().then(() => process.exit(0), (err: unknown) => {
    process.stderr.write(`example:agents: ${(err as Error).name}: ${(err as Error).message}\n`)
    process.exit(1)
  })
}
