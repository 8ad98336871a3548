// Progress of a long command (audit, export, sweeps) on stderr, with a total and an ETA.
// On a terminal: a cli-progress bar redrawn in place. Piped or redirected (CI logs,
// `2> file`): one plain line every few seconds, since a bar's carriage returns make an
// unreadable log; and one last line when it ends, so even a short run leaves a trace.
import { SingleBar } from 'cli-progress'

/** How often a progress line is printed when stderr is not a terminal: often enough to
 * see a long run move in a CI log, rare enough that an hour's run stays a few hundred lines. */
export const PROGRESS_LINE_INTERVAL_MS = 5_000

/** How a quantity is shown: heights and runs as counts, bytes in MB. */
export type ProgressUnit = 'heights' | 'runs' | 'cases' | 'bytes'

export interface ProgressOptions {
  /** What is in progress, e.g. 'synod audit'. */
  readonly label: string
  readonly unit: ProgressUnit
  /** The amount at completion; null while unknown (shown without a percentage or ETA). */
  readonly total: number | null
  /** Default process.stderr. */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Default PROGRESS_LINE_INTERVAL_MS. */
  readonly intervalMs?: number
  /** Milliseconds clock; default performance.now (tests pass their own). */
  readonly now?: () => number
}

/** What one progress line says. */
export interface ProgressState {
  readonly label: string
  readonly unit: ProgressUnit
  readonly value: number
  readonly total: number | null
  /** Free text after the figures, e.g. '1200 entries'. */
  readonly detail: string
  readonly elapsedMs: number
}

function amount(value: number, unit: ProgressUnit): string {
  return unit === 'bytes' ? `${(value / 1e6).toFixed(1)} MB` : `${value} ${unit}`
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/** Milliseconds left at the average rate so far; null without a total or any progress. */
export function etaMs(state: Pick<ProgressState, 'value' | 'total' | 'elapsedMs'>): number | null {
  if (state.total === null || state.value <= 0 || state.elapsedMs <= 0) return null
  if (state.value >= state.total) return 0
  return (state.elapsedMs / state.value) * (state.total - state.value)
}

/** One plain progress line, e.g. 'synod audit: 1200/5000 heights (24%), 3400 entries,
 * 12 s elapsed, ETA 38 s'. */
export function progressLine(state: ProgressState): string {
  const parts: string[] = []
  if (state.total === null) parts.push(amount(state.value, state.unit))
  else {
    const pct = state.total > 0 ? Math.min(100, Math.floor((state.value / state.total) * 100)) : 100
    const of = state.unit === 'bytes' ? `${amount(state.value, state.unit)} of ${amount(state.total, state.unit)}` : `${state.value}/${amount(state.total, state.unit)}`
    parts.push(`${of} (${pct}%)`)
  }
  if (state.detail !== '') parts.push(state.detail)
  parts.push(`${duration(state.elapsedMs)} elapsed`)
  const eta = etaMs(state)
  if (eta !== null) parts.push(`ETA ${duration(eta)}`)
  return `${state.label}: ${parts.join(', ')}`
}

/** Progress on stderr: a bar on a terminal, else a line every few seconds and at the end. */
export class Progress {
  readonly #options: ProgressOptions
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean }
  readonly #now: () => number
  readonly #started: number
  readonly #bar: SingleBar | null
  readonly #timer: NodeJS.Timeout | null
  #value = 0
  #total: number | null
  #detail = ''
  #stopped = false

  constructor(options: ProgressOptions) {
    this.#options = options
    this.#stream = options.stream ?? process.stderr
    this.#now = options.now ?? (() => performance.now())
    this.#started = this.#now()
    this.#total = options.total
    if (this.#stream.isTTY === true) {
      const figures = options.unit === 'bytes' ? '{mb}/{totalMb} MB' : `{value}/{total} ${options.unit}`
      this.#bar = new SingleBar({
        stream: this.#stream,
        format: `${options.label} |{bar}| {percentage}% | ${figures} | {detail} | ETA {eta_formatted}`,
        etaBuffer: 50,
        hideCursor: true,
      })
      this.#bar.start(this.#total ?? 0, 0, this.#payload())
      this.#timer = null
    } else {
      this.#bar = null
      this.#timer = setInterval(() => this.printLine(), options.intervalMs ?? PROGRESS_LINE_INTERVAL_MS)
      this.#timer.unref()
    }
  }

  #payload(): Record<string, string> {
    return { detail: this.#detail, mb: (this.#value / 1e6).toFixed(1), totalMb: ((this.#total ?? 0) / 1e6).toFixed(1) }
  }

  get state(): ProgressState {
    return { label: this.#options.label, unit: this.#options.unit, value: this.#value, total: this.#total, detail: this.#detail, elapsedMs: this.#now() - this.#started }
  }

  /** The total became known (or changed): e.g. a node's head height once asked. */
  setTotal(total: number): void {
    this.#total = total
    this.#bar?.setTotal(total)
  }

  update(value: number, detail = this.#detail): void {
    this.#value = value
    this.#detail = detail
    // A total that proves too small (the node committed more meanwhile) grows with the value.
    if (this.#total !== null && value > this.#total) this.setTotal(value)
    this.#bar?.update(value, this.#payload())
  }

  /** Prints the current state as one line (what the timer does when not on a terminal). */
  printLine(): void {
    if (this.#stopped || this.#bar !== null) return
    this.#stream.write(progressLine(this.state) + '\n')
  }

  /** Ends the display: the bar stops, or a last line is printed. */
  stop(): void {
    if (this.#stopped) return
    if (this.#timer !== null) clearInterval(this.#timer)
    if (this.#bar !== null) this.#bar.stop()
    else this.#stream.write(progressLine(this.state) + '\n')
    this.#stopped = true
  }
}
