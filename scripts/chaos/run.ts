// One chaos run: 4 validators on 127.0.0.1 under SDK load, SIGKILLed and restarted at
// random (at most f down at once) for the run's duration; then the load stops, the
// cluster gets a bounded time to go idle, and the checks judge what every validator holds.
// Every random choice comes from one seed. Validators are killed by pid however the run
// ends.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getHead } from '../../devnet/http-client.ts'
import { Prng } from '../../scenarios/sim/prng.ts'
import { startChaosCluster, stopChaosCluster, type ChaosCluster } from './chaos-cluster.ts'
import { runChecks, strandedCandidates, type CheckResult } from './checks.ts'
import { ChaosFaults, type KillRecord } from './faults.ts'
import { CHAOS_LIMITS } from './limits.ts'
import { ChaosLoad } from './load.ts'
import { entryStatus, errorLines, observeNode } from './observe.ts'
import type { ChaosOptions } from './options.ts'
import { settle, type SettleResult } from './settle.ts'

export interface ChaosResult {
  readonly ok: boolean
  readonly seed: number
  readonly durationS: number
  readonly dir: string
  readonly kills: readonly KillRecord[]
  readonly acked: number
  readonly failedCommits: number
  readonly settle: SettleResult
  readonly checks: readonly CheckResult[]
}

/** Progress lines while the run goes. */
const PROGRESS_MS = 5_000
/** Accepted entries missing from a log whose whereabouts are asked of every validator. */
const STATUS_LOOKUPS_MAX = 20

export async function runChaos(options: ChaosOptions, progress: (line: string) => void): Promise<ChaosResult> {
  const prng = new Prng(options.seed)
  const loadPrng = prng.fork()
  const faultPrng = prng.fork()
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), `synod-chaos-${options.seed}-`))
  progress(`chaos: seed ${options.seed}, ${options.durationS} s, data in ${dir}`)
  let cluster: ChaosCluster | null = null
  try {
    cluster = await startChaosCluster(join(dir, 'net'), 'synod-chaos')
    const { nodes } = cluster
    progress(`chaos: ${nodes.length} validators ready (pids ${nodes.map((n) => n.pid).join(', ')})`)
    const load = new ChaosLoad(cluster.files.genesis, nodes.map((n) => n.url), loadPrng)
    const faults = new ChaosFaults(nodes, load, faultPrng)
    const t0 = Date.now()
    load.start()
    faults.start()
    const deadline = t0 + options.durationS * 1_000
    // One progress line per pass; bounded by the deadline.
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(PROGRESS_MS, Math.max(0, deadline - Date.now()))))
      const heads = await Promise.all(nodes.map((n) => (n.running ? getHead(n.url, 1_000) : Promise.resolve(null))))
      progress(`chaos: [${Math.round((Date.now() - t0) / 1000)} s] heights ${heads.map((h) => h?.height ?? '-').join(' ')} | acked ${load.ackedCount} | in flight ${load.inFlight} | kills ${faults.kills.length}`)
    }
    progress('chaos: stopping faults and load')
    await faults.stop()
    await load.stop(CHAOS_LIMITS.inFlightWaitMs)
    const settled = await settle(nodes)
    progress(`chaos: ${settled.idle ? `idle after ${settled.ms} ms` : `NOT idle after ${settled.ms} ms`}: ${settled.last.join(' | ')}`)
    const observations = []
    for (const node of nodes) observations.push(await observeNode(node, cluster.files.genesis))
    const record = load.record()
    const entryStatuses = new Map<string, string[]>()
    for (const id of strandedCandidates(record, observations).slice(0, STATUS_LOOKUPS_MAX)) {
      entryStatuses.set(id, await Promise.all(nodes.map((n) => entryStatus(n.url, id))))
    }
    const finalStops = await stopChaosCluster(cluster)
    const logs = await Promise.all(nodes.map((n) => errorLines(n)))
    const checks = runChecks({ load: record, nodes: observations, errorLines: logs, entryStatuses, kills: faults.kills, unexpectedExits: cluster.unexpectedExits, finalStops })
    const ok = checks.every((c) => c.ok)
    if (ok && !options.keep) rmSync(dir, { recursive: true, force: true })
    return { ok, seed: options.seed, durationS: options.durationS, dir, kills: faults.kills, acked: record.acked.length, failedCommits: record.failed.length, settle: settled, checks }
  } catch (err) {
    for (const node of cluster?.nodes ?? []) node.process.killNow()
    throw err
  }
}
