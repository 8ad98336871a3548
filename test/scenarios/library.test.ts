// Every library scenario meets its expected outcome on the simulator for a few seeds.
// (npm run scenarios:sweep runs each across 20+ seeds.)
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { LIBRARY } from '../../scenarios/library/index.ts'
import { runScenarioSim } from '../../scenarios/run/sim-backend.ts'

const SEEDS = [11, 12]

describe('scenario library', () => {
  it('lists every file of scenarios/library, each named after its file, with a header comment', async () => {
    const dir = fileURLToPath(new URL('../../scenarios/library/', import.meta.url))
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3)).sort()
    expect(LIBRARY.map((s) => s.name).sort()).toEqual(files)
    expect(files.length).toBeGreaterThanOrEqual(15)
    const { readFileSync } = await import('node:fs')
    for (const f of files) {
      const text = readFileSync(`${dir}/${f}.ts`, 'utf8')
      expect(text.startsWith(`// ${f}`), `${f}.ts starts with a header comment naming it`).toBe(true)
      expect(text, `${f}.ts header states the expected outcome`).toMatch(/Expected: (safe-and-live|safe-stalled|unsafe)/)
    }
    const outcomes = new Set(LIBRARY.map((s) => s.expect.outcome))
    expect([...outcomes].sort()).toEqual(['safe-and-live', 'safe-stalled', 'unsafe'])
  })

  for (const scenario of LIBRARY) {
    it(`${scenario.name}: ${scenario.expect.outcome} (seeds ${SEEDS.join(', ')})`, () => {
      console.log(`${scenario.name}: seeds ${SEEDS.join(',')}`)
      const misses: string[] = []
      for (const seed of SEEDS) {
        const run = runScenarioSim(scenario, seed)
        if (!run.met) misses.push(`seed ${seed}: ${run.problems.slice(0, 3).join(' | ')}\n  replay: ${run.replay}`)
        if (scenario.expect.outcome !== 'unsafe') expect(run.report.stats.commits, `${scenario.name} seed ${seed} commits something`).toBeGreaterThan(0)
      }
      expect(misses).toEqual([])
    }, 120_000)
  }

  it('the worked example of docs/scenarios.md meets its outcome', async () => {
    const { default: example } = await import('../../scenarios/examples/silent-leader-partition.ts')
    const run = runScenarioSim(example, 42)
    expect(run.met, run.problems.join('\n')).toBe(true)
  })

  it('the beyond-the-bound fork is reported with both conflicting blocks', () => {
    const scenario = LIBRARY.find((s) => s.name === 'beyond-bound-twins-fork')!
    const run = runScenarioSim(scenario, 11)
    const agreement = run.report.invariants.find((i) => i.name === 'agreement')!
    expect(agreement.held).toBe(false)
    const fork = (agreement.evidence as { fork: { height: number, a: { hash: string, node: string }, b: { hash: string, node: string } } }).fork
    expect(fork.height).toBeGreaterThanOrEqual(1)
    expect(fork.a.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(fork.b.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(fork.a.hash).not.toBe(fork.b.hash)
    expect(fork.a.node).not.toBe(fork.b.node)
  })
})
