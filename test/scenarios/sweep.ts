// Shared by the simulation tests: seeded runs for every behaviour at K = f (the most
// Byzantine nodes the protocol tolerates), each judged by all checkers.
import { expect, it } from 'vitest'
import { faultTolerance } from '../../src/log/validator-set.ts'
import { BEHAVIOUR_NAMES, type BehaviourName } from '../../scenarios/behaviours/index.ts'
import { problemsOf, runOne } from '../../scenarios/runner.ts'
import { ADVERSARY_NAMES } from '../../scenarios/behaviours/adversaries/index.ts'

// Of the rule-targeting adversaries only their composition runs here (each alone is in
// adversaries.test.ts and the mutation sweep): nine more behaviours per cluster size
// would double this sweep's time.
const SKIPPED: ReadonlySet<string> = new Set(ADVERSARY_NAMES.filter((b) => b !== 'adversaries'))

export function sweep(nodes: number, seedsPerBehaviour: number, baseSeed: number): void {
  const f = faultTolerance(nodes)
  for (const behaviour of (BEHAVIOUR_NAMES as readonly BehaviourName[]).filter((b) => !SKIPPED.has(b))) {
    const byzantine = behaviour === 'honest' ? 0 : f
    it(`n=${nodes} K=${byzantine} ${behaviour}: safe and live`, () => {
      const seeds = Array.from({ length: seedsPerBehaviour }, (_, i) => baseSeed + i)
      console.log(`n=${nodes} K=${byzantine} ${behaviour}: seeds ${seeds.join(',')}`)
      const failures: string[] = []
      let commits = 0
      for (const seed of seeds) {
        const o = runOne(seed, { nodes, byzantine, behaviour })
        commits += o.entriesCommitted
        if (!o.ok) failures.push(`seed ${seed}: ${problemsOf(o).slice(0, 3).join(' | ')}\n  replay: ${o.replay}`)
      }
      expect(failures).toEqual([])
      expect(commits).toBeGreaterThan(0)
    }, 180_000)
  }
}
