// The node's trace lines (level 'trace' only): one per step of the loop, and one per
// point of interest outside the steps (bench/trace-commit.ts follows a commit with them).
import type { Logger } from 'pino'
import type { Action, Message } from '../../src/consensus/types.ts'
import { traceAction, traceCpuUs, traceIds, traceMessage, traceWallMs } from './hop-trace.ts'
import type { Input } from './mailbox.ts'

/** Where the node is, for a step's trace line. */
export interface StepTraceView {
  readonly round: number
  readonly headHeight: number
}

export class StepTracer {
  readonly #logger: Logger
  readonly #view: () => StepTraceView
  /** The process's CPU time when the last traced step ended. */
  #lastCpuUs: number | null = null

  constructor(logger: Logger, view: () => StepTraceView) {
    this.#logger = logger
    this.#view = view
  }

  get tracing(): boolean {
    return this.#logger.isLevelEnabled('trace')
  }

  /** One line per step: the input, the actions, and how long the core's step and the
   * actions' execution took (ms, wall clock: execution includes whatever else the event
   * loop ran while an action awaited the store). */
  step(input: Input<Message>, actions: readonly Action[], stepMs: number, executeMs: number, start: { t: number, cpuUs: number }): void {
    const what = input.type === 'network' ? `${traceMessage(input.message)} from ${input.from}` : input.type === 'timer' ? `${input.kind} timer, round ${input.round}` : `submit n${input.entries.length} [${traceIds(input.entries).join(',')}]`
    const cpuUs = traceCpuUs()
    // CPU used between the previous step's end and this step's start: the transport
    // (decrypting, decoding, inspecting), the HTTP API, timers.
    const cpuBetweenUs = this.#lastCpuUs === null ? null : start.cpuUs - this.#lastCpuUs
    this.#lastCpuUs = cpuUs
    const view = this.#view()
    this.#logger.trace({
      round: view.round, height: view.headHeight, input: what, actions: actions.map(traceAction),
      stepMs: round1(stepMs), executeMs: round1(executeMs), t: start.t, cpuUs: cpuUs - start.cpuUs, cpuBetweenUs,
    }, 'step')
  }

  /** A trace line for a point of interest outside the loop's steps. */
  hop(hop: string, fields: Readonly<Record<string, unknown>> = {}): void {
    if (!this.#logger.isLevelEnabled('trace')) return
    this.#logger.trace({ ...fields, hop, t: traceWallMs(), cpuTotalUs: traceCpuUs() }, 'hop')
  }
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10
}
