// The fixed simulator sweep of mutation testing (docs/mutation.md): seeded n = 4 runs
// at K = f for each Byzantine behaviour, judged by every checker (those of the committed
// chains and those that watch the run: scenarios/checkers/watch.ts), plus a few n = 7
// runs. Not part of `npm test` (the default config includes *.test.ts only); run by
// `npm run mutation -- --suite sweep` and by scripts/mutation-bugs.ts against a copy
// with one injected bug. SYNOD_SWEEP_SET picks the behaviours: 'base' (those the
// simulator had before the rule-targeting adversaries), 'adversaries' (those alone),
// or 'all' (default). SYNOD_SWEEP_SEEDS sets the seeds per behaviour (default 3).
// SYNOD_SWEEP_SIGNATURES: 'ed25519' (default, the table of docs/mutation.md) or 'standin'
// (the simulator's keyed-hash signatures, scenarios/sim/standin-signatures.ts).
// Each set also has catch-up runs (scenarios/run/catch-up.ts: an honest node down long
// enough to range-sync on restart, first reaching only the Byzantine node): base 'honest'
// and 'lying-sync', adversaries the range tampers, which forge only in such runs. Each
// such run must deliver at least one range response (else it tests nothing of range sync).
import { describe, expect, it } from 'vitest'
import { faultTolerance } from '../../src/log/validator-set.ts'
import type { BehaviourName } from '../../scenarios/behaviours/index.ts'
import { problemsOf, runOne } from '../../scenarios/runner.ts'
import { ADVERSARY_NAMES, RANGE_ADVERSARIES, type AdversaryName } from '../../scenarios/behaviours/adversaries/index.ts'
import { catchUpOptions, catchUpReplay } from '../../scenarios/run/catch-up.ts'
import { Simulation } from '../../scenarios/sim/simulator.ts'
import { judgeRun } from '../../scenarios/runner.ts'
import { runAdversary } from '../../scenarios/behaviours/adversaries/judge.ts'
import { isSignatureMode, type SignatureMode } from '../../scenarios/sim/standin-signatures.ts'

const BASE: readonly BehaviourName[] = ['honest', 'crash', 'silent', 'equivocate', 'double-vote', 'withhold', 'forge', 'replay', 'twins', 'flood', 'lying-sync', 'mixed']
const SETS: ReadonlyMap<string, readonly BehaviourName[]> = new Map([
  ['base', BASE],
  ['adversaries', ADVERSARY_NAMES],
  ['all', [...BASE, ...ADVERSARY_NAMES]],
])
const setName = process.env['SYNOD_SWEEP_SET'] ?? 'all'
const behaviours = SETS.get(setName)
if (behaviours === undefined) throw new Error(`SYNOD_SWEEP_SET must be one of ${[...SETS.keys()].join(', ')}, not '${setName}'`)
const seedsPer = Number(process.env['SYNOD_SWEEP_SEEDS'] ?? '3')
if (!Number.isInteger(seedsPer) || seedsPer < 1 || seedsPer > 1000) throw new Error('SYNOD_SWEEP_SEEDS must be a whole number in 1..1000')
const signaturesText = process.env['SYNOD_SWEEP_SIGNATURES'] ?? 'ed25519'
if (!isSignatureMode(signaturesText)) throw new Error(`SYNOD_SWEEP_SIGNATURES must be ed25519 or standin, not '${signaturesText}'`)
const signatures: SignatureMode = signaturesText
const BASE_SEED = 4100
/** Run on the catch-up schedule, per set (the range adversaries only there). */
const CATCH_UP = new Map<string, readonly BehaviourName[]>([
  ['base', ['honest', 'lying-sync']],
  ['adversaries', RANGE_ADVERSARIES],
  ['all', ['honest', 'lying-sync', ...RANGE_ADVERSARIES]],
])

function isAdversary(name: BehaviourName): name is AdversaryName {
  return (ADVERSARY_NAMES as readonly string[]).includes(name)
}

function runs(nodes: number, behaviour: BehaviourName, seeds: readonly number[]): void {
  const byzantine = behaviour === 'honest' ? 0 : faultTolerance(nodes)
  it(`n=${nodes} K=${byzantine} ${behaviour}: safe, live, no replica error, no evidence (seeds ${seeds.join(',')})`, () => {
    const failures: string[] = []
    /** Expected rejection key -> forgeries of that kind made over all the seeds (adversaries only). */
    const made = new Map<string, number>()
    for (const seed of seeds) {
      if (isAdversary(behaviour)) {
        // A run fails for a kind of forgery made and never refused (judge.ts), not for one
        // the adversary never had the chance to make.
        const r = runAdversary(seed, behaviour, { nodes, byzantine, signatures })
        for (const [key, count] of r.made) made.set(key, (made.get(key) ?? 0) + count)
        if (r.problems.length > 0) failures.push(`seed ${seed}: ${r.problems.slice(0, 2).join(' | ')}\n  replay: ${r.replay}`)
        continue
      }
      const o = runOne(seed, { nodes, byzantine, behaviour, signatures })
      if (!o.ok) failures.push(`seed ${seed}: ${problemsOf(o).slice(0, 2).join(' | ')}\n  replay: ${o.replay}`)
    }
    // Over the n = 4 seeds, each kind of forgery must have been made somewhere: else the
    // adversary tests nothing of its rule and its runs pass vacuously.
    if (nodes === 4) for (const [key, count] of made) if (count === 0) failures.push(`seeds ${seeds[0]}-${seeds[seeds.length - 1]}: never made in any run: ${key}`)
    expect(failures).toEqual([])
  })
}

/** n = 4 catch-up runs of `behaviour` (node 3; node 0 falls behind): judged as above, and
 * each must have delivered a range response. */
function catchUpRuns(behaviour: BehaviourName, seeds: readonly number[]): void {
  it(`catch-up n=4 K=${behaviour === 'honest' ? 0 : 1} ${behaviour}: range-syncs, safe, live, no replica error, no evidence (seeds ${seeds.join(',')})`, () => {
    const failures: string[] = []
    const made = new Map<string, number>()
    for (const seed of seeds) {
      const config = { nodes: 4, behaviour, signatures }
      const options = catchUpOptions(seed, config)
      let problems: readonly string[]
      let responses: number
      if (isAdversary(behaviour)) {
        const r = runAdversary(seed, behaviour, options)
        for (const [key, count] of r.made) made.set(key, (made.get(key) ?? 0) + count)
        problems = r.problems
        responses = r.delivered.get('range-response') ?? 0
      } else {
        const sim = new Simulation(options)
        const o = judgeRun(sim, sim.run())
        problems = o.ok ? [] : problemsOf(o)
        responses = sim.messageCounts.get('range-response')?.delivered ?? 0
      }
      if (responses === 0) problems = [...problems, 'no range response delivered: no replica range-synced']
      if (problems.length > 0) failures.push(`seed ${seed}: ${problems.slice(0, 2).join(' | ')}\n  replay: ${catchUpReplay(seed, config)}`)
    }
    for (const [key, count] of made) if (count === 0) failures.push(`seeds ${seeds[0]}-${seeds[seeds.length - 1]}: never made in any run: ${key}`)
    expect(failures).toEqual([])
  })
}

describe(`mutation sweep (${setName}, ${seedsPer} seeds per behaviour from ${BASE_SEED}, ${signatures} signatures)`, () => {
  const seeds = Array.from({ length: seedsPer }, (_, i) => BASE_SEED + i)
  const seedDerived = behaviours.filter((b) => !(RANGE_ADVERSARIES as readonly string[]).includes(b))
  for (const behaviour of seedDerived) runs(4, behaviour, seeds)
  for (const behaviour of seedDerived.filter((b) => b !== 'honest')) runs(7, behaviour, seeds.slice(0, 1))
  for (const behaviour of CATCH_UP.get(setName)!) catchUpRuns(behaviour, seeds)
})
