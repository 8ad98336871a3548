// Validation of the scenario spec's `expect`: the outcome ('safe-and-live' with progress
// windows, 'safe-stalled' with a stall window, or 'unsafe'), checked against what the
// rest of the scenario makes possible (the fault bound f, the liveness phase, the workload).
import type { WorkloadPlan } from '../sim/schedule.ts'
import { isObject, num, selector, time, unknownKeys, type Context } from './fields.ts'
import type { Expectation, NodeSelector, ResolvedFault } from './types.ts'

/** Default grace of a stall window: blocks certified when the stall starts may still commit. */
const STALL_GRACE_MS = 600

/** What a spec with an unusable `expect` gets (it fails validation anyway). */
const DEFAULT_EXPECTATION: Expectation = { outcome: 'safe-and-live', progress: [] }

/** What the expectation is checked against. */
export interface ExpectContext extends Context {
  readonly livenessBoundMs: number | null
  readonly faults: readonly ResolvedFault[]
  readonly workload: WorkloadPlan
  readonly byzantineCount: number
  /** Validators that are Byzantine or crash for good. */
  readonly faulty: readonly number[]
}

export function expectation(ctx: ExpectContext, e: unknown): Expectation {
  const { p, f, faulty } = ctx
  if (!isObject(e) || typeof e.outcome !== 'string') p.add('expect', `must be { outcome: 'safe-and-live' | 'safe-stalled' | 'unsafe', ... }, got ${JSON.stringify(e)}`)
  else if (e.outcome === 'safe-and-live') return safeAndLive(ctx, e)
  else if (e.outcome === 'safe-stalled') return safeStalled(ctx, e) ?? DEFAULT_EXPECTATION
  else if (e.outcome === 'unsafe') {
    unknownKeys(p, 'expect', e, ['outcome'])
    if (ctx.byzantineCount <= f && faulty.length <= f) p.add('expect', `'unsafe' with ${ctx.byzantineCount} Byzantine nodes: within f = ${f} the protocol must stay safe, so 'unsafe' can never be met; give more than f Byzantine nodes`)
    return { outcome: 'unsafe' }
  } else p.add('expect.outcome', `must be 'safe-and-live', 'safe-stalled' or 'unsafe', got ${JSON.stringify(e.outcome)}`)
  return DEFAULT_EXPECTATION
}

function window(ctx: Context, where: string, v: unknown, keys: readonly string[]): Record<string, unknown> | null {
  if (!isObject(v)) {
    ctx.p.add(where, 'must be an object')
    return null
  }
  unknownKeys(ctx.p, where, v, keys)
  return v
}

/** A window's nodes; by default every validator that is not faulty. */
function nodesOf(ctx: ExpectContext, where: string, v: unknown): number[] {
  if (v === undefined) return [...Array(ctx.n).keys()].filter((i) => !ctx.faulty.includes(i))
  return selector(ctx.p, where, v as NodeSelector, ctx.n)
}

function safeAndLive(ctx: ExpectContext, e: Record<string, unknown>): Expectation {
  const { p, f, faulty } = ctx
  unknownKeys(p, 'expect', e, ['outcome', 'progress'])
  const progress: Required<{ from: number, to: number, minBlocks: number, nodes: readonly number[] }>[] = []
  if (e.progress !== undefined) {
    if (!Array.isArray(e.progress)) p.add('expect.progress', 'must be a list of windows')
    else e.progress.forEach((v: unknown, i) => {
      const x = window(ctx, `expect.progress[${i}]`, v, ['from', 'to', 'minBlocks', 'nodes'])
      if (x === null) return
      const from = time(ctx, `expect.progress[${i}].from`, x.from)
      const to = time(ctx, `expect.progress[${i}].to`, x.to)
      if (from !== null && to !== null && to <= from) p.add(`expect.progress[${i}]`, `to ${to} is not after from ${from}`)
      const minBlocks = x.minBlocks === undefined ? 1 : num(p, `expect.progress[${i}].minBlocks`, x.minBlocks, 1, 1e6) ?? 1
      if (from !== null && to !== null) progress.push({ from, to, minBlocks, nodes: nodesOf(ctx, `expect.progress[${i}].nodes`, x.nodes) })
    })
  }
  if (ctx.livenessBoundMs === null) p.add('liveness', "is false, but 'safe-and-live' needs the liveness phase")
  if (faulty.length > f) p.add('expect', `'safe-and-live' with ${faulty.length} faulty nodes (${faulty.join(', ')}: Byzantine or crashed for good) is beyond f = ${f}: the protocol promises nothing there; expect 'unsafe' or 'safe-stalled', or use fewer`)
  return { outcome: 'safe-and-live', progress }
}

/** The 'safe-stalled' expectation, or null when it has no stall window. */
function safeStalled(ctx: ExpectContext, e: Record<string, unknown>): Expectation | null {
  const { p, f, faulty, livenessBoundMs, workload } = ctx
  unknownKeys(p, 'expect', e, ['outcome', 'stall', 'liveAfter'])
  const stall = stallWindow(ctx, e.stall)
  const liveAfter = e.liveAfter === undefined ? livenessBoundMs !== null : e.liveAfter === true
  if (e.liveAfter !== undefined && typeof e.liveAfter !== 'boolean') p.add('expect.liveAfter', 'must be true or false')
  if (liveAfter && livenessBoundMs === null) p.add('expect.liveAfter', 'is true, but liveness is false (no liveness phase)')
  if (liveAfter && faulty.length > f) p.add('expect.liveAfter', `liveness after the stall cannot hold with ${faulty.length} faulty nodes (f = ${f})`)
  if (stall === null) return null
  if (stall.to > workload.untilMs || stall.from + stall.graceMs < workload.fromMs) p.add('expect.stall', `the workload (${workload.fromMs}-${workload.untilMs} ms) must cover the stall window, or the stall proves nothing`)
  return { outcome: 'safe-stalled', stall, liveAfter }
}

/** The stall window as given, or by default the first partition's span. */
function stallWindow(ctx: ExpectContext, v: unknown): Required<{ from: number, to: number, graceMs: number, nodes: readonly number[] }> | null {
  const p = ctx.p
  if (v === undefined) {
    const part = ctx.faults.find((x) => x.kind === 'partition')
    if (part !== undefined) return { from: part.at, to: part.until, graceMs: STALL_GRACE_MS, nodes: nodesOf(ctx, 'expect.stall.nodes', undefined) }
    p.add('expect.stall', "is required for 'safe-stalled' when no partition gives a default window")
    return null
  }
  const x = window(ctx, 'expect.stall', v, ['from', 'to', 'graceMs', 'nodes'])
  if (x === null) return null
  const from = time(ctx, 'expect.stall.from', x.from)
  const to = time(ctx, 'expect.stall.to', x.to)
  const graceMs = x.graceMs === undefined ? STALL_GRACE_MS : num(p, 'expect.stall.graceMs', x.graceMs, 0, ctx.durationMs) ?? STALL_GRACE_MS
  if (from !== null && to !== null && to <= from + graceMs) p.add('expect.stall', `the window [${from} + ${graceMs} grace, ${to}] is empty`)
  if (from === null || to === null) return null
  return { from, to, graceMs, nodes: nodesOf(ctx, 'expect.stall.nodes', x.nodes) }
}
