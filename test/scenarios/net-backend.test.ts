// The net backend: what it can express, and (with SYNOD_TEST_NET=1, since each run
// starts real node processes for tens of seconds) real runs: a crash/restart and, when
// network namespaces are available (root), a partition.
import { describe, expect, it } from 'vitest'
import { defineScenario } from '../../scenarios/dsl/index.ts'
import { libraryScenario } from '../../scenarios/library/index.ts'
import { netObstacle, runScenarioNet } from '../../scenarios/net/net-backend.ts'
import { netnsSupport } from '../../scenarios/net/netns.ts'

const enabled = process.env.SYNOD_TEST_NET === '1'

describe('net backend: expressible scenarios', () => {
  it('the library marks exactly the crash and partition scenarios of honest nodes as net-capable', () => {
    const netCapable = ['leader-crash', 'crash-restart', 'rolling-crashes', 'minority-partition', 'majority-partition', 'beyond-bound-crashes']
    for (const name of netCapable) expect(libraryScenario(name)!.backends, name).toContain('net')
    for (const name of ['twins', 'flapping-links', 'clock-skew', 'equivocating-leader', 'mid-step-crashes', 'duplication-reordering']) {
      expect(libraryScenario(name)!.backends, name).toEqual(['sim'])
      expect(netObstacle(libraryScenario(name)!)).toMatch(/cannot inject \(only crashes and partitions of honest nodes\)/)
    }
  })

  it('crash-only scenarios need no privileges; partitions name what they need', () => {
    expect(netObstacle(libraryScenario('leader-crash')!)).toBeNull()
    const support = netnsSupport()
    if (support.ok) expect(netObstacle(libraryScenario('minority-partition')!)).toBeNull()
    else expect(netObstacle(libraryScenario('minority-partition')!)).toMatch(/network namespaces/)
    expect(() => defineScenario({ name: 'x', description: 'x', cluster: { nodes: 4 }, durationMs: 1000, network: { loss: 0.1 }, backends: ['net'], expect: { outcome: 'safe-and-live' } })).toThrow(/'net' can express only crashes and partitions/)
  })
})

describe.skipIf(!enabled)('net backend: real processes (SYNOD_TEST_NET=1)', () => {
  it('leader-crash: kill -9 and restart of a real node, safe and live', async () => {
    const run = await runScenarioNet(libraryScenario('leader-crash')!, 1, 'leader-crash', { log: (l) => console.log(l) })
    expect(run.problems).toEqual([])
    expect(run.met).toBe(true)
    expect(run.report.faults.some((f) => f.kind === 'crash' && /kill -9/.test(f.label))).toBe(true)
    expect(run.report.stats.commits).toBeGreaterThan(0)
  }, 240_000)

  it.skipIf(!netnsSupport().ok)('majority-partition: blackhole routes between namespaces stall the cluster; the heal revives it', async () => {
    const run = await runScenarioNet(libraryScenario('majority-partition')!, 1, 'majority-partition', { log: (l) => console.log(l) })
    expect(run.problems).toEqual([])
    expect(run.met).toBe(true)
    expect(run.stalled).toBe(true)
  }, 240_000)
})
