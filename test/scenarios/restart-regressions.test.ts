// Restart regressions found by the sweeps, each replayed from the seed that failed.
import { describe, expect, it } from 'vitest'
import { problemsOf, runOne } from '../../scenarios/runner.ts'

describe('restart regressions', () => {
  // Before: a node whose head was committed through a commit certificate (range sync)
  // and that had never written a safety state was rebuilt by the simulator's storage with
  // the head's QC as its high QC, which such a head does not have: the replica threw while
  // restoring ("Cannot read properties of null (reading 'block')"), where the node's own
  // restore (node/runtime/restore.ts) starts from the initial safety state. Found by
  // `npm run sim:sweep -- --runs 6000 --seed 300000` (seed 303019).
  it('regression: restore without a safety state after a synced commit throws — n=10 K=3 forge seed 303019 restarts clean', () => {
    const seed = 303019
    console.log(`restart regression: n=10 K=3 forge, seed ${seed}, stand-in signatures`)
    const o = runOne(seed, { nodes: 10, byzantine: 3, behaviour: 'forge', signatures: 'standin' })
    expect(problemsOf(o)).toEqual([])
    expect(o.ok).toBe(true)
  }, 120_000)
})
