// The net backend: a scenario run against real `synod start` processes. It writes keys,
// a genesis and configs, starts one process per validator, waits until they are
// connected, then plays the scenario's timeline in real time while agents submit signed
// entries over HTTP: a crash is kill -9 of the process by its pid and a restart starts it
// again on the same data directory; a partition is blackhole routes between network
// namespaces (see netns.ts). After the fault phase it heals everything, restarts what
// crashed, submits one probe entry per agent and waits until every correct node has
// committed them. Then it reads every running node's committed chain through /v1/export
// and judges it with the same checkers and the same verdict rules as the simulator.
//
// What it expresses: crashes (with or without restart) and partitions of honest nodes.
// Not: Byzantine behaviours and Twins (a real node runs only the honest replica, with no
// hook for a decorator), link delay, jitter, loss and duplication (needs netem, absent
// from this kernel), clock skew (the node reads the real clock), mid-step crashes (a
// kill -9 lands at a random instant anyway, but not at a chosen step). Partitions need
// root; without it the nodes run on 127.0.0.1 and only crash/restart scenarios run.
//
// Real time is not reproducible: the seed fixes the agents' keys and the workload's
// plan, not the interleavings. Every wait is bounded, and every process it started is
// killed by pid at the end, also on Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toHex } from '../../src/crypto/hash.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { ED25519 } from '../../src/crypto/signature-scheme.ts'
import { entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { quorumSize } from '../../src/log/validator-set.ts'
import { postEntry } from '../../devnet/http-client.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { Prng } from '../sim/prng.ts'
import { percentile } from '../sim/simulator.ts'
import type { Scenario } from '../dsl/types.ts'
import type { NodeChain, RunRecord } from '../checkers/types.ts'
import type { FaultMark, ScenarioReport, Series } from '../report/types.ts'
import { judge } from '../run/judge.ts'
import { scenarioParams } from '../run/sim-backend.ts'
import { replayCommand, type ScenarioRun } from '../run/types.ts'
import { isCommitted, readChain, readHealth, readMetrics, writeClusterFiles } from './net-cluster.ts'
import { NetNode } from './net-node.ts'
import { NamespaceNetwork, netnsSupport } from './netns.ts'

export interface NetIo {
  readonly log: (line: string) => void
}

/** Time for the nodes to connect to a quorum of peers before the timeline starts. */
const PEERS_WAIT_MS = 45_000
/** Height and round of every node are read this often. */
const SAMPLE_MS = 100
/** Probe commits are checked this often in the liveness phase. */
const PROBE_POLL_MS = 300
/** Real networks need more than the simulator's 20 s: redials back off up to 10 s
 * (NODE_LIMITS.redialDelayMsMax) and round timers up to roundTimeoutMaxMs after a heal. */
const NET_LIVENESS_BOUND_MS_MIN = 45_000
/** Entry submissions in flight at once; beyond, the workload skips (counted). */
const POSTS_IN_FLIGHT_MAX = 64
/** Ports inside a validator's own namespace (no other process can hold them there). */
const NETNS_P2P_PORT = 7000
const NETNS_HTTP_PORT = 8000

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

/** Why the net backend cannot run this scenario here, or null. */
export function netObstacle(scenario: Scenario): string | null {
  if (!scenario.backends.includes('net')) return `scenario '${scenario.name}' has faults the net backend cannot inject (only crashes and partitions of honest nodes)`
  if (scenario.faults.some((f) => f.kind === 'partition')) {
    const support = netnsSupport()
    if (!support.ok) return `scenario '${scenario.name}' partitions the network, which the net backend does with network namespaces: ${support.reason}`
  }
  return null
}

interface Workload {
  submitted: number
  accepted: number
  refused: number
  failed: number
  skipped: number
  inFlight: number
}

export async function runScenarioNet(scenario: Scenario, seed: number, source: string, io: NetIo): Promise<ScenarioRun> {
  const obstacle = netObstacle(scenario)
  if (obstacle !== null) throw new Error(obstacle)
  const n = scenario.nodes
  const netns = netnsSupport().ok ? new NamespaceNetwork(n) : null
  const dir = mkdtempSync(join(tmpdir(), `synod-net-${scenario.name}-`))
  const hosts = netns?.hosts ?? Array.from({ length: n }, () => '127.0.0.1')
  const ports = netns === null ? await freePorts(2 * n) : []
  const files = await writeClusterFiles({
    dir,
    chainId: `synod-scenario-${seed}`,
    params: scenario.params,
    hosts,
    p2pPorts: hosts.map((_, i) => (netns === null ? ports[2 * i]! : NETNS_P2P_PORT)),
    httpPorts: hosts.map((_, i) => (netns === null ? ports[2 * i + 1]! : NETNS_HTTP_PORT)),
  })
  const nodes = files.nodes.map((f) => new NetNode({ index: f.index, dir: f.dir, configFile: f.configFile, httpUrl: f.httpUrl, prefix: netns?.exec(f.index) ?? [] }))
  const cleanup = (): void => {
    for (const node of nodes) node.killNow()
    netns?.teardown()
  }
  const onSignal = (): void => {
    cleanup()
    process.exit(130)
  }
  process.once('exit', cleanup)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  let met = false
  try {
    netns?.setup()
    io.log(`net: ${n} validators ${netns === null ? 'on 127.0.0.1 (no network namespaces: crash/restart only)' : `in network namespaces ${netns.namespaces[0]}..${n - 1} on ${hosts[0]}/24`}; data in ${dir}`)
    await Promise.all(nodes.map((node) => node.start()))
    const quorumPeers = quorumSize(n) - 1
    const connectStart = Date.now()
    for (;;) {
      const health = await Promise.all(nodes.map((node) => readHealth(node.options.httpUrl)))
      if (health.every((h) => h !== null && h.peers >= quorumPeers)) break
      if (Date.now() - connectStart > PEERS_WAIT_MS) throw new Error(`the nodes did not connect to ${quorumPeers} peers each within ${PEERS_WAIT_MS} ms (peers: ${health.map((h) => h?.peers ?? '-').join(' ')})`)
      await sleep(200)
    }
    io.log(`net: pids ${nodes.map((x) => x.pid).join(' ')} connected after ${Date.now() - connectStart} ms; running the timeline (${scenario.durationMs} ms)`)
    const run = await playScenario(scenario, seed, nodes, netns, files.genesis, io)
    const replay = replayCommand(source, seed, 'net')
    const verdict = judge({ scenario, record: run.record, errors: run.errors, submittedAt: run.submittedAt, livenessPhase: scenario.livenessBoundMs !== null })
    met = verdict.met
    const report: ScenarioReport = {
      scenario: scenario.name,
      description: scenario.description,
      seed,
      backend: 'net',
      params: { ...scenarioParams(scenario), network: netns === null ? 'loopback 127.0.0.1' : `network namespaces on ${hosts[0]}/24`, livenessBoundMs: run.livenessBoundMs },
      expected: scenario.expect.outcome,
      outcome: { safe: verdict.safe, live: verdict.live === true, met: verdict.met },
      invariants: verdict.invariants,
      stats: run.stats,
      heights: run.heights,
      rounds: run.rounds,
      faults: run.faults,
      latencies: run.latencies,
      durationMs: run.endMs,
      replay,
      messages: run.messages,
      convergenceMs: run.record.convergenceMs < 0 ? null : run.record.convergenceMs,
      rejections: run.rejections,
      problems: verdict.problems,
      entriesSubmitted: run.submittedAt.size,
    }
    return {
      scenario: scenario.name, seed, backend: 'net', expected: scenario.expect.outcome,
      met: verdict.met, safe: verdict.safe, live: verdict.live, stalled: verdict.stalled,
      problems: verdict.problems, replay, report,
    }
  } finally {
    cleanup()
    process.off('exit', cleanup)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (met) rmSync(dir, { recursive: true, force: true })
    else io.log(`net: node data and logs kept in ${dir}`)
  }
}

interface Played {
  readonly record: RunRecord
  readonly errors: string[]
  readonly submittedAt: Map<string, number>
  readonly heights: Series[]
  readonly rounds: Series[]
  readonly faults: FaultMark[]
  readonly latencies: number[]
  readonly stats: ScenarioReport['stats']
  readonly messages: Record<string, Record<string, number>>
  readonly rejections: Record<string, number>
  readonly endMs: number
  readonly livenessBoundMs: number
}

async function playScenario(scenario: Scenario, seed: number, nodes: NetNode[], netns: NamespaceNetwork | null, genesis: RunRecord['genesis'], io: NetIo): Promise<Played> {
  const n = nodes.length
  const f = scenario.f
  const rng = new Prng(seed)
  const t0 = Date.now()
  const now = () => Date.now() - t0
  const heights: [number, number][][] = nodes.map(() => [])
  const rounds: [number, number][][] = nodes.map(() => [])
  const commitTimes: number[][] = nodes.map(() => [0])
  const faults: FaultMark[] = []
  const submittedAt = new Map<string, number>()
  const probes = new Set<string>()
  const permanentlyDown = new Set<number>()
  const pending: Promise<void>[] = []
  const errors: string[] = []
  const workload: Workload = { submitted: 0, accepted: 0, refused: 0, failed: 0, skipped: 0, inFlight: 0 }

  // --- sampling: height and round of every running node ---
  let sampling = true
  const sampleOnce = async (): Promise<void> => {
    const t = now()
    const health = await Promise.all(nodes.map((node) => (node.running ? readHealth(node.options.httpUrl) : Promise.resolve(null))))
    health.forEach((h, i) => {
      if (h === null) return
      heights[i]!.push([t, h.height])
      rounds[i]!.push([t, h.round])
      const times = commitTimes[i]!
      for (let k = times.length; k <= h.height; k++) times.push(t)
    })
  }
  const sampler = (async () => {
    while (sampling) {
      await sampleOnce()
      await sleep(SAMPLE_MS)
    }
  })()

  // --- the workload: seeded agents, exponential gaps, each entry to f+1 random nodes ---
  const agents = Array.from({ length: scenario.workload.agents }, () => {
    const s = rng.bytes(32)
    return { seed: s, key: publicKeyFromSeed(s), seq: 0 }
  })
  const submit = (probe: boolean, a: number): string => {
    const agent = agents[a]!
    agent.seq += 1
    const w = scenario.workload
    const size = rng.range(w.payloadBytesMin, w.payloadBytesMax)
    let payload = JSON.stringify({ decision: `d${agent.seq}`, probe })
    if (size - payload.length - 10 > 0) payload = JSON.stringify({ decision: `d${agent.seq}`, probe, pad: 'x'.repeat(size - payload.length - 10) })
    const entry: Entry = signEntry({ agent: agent.key, namespace: w.namespaces[a % w.namespaces.length]!, seq: agent.seq, payload, refs: [], idempotencyKey: '' }, genesis.chainId, agent.seed)
    const id = toHex(entryId(entry))
    submittedAt.set(id, now())
    if (probe) probes.add(id)
    workload.submitted++
    for (const target of rng.shuffle([...Array(n).keys()]).slice(0, f + 1)) {
      const node = nodes[target]!
      if (!node.running) continue
      if (workload.inFlight >= POSTS_IN_FLIGHT_MAX) {
        workload.skipped++
        continue
      }
      workload.inFlight++
      postEntry(node.options.httpUrl, entry).then(
        (answer) => { if (answer.status < 300) workload.accepted++; else workload.refused++ },
        () => { workload.failed++ },
      ).finally(() => { workload.inFlight-- })
    }
    return id
  }
  const workloadDone = (async () => {
    const w = scenario.workload
    if (w.agents === 0 || w.ratePerSecond === 0) return
    await sleep(w.fromMs - now())
    while (now() < w.untilMs) {
      submit(false, rng.int(agents.length))
      await sleep((-Math.log(1 - rng.float()) * 1000) / w.ratePerSecond)
    }
  })()

  // --- the timeline ---
  type Step = { at: number, run: () => void }
  const steps: Step[] = []
  let openPartition: FaultMark | null = null
  for (const fault of scenario.faults) {
    if (fault.kind === 'crash') {
      const node = nodes[fault.node.node]!
      let mark: { -readonly [K in keyof FaultMark]: FaultMark[K] } | null = null
      steps.push({ at: fault.at, run: () => {
        mark = { at: now(), kind: 'crash', label: `node ${fault.node.node}: kill -9 (pid ${node.pid})${fault.until === null ? ', never restarted' : `, restart at ${fault.until} ms`}` }
        faults.push(mark)
        if (fault.until === null) permanentlyDown.add(fault.node.node)
        pending.push(node.kill())
      } })
      if (fault.until !== null) {
        steps.push({ at: fault.until, run: () => {
          // The node is down until the restarted process is ready (startup takes seconds).
          pending.push(node.kill().then(() => node.start()).then(
            () => { if (mark !== null) mark.until = now() },
            (err: Error) => { if (err.name !== 'NodeKilledError') errors.push(`restart of node ${fault.node.node}: ${err.message}`) },
          ))
        } })
      }
    } else if (fault.kind === 'partition' && netns !== null) {
      const groups = fault.groups.map((g) => g.map((r) => r.node))
      steps.push({ at: fault.at, run: () => {
        netns.partition(groups)
        const listed = new Set(groups.flat())
        const rest = [...Array(n).keys()].filter((i) => !listed.has(i))
        openPartition = { at: now(), kind: 'partition', label: [...groups, ...(rest.length > 0 ? [rest] : [])].map((g) => `{${g.join(',')}}`).join(' | ') }
        faults.push(openPartition)
      } })
      steps.push({ at: fault.until, run: () => {
        netns.heal()
        if (openPartition !== null) (openPartition as { until?: number }).until = now()
        openPartition = null
      } })
    }
  }
  steps.sort((a, b) => a.at - b.at)
  for (const step of steps) {
    await sleep(step.at - now())
    step.run()
  }
  await sleep(scenario.durationMs - now())

  // --- faults stop: heal, restart what crashed (except for good), probes ---
  netns?.heal()
  await Promise.all(pending)
  for (const [i, node] of nodes.entries()) {
    if (!node.running && !permanentlyDown.has(i)) await node.start().catch((err: Error) => { errors.push(`restart of node ${i}: ${err.message}`) })
  }
  await workloadDone
  const faultsStopMs = now()
  const livenessBoundMs = Math.max(scenario.livenessBoundMs ?? 0, NET_LIVENESS_BOUND_MS_MIN)
  let convergenceMs = -1
  const correct = [...Array(n).keys()].filter((i) => !permanentlyDown.has(i))
  if (scenario.livenessBoundMs !== null) {
    io.log(`net: faults stopped at ${faultsStopMs} ms; waiting for ${agents.length} probe entries on nodes ${correct.join(',')} (bound ${livenessBoundMs} ms)`)
    const ids = agents.map((_, a) => submit(true, a))
    const seen = new Set<string>()
    while (now() - faultsStopMs < livenessBoundMs) {
      await sleep(PROBE_POLL_MS)
      for (const i of correct) {
        for (const id of ids) {
          const key = `${i}/${id}`
          if (!seen.has(key) && (await isCommitted(nodes[i]!.options.httpUrl, id))) seen.add(key)
        }
      }
      if (seen.size === correct.length * ids.length) {
        convergenceMs = now() - faultsStopMs
        break
      }
    }
  }
  sampling = false
  await sampler
  await sampleOnce()
  const endMs = now()

  // --- read every running node's chain and counters ---
  const chains: NodeChain[] = []
  for (const [i, node] of nodes.entries()) {
    if (!node.running) continue
    try {
      chains.push({ ...(await readChain(node.options.httpUrl, `node ${i}`, i, genesis)), commitTimes: commitTimes[i]! })
    } catch (err) {
      errors.push(`node ${i}: cannot read its chain: ${(err as Error).message}`)
    }
  }
  const metrics = await Promise.all(nodes.map((node) => (node.running ? readMetrics(node.options.httpUrl) : Promise.resolve(new Map<string, number>()))))
  for (const node of nodes) errors.push(...node.unexpectedExits)
  let timeouts = 0
  const rejections: Record<string, number> = {}
  for (const m of metrics) {
    for (const [k, v] of m) {
      if (k === 'synod_timeouts_total') timeouts += v
      const r = /^synod_rejected_messages_total\{reason="([^"]*)"\}$/.exec(k)
      if (r !== null) rejections[r[1]!] = (rejections[r[1]!] ?? 0) + v
    }
  }
  const longest = chains.reduce<NodeChain | null>((best, c) => (best === null || c.hashes.length > best.hashes.length ? c : best), null)
  const latencies: number[] = []
  if (longest !== null) {
    for (let h = 1; h < longest.committed.length; h++) {
      const at = Math.min(...chains.map((c) => c.commitTimes?.[h] ?? Infinity))
      if (!Number.isFinite(at)) continue
      for (const e of longest.committed[h]!.entries) {
        const s = submittedAt.get(toHex(entryId(e)))
        if (s !== undefined) latencies.push(Math.max(0, at - s))
      }
    }
  }
  latencies.sort((a, b) => a - b)
  const record: RunRecord = {
    genesis,
    signatures: ED25519,
    honest: chains,
    correct: chains.filter((c) => correct.includes(c.index!)),
    submitted: new Set(submittedAt.keys()),
    probes,
    convergenceMs,
    livenessBoundMs,
  }
  const roundMax = Math.max(0, ...rounds.flat().map(([, r]) => r))
  return {
    record, errors, submittedAt, faults, latencies, endMs, livenessBoundMs, rejections,
    heights: heights.map((points, node) => ({ node, points })),
    rounds: rounds.map((points, node) => ({ node, points })),
    stats: {
      commits: longest === null ? 0 : longest.committed.at(-1)!.header.logSize,
      blocks: longest === null ? 0 : longest.committed.length - 1,
      rounds: roundMax,
      timeouts,
      // The node exposes no message counters; the workload's HTTP counts are in `messages`.
      messages: 0,
      latencyP50: latencies.length === 0 ? null : percentile(latencies, 0.5),
      latencyP99: latencies.length === 0 ? null : percentile(latencies, 0.99),
    },
    messages: { 'entries (HTTP POST to f+1 nodes)': { submitted: workload.submitted, accepted: workload.accepted, refused: workload.refused, failed: workload.failed, skipped: workload.skipped } },
  }
}
