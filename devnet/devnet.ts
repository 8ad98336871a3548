// `synod devnet`: a local cluster of real validator processes with a demo workload.
// Fresh keys and genesis under a data directory; N `synod start` processes on
// 127.0.0.1; agents committing signed decisions over HTTP; live progress; a clean
// shutdown (by pid) after the duration or on Ctrl-C; a summary with every node's head.
import { join } from 'node:path'
import { quorumSize } from '../src/log/validator-set.ts'
import { createClusterFiles, NodeProcess } from './cluster.ts'
import { getBlockHash, getHead, getJson, type HeadInfo } from './http-client.ts'
import { Workload } from './workload.ts'
import { writeDevnetFile } from './devnet-file.ts'

export interface DevnetOptions {
  readonly nodes: number
  readonly agents: number
  /** Seconds to run; null runs until Ctrl-C. */
  readonly durationS: number | null
  readonly dir: string | null
  readonly window: number
  readonly json: boolean
}

export interface DevnetIo {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** Whether progress may redraw one line in place. */
  readonly tty: boolean
}

export interface DevnetSummary {
  readonly ok: boolean
  readonly dir: string
  readonly durationS: number
  readonly submitted: number
  readonly committed: number
  readonly refused: number
  readonly commitsPerSecond: number
  readonly latencyMs: { p50: number, p95: number, p99: number, max: number, mean: number } | null
  /** Every node holds the same block at `common.height` (the lowest head). */
  readonly agree: boolean
  readonly common: { readonly height: number, readonly hash: string | null }
  readonly nodes: readonly { id: number, height: number | null, headHash: string | null, logSize: number | null, exitCode: number | null }[]
}

/** Time for the nodes to find each other before the workload starts. */
const PEERS_WAIT_MS = 30_000
/** After the workload stops: time for entries in flight to commit. */
const DRAIN_MS = 10_000
/** Time for all nodes to reach the same head after the workload. */
const AGREE_WAIT_MS = 5_000
const TICK_MS = 1_000

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, stepMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  // Bounded by the deadline.
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((r) => setTimeout(r, stepMs))
  }
  return condition()
}

export async function runDevnet(options: DevnetOptions, io: DevnetIo): Promise<DevnetSummary> {
  const progress = options.json ? io.err : io.out
  const dir = options.dir ?? join(process.cwd(), 'devnet-data', new Date().toISOString().replace(/[:.]/g, '-'))
  const files = await createClusterFiles({ dir, nodes: options.nodes, agents: options.agents, chainId: 'synod-devnet', logLevel: process.env.SYNOD_DEVNET_LOG_LEVEL ?? 'info' })
  progress(`devnet: ${options.nodes} validators, ${options.agents} agents, data in ${files.dir}\n`)
  const nodes = files.nodes.map((f) => new NodeProcess(f))
  const killAll = (): void => { for (const node of nodes) node.killNow() }
  process.on('exit', killAll)

  let stopRequested: (() => void) | null = null
  const stopped = new Promise<void>((resolve) => { stopRequested = resolve })
  let interrupts = 0
  const onSignal = (): void => {
    interrupts++
    if (interrupts > 1) {
      progress('\ndevnet: second interrupt: killing the nodes\n')
      killAll()
      process.exit(130)
    }
    progress('\ndevnet: stopping (Ctrl-C again to kill at once)\n')
    stopRequested?.()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  const started = Date.now()
  let workload: Workload | null = null
  let workloadStarted: number
  try {
    progress(`devnet: starting ${options.nodes} node processes...\n`)
    await Promise.all(nodes.map((n) => n.start()))
    progress(`devnet: nodes ready (pids ${nodes.map((n) => n.pid).join(', ')}) after ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
    for (const n of nodes) progress(`devnet: node ${n.files.index} API ${n.httpUrl}\n`)
    // Written once the nodes answer, so a devnet.json found means nodes to talk to.
    const written = await writeDevnetFile(files)
    progress(`devnet: wrote ${written.path} (node URLs, genesis ${files.genesisFile}, tools' agent key ${written.identityFile}); synod audit, synod mcp and npm run example:agents use it without flags\n`)
    const peersNeeded = quorumSize(options.nodes) - 1
    const connected = await waitUntil(async () => {
      const answers = await Promise.all(nodes.map((n) => getJson(`${n.httpUrl}/healthz`, 2000).catch(() => null)))
      return answers.every((a) => a !== null && typeof (a.body as { peers?: unknown }).peers === 'number' && (a.body as { peers: number }).peers >= peersNeeded)
    }, PEERS_WAIT_MS)
    if (!connected) progress(`devnet: warning: not every node has ${peersNeeded} peers yet; starting anyway\n`)

    if (options.agents > 0) {
      workload = new Workload({
        chainId: files.genesis.chainId,
        agents: files.agents,
        nodeUrls: nodes.map((n) => n.httpUrl),
        window: options.window,
        watchUrl: nodes[0]!.httpUrl,
        fromIndex: (await getHead(nodes[0]!.httpUrl))?.logSize ?? 0,
      })
      workload.start()
    }
    workloadStarted = Date.now()
    const deadline = options.durationS === null ? null : workloadStarted + options.durationS * 1000
    let done = false
    void stopped.then(() => { done = true })
    // One tick per second until the duration ends or Ctrl-C.
    while (!done && (deadline === null || Date.now() < deadline)) {
      await Promise.race([new Promise((r) => setTimeout(r, Math.min(TICK_MS, deadline === null ? TICK_MS : Math.max(0, deadline - Date.now())))), stopped])
      const heads = await Promise.all(nodes.map((n) => getHead(n.httpUrl, 900)))
      progress(progressLine(Date.now() - workloadStarted, heads, workload, io.tty && !options.json))
      if (nodes.some((n) => !n.running)) {
        progress(`\ndevnet: node ${nodes.findIndex((n) => !n.running)} exited; stopping\n`)
        break
      }
    }
    if (io.tty && !options.json) progress('\n')
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  const elapsedS = (Date.now() - workloadStarted) / 1000
  if (workload !== null) {
    progress('devnet: workload stopped; waiting for entries in flight to commit...\n')
    await workload.stop(DRAIN_MS)
  }
  // Agreement: every node has the same block at the lowest head height (the heads
  // themselves may differ by the blocks whose commit a node has not yet learnt of).
  let heads: (HeadInfo | null)[] = []
  let common: { height: number, hash: string | null } = { height: 0, hash: null }
  const agree = await waitUntil(async () => {
    heads = await Promise.all(nodes.map((n) => getHead(n.httpUrl)))
    if (heads.some((h) => h === null)) return false
    const height = Math.min(...heads.map((h) => h!.height))
    const hashes = await Promise.all(nodes.map((n) => getBlockHash(n.httpUrl, height)))
    common = { height, hash: hashes[0] ?? null }
    return hashes.every((h) => h !== null && h === hashes[0]) && heads.every((h) => h!.height === height)
  }, AGREE_WAIT_MS, 250) || (common.hash !== null && (await Promise.all(nodes.map((n) => getBlockHash(n.httpUrl, common.height)))).every((h) => h === common.hash))
  progress(`devnet: stopping ${nodes.length} nodes...\n`)
  const exitCodes = await Promise.all(nodes.map((n) => n.stop()))
  process.off('exit', killAll)

  const stats = workload?.stats ?? { submitted: 0, committed: 0, refused: 0, retries: 0, inFlight: 0 }
  const latency = workload?.latency() ?? null
  const summary: DevnetSummary = {
    ok: agree && (options.agents === 0 || stats.committed > 0) && exitCodes.every((c) => c === 0),
    dir: files.dir,
    durationS: Math.round(elapsedS * 10) / 10,
    submitted: stats.submitted,
    committed: stats.committed,
    refused: stats.refused,
    commitsPerSecond: elapsedS > 0 ? Math.round((stats.committed / elapsedS) * 10) / 10 : 0,
    latencyMs: latency,
    agree,
    common,
    nodes: nodes.map((n, i) => ({ id: i, height: heads[i]?.height ?? null, headHash: heads[i]?.hash ?? null, logSize: heads[i]?.logSize ?? null, exitCode: exitCodes[i] ?? null })),
  }
  if (workload?.watchError) progress(`devnet: the commit stream failed: ${workload.watchError.message}\n`)
  if (options.json) {
    io.out(JSON.stringify(summary) + '\n')
  } else {
    io.out(summaryText(summary))
  }
  return summary
}

function progressLine(elapsedMs: number, heads: readonly (HeadInfo | null)[], workload: Workload | null, inPlace: boolean): string {
  const t = `[${String(Math.round(elapsedMs / 1000)).padStart(4)} s]`
  const height = `height ${heads.map((h) => (h === null ? '-' : String(h.height))).join(' ')}`
  let rest = ''
  if (workload !== null) {
    const s = workload.stats
    const l = workload.latency()
    const rate = workload.recentCommits(5_000) / 5
    rest = ` | committed ${s.committed} | ${rate.toFixed(1)} commits/s | latency ${l === null ? '-' : `p50 ${l.p50} ms p95 ${l.p95} ms`} | in flight ${s.inFlight}`
  }
  const line = `${t} ${height}${rest}`
  return inPlace ? `\r${line.padEnd(120)}` : `${line}\n`
}

function summaryText(s: DevnetSummary): string {
  const lines = [
    '',
    `devnet summary (${s.durationS} s, data in ${s.dir})`,
    `  committed entries: ${s.committed} of ${s.submitted} submitted${s.refused > 0 ? `, ${s.refused} refused` : ''}`,
    `  throughput:        ${s.commitsPerSecond} commits/s`,
    `  commit latency:    ${s.latencyMs === null ? '-' : `p50 ${s.latencyMs.p50} ms, p95 ${s.latencyMs.p95} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms`}`,
    ...s.nodes.map((n) => `  node ${n.id}: height ${n.height ?? '-'}  head ${n.headHash ?? '-'}  log size ${n.logSize ?? '-'}  exit ${n.exitCode ?? 'signal'}`),
    `  ${s.agree ? `all nodes agree: block ${s.common.hash} at height ${s.common.height}` : `NODES DO NOT AGREE at height ${s.common.height}`}`,
    '',
  ]
  return lines.join('\n')
}
