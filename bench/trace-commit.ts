// One light-load commit, hop by hop: starts n real validators (`synod start`, log level
// trace) on 127.0.0.1, warms them up, then commits a few entries through the SDK one at a
// time with idle gaps between them, and lines up each commit's path from the validators'
// trace lines (node/runtime/hop-trace.ts: wall clock in fractional ms, shared by the local
// processes, and CPU time) and the client's own timings:
//   SDK submit -> HTTP -> mempool (submit step) -> the leader has it -> proposal out ->
//   followers have it -> votes -> QC and next proposal -> ... -> commit at the first node
//   -> its store write -> receipt long poll answered -> SDK has the receipt -> verified.
// Per hop: wall ms (median over the traced commits) and the validators' CPU ms in it (all
// of them: their steps and the work between steps, such as the transport and the HTTP
// API), plus the client's CPU for its own hops.
//   npx node bench/trace-commit.ts [--commits 7] [--nodes 4] [--gap-ms 300] [--keep] [--timeline]
// Last stdout line: one JSON object.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AgentIdentity, SynodClient } from '../sdk/index.ts'
import { toHex } from '../src/crypto/hash.ts'
import { entryId } from '../src/log/entry.ts'
import { createClusterFiles, NodeProcess } from '../devnet/cluster.ts'
import { killNodesOnExit, measureAndReport } from './bench-nodes.ts'
import { waitAll } from './node-probes.ts'

const { values } = parseArgs({
  options: {
    commits: { type: 'string', default: '7' },
    nodes: { type: 'string', default: '4' },
    'gap-ms': { type: 'string', default: '300' },
    warmup: { type: 'string', default: '20' },
    keep: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
  },
})
const COMMITS = Number(values.commits)
const NODES = Number(values.nodes)
const GAP_MS = Number(values['gap-ms'])
const WARMUP = Number(values.warmup)
if (!(Number.isInteger(COMMITS) && COMMITS >= 1 && COMMITS <= 100)) throw new RangeError('--commits must be 1-100')
if (!(Number.isInteger(NODES) && NODES >= 4 && NODES <= 16)) throw new RangeError('--nodes must be 4-16')
if (!(Number.isFinite(GAP_MS) && GAP_MS >= 0 && GAP_MS <= 10_000)) throw new RangeError('--gap-ms must be 0-10000')
if (!(Number.isInteger(WARMUP) && WARMUP >= 0 && WARMUP <= 1000)) throw new RangeError('--warmup must be 0-1000')
const PEERS_WAIT_MS = 60_000

const log = (text: string): void => { process.stderr.write(text + '\n') }
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const wallMs = (): number => performance.timeOrigin + performance.now()
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000 }

/** A validator's trace line, as bench/trace-commit reads it. */
interface TraceLine {
  readonly node: number
  readonly t: number
  readonly msg: 'step' | 'hop'
  readonly input?: string
  readonly actions?: readonly string[]
  readonly stepMs?: number
  readonly executeMs?: number
  readonly cpuUs?: number
  readonly cpuBetweenUs?: number | null
  readonly hop?: string
  readonly entry?: string
  readonly height?: number
  readonly cc?: number | null
  readonly message?: string
}

interface ClientRequest { readonly kind: 'submit' | 'receipt' | 'other', readonly start: number, readonly end: number, readonly status: number }

interface ClientCommit {
  readonly idShort: string
  readonly start: number
  readonly end: number
  readonly requests: readonly ClientRequest[]
  readonly cpuMs: number
}

const dir = mkdtempSync(join(tmpdir(), 'synod-trace-commit-'))
const files = await createClusterFiles({
  dir, nodes: NODES, agents: 1, chainId: 'synod-trace', logLevel: 'trace',
  httpRateLimits: { ipRatePerSecond: 1_000_000, ipBurst: 1_000_000, agentRatePerSecond: 1_000_000, agentBurst: 1_000_000, connectionsPerIpMax: 2048 },
})
const nodes = files.nodes.map((f) => new NodeProcess(f))
killNodesOnExit(nodes)

let requests: ClientRequest[] = []
const timedFetch: typeof fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  const kind = url.includes('/v1/receipts') ? 'receipt' : url.includes('/v1/entries') ? 'submit' : 'other'
  const start = wallMs()
  let status = 0
  try {
    const res = await fetch(input, init)
    status = res.status
    return res
  } finally {
    requests.push({ kind, start, end: wallMs(), status })
  }
}

function readTraces(): TraceLine[] {
  const lines: TraceLine[] = []
  for (const node of files.nodes) {
    const text = readFileSync(join(node.dataDir, 'node.log'), 'utf8')
    for (const line of text.split('\n')) {
      if (!line.startsWith('{') || !line.includes('"t":')) continue
      const parsed = JSON.parse(line) as Omit<TraceLine, 'node'> & { msg: string }
      if (parsed.msg !== 'step' && parsed.msg !== 'hop') continue
      lines.push({ ...parsed, node: node.index } as TraceLine)
    }
  }
  return lines.sort((a, b) => a.t - b.t)
}

const has = (l: TraceLine, text: string): boolean => (l.input ?? '').includes(text) || (l.actions ?? []).some((a) => a.includes(text))

interface Milestone { readonly name: string, readonly at: number | null, readonly where: string }

/** The milestones of one commit along its critical path, from its entry's trace lines
 * and the client's timings. A step's actions leave in order right after its compute, so a
 * message a step sends before its first persist is out at t + stepMs. */
function milestones(c: ClientCommit, traces: readonly TraceLine[]): Milestone[] {
  const within = traces.filter((l) => l.t >= c.start - 1 && l.t <= c.end + 50)
  const out: Milestone[] = []
  const at = (name: string, line: TraceLine | undefined, when?: (l: TraceLine) => number): void => {
    out.push({ name, at: line === undefined ? null : (when === undefined ? line.t : when(line)), where: line === undefined ? '-' : `node ${line.node}` })
  }
  const computed = (l: TraceLine): number => l.t + (l.stepMs ?? 0)
  const steps = within.filter((l) => l.msg === 'step')
  const submits = c.requests.filter((r) => r.kind === 'submit')
  out.push({ name: 'SDK: commit() called (sign, checks)', at: c.start, where: 'client' })
  out.push({ name: 'SDK: first submit request sent', at: submits[0]?.start ?? null, where: 'client' })
  at('HTTP: the first node\'s backend has it', within.find((l) => l.hop === 'http-submit' && l.entry === c.idShort))
  at('that node: submit step computed (mempool, forward)', steps.find((l) => (l.input ?? '').startsWith('submit') && has(l, c.idShort)), computed)
  const proposalOf = (h: number | null, withEntry: boolean): TraceLine | undefined => steps.find((l) => (l.actions ?? []).some((a) => a.startsWith('broadcast proposal') && (withEntry ? a.includes(c.idShort) : a.includes(` h${h} `))))
  const proposal = proposalOf(null, true)
  const height = Number(/ h(\d+) /.exec(proposal?.actions?.find((a) => a.startsWith('broadcast proposal') && a.includes(c.idShort)) ?? '')?.[1] ?? NaN)
  at('leader: has the entry (its step starts)', proposal === undefined ? undefined : steps.find((l) => l.node === proposal.node && has(l, c.idShort) && l.t <= proposal.t))
  at('leader: proposal B out', proposal, computed)
  const votesFor = (h: number): TraceLine[] => steps.filter((l) => (l.input ?? '').startsWith('proposal ') && (l.input ?? '').includes(` h${h} `) && (l.actions ?? []).some((a) => a.startsWith('send vote')))
  const voteOut = (l: TraceLine): number => l.t + (l.stepMs ?? 0) + (l.executeMs ?? 0)
  const firstVote = (h: number): TraceLine | undefined => votesFor(h).sort((a, b) => voteOut(a) - voteOut(b))[0]
  if (Number.isFinite(height)) {
    at('followers: first vote for B out (persist first)', firstVote(height), voteOut)
    at('next leader: QC(B), proposal B+1 out', proposalOf(height + 1, false), computed)
    at('followers: first vote for B+1 out', firstVote(height + 1), voteOut)
    at('leader after: QC(B+1) = commit B, CC(B) formed', steps.find((l) => (l.actions ?? []).some((a) => a.startsWith(`commit h${height} cc${height}`) || a.startsWith(`commit h${height + 1}`))), computed)
    at('that node: B written (commit, CC)', within.find((l) => (l.hop === 'commit-written' && (l.cc === height || (l.height ?? 0) >= height)) || (l.hop === 'cc-written' && l.height === height)))
  }
  at('receipt: first long poll answered (backend)', within.find((l) => l.hop === 'receipt-answer' && l.entry === c.idShort))
  const receipts = c.requests.filter((r) => r.kind === 'receipt' && r.status === 200)
  out.push({ name: 'SDK: receipt received', at: receipts.length === 0 ? null : Math.min(...receipts.map((r) => r.end)), where: 'client' })
  out.push({ name: 'SDK: receipt verified, commit() resolved', at: c.end, where: 'client' })
  return out
}

/** Validators' CPU (ms) in [from, to): each step's own CPU and the CPU before it since the
 * process's previous step, for the steps that start in the window. */
function validatorCpuMs(traces: readonly TraceLine[], from: number, to: number): number {
  let us = 0
  for (const l of traces) if (l.msg === 'step' && l.t >= from && l.t < to) us += (l.cpuUs ?? 0) + (l.cpuBetweenUs ?? 0)
  return us / 1000
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[Math.floor(s.length / 2)]! * 100) / 100
}

async function measure(): Promise<Record<string, unknown>> {
  await Promise.all(nodes.map((n) => n.start()))
  const urls = nodes.map((n) => n.httpUrl)
  await waitAll(urls, (h) => h.peers >= NODES - 1, PEERS_WAIT_MS, `${NODES - 1} peers`)
  const client = new SynodClient({ nodes: urls, genesis: files.genesis, identity: AgentIdentity.fromSeed(files.agents[0]!.seed), fetch: timedFetch })
  for (let i = 0; i < WARMUP; i++) await client.commit('bench/warmup', { i })
  const commits: ClientCommit[] = []
  for (let i = 0; i < COMMITS; i++) {
    await sleep(GAP_MS) // idle: no batch in progress anywhere
    requests = []
    const cpu0 = cpuMs()
    const start = wallMs()
    const decision = await client.commit('bench/trace', { i, at: Math.round(start) })
    const end = wallMs()
    commits.push({ idShort: toHex(entryId(decision.entry)).slice(0, 16), start, end, requests, cpuMs: cpuMs() - cpu0 })
    log(`commit ${i + 1}/${COMMITS}: ${(end - start).toFixed(1)} ms`)
  }
  // Stopping the nodes flushes their logs.
  await Promise.all(nodes.map((n) => n.stop().catch(() => n.kill())))
  const traces = readTraces()
  const perCommit = commits.map((c) => milestones(c, traces))
  const names = perCommit[0]!.map((m) => m.name)
  // Per commit, each milestone's time from commit() and from the milestone before it on
  // the path, and the validators' CPU in between; then the median of each over commits.
  const hops = names.map((name, i) => {
    const ats: number[] = []
    const deltas: number[] = []
    const cpus: number[] = []
    for (const [k, ms] of perCommit.entries()) {
      const here = ms[i]?.at
      if (here === null || here === undefined) continue
      ats.push(here - commits[k]!.start)
      const prev = ms.slice(0, i).reverse().find((m) => m.at !== null)?.at
      if (prev === null || prev === undefined) continue
      deltas.push(here - prev)
      cpus.push(validatorCpuMs(traces, Math.min(prev, here), Math.max(prev, here)))
    }
    return { hop: name, atMs: median(ats), hopMs: median(deltas), validatorsCpuMs: median(cpus), seen: ats.length }
  })
  const totals = commits.map((c) => c.end - c.start)
  log('\nhop (median over commits)                              at ms  hop ms  validators CPU ms')
  for (const h of hops) log(`${h.hop.padEnd(54)} ${String(h.atMs ?? '-').padStart(6)} ${String(h.hopMs ?? '-').padStart(7)} ${String(h.validatorsCpuMs ?? '-').padStart(8)}`)
  log(`\ncommit() p50 ${median(totals)} ms over ${totals.length} commits; client CPU p50 ${median(commits.map((c) => c.cpuMs))} ms per commit`)
  if (values.timeline) {
    const c = commits[Math.floor(commits.length / 2)]!
    log(`\ntimeline of commit ${c.idShort} (ms from commit() called):`)
    for (const l of traces.filter((x) => x.t >= c.start - 1 && x.t <= c.end + 5)) {
      log(`${(l.t - c.start).toFixed(2).padStart(8)} node ${l.node} ${l.msg === 'hop' ? `${l.hop} ${l.message ?? l.entry ?? l.height ?? ''}` : `${l.input} -> [${(l.actions ?? []).join('; ')}] step ${l.stepMs} exec ${l.executeMs} cpu ${((l.cpuUs ?? 0) / 1000).toFixed(2)}+${((l.cpuBetweenUs ?? 0) / 1000).toFixed(2)}`}`)
    }
  }
  return { bench: 'trace-commit', nodes: NODES, commits: COMMITS, gapMs: GAP_MS, p50Ms: median(totals), clientCpuMsP50: median(commits.map((c) => c.cpuMs)), hops }
}
await measureAndReport(measure, nodes, dir, values.keep)
