// The chaos run's command line: --seed S --duration SECONDS [--keep] [--dir DIR].
import { parseArgs } from 'node:util'
import { CHAOS_LIMITS } from './limits.ts'

export interface ChaosOptions {
  /** Every random choice of the run derives from it (a 32-bit unsigned integer). */
  readonly seed: number
  readonly durationS: number
  /** Keep the data directory after a passing run (a failing run always keeps it). */
  readonly keep: boolean
  /** Parent of the run's data directory; default the system's temporary directory. */
  readonly dir: string | null
}

export class ChaosUsageError extends Error {
  override readonly name = 'ChaosUsageError'
  readonly option: string
  readonly value: string | undefined
  constructor(option: string, value: string | undefined, message: string) {
    super(`${option}: ${message}`)
    this.option = option
    this.value = value
  }
}

function wholeNumber(text: string, option: string, min: number, max: number): number {
  if (!/^[0-9]{1,10}$/.test(text)) throw new ChaosUsageError(option, text, `'${text}' is not a whole number`)
  const value = Number(text)
  if (value < min || value > max) throw new ChaosUsageError(option, text, `${value} is not in ${min}-${max}`)
  return value
}

/** Parses the arguments; without --seed, one is drawn (and printed by the run). */
export function parseChaosArgs(argv: readonly string[], drawSeed: () => number): ChaosOptions {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        seed: { type: 'string' },
        duration: { type: 'string', default: '60' },
        keep: { type: 'boolean', default: false },
        dir: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    })
  } catch (err) {
    throw new ChaosUsageError('arguments', argv.join(' '), (err as Error).message)
  }
  const { values } = parsed
  const seed = values.seed === undefined ? drawSeed() >>> 0 : wholeNumber(values.seed, '--seed', 0, 0xffff_ffff)
  const durationS = wholeNumber(values.duration, '--duration', CHAOS_LIMITS.durationSMin, CHAOS_LIMITS.durationSMax)
  return { seed, durationS, keep: values.keep, dir: values.dir ?? null }
}

export function replayCommand(options: Pick<ChaosOptions, 'seed' | 'durationS'>): string {
  return `npm run chaos -- --seed ${options.seed} --duration ${options.durationS}`
}
