// A minimal SVG line plot (no dependencies): linear axes, a few series of points.
// The axes are scaled to the data series. A reference series (a limit, a target) never
// stretches them: drawn clipped to the plot when it crosses the range, and marked at the
// top edge ("limit 4293/s, off scale") when it lies wholly above it, so a limit 20x the
// measured figures does not squash the data into the bottom row.

export interface Series {
  readonly name: string
  readonly points: readonly (readonly [number, number])[]
  readonly dashed?: boolean
  /** A limit or target line: not data, so it does not set the axes. */
  readonly reference?: boolean
}

export interface PlotOptions {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly width?: number
  readonly height?: number
}

/** The axes of a plot: both start at 0 and end at a round value at or above the data. */
export interface AxisRange {
  readonly xMax: number
  readonly yMax: number
  /** Reference series wholly above yMax, marked at the top edge instead of drawn. */
  readonly offScale: readonly Series[]
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b']

/** The smallest of 1, 2, 2.5, 5 x 10^k at or above v (1 for an empty or all-zero range). */
export function niceMax(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v * (1 - 1e-12)) return m * p
  return 10 * p
}

/** The axes for these series: x over every series (a reference line spans the data's x),
 * y over the data series only (over every series when none has points). */
export function axisRange(series: readonly Series[]): AxisRange {
  const data = series.filter((s) => s.reference !== true).flatMap((s) => s.points)
  const all = series.flatMap((s) => s.points)
  const xMax = niceMax(Math.max(0, ...all.map((p) => p[0])))
  const yMax = niceMax(Math.max(0, ...(data.length > 0 ? data : all).map((p) => p[1])))
  const offScale = series.filter((s) => s.reference === true && s.points.length > 0 && Math.min(...s.points.map((p) => p[1])) > yMax)
  return { xMax, yMax, offScale }
}

/** A tick label: whole numbers as such, else up to two decimals. */
export function tickLabel(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100)
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export function linePlot(series: readonly Series[], o: PlotOptions): string {
  const width = o.width ?? 640
  const height = o.height ?? 400
  const m = { left: 70, right: 160, top: 40, bottom: 50 }
  const { xMax, yMax, offScale } = axisRange(series)
  const pw = width - m.left - m.right
  const ph = height - m.top - m.bottom
  const X = (x: number): number => m.left + (x / xMax) * pw
  const Y = (y: number): number => m.top + ph - (y / yMax) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`)
  out.push(`<defs><clipPath id="plot-area"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`)
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`)
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title)}</text>`)
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5
    const yv = (yMax * i) / 5
    out.push(`<line x1="${X(xv)}" y1="${m.top}" x2="${X(xv)}" y2="${m.top + ph}" stroke="#eee"/>`)
    out.push(`<line x1="${m.left}" y1="${Y(yv)}" x2="${m.left + pw}" y2="${Y(yv)}" stroke="#eee"/>`)
    out.push(`<text x="${X(xv)}" y="${m.top + ph + 16}" text-anchor="middle">${tickLabel(xv)}</text>`)
    out.push(`<text x="${m.left - 6}" y="${Y(yv) + 4}" text-anchor="end">${tickLabel(yv)}</text>`)
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`)
  out.push(`<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${esc(o.yLabel)}</text>`)
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!
    const dash = s.dashed === true ? ' stroke-dasharray="5,4"' : ''
    const pts = [...s.points].sort((a, b) => a[0] - b[0])
    if (offScale.includes(s)) {
      // Off scale: an arrow at the top edge, pointing up, with the line's value.
      const ax = m.left + pw - 12
      out.push(`<g class="off-scale" fill="${colour}"><path d="M ${ax} ${m.top + 2} l -6 10 h 12 z"/><text x="${ax - 10}" y="${m.top + 12}" text-anchor="end">${esc(s.name)}: ${tickLabel(Math.min(...pts.map((p) => p[1])))}, off scale</text></g>`)
    } else if (pts.length > 0) {
      const clip = s.reference === true ? ' clip-path="url(#plot-area)"' : ''
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${dash}${clip} points="${pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`)
      if (s.reference !== true) for (const p of pts) out.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${colour}"/>`)
    }
    const ly = m.top + 10 + i * 18
    out.push(`<line x1="${m.left + pw + 10}" y1="${ly}" x2="${m.left + pw + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`)
    out.push(`<text x="${m.left + pw + 34}" y="${ly + 4}">${esc(s.name)}${offScale.includes(s) ? ' (off scale)' : ''}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
