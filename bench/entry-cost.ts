// µs of validator CPU per committed entry, by component (docs/performance.md, "Per-entry
// work"). Runs the cluster bench with CPU profiles on (bench/cluster.ts --profile, 256 B
// entries, an open-loop rate sweep from --rate), sums the four validators' profiles by
// component (bench/profile-costs.ts) and divides by the entries the sweep committed.
//   npx node bench/entry-cost.ts [--rate 150] [--step-seconds 8]
//   npx node bench/entry-cost.ts --profiles DIR --entries N     (profiles of an earlier run)
// Last stdout line: one JSON object.
import { execFile } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { perEntryTable, profileCosts } from './profile-costs.ts'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '150' },
    'step-seconds': { type: 'string', default: '8' },
    payload: { type: 'string', default: '256' },
    profiles: { type: 'string' },
    entries: { type: 'string' },
  },
})
const log = (text: string): void => { process.stderr.write(text + '\n') }

interface ClusterStep { committed: number, offeredPerSec: number, committedPerSec: number, nodeCpuMsPerCommit: number | null }
interface ClusterResult { light?: { commits: number }, sweeps: { steps: ClusterStep[] }[] }

async function runCluster(): Promise<{ profiles: string, entries: number, steps: ClusterStep[] }> {
  const args = ['bench/cluster.ts', '--quick', '--profile', '--payloads', values.payload, '--start-rate', values.rate, '--step-seconds', values['step-seconds'], '--light', '5', '--keep']
  log(`running: node ${args.join(' ')}`)
  const { stdout, stderr } = await new Promise<{ stdout: string, stderr: string }>((resolve, reject) => {
    execFile(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600_000 }, (err, out, errOut) => err === null ? resolve({ stdout: out, stderr: errOut }) : reject(new Error(`${err.message}\n${errOut.slice(-2000)}`)))
  })
  const dir = /profiles go to (\S+)/.exec(stderr)?.[1]
  if (dir === undefined) throw new Error('bench/cluster.ts did not say where its profiles went')
  const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as ClusterResult
  const steps = result.sweeps.flatMap((s) => s.steps)
  const entries = (result.light?.commits ?? 0) + steps.reduce((a, s) => a + s.committed, 0)
  return { profiles: dir, entries, steps }
}

const run = values.profiles === undefined ? await runCluster() : { profiles: values.profiles, entries: Number(values.entries), steps: [] }
if (!Number.isInteger(run.entries) || run.entries <= 0) throw new RangeError('--entries must be a positive integer')
const files = readdirSync(run.profiles).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(run.profiles, f))
if (files.length === 0) throw new Error(`no .cpuprofile files in ${run.profiles}`)
const table = perEntryTable(files.map(profileCosts), run.entries)
// The cluster directory (stores, logs, profiles) of a run made here goes once read.
if (values.profiles === undefined) rmSync(dirname(run.profiles), { recursive: true, force: true })
log(`${files.length} validator profiles, ${run.entries} entries committed; start-up (left out): ${table.startupMs.toFixed(0)} ms in all`)
for (const s of run.steps) log(`  step: offered ${s.offeredPerSec}/s, committed ${s.committedPerSec}/s (${s.committed})`)
// A sampling profiler counts a tick to the running function even while the OS has the
// thread descheduled, so on a busy machine its sums exceed the CPU used. The shares are
// what it measures well; the CPU per entry comes from /proc (the load steps' own figure,
// weighted by what each committed) and is split by those shares.
const measured = run.steps.filter((s) => s.nodeCpuMsPerCommit !== null)
const committedInSteps = measured.reduce((a, s) => a + s.committed, 0)
const cpuUsPerEntry = committedInSteps === 0 ? null : 1000 * measured.reduce((a, s) => a + s.nodeCpuMsPerCommit! * s.committed, 0) / committedInSteps
log(`validator CPU per committed entry, all ${files.length} validators together: ${cpuUsPerEntry === null ? 'n/a' : cpuUsPerEntry.toFixed(0)} µs from /proc during the load steps; ${table.totalUsPerEntry.toFixed(0)} µs sampled over the whole run`)
const scaled = (share: number): string => cpuUsPerEntry === null ? '' : `${(share * cpuUsPerEntry).toFixed(0).padStart(6)} µs  `
for (const r of table.rows) log(`  ${scaled(r.share)}${(100 * r.share).toFixed(1).padStart(5)}%  ${r.component}`)
process.stdout.write(JSON.stringify({ bench: 'entry-cost', validators: files.length, entries: run.entries, cpuUsPerEntry: cpuUsPerEntry === null ? null : Math.round(cpuUsPerEntry), sampledUsPerEntry: Math.round(table.totalUsPerEntry), rows: table.rows.map((r) => ({ component: r.component, share: Math.round(r.share * 1000) / 1000, usPerEntry: cpuUsPerEntry === null ? null : Math.round(r.share * cpuUsPerEntry) })), steps: run.steps }) + '\n')
