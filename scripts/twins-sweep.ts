// Twins sweep: generate Twins cases (n validators, one or more twins, a leader and a
// partition per round), run each on the simulator, and report how many were generated,
// run, safe and live. Within f every case must be safe and live; beyond f (--twins 2
// for n = 4) the sweep counts the cases that forked, to show the checkers catch them.
//   npm run twins:sweep -- [--cases 2000] [--rounds 4] [--twins 1] [--nodes 4] [--groups 2] [--hold 1] [--leaders round-robin|per-round] [--seed 1] [--json]
//   npx node scripts/twins-sweep.ts --case I --seed S [--report DIR]   (replay one case)
// [--signatures standin|ed25519] [--ed25519-every 50]: stand-in signatures by default, every
// 50th case with real Ed25519 (docs/scenarios.md, "Signatures in the simulator"); a replayed
// case runs in the mode its replay command names.
// Exits non-zero when a case within f fails.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Progress } from '../cli/progress.ts'
import { ED25519_EVERY_DEFAULT, signaturesOfRun } from '../cli/commands/simulate.ts'
import { isSignatureMode, SIGNATURE_MODES } from '../scenarios/sim/standin-signatures.ts'
import { TwinsSpace } from '../scenarios/twins/generator.ts'
import { firstViolation, runTwinsCase, type TwinsCaseOutcome } from '../scenarios/twins/run-twins.ts'
import { renderHtmlReport } from '../scenarios/report/html-report.ts'

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '4' },
    twins: { type: 'string', default: '1' },
    nodes: { type: 'string', default: '4' },
    groups: { type: 'string', default: '2' },
    hold: { type: 'string', default: '1' },
    leaders: { type: 'string', default: 'round-robin' },
    seed: { type: 'string', default: '1' },
    case: { type: 'string' },
    report: { type: 'string' },
    json: { type: 'boolean', default: false },
    signatures: { type: 'string', default: 'standin' },
    'ed25519-every': { type: 'string', default: String(ED25519_EVERY_DEFAULT) },
  },
})
const int = (name: string, v: string | undefined): number => {
  if (v === undefined || !/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, got '${v}'`)
  return Number(v)
}
if (values.leaders !== 'round-robin' && values.leaders !== 'per-round') throw new Error(`--leaders must be round-robin or per-round, got '${values.leaders}'`)
const options = { nodes: int('nodes', values.nodes), twins: int('twins', values.twins), rounds: int('rounds', values.rounds), groupsMax: int('groups', values.groups), holdRounds: int('hold', values.hold), leaders: values.leaders as 'round-robin' | 'per-round' }
const seed = int('seed', values.seed)
const signatures = values.signatures
if (!isSignatureMode(signatures)) throw new Error(`--signatures must be one of ${SIGNATURE_MODES.join(', ')}, got '${signatures}'`)
const ed25519Every = int('ed25519-every', values['ed25519-every'])

if (values.case !== undefined) {
  const space = new TwinsSpace(options)
  const { case: c, run } = runTwinsCase(space, int('case', values.case), seed, signatures)
  process.stdout.write(`twins case ${c.index} of ${space.size} (seed ${seed}): ${run.met ? 'met' : 'NOT MET'} (expected ${run.expected}; safe=${run.safe} live=${run.live})\n`)
  for (const r of c.rounds) process.stdout.write(`  round ${r.round}: leader ${r.leader}${r.twinLeads ? ' (twin: both instances propose)' : ''}, partition ${r.partition.map((g) => `{${g.map((x) => (x.copy === 0 ? x.node : `${x.node}'`)).join(',')}}`).join(' ')}\n`)
  for (const p of run.problems) process.stdout.write(`  ${p}\n`)
  const violation = firstViolation(run)
  if (violation !== null) process.stdout.write(`  safety violation: ${violation}\n`)
  if (values.report !== undefined) {
    mkdirSync(values.report, { recursive: true })
    const base = join(values.report, `twins-case-${c.index}-seed${seed}`)
    writeFileSync(`${base}.json`, JSON.stringify(run.report, null, 2) + '\n')
    writeFileSync(`${base}.html`, renderHtmlReport(run.report))
    process.stdout.write(`report: ${base}.html\n`)
  }
  process.exitCode = run.met || options.twins > Math.floor((options.nodes - 1) / 3) ? 0 : 1
} else {
  const count = int('cases', values.cases)
  const space = new TwinsSpace(options)
  process.stderr.write(`twins sweep: n=${options.nodes}, ${options.twins} twin(s), ${options.rounds} rounds, partitions into <= ${options.groupsMax} groups held ${space.hold} round(s) each, ${options.leaders} leaders: ${space.size} cases in the space (${space.describeSize()}); running ${Math.min(count, space.size)} with seed ${seed}, signatures ${signatures}${signatures === 'standin' && ed25519Every > 0 ? `, every ${ed25519Every}th case with real Ed25519` : ''}\n`)
  const indices = space.sample(count, seed)
  const beyond = options.twins > Math.floor((options.nodes - 1) / 3)
  const outcomes: TwinsCaseOutcome[] = []
  const progress = new Progress({ label: 'twins sweep', unit: 'cases', total: indices.length })
  for (const [i, index] of indices.entries()) {
    const { run } = runTwinsCase(space, index, seed, signaturesOfRun(signatures, ed25519Every, i))
    outcomes.push({ index, description: run.report.description, safe: run.safe, live: run.live, met: run.met, problems: run.problems, violation: firstViolation(run), replay: run.replay })
    progress.update(outcomes.length, `unsafe ${outcomes.filter((o) => !o.safe).length}, failed ${beyond ? 0 : outcomes.filter((o) => !o.met).length}`)
    // Runs are synchronous: let the progress timer draw between them.
    await new Promise((resolve) => setImmediate(resolve))
  }
  progress.stop()
  const unsafe = outcomes.filter((o) => !o.safe)
  const failures = beyond ? [] : outcomes.filter((o) => !o.met)
  const summary = {
    options, seed, generated: space.size, run: outcomes.length, safe: outcomes.length - unsafe.length,
    live: outcomes.filter((o) => o.live === true).length, met: outcomes.filter((o) => o.met).length,
    unsafe: unsafe.length, failed: failures.length,
    unsafeCases: unsafe.slice(0, 20).map((o) => ({ index: o.index, replay: o.replay, evidence: o.violation })),
    failures: failures.map((o) => ({ index: o.index, replay: o.replay, problems: o.problems.slice(0, 3) })),
  }
  if (values.json) process.stdout.write(JSON.stringify(summary) + '\n')
  else {
    process.stdout.write(`generated ${summary.generated} cases; run ${summary.run}; safe ${summary.safe}; live ${summary.live}; met ${summary.met}; unsafe ${summary.unsafe}; failed ${summary.failed}\n`)
    for (const u of summary.unsafeCases) process.stdout.write(`unsafe case ${u.index}: ${u.evidence}\n  replay: ${u.replay}\n`)
    for (const f of summary.failures) process.stdout.write(`FAILED case ${f.index}: ${f.problems.join(' | ')}\n  replay: ${f.replay}\n`)
  }
  process.exitCode = failures.length === 0 ? 0 : 1
}
