// Catch-up regressions of issue 11, each replayed from the seeds that failed before the
// fix (all nodes honest; the scenarios are in the library).
import { describe, expect, it } from 'vitest'
import { libraryScenario } from '../../scenarios/library/index.ts'
import { runScenarioSim } from '../../scenarios/run/sim-backend.ts'

function lastHeights(run: ReturnType<typeof runScenarioSim>): number[] {
  return run.report.heights.map((s) => s.points[s.points.length - 1]![1])
}

describe('sync regressions', () => {
  // Before: node 0 stayed at height 19 (or 2) in 7 of seeds 1-10 while the others went on.
  const STALLED_SEEDS = [1, 3, 5, 7, 8, 9, 10]
  it(`regression: a restarted honest node stalls behind — restart-behind-one-peer catches up (seeds ${STALLED_SEEDS.join(', ')})`, () => {
    const scenario = libraryScenario('restart-behind-one-peer')!
    console.log(`restart-behind-one-peer: seeds ${STALLED_SEEDS.join(',')}`)
    for (const seed of STALLED_SEEDS) {
      const run = runScenarioSim(scenario, seed)
      expect(run.met, `seed ${seed}: ${run.problems.slice(0, 3).join(' | ')}\n  replay: ${run.replay}`).toBe(true)
      const heights = lastHeights(run)
      expect(heights[0], `seed ${seed}: node 0 at the others' height (${heights.join(', ')})`).toBeGreaterThanOrEqual(Math.max(...heights) - 2)
      // Range requests are answered (with blocks or with 'range-empty'), never left to silence.
      const answered = (type: string): number => {
        const c = run.report.messages?.[type]
        return c === undefined ? 0 : (c.sent ?? 0) - (c.duplicated ?? 0) + (c.lost ?? 0) + (c.partitioned ?? 0)
      }
      const requests = run.report.messages?.['range-request']?.delivered ?? 0
      const answers = answered('range-response') + answered('range-empty')
      expect(answers, `seed ${seed}: ${answers} answers to ${requests} range requests`).toBe(requests)
    }
  }, 600_000)

  // Before: node 0 stayed at height 1 in every seed (range responses of one 2 MiB block
  // without its commit certificate, refused and asked for again forever).
  const BIG_BLOCK_SEEDS = [1, 2]
  it(`regression: catch-up across big blocks never finishes — big-block-catch-up catches up (seeds ${BIG_BLOCK_SEEDS.join(', ')})`, () => {
    const scenario = libraryScenario('big-block-catch-up')!
    console.log(`big-block-catch-up: seeds ${BIG_BLOCK_SEEDS.join(',')}`)
    for (const seed of BIG_BLOCK_SEEDS) {
      const run = runScenarioSim(scenario, seed)
      expect(run.met, `seed ${seed}: ${run.problems.slice(0, 3).join(' | ')}\n  replay: ${run.replay}`).toBe(true)
      const heights = lastHeights(run)
      expect(heights[0], `seed ${seed}: node 0 at the others' height (${heights.join(', ')})`).toBeGreaterThanOrEqual(Math.max(...heights) - 2)
      expect(run.report.messages?.['range-response']?.delivered ?? 0, `seed ${seed}: caught up by ranges`).toBeGreaterThan(0)
    }
  }, 600_000)
})
