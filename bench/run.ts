// `npm run bench` (full) and `npm run bench -- --quick` (under 3 minutes): runs the crypto,
// consensus-core, cluster, catch-up, audit and rss benchmarks (each its own process,
// bounded in time), prints every throughput as a ratio of the verification limit measured in
// the same run, and writes bench/results/<run>.json, <run>.md and SVG plots, <run> being
// <UTC time>-<quick|full>[-<tag>] (bench/result-names.ts, docs/performance.md).
//   limit = (Ed25519 verifies/s on one core x cores) / (processes that must verify each entry),
// the verifies/s of the fastest verifier measured in the same run (bench/crypto.ts measures
// node:crypto, sodium-native where it loads, and @noble; the nodes use the fastest native one).
// Targets: those of the performance issue (docs/performance.md, "Targets"), n = 4 unless named.
// Options: --quick, --tag NAME (appended to the run's name), --only crypto,core,cluster,
// cluster-n7,sig-off,catch-up,audit,rss (crypto always runs),
// --update-readme (replace the table between the bench markers in README.md, and move
// the earlier runs of the same kind into bench/results/archive/).
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { arch, availableParallelism, cpus, loadavg, platform, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { clusterPlots, type Sweep } from './cluster-plots.ts'
import { archiveSuperseded, runName } from './result-names.ts'
import { VALIDATOR_MALLOC_ENV, VALIDATOR_NODE_FLAGS } from '../devnet/cluster.ts'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tag: { type: 'string' },
    only: { type: 'string' },
    'update-readme': { type: 'boolean', default: false },
  },
})
const QUICK = values.quick
const TAG = runName(new Date(), QUICK, values.tag)
const ONLY = values.only?.split(',') ?? null
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const OUT = join(ROOT, 'bench', 'results')
/** Each benchmark process is killed (by pid) after this long. */
const BENCH_MS_MAX = QUICK ? 150_000 : 1_800_000
/** What bin/synod.js gives `synod audit` (the devnet's validator settings: the young
 * generation capped, glibc's allocator giving memory back). */
const AUDIT_NODE_FLAGS = VALIDATOR_NODE_FLAGS
const AUDIT_ENV = VALIDATOR_MALLOC_ENV

const log = (text: string): void => { process.stderr.write(text + '\n') }

/** Runs `node bench/<file> args`, streams its stderr, returns its last stdout line as JSON. */
function runBench(file: string, args: readonly string[], nodeFlags: readonly string[] = [], env: Readonly<Record<string, string>> = {}): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, join(ROOT, 'bench', file), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout = (stdout + chunk).slice(-1_000_000) })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => process.stderr.write(chunk.replace(/^/gm, `  [${file}] `).replace(/ {2}\[[^\]]+\] $/, '')))
    const timer = setTimeout(() => { if (child.pid !== undefined) process.kill(child.pid, 'SIGINT') }, BENCH_MS_MAX)
    child.on('exit', (code) => {
      clearTimeout(timer)
      const last = stdout.trim().split('\n').at(-1) ?? ''
      try {
        if (code !== 0) throw new Error(`exit code ${code}`)
        resolve(JSON.parse(last) as Record<string, unknown>)
      } catch (err) {
        reject(new Error(`bench/${file} failed: ${(err as Error).message}`))
      }
    })
  })
}

const want = (name: string): boolean => ONLY === null || ONLY.includes(name)
const round = (n: number, digits = 0): number => Number(n.toFixed(digits))
const started = Date.now()
const cores = availableParallelism()
const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores, memoryGB: round(totalmem() / 2 ** 30, 1), node: process.version, platform: `${platform()}/${arch()}`, loadAverageAtStart: loadavg().map((l) => round(l, 2)) }
log(`bench (${QUICK ? 'quick' : 'full'}): ${machine.cpu}, ${cores} cores, Node ${process.version}, load average ${machine.loadAverageAtStart.join(' ')}`)

// The crypto figures are needed for every limit: always measured.
const crypto = await runBench('crypto.ts', ['--seconds', QUICK ? '0.4' : '1'])
const verifier = crypto.fastestVerifier as { name: string, label: string, perSec: number }
const verifyPerCore = verifier.perSec
const limitFor = (processes: number, coresUsed = cores): number => round((verifyPerCore * coresUsed) / processes)
log(`verification: ${verifyPerCore} verifies/s on one core (${verifier.label}, the fastest measured), ${cores} cores`)

const results: Record<string, unknown> = { crypto }
if (want('core')) results.core = await runBench('consensus.ts', QUICK ? ['--entries', '2000'] : [])
if (want('cluster')) results.cluster = await runBench('cluster.ts', QUICK ? ['--quick'] : [])
// n = 7 (f = 2): 256 B only, to keep the run bounded.
if (want('cluster-n7')) results.clusterN7 = await runBench('cluster.ts', [...(QUICK ? ['--quick', '--light', '10'] : []), '--nodes', '7', '--payloads', '256'])
// Comparison mode: entry-signature checks off in the validators (consensus signatures on,
// store on disk), entries sent with dummy signatures; for comparing protocol and transport
// with implementations that run this way (libhotstuff).
if (want('sig-off')) results.sigOff = await runBench('cluster.ts', [...(QUICK ? ['--quick', '--light', '10'] : []), '--unsafe-skip-entry-signatures', '--payloads', '256', '--start-rate', '400'])
if (want('catch-up')) results.catchUp = await runBench('catch-up.ts', QUICK ? ['--entries', '10000', '--per-block', '500'] : ['--entries', '100000', '--per-block', '1000'])
if (want('audit')) {
  // One process per mode, run as `synod audit` runs (bin/synod.js caps V8's young
  // generation): in one process the second mode's RSS started from the first one's.
  const entries = QUICK ? ['--entries', '20000'] : ['--entries', '100000']
  const main = await runBench('audit.ts', [...entries, '--modes', 'main'], AUDIT_NODE_FLAGS, AUDIT_ENV)
  const workers = await runBench('audit.ts', [...entries, '--modes', 'workers'], AUDIT_NODE_FLAGS, AUDIT_ENV)
  results.audit = { ...main, results: { ...(main.results as object), ...(workers.results as object) } }
}
if (want('rss')) results.rss = await runBench('rss.ts', QUICK ? ['--quick'] : [])

// --- the table ---
interface Row { section: string, figure: string, value: string, limit: string, ratio: string, target: string, met: string }
const rows: Row[] = []
const ratio = (v: number, limit: number): string => `${round((100 * v) / limit)}%`
const yes = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'yes' : '**no**')

const sha = crypto.sha256MBPerSec as Record<string, { node: number, noble: number }>
const ver = crypto.ed25519VerifyPerSec as { node: number, noble: number, sodium: number | null }
rows.push({ section: 'crypto', figure: `Ed25519 verify/s, one core (node:crypto / sodium-native / @noble; limits from ${verifier.label})`, value: `${ver.node} / ${ver.sodium ?? 'n/a'} / ${ver.noble}`, limit: '', ratio: '', target: '', met: '' })
rows.push({ section: 'crypto', figure: 'SHA-256 MB/s, 64 KiB inputs (built-in / @noble)', value: `${sha['64KiB']!.node} / ${sha['64KiB']!.noble}`, limit: '', ratio: '', target: '', met: '' })

if (results.core !== undefined) {
  for (const r of (results.core as { results: { n: number, entriesPerSec: number, blocksPerSec: number, verifyShare: number }[] }).results) {
    // All n replicas share one thread: the limit is one core's verifies over n verifiers.
    const limit = limitFor(r.n, 1)
    rows.push({ section: 'core', figure: `n=${r.n}: entries/s (blocks/s ${r.blocksPerSec}; verify share ${round(100 * r.verifyShare)}%)`, value: String(r.entriesPerSec), limit: `${limit} (1 core / ${r.n})`, ratio: ratio(r.entriesPerSec, limit), target: '', met: '' })
  }
}

/** The validators' messages to each other (all together), as bench/cluster.ts reports them. */
interface Messages { perEntry: { messages: number, bytes: number } | null, perRound: { messages: number, bytes: number } | null, rounds: number | null }
function messagesRow(section: string, when: string, m: Messages): Row {
  const show = (x: { messages: number, bytes: number } | null): string => (x === null ? 'n/a' : `${x.messages} / ${(x.bytes / 1024).toFixed(1)} KiB`)
  return { section, figure: `${when}: validators' messages / bytes sent, per committed entry and per round (${m.rounds ?? '?'} rounds)`, value: `${show(m.perEntry)}; ${show(m.perRound)}`, limit: '', ratio: '', target: '', met: '' }
}

type ClusterResult = { nodes: number, agents: number, light: { p50Ms: number, p99Ms: number, nodeCpuMsPerCommit?: number | null, messages?: Messages }, sweeps: (Sweep & { at80: { messages?: Messages } })[], final: { logSize: number, nodeRssMB: number[], nodePeakRssMB: number[] } }
/** The rows of one cluster run; `targets`: the issue's targets apply (n = 4). */
function clusterRows(c: ClusterResult, section: string, targets: boolean): void {
  const limit = limitFor(c.nodes)
  const target = (text: string, ok: boolean): { target: string, met: string } => (targets ? { target: text, met: yes(ok) } : { target: '', met: '' })
  rows.push({ section, figure: `n=${c.nodes}: light load p50 / p99 commit latency, ms (1 agent, 1 in flight; validators' CPU ${c.light.nodeCpuMsPerCommit ?? '?'} ms per commit, all together)`, value: `${c.light.p50Ms} / ${c.light.p99Ms}`, limit: '', ratio: '', ...target('p50 <= 10', c.light.p50Ms <= 10) })
  if (c.light.messages !== undefined) rows.push(messagesRow(section, `n=${c.nodes}, light load`, c.light.messages))
  for (const s of c.sweeps) {
    const cpu = s.at80.nodeCpuCores.map((x) => x ?? '?').join('/')
    const share = s.payloadBytes >= 4096 ? 0.5 : 0.7
    rows.push({ section, figure: `n=${c.nodes}, ${s.payloadBytes} B: saturation, committed entries/s (${c.agents} agents, open loop)`, value: String(s.saturationPerSec), limit: `${limit} (${cores} cores / ${c.nodes})`, ratio: ratio(s.saturationPerSec, limit), ...target(`>= ${100 * share}%`, s.saturationPerSec >= share * limit) })
    rows.push({ section, figure: `n=${c.nodes}, ${s.payloadBytes} B: p50 / p99 at 80% of saturation (${s.at80.offeredPerSec}/s offered, ${s.at80.committedPerSec}/s committed), ms; node CPU ${cpu} cores, ${s.at80.nodeCpuMsPerCommit ?? '?'} ms per commit all together`, value: `${s.at80.p50Ms} / ${s.at80.p99Ms}`, limit: '', ratio: '', ...target('p50 <= 100', s.at80.p50Ms !== null && s.at80.p50Ms <= 100) })
    if (s.at80.messages !== undefined) rows.push(messagesRow(section, `n=${c.nodes}, ${s.payloadBytes} B at 80% of saturation`, s.at80.messages))
  }
  const rssMax = Math.max(...c.final.nodeRssMB)
  rows.push({ section, figure: `n=${c.nodes}: RSS per validator after the saturation sweep (log size ${c.final.logSize}), MB (peak ${Math.max(...c.final.nodePeakRssMB)})`, value: c.final.nodeRssMB.join(' / '), limit: '', ratio: '', ...target('<= 250 after the saturation sweep', rssMax <= 250) })
  mkdirSync(OUT, { recursive: true })
  // Other sizes than n = 4: <run>-cluster-n7-<size>B-*.svg (bench/result-names.ts).
  for (const plot of clusterPlots(c, limit)) writeFileSync(join(OUT, `${TAG}-${c.nodes === 4 ? plot.suffix : plot.suffix.replace(/^cluster-/, `cluster-n${c.nodes}-`)}`), plot.svg)
}
if (results.cluster !== undefined) clusterRows(results.cluster as ClusterResult, 'cluster', true)
if (results.clusterN7 !== undefined) clusterRows(results.clusterN7 as ClusterResult, 'cluster n=7', false)
if (results.sigOff !== undefined) {
  const c = results.sigOff as ClusterResult
  const best = Math.max(...c.sweeps.map((s) => s.saturationPerSec))
  const at80 = c.sweeps[0]?.at80
  rows.push({ section: 'sig-off', figure: `n=${c.nodes}, entry-signature checks off (consensus signatures on, level store on disk), 256 B: entries/s committed and persisted at saturation${at80 === undefined ? '' : `; at 80% p50 / p99 ${at80.p50Ms} / ${at80.p99Ms} ms, ${at80.nodeCpuMsPerCommit ?? '?'} ms node CPU per commit all together`}`, value: String(best), limit: '', ratio: '', target: '>= 20,000/s', met: yes(best >= 20_000) })
}

if (results.catchUp !== undefined) {
  const c = results.catchUp as { entries: number, entriesPerSec: number, syncingNodeCpuCores: number, syncingNodeRssMB: number }
  const limit = limitFor(1)
  rows.push({ section: 'catch-up', figure: `empty node behind ${c.entries} entries: entries/s synced (node CPU ${c.syncingNodeCpuCores} cores, RSS ${c.syncingNodeRssMB} MB)`, value: String(c.entriesPerSec), limit: `${limit} (${cores} cores / 1)`, ratio: ratio(c.entriesPerSec, limit), target: '>= 70%', met: yes(c.entriesPerSec >= 0.7 * limit) })
}
if (results.audit !== undefined) {
  const a = results.audit as { entries: number, results: Record<string, { entriesPerSec: number, peakRssMB: number }> }
  const limit = limitFor(1)
  let best = 0
  for (const [mode, r] of Object.entries(a.results)) {
    best = Math.max(best, r.entriesPerSec)
    rows.push({ section: 'audit', figure: `synod audit of ${a.entries} entries, ${mode}: entries/s (peak RSS ${r.peakRssMB} MB)`, value: String(r.entriesPerSec), limit: `${limit} (${cores} cores / 1)`, ratio: ratio(r.entriesPerSec, limit), target: '>= 70% (best)', met: '' })
  }
  rows.at(-1)!.met = yes(best >= 0.7 * limit)
}

if (results.rss !== undefined) {
  type PerNode = (number | null)[]
  const r = results.rss as { entries: number, rate: number, loadSeconds: number, committedPerSec: number | null, rssMB: { start: PerNode, end: PerNode, peak: PerNode }, heapTotalMB: PerNode, externalMB: PerNode, otherMB: PerNode, underTarget: boolean | null, met: boolean }
  // The worst validator decides the target, so each figure is the highest of the n.
  const worst = (xs: PerNode): string => (xs.some((x) => x === null) ? '?' : String(Math.max(...(xs as number[]))))
  const atOneMillion = r.entries >= 1_000_000
  // What the largest validator at the end is made of, from its /metrics.
  const largest = r.rssMB.end.indexOf(Math.max(...r.rssMB.end.map((x) => x ?? -1)))
  const part = (xs: PerNode): string => String(xs[largest] ?? '?')
  rows.push({
    section: 'rss',
    figure: `RSS per validator after ${r.entries} entries + load (${r.rate}/s offered for ${r.loadSeconds} s, ${r.committedPerSec}/s committed), MB (start / end / peak, highest of ${r.rssMB.end.length}; the largest at the end: V8 heap ${part(r.heapTotalMB)} + external ${part(r.externalMB)} + other ${part(r.otherMB)})`,
    value: `${worst(r.rssMB.start)} / ${worst(r.rssMB.end)} / ${worst(r.rssMB.peak)}`,
    limit: '', ratio: '', target: '<= 250 after 1,000,000 entries',
    met: atOneMillion ? yes(r.met) : `not at 1M (${r.underTarget === null ? '?' : r.underTarget ? 'under' : 'over'} 250 at ${r.entries})`,
  })
}

const seconds = round((Date.now() - started) / 1000)
const header = `Synod benchmarks (${QUICK ? 'quick' : 'full'}), ${new Date().toISOString().slice(0, 16)}Z: ${machine.cpu}, ${cores} cores, ${machine.memoryGB} GB, Node ${machine.node}, ${machine.platform}; load average at start ${machine.loadAverageAtStart.join(' ')}; ${seconds} s. Verification limit: ${verifyPerCore} Ed25519 verifies/s on one core with ${verifier.label}, the fastest of those measured (node:crypto ${ver.node}, sodium-native ${ver.sodium ?? 'not loaded'}, @noble ${ver.noble}).`
const table = [
  header,
  '',
  '| section | figure | value | limit | ratio | target | met |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.section} | ${r.figure} | ${r.value} | ${r.limit} | ${r.ratio} | ${r.target} | ${r.met} |`),
].join('\n') + '\n'
mkdirSync(OUT, { recursive: true })
writeFileSync(join(OUT, `${TAG}.json`), JSON.stringify({ tag: TAG, quick: QUICK, machine, seconds, verifyPerCore, verifier: verifier.name, results }, null, 2) + '\n')
writeFileSync(join(OUT, `${TAG}.md`), table)
if (values['update-readme']) {
  const readme = join(ROOT, 'README.md')
  const text = readFileSync(readme, 'utf8')
  const begin = '<!-- bench:begin -->'
  const end = '<!-- bench:end -->'
  const a = text.indexOf(begin)
  const b = text.indexOf(end)
  const files = `\nFiles: \`bench/results/${TAG}.{json,md}\` and its plots \`bench/results/${TAG}-cluster-*.svg\`; earlier runs in \`bench/results/archive/\`.\n`
  if (a >= 0 && b > a) {
    writeFileSync(readme, text.slice(0, a + begin.length) + '\n' + table + files + text.slice(b))
    // The README now cites this run: the earlier ones of its kind are history.
    const moved = archiveSuperseded(OUT, TAG)
    if (moved.length > 0) log(`moved ${moved.length} files of earlier runs into ${join(OUT, 'archive')}`)
  } else log('README.md has no bench markers: not updated')
}
process.stdout.write(table)
log(`wrote ${join(OUT, TAG)}.json, .md and plots in ${seconds} s`)
