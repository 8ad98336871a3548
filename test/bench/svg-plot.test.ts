// The benchmark plots' axes follow the data: a limit line far above the measured figures
// is marked off scale at the top edge instead of squashing the data into the bottom row.
import { describe, expect, it } from 'vitest'
import { axisRange, linePlot, niceMax, tickLabel, type Series } from '../../bench/svg-plot.ts'

const committed: Series = { name: 'committed/s', points: [[50, 50], [100, 98], [200, 185], [400, 231]] }

describe('benchmark plot axes', () => {
  it('niceMax rounds up to 1, 2, 2.5 or 5 x 10^k', () => {
    expect([0, -3, Number.NaN, 0.3, 1, 7, 10, 11, 231, 250, 251, 4293].map(niceMax)).toEqual([1, 1, 1, 0.5, 1, 10, 10, 20, 250, 250, 500, 5000])
    expect([0, 50, 2.5, 0.25].map(tickLabel)).toEqual(['0', '50', '2.5', '0.25'])
  })

  it('regression: a limit line 20x the data set the y axis, squashing the data; now the data sets it and the limit is marked off scale', () => {
    const limit: Series = { name: 'limit 4293/s', points: [[0, 4293], [400, 4293]], dashed: true, reference: true }
    const identity: Series = { name: 'offered = committed', points: [[0, 0], [400, 400]], dashed: true, reference: true }
    const range = axisRange([committed, identity, limit])
    expect(range).toMatchObject({ xMax: 500, yMax: 250 })
    expect(range.offScale).toEqual([limit])
    const svg = linePlot([committed, identity, limit], { title: 't', xLabel: 'x', yLabel: 'y' })
    expect(svg).toContain('limit 4293/s: 4293, off scale')
    expect(svg).toContain('limit 4293/s (off scale)')
    // The identity line crosses the range: drawn, clipped to the plot area.
    expect(svg).toMatch(/clip-path="url\(#plot-area\)" points="70\.0,350\.0/)
    // The highest data point is near the top (y = 40 is the top edge, 350 the bottom).
    const top = Math.min(...[...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1])))
    expect(top).toBeLessThan(80)
  })

  it('a reference line within the data range sets nothing and is drawn', () => {
    const target: Series = { name: 'target 150 ms', points: [[0, 150], [400, 150]], reference: true }
    const p99: Series = { name: 'p99', points: [[100, 90], [400, 435]] }
    expect(axisRange([p99, target])).toEqual({ xMax: 500, yMax: 500, offScale: [] })
    // Only references: they set the axes (nothing else would).
    expect(axisRange([target])).toMatchObject({ yMax: 200, offScale: [] })
    // Fractional data gets a fractional axis, not a 0..1 squash of it or integer ticks.
    expect(axisRange([{ name: 'small', points: [[1, 0.12], [2, 0.3]] }])).toMatchObject({ xMax: 2, yMax: 0.5 })
  })
})
