// Seeded runs in bulk: what `synod simulate` and the sweep script (scripts/sim-sweep.ts)
// run. A task is one seed of one configuration in one signature mode; its result is a
// digest (the figures, the problems and the exact replay command) small enough to pass
// between threads. Totals are kept as running sums and a latency histogram, so that a
// sweep of a million runs holds no per-run state.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { BehaviourName } from '../behaviours/index.ts'
import { judgeRun, problemsOf, runOne, type RunOutcome } from '../runner.ts'
import { Simulation } from '../sim/simulator.ts'
import { catchUpOptions, catchUpReplay } from './catch-up.ts'
import type { SignatureMode } from '../sim/standin-signatures.ts'

export interface SweepConfig {
  readonly nodes: number
  readonly byzantine: number
  readonly behaviour: BehaviourName
  /** Run on the catch-up schedule (catch-up.ts: node n - 1 runs `behaviour`, `byzantine`
   * is 1, or 0 when honest); the run must also deliver a range response. */
  readonly catchUp?: boolean
}

export interface SweepTask {
  readonly seed: number
  readonly config: SweepConfig
  readonly signatures: SignatureMode
  /** False beyond f Byzantine: liveness is not judged. */
  readonly checkLive: boolean
}

export interface RunDigest {
  readonly seed: number
  readonly config: SweepConfig
  readonly signatures: SignatureMode
  readonly ok: boolean
  readonly safetyViolations: number
  readonly livenessFailures: number
  readonly errors: number
  /** Evidence that an honest replica acted on an invalid object or its safety state went
   * back (the watching checkers; replica errors count under `errors`). */
  readonly misconduct: number
  readonly entriesCommitted: number
  readonly blocksCommitted: number
  readonly rounds: number
  readonly timeouts: number
  readonly messages: number
  readonly latencyP50: number
  readonly latencyP99: number
  readonly convergenceMs: number
  /** Virtual commit latencies of the run's entries (ms). */
  readonly latencies: readonly number[]
  /** The first few problems, one line each. */
  readonly problems: readonly string[]
  readonly replay: string
}

/** Problems kept per failing run: the first ones say what went wrong, the replay shows the rest. */
const PROBLEMS_KEPT_MAX = 5
/** Tasks handed to a worker at a time: enough to keep it busy between messages, few
 * enough that the workers finish together (a run takes 10-1000 ms). */
const TASKS_PER_CHUNK = 4
/** Workers at most: beyond the cores they only add memory (each holds a module graph). */
export const WORKERS_MAX = 256

export function defaultWorkers(): number {
  return availableParallelism()
}

/** Runs one task in this thread. An exception outside the replicas (a checker, the
 * simulator itself) is a failed run with the error, not a lost sweep. */
export function runTask(task: SweepTask): RunDigest {
  const given = { ...task.config, signatures: task.signatures }
  try {
    let o: RunOutcome
    let problems: string[]
    let replay: string
    if (task.config.catchUp === true) {
      const config = { nodes: task.config.nodes, behaviour: task.config.behaviour, signatures: task.signatures }
      const sim = new Simulation(catchUpOptions(task.seed, config))
      o = judgeRun(sim, sim.run(), task.checkLive)
      problems = problemsOf(o)
      // A catch-up run in which no replica range-synced tested nothing of what it is for.
      if ((sim.messageCounts.get('range-response')?.delivered ?? 0) === 0) {
        problems.push('catch-up: no range response delivered (no replica range-synced)')
        o = { ...o, ok: false, errors: [...o.errors, 'catch-up: no range response delivered'] }
      }
      replay = catchUpReplay(task.seed, config)
    } else {
      o = runOne(task.seed, given, task.checkLive)
      problems = problemsOf(o)
      replay = o.replay
    }
    return {
      seed: task.seed, config: task.config, signatures: task.signatures, ok: o.ok,
      safetyViolations: o.safetyViolations.length, livenessFailures: o.livenessFailures.length, errors: o.errors.length,
      misconduct: o.evidence.filter((e) => e.code !== 'replica-error').length,
      entriesCommitted: o.entriesCommitted, blocksCommitted: o.blocksCommitted, rounds: o.rounds, timeouts: o.timeouts, messages: o.messages,
      latencyP50: o.latencyP50, latencyP99: o.latencyP99, convergenceMs: o.convergenceMs, latencies: o.latencies,
      problems: problems.slice(0, PROBLEMS_KEPT_MAX), replay,
    }
  } catch (err) {
    const c = task.config
    return {
      seed: task.seed, config: c, signatures: task.signatures, ok: false, safetyViolations: 0, livenessFailures: 0, errors: 1, misconduct: 0,
      entriesCommitted: 0, blocksCommitted: 0, rounds: 0, timeouts: 0, messages: 0, latencyP50: 0, latencyP99: 0, convergenceMs: -1, latencies: [],
      problems: [`error: the run threw: ${(err as Error).stack?.split('\n').slice(0, 3).join(' | ') ?? String(err)}`],
      replay: `npx synod simulate --nodes ${c.nodes} --byzantine ${c.byzantine} --behaviour ${c.behaviour} --runs 1 --seed ${task.seed} --signatures ${task.signatures}${c.catchUp === true ? ' --catch-up' : ''}`,
    }
  }
}

export interface SweepSummary {
  readonly runs: number
  /** Runs with at least one safety violation. */
  readonly safetyViolations: number
  /** Runs that were safe but not live (judged ones only). */
  readonly livenessFailures: number
  /** Runs in which replica code (or the run itself) threw. */
  readonly errors: number
  /** Runs with misconduct evidence (RunDigest.misconduct). */
  readonly misconduct: number
  readonly ed25519Runs: number
  readonly commits: number
  readonly blocks: number
  readonly rounds: number
  readonly timeouts: number
  readonly messages: number
  readonly latencyP50: number
  readonly latencyP99: number
  /** Failing runs, by seed. */
  readonly failures: readonly { seed: number, replay: string, problems: readonly string[] }[]
}

/** Running totals over digests, in any order (workers finish out of order). */
export class SweepTotals {
  #runs = 0
  #safety = 0
  #liveness = 0
  #errors = 0
  #misconduct = 0
  #ed25519 = 0
  #commits = 0
  #blocks = 0
  #rounds = 0
  #timeouts = 0
  #messages = 0
  /** latency (ms) -> how many entries; virtual latencies are whole milliseconds. */
  readonly #latencies = new Map<number, number>()
  #latencyCount = 0
  readonly #failures: { seed: number, replay: string, problems: readonly string[] }[] = []

  add(d: RunDigest): void {
    this.#runs++
    if (d.safetyViolations > 0) this.#safety++
    else if (d.livenessFailures > 0) this.#liveness++
    if (d.errors > 0) this.#errors++
    if (d.misconduct > 0) this.#misconduct++
    if (d.signatures === 'ed25519') this.#ed25519++
    this.#commits += d.entriesCommitted
    this.#blocks += d.blocksCommitted
    this.#rounds += d.rounds
    this.#timeouts += d.timeouts
    this.#messages += d.messages
    for (const l of d.latencies) this.#latencies.set(l, (this.#latencies.get(l) ?? 0) + 1)
    this.#latencyCount += d.latencies.length
    if (!d.ok) this.#failures.push({ seed: d.seed, replay: d.replay, problems: d.problems })
  }

  get runs(): number {
    return this.#runs
  }

  get failed(): number {
    return this.#failures.length
  }

  #percentile(p: number): number {
    if (this.#latencyCount === 0) return 0
    const rank = Math.min(this.#latencyCount - 1, Math.floor(p * this.#latencyCount))
    let seen = 0
    for (const l of [...this.#latencies.keys()].sort((a, b) => a - b)) {
      seen += this.#latencies.get(l)!
      if (seen > rank) return l
    }
    return 0
  }

  summary(): SweepSummary {
    return {
      runs: this.#runs, safetyViolations: this.#safety, livenessFailures: this.#liveness, errors: this.#errors, misconduct: this.#misconduct, ed25519Runs: this.#ed25519,
      commits: this.#commits, blocks: this.#blocks, rounds: this.#rounds, timeouts: this.#timeouts, messages: this.#messages,
      latencyP50: this.#percentile(0.5), latencyP99: this.#percentile(0.99),
      failures: [...this.#failures].sort((a, b) => a.seed - b.seed),
    }
  }
}

/** What the main thread sends a worker, and what it answers. */
export type WorkerRequest = { readonly type: 'tasks', readonly tasks: readonly SweepTask[] }
export type WorkerAnswer = { readonly type: 'digests', readonly digests: readonly RunDigest[] }

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './sweep-worker.ts' : './sweep-worker.js', import.meta.url)

export interface SweepOptions {
  /** Threads to run on; 1 runs every task in this thread. */
  readonly workers: number
  /** Called once per finished run, in the order runs finish. */
  readonly onDigest: (digest: RunDigest) => void
}

/**
 * Runs `total` tasks, task i given by `taskAt(i)`, over worker threads that each take a
 * few at a time (so a slow configuration does not leave the other threads idle). Resolves
 * when every run has reported; rejects if a worker dies (its runs would be lost).
 */
export async function runSweep(total: number, taskAt: (index: number) => SweepTask, options: SweepOptions): Promise<void> {
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError(`a sweep's run count must be a whole number, got ${total}`)
  const threads = Math.min(options.workers, total)
  if (threads <= 1) {
    for (let i = 0; i < total; i++) options.onDigest(runTask(taskAt(i)))
    return
  }
  let next = 0
  let reported = 0
  const chunk = (): SweepTask[] => {
    const tasks: SweepTask[] = []
    while (tasks.length < TASKS_PER_CHUNK && next < total) tasks.push(taskAt(next++))
    return tasks
  }
  const workers: Worker[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      for (let w = 0; w < threads; w++) {
        const worker = new Worker(WORKER_URL)
        workers.push(worker)
        let busy = 0
        const feed = () => {
          const tasks = chunk()
          busy = tasks.length
          if (tasks.length > 0) worker.postMessage({ type: 'tasks', tasks } satisfies WorkerRequest)
        }
        worker.on('message', (answer: WorkerAnswer) => {
          for (const d of answer.digests) {
            reported++
            options.onDigest(d)
          }
          busy -= answer.digests.length
          if (reported === total) resolve()
          else if (busy === 0) feed()
        })
        worker.on('error', (err) => reject(new Error(`sweep worker ${w} failed: ${err.message}`, { cause: err })))
        worker.on('exit', (code) => {
          if (reported < total) reject(new Error(`sweep worker ${w} exited (code ${code}) with ${total - reported} runs unreported`))
        })
        feed()
      }
    })
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}
