// What a simulated node logs: counted by level and kept (bounded) for the report, so a
// run can judge log noise (a healthy node does not warn in a loop) and show why a node
// stopped. Lines are pino's JSON, written synchronously to this sink.
import { pino, type Logger } from 'pino'

/** Lines kept per node for the failure report; the counts cover them all. */
const KEPT_LINES_MAX = 50

export interface LogLine {
  readonly atMs: number
  readonly level: number
  readonly msg: string
}

export class LogSink {
  readonly logger: Logger
  readonly kept: LogLine[] = []
  warnLines = 0
  errorLines = 0
  readonly #now: () => number

  constructor(now: () => number) {
    this.#now = now
    this.logger = pino({ level: 'warn', base: null, timestamp: false }, { write: (line: string) => this.#write(line) })
  }

  #write(line: string): void {
    let level = 0
    let msg = line
    try {
      const parsed = JSON.parse(line) as { level?: unknown, msg?: unknown }
      if (typeof parsed.level === 'number') level = parsed.level
      if (typeof parsed.msg === 'string') msg = parsed.msg
    } catch {
      // Not JSON: kept as it is.
    }
    if (level >= 50) this.errorLines++
    else if (level >= 40) this.warnLines++
    if (this.kept.length < KEPT_LINES_MAX) this.kept.push({ atMs: this.#now(), level, msg })
  }
}
