// npm run chaos -- --seed S --duration SECONDS [--keep] [--dir DIR]
// Real validators under SDK load and random SIGKILLs; checks what they hold once idle
// (scripts/chaos/run.ts, docs/operations.md). Progress on stderr; the last stdout line is
// the summary. Exit 0 when every check passed, 1 when one failed, 2 on bad arguments.
import { randomInt } from 'node:crypto'
import { ChaosUsageError, parseChaosArgs, replayCommand } from './chaos/options.ts'
import { failureDetails, summaryLine } from './chaos/report.ts'
import { runChaos } from './chaos/run.ts'

let options
try {
  options = parseChaosArgs(process.argv.slice(2), () => randomInt(0, 2 ** 32))
} catch (err) {
  if (!(err instanceof ChaosUsageError)) throw err
  process.stderr.write(`chaos: ${err.message}\nusage: npm run chaos -- --seed S --duration SECONDS [--keep] [--dir DIR]\n`)
  process.exit(2)
}
const progress = (line: string): void => { process.stderr.write(line + '\n') }
progress(`chaos: replay with: ${replayCommand(options)}`)
const result = await runChaos(options, progress)
for (const line of failureDetails(result)) process.stderr.write(line + '\n')
process.stdout.write(summaryLine(result) + '\n')
process.exit(result.ok ? 0 : 1)
