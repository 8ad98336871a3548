// The behaviours added as decorators over the honest replica: flood and lying-sync.
import { describe, expect, it } from 'vitest'
import { defineScenario } from '../../scenarios/dsl/index.ts'
import { libraryScenario } from '../../scenarios/library/index.ts'
import { runScenarioSim } from '../../scenarios/run/sim-backend.ts'
import { runOne } from '../../scenarios/runner.ts'

describe('flood and lying-sync behaviours', () => {
  it('flood: honest nodes reject the garbage, ignore the stale, and stay safe and live', () => {
    const scenario = defineScenario({
      name: 'flood-only-garbage', description: 'garbage entries at 300/s', cluster: { nodes: 4 },
      byzantine: [{ node: 1, behaviour: 'flood', params: { ratePerSecond: 300, kind: 'garbage-entries' } }],
      durationMs: 2000, expect: { outcome: 'safe-and-live' },
    })
    const run = runScenarioSim(scenario, 5)
    expect(run.met, run.problems.join('\n')).toBe(true)
    const rejected = run.report.rejections ?? {}
    expect(rejected['entries: entry-bad-signature']).toBeGreaterThan(300)
    // The junk went out at about the configured rate: 300/s over the 2 s fault phase.
    const entries = run.report.messages!['entries']!
    expect(entries.sent).toBeGreaterThan(400)
  })

  it('lying-sync: the node catching up refuses forged sync answers and still converges', () => {
    const seeds = [1, 2, 3]
    let lies = 0
    for (const seed of seeds) {
      const run = runScenarioSim(libraryScenario('lying-sync-peer')!, seed)
      expect(run.met, run.problems.join('\n')).toBe(true)
      for (const [reason, count] of Object.entries(run.report.rejections ?? {})) if (/^(block-response|range-response|block):/.test(reason)) lies += count
    }
    expect(lies).toBeGreaterThan(0)
  })

  it('both run in seed-derived simulations (synod simulate) at K = f', () => {
    for (const behaviour of ['flood', 'lying-sync'] as const) {
      const o = runOne(77, { nodes: 4, byzantine: 1, behaviour })
      expect([...o.safetyViolations, ...o.livenessFailures, ...o.errors]).toEqual([])
    }
  })
})
