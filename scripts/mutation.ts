// Mutation testing of the core with StrykerJS (docs/mutation.md), not part of `npm test`.
//   npm run mutation -- [--suite unit|sweep] [--mutate 'src/consensus/**/*.ts,!src/consensus/types.ts'] [--concurrency 1] [--ignore-static]
// --suite unit runs the unit tests of src/consensus, src/log and src/crypto alone;
// --suite sweep runs the fixed simulator sweep of test/mutation/ alone. Stryker runs at
// the lowest CPU priority: the machine is shared. The JSON report lands in
// reports/mutation/<suite>.json; the score is printed by Stryker's clear-text reporter.
// --ignore-static leaves out the mutants of module-level initialisers (constants, tables):
// each of them needs the whole suite re-run in a fresh process, which on src/crypto is
// three quarters of the run's time; Stryker reports them as ignored, not as killed.
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'

const SUITES = new Set(['unit', 'sweep'])

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'unit' },
    mutate: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
    'ignore-static': { type: 'boolean', default: false },
  },
})
const suite = values.suite
if (!SUITES.has(suite)) throw new Error(`--suite must be one of ${[...SUITES].join(', ')}, not '${suite}'`)
const concurrency = Number(values.concurrency)
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new Error('--concurrency must be a whole number in 1..16')

const args = ['-n', '19', 'npx', 'stryker', 'run', 'stryker.config.mjs', '--concurrency', String(concurrency)]
if (values.mutate !== undefined) args.push('--mutate', values.mutate)
if (values['ignore-static']) args.push('--ignoreStatic')
process.stdout.write(`mutation: suite ${suite}, ${values.mutate ?? 'the configured files'}, concurrency ${concurrency}\n`)
const run = spawnSync('nice', args, { stdio: 'inherit', env: { ...process.env, SYNOD_MUTATION_SUITE: suite } })
if (run.error !== undefined) throw run.error
process.exitCode = run.status ?? 1
