// The report of one scenario run: what the JSON report holds and the HTML report draws.

export type ExpectedOutcome = 'safe-and-live' | 'safe-stalled' | 'unsafe'

export interface InvariantResult {
  readonly name: string
  readonly held: boolean
  /** For a violation: what shows it (e.g. the two conflicting blocks). */
  readonly evidence?: unknown
}

export interface FaultMark {
  /** Virtual (sim) or wall-clock (net) ms since the start of the run. */
  readonly at: number
  /** End of the fault, when it has one (partition healed, node restarted). */
  readonly until?: number
  readonly kind: string
  readonly label: string
}

export interface Series {
  readonly node: number
  /** How the legend names the line (default `node N`; e.g. "3'" for a twin's second instance). */
  readonly label?: string
  /** [ms since start, value] pairs, in time order. */
  readonly points: readonly (readonly [number, number])[]
}

export interface RunStats {
  readonly commits: number
  readonly blocks: number
  readonly rounds: number
  readonly timeouts: number
  readonly messages: number
  readonly latencyP50: number | null
  readonly latencyP99: number | null
}

export interface ScenarioReport {
  readonly scenario: string
  readonly description: string
  readonly seed: number
  readonly backend: 'sim' | 'net'
  readonly params: Readonly<Record<string, unknown>>
  readonly expected: ExpectedOutcome
  readonly outcome: { readonly safe: boolean, readonly live: boolean, readonly met: boolean }
  readonly invariants: readonly InvariantResult[]
  readonly stats: RunStats
  readonly heights: readonly Series[]
  readonly rounds: readonly Series[]
  readonly faults: readonly FaultMark[]
  /** Commit latencies (submit to commit), ms. */
  readonly latencies: readonly number[]
  readonly durationMs: number
  /** The command that replays this run. */
  readonly replay: string
  /** Per message type: sent, partitioned, lost, duplicated, delivered (sim) or sent/received (net). */
  readonly messages?: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** Virtual ms from the end of faults until every correct node committed every probe (null: not converged or not checked). */
  readonly convergenceMs?: number | null
  /** Why honest nodes rejected messages (reason with digits folded -> count). */
  readonly rejections?: Readonly<Record<string, number>>
  /** Every unmet condition, one line each (empty when the outcome was met). */
  readonly problems?: readonly string[]
  /** Entries the workload signed and submitted (stats.commits of them committed). */
  readonly entriesSubmitted?: number
}
