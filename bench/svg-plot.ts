// A minimal SVG line plot (no dependencies): linear axes, a few series of points.

export interface Series {
  readonly name: string
  readonly points: readonly (readonly [number, number])[]
  readonly dashed?: boolean
}

export interface PlotOptions {
  readonly title: string
  readonly xLabel: string
  readonly yLabel: string
  readonly width?: number
  readonly height?: number
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b']

function niceMax(v: number): number {
  if (v <= 0) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export function linePlot(series: readonly Series[], o: PlotOptions): string {
  const width = o.width ?? 640
  const height = o.height ?? 400
  const m = { left: 70, right: 160, top: 40, bottom: 50 }
  const all = series.flatMap((s) => s.points)
  const xMax = niceMax(Math.max(1, ...all.map((p) => p[0])))
  const yMax = niceMax(Math.max(1, ...all.map((p) => p[1])))
  const pw = width - m.left - m.right
  const ph = height - m.top - m.bottom
  const X = (x: number): number => m.left + (x / xMax) * pw
  const Y = (y: number): number => m.top + ph - (y / yMax) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`)
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title)}</text>`)
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5
    const yv = (yMax * i) / 5
    out.push(`<line x1="${X(xv)}" y1="${m.top}" x2="${X(xv)}" y2="${m.top + ph}" stroke="#eee"/>`)
    out.push(`<line x1="${m.left}" y1="${Y(yv)}" x2="${m.left + pw}" y2="${Y(yv)}" stroke="#eee"/>`)
    out.push(`<text x="${X(xv)}" y="${m.top + ph + 16}" text-anchor="middle">${Math.round(xv)}</text>`)
    out.push(`<text x="${m.left - 6}" y="${Y(yv) + 4}" text-anchor="end">${Math.round(yv)}</text>`)
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`)
  out.push(`<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${esc(o.yLabel)}</text>`)
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!
    const pts = [...s.points].sort((a, b) => a[0] - b[0])
    if (pts.length > 0) {
      out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="5,4"' : ''} points="${pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"/>`)
      for (const p of pts) out.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${colour}"/>`)
    }
    const ly = m.top + 10 + i * 18
    out.push(`<line x1="${m.left + pw + 10}" y1="${ly}" x2="${m.left + pw + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="5,4"' : ''}/>`)
    out.push(`<text x="${m.left + pw + 34}" y="${ly + 4}">${esc(s.name)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
