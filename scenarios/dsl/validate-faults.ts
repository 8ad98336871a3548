// Validation of the scenario spec's timeline: `faults` (partition, link, crash, skew),
// the rule that faults of one kind on one target do not overlap, and `roundPartitions`.
import { instanceName, type InstanceRef, type LinkSettings } from '../sim/schedule.ts'
import { groupsOf, isObject, nodeRef, num, selector, time, unknownKeys, type Context } from './fields.ts'
import { DSL_LIMITS } from './limits.ts'
import type { NodeSelector, ResolvedFault } from './types.ts'

const FAULT_KEYS: Record<string, readonly string[]> = {
  partition: ['kind', 'at', 'until', 'groups'],
  link: ['kind', 'at', 'until', 'from', 'to', 'symmetric', 'delayMs', 'jitterMs', 'loss', 'duplicate'],
  crash: ['kind', 'at', 'until', 'node'],
  skew: ['kind', 'at', 'until', 'node', 'rate'],
}

export function faults(ctx: Context, raw: unknown): ResolvedFault[] {
  const p = ctx.p
  const out: ResolvedFault[] = []
  if (raw !== undefined && !Array.isArray(raw)) p.add('faults', 'must be a list of faults (partition, link, crash, skew)')
  const faultList: unknown[] = Array.isArray(raw) ? raw : []
  if (faultList.length > DSL_LIMITS.faultsMax) p.add('faults', `${faultList.length} faults is over the limit of ${DSL_LIMITS.faultsMax}`)
  faultList.forEach((fault, i) => oneFault(ctx, `faults[${i}]`, fault, out))
  overlapping(ctx, out)
  return out
}

/** One fault, resolved into `out` (a symmetric link fault gives two). */
function oneFault(ctx: Context, where: string, fault: unknown, out: ResolvedFault[]): void {
  const { p, n, twins } = ctx
  if (!isObject(fault) || typeof fault.kind !== 'string' || !Object.hasOwn(FAULT_KEYS, fault.kind)) {
    return p.add(where, `must be a fault with kind one of ${Object.keys(FAULT_KEYS).join(', ')}, got ${JSON.stringify(isObject(fault) ? fault.kind : fault)}`)
  }
  unknownKeys(p, `${where} (${fault.kind})`, fault, FAULT_KEYS[fault.kind]!)
  const at = time(ctx, `${where}.at`, fault.at)
  const untilGiven = fault.until === undefined || fault.until === null ? null : time(ctx, `${where}.until`, fault.until)
  if (at !== null && untilGiven !== null && untilGiven <= at) p.add(where, `ends at ${untilGiven} ms, not after it starts at ${at} ms`)
  if (at === null) return
  const until = untilGiven ?? ctx.durationMs
  switch (fault.kind) {
    case 'partition': {
      const groups = groupsOf(p, `${where}.groups`, fault.groups, n, twins)
      out.push({ kind: 'partition', at, until, groups })
      return
    }
    case 'link':
      return link(ctx, where, fault, at, until, out)
    case 'crash': {
      const node = nodeRef(p, `${where}.node`, fault.node, n, twins)
      if (node !== null) out.push({ kind: 'crash', at, until: untilGiven, node })
      return
    }
    case 'skew': {
      const node = nodeRef(p, `${where}.node`, fault.node, n, twins)
      const rate = num(p, `${where}.rate`, fault.rate, DSL_LIMITS.skewRateMin, DSL_LIMITS.skewRateMax, false)
      if (node !== null && rate !== null) out.push({ kind: 'skew', at, until, node, rate })
      return
    }
  }
}

function link(ctx: Context, where: string, fault: Record<string, unknown>, at: number, until: number, out: ResolvedFault[]): void {
  const { p, n } = ctx
  const from = selector(p, `${where}.from`, fault.from as NodeSelector, n)
  const to = selector(p, `${where}.to`, fault.to as NodeSelector, n)
  const settings: { -readonly [K in keyof LinkSettings]: LinkSettings[K] } = {}
  if (fault.delayMs !== undefined) settings.delayMs = num(p, `${where}.delayMs`, fault.delayMs, 0, DSL_LIMITS.delayMsMax) ?? 0
  if (fault.jitterMs !== undefined) settings.jitterMs = num(p, `${where}.jitterMs`, fault.jitterMs, 0, DSL_LIMITS.delayMsMax) ?? 0
  if (fault.loss !== undefined) settings.loss = num(p, `${where}.loss`, fault.loss, 0, 1, false) ?? 0
  if (fault.duplicate !== undefined) settings.duplicate = num(p, `${where}.duplicate`, fault.duplicate, 0, 1, false) ?? 0
  if (Object.keys(settings).length === 0) p.add(where, 'changes nothing: give delayMs, jitterMs, loss or duplicate')
  if (fault.symmetric !== undefined && typeof fault.symmetric !== 'boolean') p.add(`${where}.symmetric`, 'must be true or false')
  out.push({ kind: 'link', at, until, from, to, settings })
  if (fault.symmetric !== false) out.push({ kind: 'link', at, until, from: to, to: from, settings })
}

function overlaps(a: { at: number, until: number | null }, b: { at: number, until: number | null }): boolean {
  const aEnd = a.until ?? Infinity
  const bEnd = b.until ?? Infinity
  return a.at < bEnd && b.at < aEnd
}

/** One partition at a time; per instance one crash and one skew at a time; per directed
 * link one override at a time. */
function overlapping(ctx: Context, faults: readonly ResolvedFault[]): void {
  const p = ctx.p
  for (let i = 0; i < faults.length; i++) {
    for (let j = i + 1; j < faults.length; j++) {
      const a = faults[i]!
      const b = faults[j]!
      if (a.kind !== b.kind || !overlaps(a, b)) continue
      const span = (x: ResolvedFault) => `[${x.at}, ${x.until ?? 'never'})`
      if (a.kind === 'partition') p.add('faults', `two partitions overlap in time: ${span(a)} and ${span(b)} (one partition at a time; list all groups in one)`)
      else if ((a.kind === 'crash' || a.kind === 'skew') && (b.kind === 'crash' || b.kind === 'skew') && instanceName(a.node) === instanceName(b.node)) {
        p.add('faults', `two ${a.kind} faults of node ${instanceName(a.node)} overlap: ${span(a)} and ${span(b)}`)
      } else if (a.kind === 'link' && b.kind === 'link') {
        const pair = a.from.flatMap((x) => a.to.filter((y) => x !== y && b.from.includes(x) && b.to.includes(y)).map((y) => `${x} -> ${y}`))
        if (pair.length > 0) p.add('faults', `two link faults on ${pair[0]} overlap: ${span(a)} and ${span(b)}`)
      }
    }
  }
}

/** Scripted leaders of rounds 1..k (null: the genesis's round-robin throughout). */
export function leaders(ctx: Context, raw: unknown): number[] | null {
  const p = ctx.p
  if (raw === undefined) return null
  if (!Array.isArray(raw)) p.add('leaders', 'must be a list of validator indices (the leader of round 1, 2, ...)')
  else if (raw.length === 0 || raw.length > DSL_LIMITS.roundPartitionsMax) p.add('leaders', `must name 1-${DSL_LIMITS.roundPartitionsMax} rounds' leaders, got ${raw.length}`)
  else {
    const bad = raw.findIndex((x: unknown) => !Number.isInteger(x) || (x as number) < 0 || (x as number) >= ctx.n)
    if (bad >= 0) p.add(`leaders[${bad}]`, `must be a validator index 0-${ctx.n - 1}, got ${JSON.stringify(raw[bad])}`)
    else return raw as number[]
  }
  return null
}

/** Twins-style partitions by round (null: none). */
export function roundPartitions(ctx: Context, raw: unknown): InstanceRef[][][] | null {
  const p = ctx.p
  if (raw === undefined) return null
  if (!Array.isArray(raw)) p.add('roundPartitions', 'must be a list (one partition per round)')
  else if (raw.length > DSL_LIMITS.roundPartitionsMax) p.add('roundPartitions', `${raw.length} rounds is over the limit of ${DSL_LIMITS.roundPartitionsMax}`)
  else return raw.map((groups: unknown, r) => groupsOf(p, `roundPartitions[${r}]`, groups, ctx.n, ctx.twins))
  return null
}
