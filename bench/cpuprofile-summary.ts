// Summarises V8 .cpuprofile files (node --cpu-prof): self time by function and by
// package/folder, top N. Usage: npx node bench/cpuprofile-summary.ts FILE... [--top 25]
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

const { values, positionals } = parseArgs({ options: { top: { type: 'string', default: '25' }, callers: { type: 'string' } }, allowPositionals: true })
const top = Number(values.top)
/** This checkout's root, as profile URLs spell it (file:///.../), whichever directory it is in. */
const ROOT = new URL('..', import.meta.url).href

function where(url: string): string {
  if (url === '') return '(native/vm)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  if (url.startsWith('node:')) return url
  return url.startsWith(ROOT) ? url.slice(ROOT.length).split('/').slice(0, 2).join('/') : url
}

/** A function's file: its path in this checkout, or where() outside it. */
function fileOf(url: string): string {
  return url.startsWith(ROOT) ? url.slice(ROOT.length) : where(url)
}

for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  let total = 0
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0
    total += dt
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt)
  }
  const byFn = new Map<string, number>()
  const byPkg = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)!
    const f = n.callFrame
    const key = `${f.functionName || '(anonymous)'} ${f.url === '' ? '' : `${fileOf(f.url)}:${f.lineNumber + 1}`}`
    byFn.set(key, (byFn.get(key) ?? 0) + us)
    const pkg = f.url === '' ? f.functionName.startsWith('(') ? f.functionName : '(native)' : where(f.url)
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + us)
  }
  const idle = byFn.get('(idle) ') ?? 0
  const busy = total - idle
  const fmt = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`).join('\n')
  console.log(`== ${file}: ${(total / 1e6).toFixed(1)} s sampled, busy ${(busy / 1e6).toFixed(1)} s (${((100 * busy) / total).toFixed(0)}%); shares of busy time`)
  console.log('-- by package/folder\n' + fmt(byPkg))
  console.log('-- by function (self)\n' + fmt(byFn))
  if (values.callers !== undefined) {
    // Self time of functions named --callers, by their stack of callers (5 frames up).
    const parent = new Map<number, number>()
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    const stacks = new Map<string, number>()
    for (const [id, us] of self) {
      if (byId.get(id)!.callFrame.functionName !== values.callers) continue
      const frames: string[] = []
      for (let at = parent.get(id); at !== undefined && frames.length < Number(process.env.FRAMES ?? 6); at = parent.get(at)) {
        const f = byId.get(at)!.callFrame
        frames.push(`${f.functionName || '(anon)'}@${where(f.url)}:${f.lineNumber + 1}`)
      }
      const key = frames.join(' < ')
      stacks.set(key, (stacks.get(key) ?? 0) + us)
    }
    console.log(`-- callers of ${values.callers}\n` + fmt(stacks))
  }
}
