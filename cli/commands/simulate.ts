// `synod simulate`: seeded runs of the deterministic simulator with random faults and
// Byzantine behaviours, judged by the invariant checkers. Run i uses seed S+i; every
// option of a run derives from its seed, so a failing run is replayed exactly by the
// printed command (--runs 1 --seed S+i with the same --nodes/--byzantine/--behaviour).
import { InvalidArgumentError, type Command } from 'commander'
import { faultTolerance } from '../../src/log/validator-set.ts'
import { BEHAVIOUR_NAMES, isBehaviourName, type BehaviourName } from '../../scenarios/behaviours/index.ts'
import { problemsOf, runOne, summarize, type RunOutcome } from '../../scenarios/runner.ts'
import { integerFlag as integer } from '../parse.ts'

/** Bounds on the flags: a simulation of more validators or runs is a sweep script's job. */
const NODES_MIN = 4
const NODES_MAX = 64
const RUNS_MAX = 1_000_000

function behaviourName(value: string): BehaviourName {
  if (!isBehaviourName(value)) throw new InvalidArgumentError(`unknown behaviour '${value}'; one of: ${BEHAVIOUR_NAMES.join(', ')}`)
  return value
}

interface SimulateFlags {
  nodes: number
  byzantine: number
  behaviour: BehaviourName
  runs: number
  seed: number
  json?: boolean
  quiet?: boolean
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
    .option('--json', 'print the summary as one JSON object on the last line')
    .option('--quiet', 'do not print a line per run')
    .action((flags: SimulateFlags) => {
      if (flags.byzantine >= flags.nodes) throw new RangeError(`--byzantine ${flags.byzantine} must be below --nodes ${flags.nodes}`)
      const f = faultTolerance(flags.nodes)
      const beyond = flags.byzantine > f
      if (beyond) process.stderr.write(`note: ${flags.byzantine} Byzantine validators is more than f = ${f}: liveness is not checked and safety may fail\n`)
      const outcomes: RunOutcome[] = []
      const out = (line: string) => process.stdout.write(`${line}\n`)
      if (!flags.json) out(`simulate: nodes=${flags.nodes} byzantine=${flags.byzantine} behaviour=${flags.behaviour} runs=${flags.runs} seeds ${flags.seed}..${flags.seed + flags.runs - 1}`)
      for (let i = 0; i < flags.runs; i++) {
        const seed = flags.seed + i
        const o = runOne(seed, { nodes: flags.nodes, byzantine: flags.byzantine, behaviour: flags.behaviour }, !beyond)
        outcomes.push(o)
        if (!flags.quiet && !flags.json) {
          out(`seed ${seed}: ${o.ok ? 'ok' : 'FAIL'} entries=${o.entriesCommitted} blocks=${o.blocksCommitted} rounds=${o.rounds} timeouts=${o.timeouts} messages=${o.messages} p50=${o.latencyP50}ms p99=${o.latencyP99}ms converged=${o.convergenceMs}ms`)
        }
        if (!o.ok) {
          const problems = problemsOf(o)
          process.stderr.write(`FAIL seed ${seed}:\n${problems.slice(0, 5).map((p) => `  ${p}`).join('\n')}\n  replay: ${o.replay}\n`)
        }
      }
      const s = summarize(outcomes)
      const summary = {
        runs: s.runs,
        safetyViolations: s.safetyViolations,
        livenessFailures: s.livenessFailures,
        errors: s.errors,
        misconduct: s.misconduct,
        commits: s.commits,
        blocks: s.blocks,
        rounds: s.rounds,
        timeouts: s.timeouts,
        messages: s.messages,
        latencyP50: s.latencyP50,
        latencyP99: s.latencyP99,
        failingSeeds: s.failures.map((f) => f.seed),
        replay: s.failures.map((f) => f.replay),
      }
      if (flags.json) {
        out(JSON.stringify(summary))
      } else {
        out(`runs ${s.runs}, safety violations ${s.safetyViolations}, liveness failures ${s.livenessFailures}, errors ${s.errors}, misconduct ${s.misconduct}`)
        out(`commits ${s.commits} entries in ${s.blocks} blocks, ${s.rounds} rounds, ${s.timeouts} timeouts, ${s.messages} messages`)
        out(`virtual commit latency p50 ${s.latencyP50} ms, p99 ${s.latencyP99} ms`)
        for (const f of s.failures) out(`failing seed ${f.seed}: ${f.replay}`)
      }
      const failed = s.errors > 0 || s.misconduct > 0 || s.safetyViolations > 0 || (!beyond && s.livenessFailures > 0)
      if (failed) process.exitCode = 1
    })
}
