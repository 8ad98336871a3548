// A real run's report renders to self-contained HTML whose plots hold data: polylines
// with points for committed height and round per node, and histogram bars for latency.
import { describe, expect, it } from 'vitest'
import { libraryScenario } from '../../scenarios/library/index.ts'
import { runScenarioSim } from '../../scenarios/run/sim-backend.ts'
import { renderHtmlReport } from '../../scenarios/report/html-report.ts'

function polylines(svg: string): { node: string, points: [number, number][] }[] {
  return [...svg.matchAll(/<polyline points="([^"]*)"[^>]*data-node="(\d+)"/g)].map((m) => ({
    node: m[2]!,
    points: m[1]!.trim().split(' ').filter((p) => p !== '').map((p) => p.split(',').map(Number) as [number, number]),
  }))
}

describe('scenario reports', () => {
  it('renders a real run to HTML with data in every plot', () => {
    const seed = 3
    const run = runScenarioSim(libraryScenario('minority-partition')!, seed)
    expect(run.met).toBe(true)
    const html = renderHtmlReport(run.report)
    // Self-contained: no scripts, no external resources.
    expect(html).not.toMatch(/<script|<link |src="http|href="http/)
    const svgs = [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0])
    expect(svgs).toHaveLength(3)
    const [heights, rounds, histogram] = svgs as [string, string, string]
    for (const svg of [heights, rounds]) {
      const lines = polylines(svg)
      expect(lines.map((l) => l.node).sort()).toEqual(['0', '1', '2', '3'])
      for (const l of lines) {
        expect(l.points.length).toBeGreaterThan(20)
        for (const [x, y] of l.points) expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true)
        // The line rises: its last point is higher on the page (smaller y) than its first.
        expect(l.points.at(-1)![1]).toBeLessThan(l.points[0]![1])
      }
      // The partition is drawn as a shaded band.
      expect(svg).toMatch(/<rect [^>]*class="fault"><title>partition: \{3\}/)
    }
    const bars = [...histogram.matchAll(/class="bar" data-count="(\d+)"/g)].map((m) => Number(m[1]))
    expect(bars.length).toBeGreaterThan(5)
    expect(bars.reduce((a, b) => a + b, 0)).toBe(run.report.latencies.length)
    expect(html).toContain('<h2>Invariants</h2>')
    expect(html).toMatch(/agreement<\/th><td><span class="ok">held/)
    expect(html).toContain(`npx synod scenario run minority-partition --seed ${seed}`)
    expect(html).toMatch(/<h2>Messages<\/h2><table class="messages"><tr><th>type<\/th><th>sent<\/th>/)
  })

  it('the JSON report holds parameters, invariants, series, faults, latencies and message counts', () => {
    const run = runScenarioSim(libraryScenario('leader-crash')!, 5)
    const json = JSON.parse(JSON.stringify(run.report))
    expect(json).toMatchObject({ scenario: 'leader-crash', seed: 5, backend: 'sim', expected: 'safe-and-live', outcome: { safe: true, live: true, met: true } })
    expect(json.params).toMatchObject({ nodes: 4, f: 1, durationMs: 4000 })
    expect(json.invariants.map((i: { name: string }) => i.name)).toEqual(['agreement', 'prefix', 'validity', 'integrity', 'decision-agreement', 'no-replica-errors', 'honest-conduct', 'safety-state-monotonic', 'liveness', 'progress[0] 800-3300 ms'])
    expect(json.faults).toContainEqual({ at: 300, until: 3300, kind: 'crash', label: 'node 1: crash' })
    expect(json.heights).toHaveLength(4)
    expect(json.stats.latencyP50).toBeGreaterThan(0)
    expect(json.stats.latencyP99).toBeGreaterThanOrEqual(json.stats.latencyP50)
    expect(json.messages.proposal.sent).toBeGreaterThan(0)
    expect(json.messages.vote.delivered).toBeGreaterThan(0)
    expect(json.latencies.length).toBe(run.report.latencies.length)
  })

  it('draws a twin\'s second instance as its own dashed line', () => {
    const run = runScenarioSim(libraryScenario('twins')!, 2)
    const html = renderHtmlReport(run.report)
    expect(/stroke-dasharray="5 3" class="series" data-node="3"/.test(html)).toBe(true)
    expect(html.includes('node 3&#39;')).toBe(true)
  })
})
