// Seeded runs of the node runtime under simulation (scenarios/sim/node): validators with
// the simulated transport and disks, storage faults, the checkers. Prints one line per
// run (or only failures with --quiet); each failure with its seed and replay command.
// Usage: npx node scripts/node-sim.ts [--seed S] [--runs R] [--nodes N] [--calm] [--quiet] [--trace]
import { parseArgs } from 'node:util'
import { calmNodeSimOptions, deriveNodeSimOptions, runNodeSim } from '../scenarios/sim/node/index.ts'

function integer(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`--${name} must be a non-negative integer, got '${value}'`)
  return n
}

const { values } = parseArgs({
  options: {
    seed: { type: 'string' }, runs: { type: 'string' }, nodes: { type: 'string' },
    calm: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false }, trace: { type: 'boolean', default: false },
  },
})
const first = integer(values.seed, 'seed', 1)
const runs = integer(values.runs, 'runs', 1)
const nodes = values.nodes === undefined ? undefined : integer(values.nodes, 'nodes', 4)
if (nodes !== undefined && nodes < 1) throw new RangeError('--nodes must be at least 1')
let failures = 0
for (let seed = first; seed < first + runs; seed++) {
  const given = nodes === undefined ? {} : { nodes }
  const options = values.calm ? calmNodeSimOptions(seed, given) : deriveNodeSimOptions(seed, given)
  const started = performance.now()
  const result = await runNodeSim(options, values.calm)
  const ms = Math.round(performance.now() - started)
  const ok = result.violations.length === 0
  if (!ok) failures++
  if (!ok || !values.quiet) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} seed ${seed} nodes ${options.nodes}: heights ${result.heights.join(',')} certified ${result.certifiedHeights.join(',')} entries ${result.entriesCommitted} crashes ${result.crashes} converged ${result.convergenceMs} ms, warn lines ${result.warnLines.join(',')}, ${result.events} events, ${ms} ms`)
  }
  if (!ok) {
    for (const v of result.violations.slice(0, 20)) console.log(`  ${v}`)
    if (result.violations.length > 20) console.log(`  ... and ${result.violations.length - 20} more`)
    console.log(`  replay: ${result.replay}`)
  }
  if (values.trace) for (const line of result.trace) console.log(`  ${line}`)
}
console.log(`${runs - failures}/${runs} node simulations passed`)
process.exitCode = failures === 0 ? 0 : 1
