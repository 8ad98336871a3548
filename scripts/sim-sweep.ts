// Long simulation sweeps: seeded runs across cluster sizes and behaviours, spread over
// worker threads, then the node runtime itself under simulation (scripts/node-sim.ts).
//   npm run sim:sweep -- [--runs N] [--seed S] [--workers W] [--signatures standin|ed25519] [--ed25519-every K] [--node-runs M]
//   npm run sim:sweep -- [runs-per-config] [first-seed]          (the older positional form)
// --runs N is split evenly over the base configurations (5 sizes x 12 behaviours, K = f
// Byzantine); runs-per-config R gives each configuration R runs. After them come as many
// runs of each catch-up configuration (n = 4 on the catch-up schedule, scenarios/run/catch-up.ts:
// a node falls far behind and range-syncs; honest, lying-sync and the two range
// adversaries), so the base configurations keep the seeds they had before those were added. The
// core runs use stand-in signatures with every 50th run of the sweep (so of each
// configuration, when it has a multiple of 50 runs) in real Ed25519 (docs/scenarios.md, "Signatures in the simulator"). The node runtime then runs
// M seeds per cluster size (default: runs per configuration / 4, at least 1), with real
// Ed25519: each takes seconds. Every failing run is printed with its exact replay
// command; progress with a total and an ETA goes to stderr; exits non-zero on any failure.
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { ED25519_EVERY_DEFAULT, failureText, signaturesOfRun } from '../cli/commands/simulate.ts'
import { Progress } from '../cli/progress.ts'
import type { BehaviourName } from '../scenarios/behaviours/index.ts'
import { defaultWorkers, runSweep, SweepTotals, WORKERS_MAX, type SweepConfig, type SweepTask } from '../scenarios/run/sweep.ts'
import { isSignatureMode, SIGNATURE_MODES } from '../scenarios/sim/standin-signatures.ts'
import { faultTolerance } from '../src/log/validator-set.ts'

const SIZES = [4, 7, 10, 13, 16] as const
const BEHAVIOURS: readonly BehaviourName[] = ['honest', 'crash', 'silent', 'equivocate', 'double-vote', 'withhold', 'forge', 'replay', 'twins', 'flood', 'lying-sync', 'mixed']
const CATCH_UP_BEHAVIOURS: readonly BehaviourName[] = ['honest', 'lying-sync', 'range-cc-sibling', 'range-unchained']
const RUNS_PER_CONFIG_DEFAULT = 200
const FIRST_SEED_DEFAULT = 100_000
/** A sweep's runs at most: a million runs per configuration is days of CPU already. */
const RUNS_MAX = 60_000_000

class UsageError extends Error {}

function whole(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got '${value}'`)
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${value}`)
  return n
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      runs: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' },
      signatures: { type: 'string', default: 'standin' }, 'ed25519-every': { type: 'string' }, 'node-runs': { type: 'string' },
    },
  })
  if (positionals.length > 2) throw new UsageError(`at most two positional arguments (runs-per-config, first-seed), got ${positionals.length}`)
  if (values.runs !== undefined && positionals[0] !== undefined) throw new UsageError('give --runs (the total) or a runs-per-config positional argument, not both')
  if (values.seed !== undefined && positionals[1] !== undefined) throw new UsageError('give --seed or a first-seed positional argument, not both')
  const base: SweepConfig[] = SIZES.flatMap((nodes) => BEHAVIOURS.map((behaviour) => ({ nodes, byzantine: behaviour === 'honest' ? 0 : faultTolerance(nodes), behaviour })))
  const configs: SweepConfig[] = [...base, ...CATCH_UP_BEHAVIOURS.map((behaviour) => ({ nodes: 4, byzantine: behaviour === 'honest' ? 0 : 1, behaviour, catchUp: true }))]
  const perConfig = values.runs !== undefined
    ? Math.ceil(whole('--runs', values.runs, 1, RUNS_MAX) / base.length)
    : positionals[0] !== undefined ? whole('runs-per-config', positionals[0], 1, RUNS_MAX / configs.length) : RUNS_PER_CONFIG_DEFAULT
  const seedText = values.seed ?? positionals[1]
  const first = seedText === undefined ? FIRST_SEED_DEFAULT : whole('--seed', seedText, 0, 2 ** 31)
  if (!isSignatureMode(values.signatures)) throw new UsageError(`--signatures must be one of ${SIGNATURE_MODES.join(', ')}, got '${values.signatures}'`)
  const nodeRuns = values['node-runs'] === undefined ? Math.max(1, Math.floor(perConfig / 4)) : whole('--node-runs', values['node-runs'], 0, RUNS_MAX)
  if (first + perConfig * configs.length + nodeRuns * 2 > 2 ** 31) throw new UsageError(`seeds from ${first} run past 2^31`)
  return {
    configs, perConfig, first, nodeRuns,
    workers: values.workers === undefined ? defaultWorkers() : whole('--workers', values.workers, 1, WORKERS_MAX),
    signatures: values.signatures,
    ed25519Every: values['ed25519-every'] === undefined ? ED25519_EVERY_DEFAULT : whole('--ed25519-every', values['ed25519-every'], 0, RUNS_MAX),
  }
}

let options: ReturnType<typeof parse>
try {
  options = parse(process.argv.slice(2))
} catch (err) {
  if (!(err instanceof UsageError) && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') !== true) throw err
  process.stderr.write(`sim sweep: ${(err as Error).message}\n`)
  process.exit(2)
}
const { configs, perConfig, first, nodeRuns, workers, signatures, ed25519Every } = options
const total = configs.length * perConfig
const sample = signatures === 'standin' && ed25519Every > 0 ? `, real Ed25519 on every ${ed25519Every}th run (${Math.floor(total / ed25519Every)} runs)` : ''
console.log(`sim sweep: ${configs.length} configurations x ${perConfig} runs = ${total} runs, seeds ${first}..${first + total - 1}, signatures ${signatures}${sample}, ${workers} workers`)

// Configuration c owns seeds first + c * perConfig ... (the older script's numbering);
// run i's mode is signaturesOfRun of its index in the sweep.
const taskAt = (i: number): SweepTask => {
  const c = Math.floor(i / perConfig)
  return { seed: first + i, config: configs[c]!, signatures: signaturesOfRun(signatures, ed25519Every, i), checkLive: true }
}
const totals = new SweepTotals()
const perConfigFailures = new Map<number, number>()
const progress = new Progress({ label: 'sim sweep', unit: 'runs', total })
await runSweep(total, taskAt, {
  workers,
  onDigest: (d) => {
    totals.add(d)
    progress.update(totals.runs, `${totals.failed} failed`)
    if (!d.ok) {
      const c = Math.floor((d.seed - first) / perConfig)
      perConfigFailures.set(c, (perConfigFailures.get(c) ?? 0) + 1)
      process.stderr.write(failureText(d))
    }
  },
})
progress.stop()
const s = totals.summary()
for (const [c, n] of [...perConfigFailures].sort((a, b) => a[0] - b[0])) {
  const k = configs[c]!
  console.log(`== nodes=${k.nodes} byzantine=${k.byzantine} behaviour=${k.behaviour}${k.catchUp === true ? ' catch-up' : ''}: ${n} of ${perConfig} runs failed`)
}
console.log(`core runs ${s.runs} (${s.ed25519Runs} with real Ed25519): safety violations ${s.safetyViolations}, liveness failures ${s.livenessFailures}, errors ${s.errors}`)
for (const f of s.failures) console.log(`failing seed ${f.seed}: ${f.replay}`)
let status = s.failures.length === 0 ? 0 : 1

// The node runtime (ValidatorNode, chain store, sync serving) under simulation with
// storage faults, in child processes as before (each run takes seconds; real Ed25519).
let seed = first + total
for (const nodes of nodeRuns > 0 ? [4, 7] : []) {
  console.log(`== node runtime: nodes=${nodes} runs=${nodeRuns} seed=${seed}`)
  const r = spawnSync(process.execPath, ['scripts/node-sim.ts', '--nodes', String(nodes), '--runs', String(nodeRuns), '--seed', String(seed), '--quiet'], { stdio: 'inherit', cwd: new URL('..', import.meta.url) })
  if (r.status !== 0) status = 1
  seed += nodeRuns
}
process.exitCode = status
