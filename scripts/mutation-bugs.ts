// The injected-bug mutation tests (test/mutation/bugs.ts), not part of `npm test`:
//   npm run mutation:bugs -- [--only id,id] [--suites unit,base,adversaries] [--sweep-seeds 3] [--budget-s 600] [--signatures ed25519|standin] [--json file]
// For each bug: a temporary copy of the repository with that one change, then (a) the
// unit tests of src/consensus, src/log and src/crypto and (b) the simulator sweep of
// test/mutation/ (first its base behaviours, then, if they did not fail, the
// rule-targeting adversaries), each stopping at its first failing test or at the
// budget. Prints a table: killed by unit / by the base sweep / by the adversaries, with
// the seconds each took. A clean copy runs first: a failure there voids the table.
// Runs at the lowest CPU priority, one test file at a time. The sweep signs with real
// Ed25519 unless --signatures standin (the simulator's stand-in, docs/scenarios.md).
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { BUGS, type InjectedBug } from '../test/mutation/bugs.ts'

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    'sweep-seeds': { type: 'string', default: '3' },
    'budget-s': { type: 'string', default: '600' },
    json: { type: 'string' },
    'skip-clean': { type: 'boolean', default: false },
    suites: { type: 'string', default: 'unit,base,adversaries' },
    signatures: { type: 'string', default: 'ed25519' },
  },
})
const SUITE_NAMES = ['unit', 'base', 'adversaries']
const suites = new Set(values.suites.split(','))
for (const s of suites) if (!SUITE_NAMES.includes(s)) throw new Error(`--suites takes ${SUITE_NAMES.join(', ')}, not '${s}'`)
const budgetS = Number(values['budget-s'])
if (!Number.isFinite(budgetS) || budgetS < 10 || budgetS > 3600) throw new Error('--budget-s must be 10..3600')
const sweepSeeds = values['sweep-seeds']
if (!/^[0-9]{1,4}$/.test(sweepSeeds)) throw new Error('--sweep-seeds must be a whole number')
const signatures = values.signatures
if (signatures !== 'ed25519' && signatures !== 'standin') throw new Error(`--signatures takes ed25519 or standin, not '${signatures}'`)
const onlyIds = values.only === undefined ? null : new Set(values.only.split(','))
const bugs = BUGS.filter((b) => onlyIds === null || onlyIds.has(b.id))
if (onlyIds !== null && bugs.length !== onlyIds.size) throw new Error(`unknown bug id in --only; ids: ${BUGS.map((b) => b.id).join(', ')}`)

const root = resolve(import.meta.dirname, '..')
/** What the tests need: sources, tests, the simulator, configs (not docs, bench, git). */
const COPIED = ['src', 'test', 'scenarios', 'cli', 'sdk', 'node', 'audit', 'bin', 'package.json', 'tsconfig.json', 'vitest.mutation.config.ts', 'docs/test-vectors.json']

type Verdict = { readonly killed: boolean, readonly seconds: number, readonly detail: string }

function suite(dir: string, name: 'unit' | 'sweep', set: string): Verdict {
  const started = performance.now()
  const run = spawnSync('nice', ['-n', '19', 'npx', 'vitest', 'run', '--config', 'vitest.mutation.config.ts', '--bail', '1', '--maxWorkers', '1'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: budgetS * 1000,
    killSignal: 'SIGKILL',
    env: { ...process.env, SYNOD_MUTATION_SUITE: name, SYNOD_SWEEP_SET: set, SYNOD_SWEEP_SEEDS: sweepSeeds, SYNOD_SWEEP_SIGNATURES: signatures, FORCE_COLOR: '0', NO_COLOR: '1' },
  })
  const seconds = Math.round((performance.now() - started) / 100) / 10
  // eslint-disable-next-line no-control-regex -- colour codes, in case a reporter ignores NO_COLOR
  const out = `${run.stdout}\n${run.stderr}`.replace(/\u001b\[[0-9;]*m/g, '')
  const failed = out.split('\n').find((l) => /^\s*(×|FAIL)\s/.test(l))?.trim() ?? ''
  if (run.error !== undefined && run.signal !== 'SIGKILL') throw run.error
  if (run.signal === 'SIGKILL') return { killed: false, seconds, detail: `budget of ${budgetS} s spent` }
  return { killed: run.status !== 0, seconds, detail: failed.slice(0, 160) }
}

function apply(dir: string, bug: InjectedBug): string {
  const path = join(dir, bug.file)
  const text = readFileSync(path, 'utf8')
  const at = text.indexOf(bug.search)
  if (at < 0 || text.indexOf(bug.search, at + 1) >= 0) throw new Error(`bug ${bug.id}: the search text must occur exactly once in ${bug.file}`)
  writeFileSync(path, text.slice(0, at) + bug.replace + text.slice(at + bug.search.length))
  return text
}

const dir = mkdtempSync(join(tmpdir(), 'synod-bugs-'))
for (const item of COPIED) cpSync(join(root, item), join(dir, item), { recursive: true })
symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
process.stdout.write(`copy in ${dir}; sweep seeds ${sweepSeeds} per behaviour, ${signatures} signatures; budget ${budgetS} s per suite\n`)

interface Row { id: string, unit: Verdict | null, base: Verdict | null, adversaries: Verdict | null }
const rows: Row[] = []
try {
  if (!values['skip-clean']) {
    const clean = ([['unit', 'unit', 'all'], ['base', 'sweep', 'base'], ['adversaries', 'sweep', 'adversaries']] as const).filter(([s]) => suites.has(s))
    for (const [, name, set] of clean) {
      const v = suite(dir, name, set)
      process.stdout.write(`clean copy, ${name} (${set}): ${v.killed ? `FAILED (${v.detail})` : 'passed'} in ${v.seconds} s\n`)
      if (v.killed) throw new Error(`the clean copy fails its ${name} suite: the table would mean nothing`)
    }
  }
  for (const bug of bugs) {
    const original = apply(dir, bug)
    try {
      const unit = suites.has('unit') ? suite(dir, 'unit', 'all') : null
      const base = suites.has('base') ? suite(dir, 'sweep', 'base') : null
      const adversaries = suites.has('adversaries') && base?.killed !== true ? suite(dir, 'sweep', 'adversaries') : null
      rows.push({ id: bug.id, unit, base, adversaries })
      process.stdout.write(`${bug.id}: unit ${mark(unit)}, base sweep ${mark(base)}, adversaries ${mark(adversaries)}\n`)
    } finally {
      writeFileSync(join(dir, bug.file), original)
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}

function mark(v: Verdict | null): string {
  if (v === null) return '-'
  return `${v.killed ? 'killed' : 'survived'} ${v.seconds} s${v.detail === '' ? '' : ` (${v.detail})`}`
}

const cell = (v: Verdict | null): string => v === null ? '-' : `${v.killed ? 'killed' : 'survived'} (${v.seconds} s)`
process.stdout.write('\n| bug | unit tests | sweep, base behaviours | sweep, + adversaries |\n|---|---|---|---|\n')
for (const r of rows) process.stdout.write(`| ${r.id} | ${cell(r.unit)} | ${cell(r.base)} | ${r.base?.killed === true ? 'killed (by base)' : cell(r.adversaries)} |\n`)
const count = (f: (r: Row) => boolean): number => rows.filter(f).length
const sweepBase = count((r) => r.base?.killed === true)
const sweepAll = count((r) => r.base?.killed === true || r.adversaries?.killed === true)
process.stdout.write(`\n${rows.length} bugs: unit ${count((r) => r.unit?.killed === true)}, sweep (base) ${sweepBase}, sweep (with adversaries) ${sweepAll}, unit or sweep ${count((r) => r.unit?.killed === true || r.base?.killed === true || r.adversaries?.killed === true)}\n`)
if (values.json !== undefined) writeFileSync(values.json, JSON.stringify(rows, null, 2) + '\n')
