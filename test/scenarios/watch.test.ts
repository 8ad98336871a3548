// The checkers that watch honest replicas while a run goes on (scenarios/checkers/watch.ts):
// each one is shown to fail on a faulty replica that the simulator believes honest (a test
// double put in place of an honest instance's behaviour), and to stay quiet on honest runs.
// Seeds are fixed and printed; a failing case replays by its seed.
import { describe, expect, it } from 'vitest'
import { signDomain } from '../../src/crypto/domain.ts'
import { blockHash } from '../../src/log/block.ts'
import { voteDataToCbor } from '../../src/log/certificates.ts'
import { Replica } from '../../src/consensus/replica.ts'
import type { Action, Event, RestoredState, VoteMessage } from '../../src/consensus/types.ts'
import { Decorator, type Behaviour } from '../../scenarios/behaviours/types.ts'
import type { Evidence } from '../../scenarios/checkers/run-evidence.ts'
import { judgeRun, problemsOf, runOne } from '../../scenarios/runner.ts'
import { deriveOptions, Simulation, type SimOptions } from '../../scenarios/sim/simulator.ts'
import type { SimResult } from '../../scenarios/sim/results.ts'

/** Runs seed `seed` with `behaviour` in place of the honest behaviour of the instances of
 * `identities`, which the simulator still judges as honest. */
function runWith(seed: number, given: Partial<SimOptions>, identities: readonly number[], behaviour: Behaviour): { sim: Simulation, result: SimResult } {
  console.log(`seed ${seed}, faulty honest identities ${identities.join(',')}, ${behaviour.name}`)
  const sim = new Simulation(deriveOptions(seed, given))
  for (const inst of sim.instances) {
    expect(inst.honest).toBe(true)
    if (identities.includes(inst.identity)) (inst as { behaviour: Behaviour }).behaviour = behaviour
  }
  return { sim, result: sim.run() }
}

const CALM: Partial<SimOptions> = { nodes: 4, byzantine: 0, behaviour: 'honest', crashes: 0, midStepCrashRate: 0, partitions: 0, lossRate: 0, faultsStopMs: 3000 }
/** Restarts on every node: crashes in the middle of steps. */
const CRASHY: Partial<SimOptions> = { nodes: 4, byzantine: 0, behaviour: 'honest', crashes: 3, midStepCrashRate: 0.02, faultsStopMs: 4000 }

function codes(evidence: readonly Evidence[]): string[] {
  return [...new Set(evidence.map((e) => e.code))]
}

/** Accepts (persists) and votes for a copy of each proposed block above height 1 whose
 * justify QC carries a corrupted signature: what a replica whose verifier cached a failed
 * QC as valid would do. Its own honest actions go on as well. */
class AcceptsBadQc extends Decorator {
  readonly #seed: Uint8Array
  constructor(inner: Replica, seed: Uint8Array) {
    super(inner)
    this.#seed = seed
  }
  protected override output(event: Event, actions: Action[]): Action[] {
    if (event.type !== 'message' || event.message.type !== 'proposal') return actions
    const b = event.message.block
    const q = b.header.justify
    if (b.header.height < 2 || q.sigs.length === 0) return actions
    const sigs = q.sigs.map((s, i) => (i === 0 ? Uint8Array.from(s, (x, j) => (j === 0 ? x ^ 1 : x)) : s))
    const bad = { ...b, header: { ...b.header, justify: { ...q, sigs } } }
    const hash = blockHash(bad.header)
    const round = bad.header.round
    const sig = signDomain(this.#seed, 'vote', this.inner.genesis.chainId, voteDataToCbor({ round, height: bad.header.height, block: hash }))
    const vote: VoteMessage = { type: 'vote', voter: this.inner.index, round, height: bad.header.height, block: hash, sig, commit: null }
    return [...actions, { type: 'persist-block', hash, block: bad }, { type: 'send', to: this.inner.leaders.leaderOf(round + 1), message: vote }]
  }
}

const acceptsBadQc: Behaviour = { name: 'accepts-bad-qc (test double)', create: (ctx) => new AcceptsBadQc(ctx.honest(), ctx.seed) }

/** Restores with its safety state reset to zero rounds (as if storage lost it). */
const forgetsSafetyState: Behaviour = {
  name: 'forgets-safety-state (test double)',
  create: (ctx) => {
    if (ctx.restored === undefined) return new Decorator(ctx.honest())
    const s = ctx.restored.safety
    const restored: RestoredState = { ...ctx.restored, safety: { ...s, lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null } }
    return new Decorator(new Replica({ genesis: ctx.genesis, validatorIndex: ctx.index, seed: ctx.seed, limits: ctx.limits }, restored))
  },
}

class ThrowsInStep extends Decorator {
  override step(event: Event): Action[] {
    if (event.now >= 1000) throw new RangeError(`test double: step at ${event.now} ms`)
    return super.step(event)
  }
}
const throwsInStep: Behaviour = { name: 'throws-in-step (test double)', create: (ctx) => new ThrowsInStep(ctx.honest()) }

const throwsOnRestore: Behaviour = {
  name: 'throws-on-restore (test double)',
  create: (ctx) => {
    if (ctx.restored !== undefined) throw new TypeError(`test double: cannot restore validator ${ctx.index}`)
    return new Decorator(ctx.honest())
  },
}

describe('watching checkers: quiet on honest runs', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}, n=4 honest with crashes: no evidence, and the checkers saw votes, proposals, commits`, () => {
      console.log(`seed ${seed}`)
      const sim = new Simulation(deriveOptions(seed, CRASHY))
      const result = sim.run()
      expect(result.evidence).toEqual([])
      const counts = sim.watch.conduct.counts
      for (const act of ['accept-block', 'vote', 'propose', 'commit', 'forward-entries'] as const) expect(counts.get(act) ?? 0).toBeGreaterThan(0)
      expect(sim.watch.conduct.checks.judged).toBeGreaterThan(0)
    })
  }
})

describe('watching checkers: each one fails on a faulty replica believed honest', () => {
  it('acted-on-invalid: accepting and voting for a block whose justify QC has a bad signature', () => {
    const { result } = runWith(11, CALM, [2], acceptsBadQc)
    const bad = result.evidence.filter((e) => e.code === 'acted-on-invalid')
    expect(bad.length).toBeGreaterThan(0)
    for (const e of bad) {
      expect(e.node).toBe('node 2')
      expect(e.check).toBe('bad-qc/certificate-bad-signature')
    }
    expect(new Set(bad.map((e) => e.code === 'acted-on-invalid' ? e.act : ''))).toEqual(new Set(['accept-block', 'vote']))
  })

  it('a run with evidence fails, and its problems name the evidence', () => {
    const { sim, result } = runWith(11, CALM, [2], acceptsBadQc)
    const o = judgeRun(sim, result)
    expect(o.safetyViolations).toEqual([])
    expect(o.ok).toBe(false)
    expect(problemsOf(o).some((p) => p.startsWith('acted-on-invalid: node 2 round '))).toBe(true)
    const honest = runOne(11, CALM)
    expect(honest.evidence).toEqual([])
    expect(honest.ok).toBe(true)
  })

  it('safety-state-regressed: a replica restored with its safety state reset', () => {
    const { result } = runWith(5, CRASHY, [0, 1, 2, 3], forgetsSafetyState)
    const regressed = result.evidence.filter((e) => e.code === 'safety-state-regressed')
    expect(regressed.length).toBeGreaterThan(0)
    const atRestart = regressed.find((e) => e.code === 'safety-state-regressed' && e.moment === 'restart' && e.field === 'lastVotedRound')
    expect(atRestart).toBeDefined()
    if (atRestart?.code === 'safety-state-regressed') expect(atRestart.after).toBeLessThan(atRestart.before)
  })

  it('replica-error: a throw in step() is reported with seed, node and stack head, and the run ends', () => {
    const { result } = runWith(3, CALM, [1], throwsInStep)
    const errors = result.evidence.filter((e) => e.code === 'replica-error')
    expect(errors.length).toBeGreaterThan(0)
    const e = errors[0]!
    if (e.code !== 'replica-error') throw new Error('unreachable')
    expect(e).toMatchObject({ node: 'node 1', seed: 3, phase: 'step', message: 'RangeError: test double: step at 1000 ms' })
    expect(e.at).toBeGreaterThanOrEqual(1000)
    expect(e.stackHead).toMatch(/at .*step/)
    expect(result.errors.some((line) => line.startsWith('replica-error: seed 3 node 1 (step'))).toBe(true)
    expect(codes(result.evidence)).toEqual(['replica-error'])
  })

  it('replica-error: a throw while restoring after a crash is reported, and a sweep of seeds goes on', () => {
    const reported: number[] = []
    for (const seed of [5, 6, 7]) {
      const { result } = runWith(seed, CRASHY, [0, 1, 2, 3], throwsOnRestore)
      const e = result.evidence.find((x) => x.code === 'replica-error')
      if (e?.code !== 'replica-error') continue
      expect(e.phase).toBe('restore')
      expect(e.seed).toBe(seed)
      expect(e.message).toMatch(/^TypeError: test double: cannot restore validator \d$/)
      reported.push(seed)
    }
    expect(reported.length).toBeGreaterThan(0)
  })

  it('replica-error: a throw while building the replica at start is reported, not thrown out of run()', () => {
    const throwsAlways: Behaviour = { name: 'throws-at-start (test double)', create: () => { throw new Error('test double: no replica') } }
    const { result } = runWith(1, CALM, [3], throwsAlways)
    expect(result.evidence).toMatchObject([{ code: 'replica-error', node: 'node 3', phase: 'restore', at: 0, message: 'Error: test double: no replica' }])
  })
})
