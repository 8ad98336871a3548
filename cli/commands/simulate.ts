// `synod simulate`: seeded runs of the deterministic simulator with random faults and
// Byzantine behaviours, judged by the invariant checkers. Run i uses seed S+i; every
// option of a run derives from its seed, so a failing run is replayed exactly by the
// printed command (--runs 1 --seed S+i with the same --nodes/--byzantine/--behaviour and
// the run's --signatures).
//
// Signatures: stand-in keyed hashes by default (scenarios/sim/standin-signatures.ts: the
// same verdicts on forgeries, a fraction of the cost), with every 50th run (--ed25519-every)
// in real Ed25519 so that a sweep also exercises the real rule; --signatures ed25519 runs
// every run with real Ed25519. Runs are spread over --workers threads.
//
// --catch-up runs the catch-up schedule instead (scenarios/run/catch-up.ts): node 0 down
// long enough to range-sync on restart, node n - 1 the one Byzantine node (--byzantine 1,
// or 0 with --behaviour honest).
import { InvalidArgumentError, type Command } from 'commander'
import { faultTolerance } from '../../src/log/validator-set.ts'
import { BEHAVIOUR_NAMES, isBehaviourName, type BehaviourName } from '../../scenarios/behaviours/index.ts'
import { SIGNATURE_MODES, type SignatureMode } from '../../scenarios/sim/standin-signatures.ts'
import { defaultWorkers, runSweep, SweepTotals, WORKERS_MAX, type RunDigest, type SweepTask } from '../../scenarios/run/sweep.ts'
import { integerFlag as integer, signatureModeFlag as signatureMode } from '../parse.ts'
import { Progress } from '../progress.ts'

/** Bounds on the flags: a simulation of more validators or runs is a sweep script's job. */
const NODES_MIN = 4
const NODES_MAX = 64
const RUNS_MAX = 1_000_000
/** The default share of real-Ed25519 runs in a stand-in sweep: one in 50 costs a few
 * percent of the sweep's time and still runs the real rule thousands of times a day. */
export const ED25519_EVERY_DEFAULT = 50

function behaviourName(value: string): BehaviourName {
  if (!isBehaviourName(value)) throw new InvalidArgumentError(`unknown behaviour '${value}'; one of: ${BEHAVIOUR_NAMES.join(', ')}`)
  return value
}

/** The mode of run `index` (0-based) of a sweep: the stand-in's every k-th run (k-1, 2k-1,
 * ...) is real Ed25519, so a single run (index 0, e.g. a replay) is always in `mode`. */
export function signaturesOfRun(mode: SignatureMode, ed25519Every: number, index: number): SignatureMode {
  if (mode === 'ed25519' || ed25519Every === 0) return mode
  return index % ed25519Every === ed25519Every - 1 ? 'ed25519' : mode
}

interface SimulateFlags {
  nodes: number
  byzantine: number
  behaviour: BehaviourName
  runs: number
  seed: number
  signatures: SignatureMode
  ed25519Every: number
  workers: number
  json?: boolean
  quiet?: boolean
  catchUp?: boolean
}

function runLine(d: RunDigest): string {
  const mode = d.signatures === 'ed25519' ? ' [ed25519]' : ''
  return `seed ${d.seed}: ${d.ok ? 'ok' : 'FAIL'}${mode} entries=${d.entriesCommitted} blocks=${d.blocksCommitted} rounds=${d.rounds} timeouts=${d.timeouts} messages=${d.messages} p50=${d.latencyP50}ms p99=${d.latencyP99}ms converged=${d.convergenceMs}ms`
}

/** A failing run on stderr: its first problems and the exact command that replays it. */
export function failureText(d: RunDigest): string {
  return `FAIL seed ${d.seed}:\n${d.problems.map((p) => `  ${p}`).join('\n')}\n  replay: ${d.replay}\n`
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run seeded simulations of the consensus core with faults and Byzantine behaviours; check safety and liveness')
    .option('--nodes <n>', `validators (${NODES_MIN}-${NODES_MAX})`, integer('--nodes', NODES_MIN, NODES_MAX), 4)
    .option('--byzantine <k>', 'Byzantine validators running --behaviour (more than f = floor((n-1)/3) voids the guarantees)', integer('--byzantine', 0, NODES_MAX), 1)
    .option('--behaviour <name>', `one of: ${BEHAVIOUR_NAMES.join(', ')}`, behaviourName, 'mixed' as BehaviourName)
    .option('--runs <r>', 'number of seeded runs', integer('--runs', 1, RUNS_MAX), 10)
    .option('--seed <s>', 'seed of the first run (run i uses seed + i)', integer('--seed', 0, 2 ** 31), 1)
    .option('--signatures <mode>', `${SIGNATURE_MODES.join(' or ')}: stand-in keyed hashes (fast, same verdicts on forgeries) or real Ed25519`, signatureMode, 'standin' as SignatureMode)
    .option('--ed25519-every <k>', 'with stand-in signatures, run every k-th run with real Ed25519 (0: never)', integer('--ed25519-every', 0, RUNS_MAX), ED25519_EVERY_DEFAULT)
    .option('--workers <w>', 'worker threads, one per core by default', integer('--workers', 1, WORKERS_MAX), defaultWorkers())
    .option('--catch-up', 'the catch-up schedule: node 0 falls far behind and range-syncs; node n-1 runs --behaviour (--byzantine must be 1, or 0 when honest)')
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('--quiet', 'do not print a line per run')
    .action(async (flags: SimulateFlags) => {
      if (flags.byzantine >= flags.nodes) throw new RangeError(`--byzantine ${flags.byzantine} must be below --nodes ${flags.nodes}`)
      if (flags.seed + flags.runs - 1 > 2 ** 31) throw new RangeError(`--seed ${flags.seed} + --runs ${flags.runs} goes past the last seed 2^31`)
      if (flags.catchUp === true && flags.byzantine !== (flags.behaviour === 'honest' ? 0 : 1)) {
        throw new RangeError(`--catch-up runs one Byzantine node (none when honest): --byzantine must be ${flags.behaviour === 'honest' ? 0 : 1}, not ${flags.byzantine}`)
      }
      const f = faultTolerance(flags.nodes)
      const beyond = flags.byzantine > f
      if (beyond) process.stderr.write(`note: ${flags.byzantine} Byzantine validators is more than f = ${f}: liveness is not checked and safety may fail\n`)
      const out = (line: string) => process.stdout.write(`${line}\n`)
      const config = { nodes: flags.nodes, byzantine: flags.byzantine, behaviour: flags.behaviour, ...(flags.catchUp === true ? { catchUp: true } : {}) }
      const sample = flags.signatures === 'standin' && flags.ed25519Every > 0 ? `, every ${flags.ed25519Every}th run ed25519` : ''
      if (!flags.json) {
        out(`simulate: nodes=${flags.nodes} byzantine=${flags.byzantine} behaviour=${flags.behaviour}${flags.catchUp === true ? ' catch-up' : ''} runs=${flags.runs} seeds ${flags.seed}..${flags.seed + flags.runs - 1} signatures=${flags.signatures}${sample} workers=${Math.min(flags.workers, flags.runs)}`)
      }
      const taskAt = (i: number): SweepTask => ({ seed: flags.seed + i, config, signatures: signaturesOfRun(flags.signatures, flags.ed25519Every, i), checkLive: !beyond })
      const totals = new SweepTotals()
      const progress = flags.runs > 1 ? new Progress({ label: 'synod simulate', unit: 'runs', total: flags.runs }) : null
      await runSweep(flags.runs, taskAt, {
        workers: flags.workers,
        onDigest: (d) => {
          totals.add(d)
          progress?.update(totals.runs, `${totals.failed} failed`)
          if (!flags.quiet && !flags.json) out(runLine(d))
          if (!d.ok) process.stderr.write(failureText(d))
        },
      })
      progress?.stop()
      const s = totals.summary()
      const summary = {
        runs: s.runs,
        safetyViolations: s.safetyViolations,
        livenessFailures: s.livenessFailures,
        errors: s.errors,
        signatures: flags.signatures,
        ed25519Runs: s.ed25519Runs,
        misconduct: s.misconduct,
        commits: s.commits,
        blocks: s.blocks,
        rounds: s.rounds,
        timeouts: s.timeouts,
        messages: s.messages,
        latencyP50: s.latencyP50,
        latencyP99: s.latencyP99,
        failingSeeds: s.failures.map((x) => x.seed),
        replay: s.failures.map((x) => x.replay),
      }
      if (flags.json) {
        out(JSON.stringify(summary))
      } else {
        out(`runs ${s.runs} (${s.ed25519Runs} with real Ed25519), safety violations ${s.safetyViolations}, liveness failures ${s.livenessFailures}, errors ${s.errors}, misconduct ${s.misconduct}`)
        out(`commits ${s.commits} entries in ${s.blocks} blocks, ${s.rounds} rounds, ${s.timeouts} timeouts, ${s.messages} messages`)
        out(`virtual commit latency p50 ${s.latencyP50} ms, p99 ${s.latencyP99} ms`)
        for (const x of s.failures) out(`failing seed ${x.seed}: ${x.replay}`)
      }
      const failed = s.errors > 0 || s.misconduct > 0 || s.safetyViolations > 0 || (!beyond && s.livenessFailures > 0)
      if (failed) process.exitCode = 1
    })
}
