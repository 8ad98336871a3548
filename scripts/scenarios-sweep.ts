// Every library scenario across many seeds on the simulator, judged against its expected
// outcome. Prints a table (scenario, runs, met, safe, commits, p50/p99 latency) and every
// failing seed with its replay command; exits non-zero when any run missed.
//   npm run scenarios:sweep -- [--seeds 20] [--seed 1000] [--only name,name] [--signatures standin|ed25519] [--ed25519-every 50] [--json]
// Stand-in signatures by default, every 50th run with real Ed25519 (docs/scenarios.md,
// "Signatures in the simulator"); each failing run's replay names its mode.
import { parseArgs } from 'node:util'
import { Progress } from '../cli/progress.ts'
import { LIBRARY } from '../scenarios/library/index.ts'
import { runScenarioSim } from '../scenarios/run/sim-backend.ts'
import { percentile } from '../scenarios/sim/simulator.ts'
import { ED25519_EVERY_DEFAULT, signaturesOfRun } from '../cli/commands/simulate.ts'
import { isSignatureMode, SIGNATURE_MODES } from '../scenarios/sim/standin-signatures.ts'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    seed: { type: 'string', default: '1000' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false },
    signatures: { type: 'string', default: 'standin' },
    'ed25519-every': { type: 'string', default: String(ED25519_EVERY_DEFAULT) },
  },
})
const seeds = Number(values.seeds)
const first = Number(values.seed)
if (!Number.isInteger(seeds) || seeds < 1 || !Number.isInteger(first) || first < 0) throw new Error('--seeds and --seed must be whole numbers')
const signatures = values.signatures
if (!isSignatureMode(signatures)) throw new Error(`--signatures must be one of ${SIGNATURE_MODES.join(', ')}, got '${signatures}'`)
const ed25519Every = Number(values['ed25519-every'])
if (!Number.isInteger(ed25519Every) || ed25519Every < 0) throw new Error('--ed25519-every must be a whole number')
const only = values.only === undefined ? null : new Set(values.only.split(','))
const scenarios = LIBRARY.filter((s) => only === null || only.has(s.name))
if (only !== null && scenarios.length !== only.size) throw new Error(`unknown scenario in --only; library: ${LIBRARY.map((s) => s.name).join(', ')}`)

const rows: { scenario: string, expected: string, runs: number, met: number, safe: number, commits: number, p50: number | null, p99: number | null, seconds: number, failing: { seed: number, replay: string, problem: string }[] }[] = []
let failed = 0
let done = 0
const sample = signatures === 'standin' && ed25519Every > 0 ? `, every ${ed25519Every}th run with real Ed25519 (${Math.floor((scenarios.length * seeds) / ed25519Every)} runs)` : ''
process.stderr.write(`scenarios sweep: ${scenarios.length} scenarios x ${seeds} seeds, signatures ${signatures}${sample}\n`)
const progress = new Progress({ label: 'scenarios sweep', unit: 'runs', total: scenarios.length * seeds })
const started = performance.now()
for (const scenario of scenarios) {
  const t = performance.now()
  const row = { scenario: scenario.name, expected: scenario.expect.outcome, runs: 0, met: 0, safe: 0, commits: 0, p50: null as number | null, p99: null as number | null, seconds: 0, failing: [] as { seed: number, replay: string, problem: string }[] }
  const latencies: number[] = []
  for (let seed = first; seed < first + seeds; seed++) {
    const run = runScenarioSim(scenario, seed, scenario.name, signaturesOfRun(signatures, ed25519Every, done))
    row.runs++
    if (run.met) row.met++
    else {
      failed++
      row.failing.push({ seed, replay: run.replay, problem: run.problems[0] ?? '' })
    }
    if (run.safe) row.safe++
    row.commits += run.report.stats.commits
    latencies.push(...run.report.latencies)
    progress.update(++done, `${scenario.name}, failed ${failed}`)
    // Runs are synchronous: let the progress timer draw between them.
    await new Promise((resolve) => setImmediate(resolve))
  }
  latencies.sort((a, b) => a - b)
  row.p50 = latencies.length === 0 ? null : percentile(latencies, 0.5)
  row.p99 = latencies.length === 0 ? null : percentile(latencies, 0.99)
  row.seconds = Math.round((performance.now() - t) / 100) / 10
  rows.push(row)
}
progress.stop()
const total = { scenarios: rows.length, runs: done, met: rows.reduce((s, r) => s + r.met, 0), failed, seeds: [first, first + seeds - 1], seconds: Math.round((performance.now() - started) / 1000) }
if (values.json) process.stdout.write(JSON.stringify({ ...total, rows }) + '\n')
else {
  const w = Math.max(...rows.map((r) => r.scenario.length))
  process.stdout.write(`${'scenario'.padEnd(w)}  expected        runs  met  safe  entries  p50ms  p99ms  wall s\n`)
  for (const r of rows) process.stdout.write(`${r.scenario.padEnd(w)}  ${r.expected.padEnd(14)}  ${String(r.runs).padStart(4)}  ${String(r.met).padStart(3)}  ${String(r.safe).padStart(4)}  ${String(r.commits).padStart(7)}  ${String(r.p50 ?? '-').padStart(5)}  ${String(r.p99 ?? '-').padStart(5)}  ${String(r.seconds).padStart(6)}\n`)
  process.stdout.write(`${total.runs} runs of ${total.scenarios} scenarios (seeds ${total.seeds[0]}..${total.seeds[1]}): ${total.met} met, ${total.failed} not met, ${total.seconds} s\n`)
  for (const r of rows) for (const f of r.failing) process.stdout.write(`NOT MET ${r.scenario} seed ${f.seed}: ${f.problem}\n  replay: ${f.replay}\n`)
}
process.exitCode = failed === 0 ? 0 : 1
