// The catch-up schedule (scenarios/run/catch-up.ts) makes a replica range-sync: node 0,
// down while the others commit more than the sync window, fetches committed ranges on
// restart, first from node 3 alone. And the range adversaries, on node 3 of it: the
// honest cluster refuses each of their forged ranges with its typed rejection and stays
// safe and live. Seeds are printed; a failure prints how to replay it.
import { describe, expect, it } from 'vitest'
import { expectedRejections, RANGE_ADVERSARIES } from '../../scenarios/behaviours/adversaries/index.ts'
import { runAdversary } from '../../scenarios/behaviours/adversaries/judge.ts'
import { CATCH_UP_VICTIM, catchUpOptions, catchUpReplay } from '../../scenarios/run/catch-up.ts'
import { problemsOf, judgeRun } from '../../scenarios/runner.ts'
import { Simulation } from '../../scenarios/sim/simulator.ts'
import { DEFAULT_REPLICA_LIMITS } from '../../src/consensus/replica-limits.ts'

const SEEDS = [1, 2, 3, 4, 5]

describe('catch-up schedule', () => {
  it(`honest n=4: node 0 restarts more than the sync window behind and range-syncs (seeds ${SEEDS.join(',')})`, () => {
    for (const seed of SEEDS) {
      const config = { nodes: 4, behaviour: 'honest' as const, signatures: 'standin' as const }
      const options = catchUpOptions(seed, config)
      const crash = options.schedule!.faults.find((f) => f.kind === 'crash')!
      const sim = new Simulation(options)
      const o = judgeRun(sim, sim.run())
      const replay = catchUpReplay(seed, config)
      console.log(`seed ${seed}: range requests ${sim.messageCounts.get('range-request')?.delivered ?? 0}, responses ${sim.messageCounts.get('range-response')?.delivered ?? 0}`)
      expect(problemsOf(o), replay).toEqual([])
      // How far behind node 0 was when it came back: the others' height at its restart.
      const victim = sim.instances[CATCH_UP_VICTIM]!
      const others = sim.instances.filter((i) => i.identity !== CATCH_UP_VICTIM)
      const heightAt = (points: readonly [number, number][], t: number) => points.filter(([at]) => at <= t).at(-1)?.[1] ?? 0
      const behind = Math.min(...others.map((i) => heightAt(i.heights, crash.until!))) - heightAt(victim.heights, crash.until!)
      expect(behind, replay).toBeGreaterThan(DEFAULT_REPLICA_LIMITS.syncWindowHeights)
      expect(sim.messageCounts.get('range-request')?.delivered ?? 0, replay).toBeGreaterThan(0)
      expect(sim.messageCounts.get('range-response')?.delivered ?? 0, replay).toBeGreaterThan(0)
    }
  }, 120_000)

  for (const behaviour of RANGE_ADVERSARIES) {
    it(`${behaviour} on node 3: the honest cluster refuses every kind of its forged ranges with its code (n=4, seeds ${SEEDS.join(',')})`, () => {
      for (const seed of SEEDS) {
        const config = { nodes: 4, behaviour, signatures: 'standin' as const }
        const r = runAdversary(seed, behaviour, catchUpOptions(seed, config))
        const replay = catchUpReplay(seed, config)
        console.log(`${behaviour} seed ${seed}: made ${JSON.stringify([...r.made])}, refused ${JSON.stringify([...r.rejections])}`)
        expect(r.problems, replay).toEqual([])
        expect(r.delivered.get('range-response') ?? 0, replay).toBeGreaterThan(0)
        for (const key of expectedRejections(behaviour)) {
          expect(r.made.get(key), `${key} made (${replay})`).toBeGreaterThan(0)
          expect(r.rejections.get(key), `${key} refused (${replay})`).toBeGreaterThan(0)
        }
      }
    }, 120_000)
  }
})
