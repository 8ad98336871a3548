// `synod scenario list | run`: the researcher's scenario runner (docs/scenarios.md).
//   synod scenario list
//   synod scenario run <name-or-file> [--seed S] [--runs R] [--backend sim|net] [--signatures ed25519|standin] [--json] [--report DIR]
// Run i uses seed S+i. Each run is judged against the scenario's expected outcome; a
// failing run prints its seed and the exact replay command. Exit code 0 exactly when
// every run met its expected outcome.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import cliProgress from 'cli-progress'
import { LIBRARY } from '../../scenarios/library/index.ts'
import { loadScenario } from '../../scenarios/run/load.ts'
import { runScenarioSim } from '../../scenarios/run/sim-backend.ts'
import { LatencyReservoir, runLine, summarizeRuns, type RunLine } from '../../scenarios/run/summary.ts'
import type { Backend, ScenarioRun } from '../../scenarios/run/types.ts'
import { renderHtmlReport } from '../../scenarios/report/html-report.ts'
import type { Scenario } from '../../scenarios/dsl/types.ts'
import { SIGNATURE_MODES, type SignatureMode } from '../../scenarios/sim/standin-signatures.ts'
import { integerFlag as integer, signatureModeFlag as signatureMode } from '../parse.ts'

/** Bounds on the flags: longer sweeps belong in scripts/scenarios-sweep.ts. */
const RUNS_MAX = 100_000
const SEED_MAX = 2 ** 31
/** Problems printed per failing run (the report holds all). */
const PROBLEMS_SHOWN_MAX = 5

function backendName(value: string): Backend {
  if (value !== 'sim' && value !== 'net') throw new InvalidArgumentError(`--backend must be 'sim' or 'net', got '${value}'`)
  return value
}

interface RunFlags {
  seed: number
  runs: number
  backend: Backend
  signatures: SignatureMode
  json?: boolean
  report?: string
}

async function runOnce(scenario: Scenario, seed: number, source: string, backend: Backend, signatures: SignatureMode): Promise<ScenarioRun> {
  if (backend === 'sim') return runScenarioSim(scenario, seed, source, signatures)
  // Loaded only here: the net backend starts processes and needs node/.
  const { runScenarioNet } = await import('../../scenarios/net/net-backend.ts')
  return runScenarioNet(scenario, seed, source, { log: (line) => process.stderr.write(`${line}\n`) })
}

function outcomeWord(run: ScenarioRun): string {
  const parts = [`safe=${run.safe ? 'yes' : 'NO'}`]
  if (run.live !== null) parts.push(`live=${run.live ? 'yes' : 'NO'}`)
  if (run.stalled !== null) parts.push(`stalled=${run.stalled ? 'yes' : 'NO'}`)
  return parts.join(' ')
}

export function registerScenario(program: Command): void {
  const scenario = program.command('scenario').description('adversarial scenario scripts: list them, run them, write reports')

  scenario.command('list')
    .description('list the library scenarios, one per line: name, then a short description')
    .action(() => {
      const width = Math.max(...LIBRARY.map((s) => s.name.length)) + 2
      for (const s of LIBRARY) process.stdout.write(`${s.name.padEnd(width)}${s.description} [${s.expect.outcome}${s.backends.includes('net') ? ', sim+net' : ''}]\n`)
    })

  scenario.command('run')
    .description('run a scenario (library name or .ts file with a default export) and judge it against its expected outcome')
    .argument('<scenario>', 'a library name (see `synod scenario list`) or a path to a .ts scenario file')
    .option('--seed <s>', 'seed of the first run (run i uses seed + i)', integer('--seed', 0, SEED_MAX), 1)
    .option('--runs <r>', `number of seeded runs (1-${RUNS_MAX})`, integer('--runs', 1, RUNS_MAX), 1)
    .option('--backend <name>', "'sim' (deterministic simulator) or 'net' (real node processes: in network namespaces when root, else on 127.0.0.1)", backendName, 'sim' as Backend)
    .option('--signatures <mode>', `simulator signatures, ${SIGNATURE_MODES.join(' or ')}: real Ed25519 (default) or stand-in keyed hashes (docs/scenarios.md)`, signatureMode, 'ed25519' as SignatureMode)
    .option('--json', 'print the summary and per-run outcomes as one JSON object on the last line')
    .option('--report <dir>', 'write a JSON and an HTML report per run into this directory')
    .action(async (name: string, flags: RunFlags) => {
      const { scenario: sc, source } = await loadScenario(name)
      if (!sc.backends.includes(flags.backend)) {
        throw new Error(`scenario '${sc.name}' cannot run on the ${flags.backend} backend (it can: ${sc.backends.join(', ')}); the net backend expresses only crashes and partitions of honest nodes`)
      }
      if (flags.backend === 'net' && flags.signatures !== 'ed25519') throw new Error('--signatures standin is for the sim backend: real node processes sign with Ed25519')
      const out = (line: string) => process.stdout.write(`${line}\n`)
      const err = (line: string) => process.stderr.write(`${line}\n`)
      const reportDir = flags.report === undefined ? null : resolve(flags.report)
      if (reportDir !== null) mkdirSync(reportDir, { recursive: true })
      if (!flags.json) out(`scenario ${sc.name} (expected ${sc.expect.outcome}) on ${flags.backend}: ${flags.runs} run${flags.runs === 1 ? '' : 's'}, seeds ${flags.seed}..${flags.seed + flags.runs - 1}`)

      const bar = flags.runs > 1
        ? new cliProgress.SingleBar({
          stream: process.stderr,
          format: `${sc.name} [{bar}] {value}/{total} runs | failed {failed} | {duration_formatted}`,
          noTTYOutput: true,
          notTTYSchedule: 5000,
          hideCursor: process.stderr.isTTY === true,
        }, cliProgress.Presets.shades_classic)
        : null
      bar?.start(flags.runs, 0, { failed: 0 })
      // Only a line per run is kept (reports go to disk), so memory stays small for long sweeps.
      const lines: RunLine[] = []
      const latencies = new LatencyReservoir(flags.seed)
      let failed = 0
      for (let i = 0; i < flags.runs; i++) {
        const seed = flags.seed + i
        const run = await runOnce(sc, seed, source, flags.backend, flags.signatures)
        latencies.add(run.report.latencies)
        let reports: { json: string, html: string } | undefined
        if (reportDir !== null) {
          const base = join(reportDir, `${sc.name}-${flags.backend}-seed${seed}`)
          reports = { json: `${base}.json`, html: `${base}.html` }
          writeFileSync(reports.json, JSON.stringify(run.report, null, 2) + '\n')
          writeFileSync(reports.html, renderHtmlReport(run.report))
        }
        lines.push(runLine(run, reports))
        if (!run.met) {
          failed++
          bar?.stop()
          err(`FAIL seed ${seed} (expected ${run.expected}; ${outcomeWord(run)}):\n${run.problems.slice(0, PROBLEMS_SHOWN_MAX).map((p) => `  ${p}`).join('\n')}\n  replay: ${run.replay}`)
          if (bar !== null && i + 1 < flags.runs) bar.start(flags.runs, i, { failed })
        }
        bar?.update(i + 1, { failed })
        // Simulated runs are synchronous: let the progress bar's timer draw between them.
        await new Promise((resolve) => setImmediate(resolve))
        if (!flags.json && bar === null) {
          const s = run.report.stats
          out(`seed ${seed}: ${run.met ? 'met' : 'NOT MET'} (${outcomeWord(run)}) blocks=${s.blocks} entries=${s.commits} rounds=${s.rounds} timeouts=${s.timeouts} messages=${s.messages} p50=${s.latencyP50 ?? '-'}ms p99=${s.latencyP99 ?? '-'}ms`)
        }
        if (!flags.json && reports !== undefined) out(`report: ${reports.html}`)
      }
      bar?.stop()
      const summary = summarizeRuns(sc.name, sc.expect.outcome, flags.backend, lines, latencies.samples)
      if (flags.json) {
        out(JSON.stringify(summary))
      } else {
        out(`${summary.runs} runs: ${summary.met} met, ${summary.failed} not met (expected ${summary.expected}); ${summary.safe} safe; ${summary.commits} entries committed; commit latency p50 ${summary.latencyP50 ?? '-'} ms, p99 ${summary.latencyP99 ?? '-'} ms`)
        for (const r of summary.replay) out(`failing: ${r}`)
      }
      process.exitCode = summary.failed === 0 ? 0 : 1
    })
}
