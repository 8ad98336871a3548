// `npm run bench` (full) and `npm run bench -- --quick` (under 3 minutes): runs the crypto,
// consensus-core, cluster, catch-up, audit and rss benchmarks (each its own process,
// bounded in time), prints every throughput as a ratio of the verification limit measured in
// the same run, and writes bench/results/<run>.json, <run>.md and SVG plots, <run> being
// <UTC time>-<quick|full>[-<tag>] (bench/result-names.ts, docs/performance.md).
//   limit = (built-in Ed25519 verifies/s on one core x cores) / (processes that must verify each entry)
// Options: --quick, --tag NAME (appended to the run's name), --only crypto,core,...,
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

const log = (text: string): void => { process.stderr.write(text + '\n') }

/** Runs `node bench/<file> args`, streams its stderr, returns its last stdout line as JSON. */
function runBench(file: string, args: readonly string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench', file), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
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
const verifyPerCore = (crypto.ed25519VerifyPerSec as { node: number }).node
const limitFor = (processes: number, coresUsed = cores): number => round((verifyPerCore * coresUsed) / processes)
log(`verification: ${verifyPerCore} verifies/s on one core (built-in), ${cores} cores`)

const results: Record<string, unknown> = { crypto }
if (want('core')) results.core = await runBench('consensus.ts', QUICK ? ['--entries', '2000'] : [])
if (want('cluster')) results.cluster = await runBench('cluster.ts', QUICK ? ['--quick'] : [])
if (want('catch-up')) results.catchUp = await runBench('catch-up.ts', QUICK ? ['--entries', '10000', '--per-block', '500'] : ['--entries', '100000', '--per-block', '1000'])
if (want('audit')) results.audit = await runBench('audit.ts', QUICK ? ['--entries', '20000'] : ['--entries', '100000'])
if (want('rss')) results.rss = await runBench('rss.ts', QUICK ? ['--quick'] : [])

// --- the table ---
interface Row { section: string, figure: string, value: string, limit: string, ratio: string, target: string, met: string }
const rows: Row[] = []
const ratio = (v: number, limit: number): string => `${round((100 * v) / limit)}%`
const yes = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'yes' : '**no**')

const sha = crypto.sha256MBPerSec as Record<string, { node: number, noble: number }>
const ver = crypto.ed25519VerifyPerSec as { node: number, noble: number }
rows.push({ section: 'crypto', figure: 'Ed25519 verify/s, one core (built-in / @noble)', value: `${ver.node} / ${ver.noble}`, limit: '', ratio: '', target: '', met: '' })
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
function messagesRow(when: string, m: Messages): Row {
  const show = (x: { messages: number, bytes: number } | null): string => (x === null ? 'n/a' : `${x.messages} / ${(x.bytes / 1024).toFixed(1)} KiB`)
  return { section: 'cluster', figure: `${when}: validators' messages / bytes sent, per committed entry and per round (${m.rounds ?? '?'} rounds)`, value: `${show(m.perEntry)}; ${show(m.perRound)}`, limit: '', ratio: '', target: '', met: '' }
}

if (results.cluster !== undefined) {
  const c = results.cluster as { nodes: number, agents: number, light: { p50Ms: number, p99Ms: number, nodeCpuMsPerCommit?: number | null, messages?: Messages }, sweeps: (Sweep & { at80: { messages?: Messages } })[], final: { logSize: number, nodeRssMB: number[], nodePeakRssMB: number[] } }
  const limit = limitFor(c.nodes)
  rows.push({ section: 'cluster', figure: `light load p50 / p99 commit latency, ms (1 agent, 1 in flight; validators' CPU ${c.light.nodeCpuMsPerCommit ?? '?'} ms per commit, all together)`, value: `${c.light.p50Ms} / ${c.light.p99Ms}`, limit: '', ratio: '', target: 'p50 <= 20', met: yes(c.light.p50Ms <= 20) })
  if (c.light.messages !== undefined) rows.push(messagesRow('light load', c.light.messages))
  for (const s of c.sweeps) {
    const cpu = s.at80.nodeCpuCores.map((x) => x ?? '?').join('/')
    rows.push({ section: 'cluster', figure: `${s.payloadBytes} B: saturation, committed entries/s (${c.agents} agents, open loop)`, value: String(s.saturationPerSec), limit: `${limit} (${cores} cores / ${c.nodes})`, ratio: ratio(s.saturationPerSec, limit), target: s.payloadBytes === 256 ? '>= 70%' : '', met: s.payloadBytes === 256 ? yes(s.saturationPerSec >= 0.7 * limit) : '' })
    rows.push({ section: 'cluster', figure: `${s.payloadBytes} B: p50 / p99 at 80% of saturation (${s.at80.offeredPerSec}/s offered, ${s.at80.committedPerSec}/s committed), ms; node CPU ${cpu} cores, ${s.at80.nodeCpuMsPerCommit ?? '?'} ms per commit all together`, value: `${s.at80.p50Ms} / ${s.at80.p99Ms}`, limit: '', ratio: '', target: s.payloadBytes === 256 ? 'p50 <= 150' : '', met: s.payloadBytes === 256 ? yes(s.at80.p50Ms !== null && s.at80.p50Ms <= 150) : '' })
    if (s.at80.messages !== undefined) rows.push(messagesRow(`${s.payloadBytes} B at 80% of saturation`, s.at80.messages))
  }
  const rssMax = Math.max(...c.final.nodeRssMB)
  rows.push({ section: 'cluster', figure: `RSS per validator at the end (log size ${c.final.logSize}), MB (peak ${Math.max(...c.final.nodePeakRssMB)})`, value: c.final.nodeRssMB.join(' / '), limit: '', ratio: '', target: '<= 250 after 1,000,000 entries', met: c.final.logSize >= 1_000_000 ? yes(rssMax <= 250) : `not at 1M (${rssMax <= 250 ? 'under' : 'over'} 250 already)` })
  mkdirSync(OUT, { recursive: true })
  for (const plot of clusterPlots(c, limit)) writeFileSync(join(OUT, `${TAG}-${plot.suffix}`), plot.svg)
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
const header = `Synod benchmarks (${QUICK ? 'quick' : 'full'}), ${new Date().toISOString().slice(0, 16)}Z: ${machine.cpu}, ${cores} cores, ${machine.memoryGB} GB, Node ${machine.node}, ${machine.platform}; load average at start ${machine.loadAverageAtStart.join(' ')}; ${seconds} s. Verification limit: ${verifyPerCore} built-in Ed25519 verifies/s on one core.`
const table = [
  header,
  '',
  '| section | figure | value | limit | ratio | target | met |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.section} | ${r.figure} | ${r.value} | ${r.limit} | ${r.ratio} | ${r.target} | ${r.met} |`),
].join('\n') + '\n'
mkdirSync(OUT, { recursive: true })
writeFileSync(join(OUT, `${TAG}.json`), JSON.stringify({ tag: TAG, quick: QUICK, machine, seconds, verifyPerCore, results }, null, 2) + '\n')
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
