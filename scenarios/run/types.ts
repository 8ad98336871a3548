// The outcome of one scenario run, whatever the backend.
import type { ExpectedOutcome, ScenarioReport } from '../report/types.ts'
import type { SignatureMode } from '../sim/standin-signatures.ts'

export type Backend = 'sim' | 'net'

export interface ScenarioRun {
  readonly scenario: string
  readonly seed: number
  readonly backend: Backend
  readonly expected: ExpectedOutcome
  readonly met: boolean
  readonly safe: boolean
  readonly live: boolean | null
  readonly stalled: boolean | null
  /** Every unmet condition, one line each. */
  readonly problems: readonly string[]
  /** The command that replays exactly this run. */
  readonly replay: string
  readonly report: ScenarioReport
}

/** How a run names its scenario in replay commands: a library name or a file path; a
 * run with stand-in signatures says so (real Ed25519 is `synod scenario run`'s default). */
export function replayCommand(source: string, seed: number, backend: Backend, signatures: SignatureMode = 'ed25519'): string {
  return `npx synod scenario run ${source} --seed ${seed}${backend === 'net' ? ' --backend net' : ''}${signatures === 'standin' ? ' --signatures standin' : ''}`
}
