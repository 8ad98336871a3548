// The scenario DSL: defaults, helpers, and clear errors for bad scenarios.
import { describe, expect, it } from 'vitest'
import { crash, defineScenario, flap, link, partition, simOptionsOf, skew, type ScenarioError, type ScenarioSpec } from '../../scenarios/dsl/index.ts'
import { Simulation } from '../../scenarios/sim/simulator.ts'

const base: ScenarioSpec = {
  name: 'test-scenario',
  description: 'a test',
  cluster: { nodes: 4 },
  durationMs: 2000,
  expect: { outcome: 'safe-and-live' },
}

function problemsOf(spec: unknown): readonly string[] {
  try {
    defineScenario(spec as ScenarioSpec)
  } catch (err) {
    expect((err as Error).name).toBe('ScenarioError')
    return (err as ScenarioError).problems
  }
  throw new Error('expected a ScenarioError')
}

describe('scenario DSL', () => {
  it('fills in defaults', () => {
    const s = defineScenario(base)
    expect(s.nodes).toBe(4)
    expect(s.f).toBe(1)
    expect(s.livenessBoundMs).toBe(20_000)
    expect(s.workload.agents).toBe(3)
    expect(s.workload.untilMs).toBe(2000)
    expect(s.backends).toEqual(['sim', 'net'])
    expect(s.faults).toEqual([])
  })

  it('resolves faults: twins references, symmetric links, open-ended partitions, permanent crashes', () => {
    const s = defineScenario({
      ...base,
      byzantine: [{ node: 3, behaviour: 'twins' }],
      faults: [
        partition({ at: 100, groups: [[0, 1, 3], [2, "3'"]] }),
        link({ from: 0, to: [1, 2], at: 0, until: 500, delayMs: 100 }),
        crash({ node: 1, at: 600, until: 900 }),
        skew({ node: "3'", at: 0, rate: 2 }),
      ],
    })
    expect(s.faults[0]).toEqual({ kind: 'partition', at: 100, until: 2000, groups: [[{ node: 0, copy: 0 }, { node: 1, copy: 0 }, { node: 3, copy: 0 }], [{ node: 2, copy: 0 }, { node: 3, copy: 1 }]] })
    const links = s.faults.filter((f) => f.kind === 'link')
    expect(links).toHaveLength(2)
    expect(links[1]).toMatchObject({ from: [1, 2], to: [0] })
    expect(s.backends).toEqual(['sim'])
    expect(s.faulty).toEqual([3])
    const permanent = defineScenario({ ...base, faults: [crash({ node: 2, at: 100 })] })
    expect(permanent.faults[0]).toMatchObject({ kind: 'crash', until: null })
    expect(permanent.faulty).toEqual([2])
  })

  it('flap() expands into one link outage per period', () => {
    const faults = flap({ from: 0, to: 1, at: 0, until: 1000, periodMs: 300, downMs: 100 })
    expect(faults.map((f) => [f.at, f.until])).toEqual([[0, 100], [300, 400], [600, 700], [900, 1000]])
    expect(() => flap({ from: 0, to: 1, at: 0, until: 1000, periodMs: 100, downMs: 100 })).toThrow(/downMs/)
  })

  it('rejects bad node indexes, with the valid range', () => {
    expect(problemsOf({ ...base, faults: [crash({ node: 4, at: 100, until: 200 })] })).toEqual(['faults[0].node: node 4 is not a validator index (n = 4: 0..3)'])
    expect(problemsOf({ ...base, byzantine: [{ node: 7, behaviour: 'silent' }] })[0]).toMatch(/byzantine\[0\]\.node: node 7 is not a validator index/)
    expect(problemsOf({ ...base, faults: [partition({ at: 0, groups: [[0, "1'"]] })] })[0]).toMatch(/1' names the twin of node 1, but node 1 does not run the 'twins' behaviour/)
    expect(problemsOf({ ...base, faults: [link({ from: 0, to: [9], at: 0, loss: 1 })] })[0]).toMatch(/faults\[0\]\.to: node 9 is not a validator index/)
  })

  it('rejects overlapping faults', () => {
    expect(problemsOf({ ...base, faults: [partition({ at: 0, until: 1000, groups: [[0]] }), partition({ at: 500, until: 1500, groups: [[1]] })] }))
      .toEqual(['faults: two partitions overlap in time: [0, 1000) and [500, 1500) (one partition at a time; list all groups in one)'])
    expect(problemsOf({ ...base, faults: [crash({ node: 1, at: 0, until: 1000 }), crash({ node: 1, at: 900, until: 1200 })] })[0]).toMatch(/two crash faults of node 1 overlap/)
    expect(problemsOf({ ...base, faults: [crash({ node: 1, at: 0 }), crash({ node: 1, at: 1500, until: 1600 })] })[0]).toMatch(/two crash faults of node 1 overlap: \[0, never\)/)
    expect(problemsOf({ ...base, faults: [link({ from: 0, to: 1, at: 0, until: 1000, loss: 1 }), link({ from: '*', to: 1, at: 500, until: 700, delayMs: 10 })] })[0]).toMatch(/two link faults on 0 -> 1 overlap/)
    expect(problemsOf({ ...base, faults: [partition({ at: 0, groups: [[0, 1], [1, 2]] })] })[0]).toMatch(/node 1 is in more than one group/)
    // Not overlapping: back to back, or different nodes.
    expect(() => defineScenario({ ...base, faults: [crash({ node: 1, at: 0, until: 1000 }), crash({ node: 1, at: 1000, until: 1200 }), crash({ node: 2, at: 500, until: 800 })] })).not.toThrow()
  })

  it('rejects unknown behaviours and bad behaviour parameters', () => {
    expect(problemsOf({ ...base, byzantine: [{ node: 1, behaviour: 'evil' }] })[0]).toMatch(/byzantine\[0\]\.behaviour: unknown behaviour "evil"; one of: honest, crash, silent, equivocate, double-vote, withhold, forge, replay, twins, flood, lying-sync, censor-votes, mixed/)
    expect(problemsOf({ ...base, byzantine: [{ node: 1, behaviour: 'flood', params: { rate: 5 } }] })[0]).toMatch(/behaviour 'flood' has no parameter 'rate' \(known: ratePerSecond, kind\)/)
    expect(problemsOf({ ...base, byzantine: [{ node: 1, behaviour: 'flood', params: { ratePerSecond: 0 } }] })[0]).toMatch(/ratePerSecond: must be between 1 and 10000, got 0/)
    expect(problemsOf({ ...base, byzantine: [{ node: 1, behaviour: 'lying-sync', params: { lie: 'big' } }] })[0]).toMatch(/lie: must be one of any, swap-entries/)
    expect(problemsOf({ ...base, byzantine: [{ node: 1, behaviour: 'silent', params: { x: 1 } }] })[0]).toMatch(/has no parameter 'x' \(it takes none\)/)
    expect(problemsOf({ ...base, byzantine: [{ node: 1, behaviour: 'silent' }, { node: 1, behaviour: 'forge' }] })[0]).toMatch(/node 1 is given a behaviour twice/)
  })

  it('checks the expected outcome against the fault bound', () => {
    expect(problemsOf({ ...base, byzantine: [{ node: 1, behaviour: 'silent' }, { node: 2, behaviour: 'silent' }] })[0]).toMatch(/'safe-and-live' with 2 faulty nodes \(1, 2: Byzantine or crashed for good\) is beyond f = 1/)
    expect(problemsOf({ ...base, expect: { outcome: 'unsafe' } })[0]).toMatch(/'unsafe' with 0 Byzantine nodes: within f = 1 the protocol must stay safe/)
    expect(problemsOf({ ...base, expect: { outcome: 'safe-stalled' } })[0]).toMatch(/expect.stall: is required/)
    expect(problemsOf({ ...base, expect: { outcome: 'safe-stalled', stall: { from: 100, to: 500 } } })[0]).toMatch(/the window \[100 \+ 600 grace, 500\] is empty/)
    expect(problemsOf({ ...base, liveness: false })[0]).toMatch(/'safe-and-live' needs the liveness phase/)
  })

  it('rejects typos, bad times and bad values with the field named', () => {
    const problems = problemsOf({ ...base, name: 'Bad Name', durationMs: 50, cluster: { nodes: 3, params: { roundTimeout: 5 } }, network: { loss: 2 }, workload: { namespaces: ['Bad NS'] }, faults: [{ kind: 'meteor', at: 0 }], extra: 1 })
    const text = problems.join('\n')
    for (const m of [/scenario: unknown field 'extra'/, /name: must be kebab-case/, /durationMs: must be between 100 and 600000, got 50/, /cluster.nodes: must be between 4 and 64, got 3/, /cluster.params: unknown protocol parameter 'roundTimeout'/, /network.loss: must be between 0 and 1, got 2/, /"Bad NS" is not a namespace/, /faults\[0\]: must be a fault with kind one of partition, link, crash, skew, got "meteor"/]) {
      expect(text).toMatch(m)
    }
    expect(problemsOf({ ...base, faults: [crash({ node: 0, at: 1500, until: 1000 })] })[0]).toMatch(/ends at 1000 ms, not after it starts at 1500 ms/)
    expect(problemsOf({ ...base, faults: [crash({ node: 0, at: 2500, until: 2600 })] })[0]).toMatch(/faults\[0\].at: must be between 0 and 2000, got 2500/)
    expect(problemsOf({ ...base, faults: [link({ from: 0, to: 1, at: 0 })] })[0]).toMatch(/changes nothing/)
    expect(problemsOf({ ...base, backends: ['net'], byzantine: [{ node: 1, behaviour: 'forge' }] })[0]).toMatch(/'net' can express only crashes and partitions/)
    // The error message lists every problem, one per line.
    try {
      defineScenario({ ...base, cluster: { nodes: 2 }, durationMs: 1 })
    } catch (err) {
      expect((err as Error).message).toMatch(/^scenario 'test-scenario' is invalid:\n {2}- /)
    }
  })

  it('compiles to simulator options that keep the seed for every random draw', () => {
    const s = defineScenario({ ...base, network: { delayMs: [5, 50], loss: 0.1 }, faults: [partition({ at: 500, until: 1000, groups: [[0]] })] })
    const o = simOptionsOf(s, 42)
    expect(o.seed).toBe(42)
    expect(o.schedule?.faults).toHaveLength(1)
    expect(o.lossRate).toBe(0.1)
    const fingerprint = (seed: number) => {
      const sim = new Simulation(simOptionsOf(s, seed))
      sim.run()
      return sim.instances.map((i) => i.storage.committedHashes.join(',')).join('|')
    }
    expect(fingerprint(42)).toBe(fingerprint(42))
    expect(fingerprint(43)).not.toBe(fingerprint(42))
  })
})
