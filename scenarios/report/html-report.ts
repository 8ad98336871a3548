// A self-contained HTML report (inline SVG, no scripts, no external resources): committed
// height per node over time, rounds per node over time with the faults drawn on the same
// timeline, and a histogram of commit latencies.
import type { FaultMark, ScenarioReport, Series } from './types.ts'

const WIDTH = 860
const HEIGHT = 260
const PAD = { left: 56, right: 16, top: 16, bottom: 36 }
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']
const FAULT_COLORS: Record<string, string> = { partition: '#f4a582', crash: '#b2182b', link: '#fddbc7', byzantine: '#92c5de', skew: '#c2a5cf' }
/** Twins' second instances are drawn dashed, in their validator's colour. */
const TWIN_DASH = '5 3'

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

function niceTicks(max: number, count = 5): number[] {
  if (max <= 0) return [0]
  const step = 10 ** Math.floor(Math.log10(max / count))
  const mult = [1, 2, 5, 10].find((m) => max / (m * step) <= count) ?? 10
  const ticks: number[] = []
  for (let v = 0; v <= max + 1e-9; v += mult * step) ticks.push(Math.round(v * 1e6) / 1e6)
  return ticks
}

interface Frame { xMax: number, yMax: number, x: (v: number) => number, y: (v: number) => number }

function frame(xMax: number, yMax: number): Frame {
  const xm = Math.max(xMax, 1)
  const ym = Math.max(yMax, 1)
  return {
    xMax: xm, yMax: ym,
    x: (v) => PAD.left + (v / xm) * (WIDTH - PAD.left - PAD.right),
    y: (v) => HEIGHT - PAD.bottom - (v / ym) * (HEIGHT - PAD.top - PAD.bottom),
  }
}

function axes(f: Frame, xLabel: string, yLabel: string): string {
  const parts: string[] = []
  for (const t of niceTicks(f.xMax)) {
    parts.push(`<line x1="${f.x(t)}" x2="${f.x(t)}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" class="grid"/>`)
    parts.push(`<text x="${f.x(t)}" y="${HEIGHT - PAD.bottom + 14}" text-anchor="middle">${t}</text>`)
  }
  for (const t of niceTicks(f.yMax)) {
    parts.push(`<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${f.y(t)}" y2="${f.y(t)}" class="grid"/>`)
    parts.push(`<text x="${PAD.left - 6}" y="${f.y(t) + 4}" text-anchor="end">${t}</text>`)
  }
  parts.push(`<text x="${(PAD.left + WIDTH - PAD.right) / 2}" y="${HEIGHT - 4}" text-anchor="middle" class="label">${escapeHtml(xLabel)}</text>`)
  parts.push(`<text x="14" y="${(PAD.top + HEIGHT - PAD.bottom) / 2}" text-anchor="middle" class="label" transform="rotate(-90 14 ${(PAD.top + HEIGHT - PAD.bottom) / 2})">${escapeHtml(yLabel)}</text>`)
  return parts.join('')
}

function faultBands(f: Frame, faults: readonly FaultMark[]): string {
  return faults.map((fault) => {
    const color = FAULT_COLORS[fault.kind] ?? '#d9d9d9'
    const x1 = f.x(fault.at / 1000)
    const title = `<title>${escapeHtml(`${fault.kind}: ${fault.label} at ${(fault.at / 1000).toFixed(2)} s`)}</title>`
    if (fault.until === undefined) return `<line x1="${x1}" x2="${x1}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="${color}" stroke-width="2" class="fault">${title}</line>`
    const x2 = f.x(fault.until / 1000)
    return `<rect x="${x1}" y="${PAD.top}" width="${Math.max(x2 - x1, 1)}" height="${HEIGHT - PAD.top - PAD.bottom}" fill="${color}" opacity="0.35" class="fault">${title}</rect>`
  }).join('')
}

function lineChart(title: string, series: readonly Series[], faults: readonly FaultMark[], durationMs: number, yLabel: string): string {
  let yMax = 0
  for (const s of series) for (const [, v] of s.points) yMax = Math.max(yMax, v)
  const f = frame(durationMs / 1000, yMax)
  const lines = series.map((s) => {
    const color = COLORS[s.node % COLORS.length]
    const points = s.points.map(([t, v]) => `${f.x(t / 1000).toFixed(1)},${f.y(v).toFixed(1)}`).join(' ')
    const dash = s.label === undefined ? '' : ` stroke-dasharray="${TWIN_DASH}"`
    return `<polyline points="${points}" fill="none" stroke="${color}" stroke-width="1.5"${dash} class="series" data-node="${s.node}" data-points="${s.points.length}"/>`
  })
  const legend = series.map((s, i) => `<span class="key" style="color:${COLORS[s.node % COLORS.length]}">&#9632; ${escapeHtml(s.label ?? `node ${s.node}`)}</span>${i % 8 === 7 ? '<br>' : ''}`).join(' ')
  return `<h2>${escapeHtml(title)}</h2><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">${faultBands(f, faults)}${axes(f, 'time (s)', yLabel)}${lines.join('')}</svg><div class="legend">${legend}</div>`
}

function histogram(latencies: readonly number[]): string {
  const title = 'Commit latency (submit to commit)'
  if (latencies.length === 0) return `<h2>${title}</h2><p>No commits.</p>`
  const max = Math.max(...latencies)
  const bins = 30
  const width = max / bins || 1
  const counts = new Array<number>(bins).fill(0)
  for (const l of latencies) counts[Math.min(bins - 1, Math.floor(l / width))]! += 1
  const f = frame(max || 1, Math.max(...counts))
  const bars = counts.map((c, i) => {
    const x = f.x(i * width)
    const w = Math.max(f.x((i + 1) * width) - x - 1, 1)
    return `<rect x="${x}" y="${f.y(c)}" width="${w}" height="${HEIGHT - PAD.bottom - f.y(c)}" fill="#4c78a8" class="bar" data-count="${c}"><title>${(i * width).toFixed(0)}-${((i + 1) * width).toFixed(0)} ms: ${c}</title></rect>`
  })
  return `<h2>${title}</h2><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${title}">${axes(f, 'latency (ms)', 'commits')}${bars.join('')}</svg>`
}

/** Fault rows listed under the plots (the plots show all of them). */
const FAULT_ROWS_MAX = 100

function messagesTable(messages: ScenarioReport['messages']): string {
  if (messages === undefined) return ''
  const types = Object.keys(messages)
  if (types.length === 0) return ''
  const columns = [...new Set(types.flatMap((t) => Object.keys(messages[t]!)))]
  const head = `<tr><th>type</th>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`
  const rows = types.map((t) => `<tr><th>${escapeHtml(t)}</th>${columns.map((c) => `<td>${messages[t]![c] ?? 0}</td>`).join('')}</tr>`).join('')
  return `<h2>Messages</h2><table class="messages">${head}${rows}</table>`
}

function table(rows: readonly (readonly [string, string])[]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${v}</td></tr>`).join('')}</table>`
}

export function renderHtmlReport(r: ScenarioReport): string {
  const verdict = r.outcome.met ? '<span class="ok">MET</span>' : '<span class="bad">NOT MET</span>'
  const invariants = r.invariants.map((inv) => [
    inv.name,
    (inv.held ? '<span class="ok">held</span>' : '<span class="bad">VIOLATED</span>') +
      (inv.evidence === undefined ? '' : `<pre>${escapeHtml(JSON.stringify(inv.evidence, null, 2).slice(0, 4000))}</pre>`),
  ] as const)
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} ms`)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Synod scenario ${escapeHtml(r.scenario)} (seed ${r.seed})</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 900px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 10px; border-bottom: 1px solid #eee; vertical-align: top; }
.ok { color: #1a7f37; font-weight: 600; } .bad { color: #cf222e; font-weight: 600; }
svg text { font-size: 11px; fill: #555; } svg .label { font-size: 12px; fill: #333; } .grid { stroke: #eee; }
pre { background: #f6f8fa; padding: 6px; max-height: 240px; overflow: auto; font-size: 12px; }
.legend { font-size: 12px; } code { background: #f6f8fa; padding: 1px 4px; } td code { white-space: pre-wrap; word-break: break-all; }
</style></head><body>
<h1>Scenario <code>${escapeHtml(r.scenario)}</code>: expected ${escapeHtml(r.expected)}: ${verdict}</h1>
<p>${escapeHtml(r.description)}</p>
${table([
    ['seed', String(r.seed)],
    ['backend', r.backend],
    ['replay', `<code>${escapeHtml(r.replay)}</code>`],
    ['safe', r.outcome.safe ? '<span class="ok">yes</span>' : '<span class="bad">no</span>'],
    ['live', r.outcome.live ? '<span class="ok">yes</span>' : '<span class="bad">no</span>'],
    ['parameters', `<code>${escapeHtml(JSON.stringify(r.params))}</code>`],
  ])}
<h2>Invariants</h2>${table(invariants)}
<h2>Run</h2>${table([
    ['committed entries', `${r.stats.commits}${r.entriesSubmitted === undefined ? '' : ` of ${r.entriesSubmitted} submitted`}`], ['committed blocks', String(r.stats.blocks)],
    ['rounds', String(r.stats.rounds)], ['timeouts', String(r.stats.timeouts)], ['messages', r.backend === 'net' ? 'not counted by the node (see the workload counts below)' : String(r.stats.messages)],
    ['commit latency p50', ms(r.stats.latencyP50)], ['commit latency p99', ms(r.stats.latencyP99)],
    ['duration', `${(r.durationMs / 1000).toFixed(2)} s ${r.backend === 'sim' ? '(virtual)' : ''}`],
  ])}
${lineChart('Committed height per node', r.heights, r.faults, r.durationMs, 'height')}
${lineChart('Round per node (faults shaded)', r.rounds, r.faults, r.durationMs, 'round')}
${histogram(r.latencies)}
<h2>Faults</h2>${r.faults.length === 0 ? '<p>None.</p>' : table(r.faults.slice(0, FAULT_ROWS_MAX).map((f) => [`${(f.at / 1000).toFixed(2)} s${f.until === undefined ? '' : ` to ${(f.until / 1000).toFixed(2)} s`}`, escapeHtml(`${f.kind}: ${f.label}`)] as const))}${r.faults.length > FAULT_ROWS_MAX ? `<p>and ${r.faults.length - FAULT_ROWS_MAX} more.</p>` : ''}
${messagesTable(r.messages)}
${r.problems === undefined || r.problems.length === 0 ? '' : `<h2>Problems</h2><pre>${escapeHtml(r.problems.slice(0, 50).join('\n'))}</pre>`}
${r.rejections === undefined || Object.keys(r.rejections).length === 0 ? '' : `<h2>Rejected messages (by reason)</h2>${table(Object.entries(r.rejections).map(([k, v]) => [k, String(v)] as const))}`}
</body></html>
`
}
