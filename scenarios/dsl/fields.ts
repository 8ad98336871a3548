// The field parsers a scenario's validation is made of: each checks one value, records
// a problem naming the field and the offending value, and returns what it could parse.
import { instanceName, type InstanceRef } from '../sim/schedule.ts'
import type { NodeSelector } from './types.ts'

/** Every problem found so far, in the order the spec's sections are checked. */
export class Problems {
  readonly list: string[] = []
  add(where: string, what: string): void {
    this.list.push(`${where}: ${what}`)
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export function unknownKeys(p: Problems, where: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(value)) if (!known.includes(k)) p.add(where, `unknown field '${k}' (known: ${known.join(', ')})`)
}

export function num(p: Problems, where: string, v: unknown, min: number, max: number, integer = true): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    p.add(where, `must be ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(v)}`)
    return null
  }
  if (v < min || v > max) {
    p.add(where, `must be between ${min} and ${max}, got ${v}`)
    return null
  }
  return v
}

/** Parses a node reference; null (with a problem) when it is not one. */
export function nodeRef(p: Problems, where: string, v: unknown, n: number, twins: ReadonlySet<number>): InstanceRef | null {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      p.add(where, `node ${JSON.stringify(v)} is not a validator index (n = ${n}: 0..${n - 1})`)
      return null
    }
    return { node: v, copy: 0 }
  }
  if (typeof v === 'string') {
    const m = /^(\d+)'$/.exec(v)
    if (m === null) {
      p.add(where, `'${v}' is not a node reference (a validator index, or "i'" for the twin of validator i)`)
      return null
    }
    const node = Number(m[1])
    if (node >= n) {
      p.add(where, `node ${v} is not a validator index (n = ${n}: 0..${n - 1})`)
      return null
    }
    if (!twins.has(node)) {
      p.add(where, `${v} names the twin of node ${node}, but node ${node} does not run the 'twins' behaviour`)
      return null
    }
    return { node, copy: 1 }
  }
  p.add(where, `${JSON.stringify(v)} is not a node reference`)
  return null
}

export function selector(p: Problems, where: string, v: NodeSelector | undefined, n: number): number[] {
  if (v === '*') return [...Array(n).keys()]
  const list = typeof v === 'number' ? [v] : Array.isArray(v) ? v : null
  if (list === null || list.length === 0) {
    p.add(where, `must be a validator index, a non-empty list of them, or '*', got ${JSON.stringify(v)}`)
    return []
  }
  const out: number[] = []
  for (const x of list) {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= n) p.add(where, `node ${JSON.stringify(x)} is not a validator index (n = ${n}: 0..${n - 1})`)
    else out.push(x)
  }
  return out
}

export function groupsOf(p: Problems, where: string, v: unknown, n: number, twins: ReadonlySet<number>): InstanceRef[][] {
  if (!Array.isArray(v) || v.length === 0) {
    p.add(where, `must be a non-empty list of groups of nodes, got ${JSON.stringify(v)}`)
    return []
  }
  const seen = new Set<string>()
  const out: InstanceRef[][] = []
  v.forEach((group: unknown, g) => {
    if (!Array.isArray(group) || group.length === 0) {
      p.add(`${where}[${g}]`, `must be a non-empty list of nodes, got ${JSON.stringify(group)}`)
      return
    }
    const refs: InstanceRef[] = []
    for (const item of group as unknown[]) {
      const ref = nodeRef(p, `${where}[${g}]`, item, n, twins)
      if (ref === null) continue
      const key = instanceName(ref)
      if (seen.has(key)) p.add(`${where}[${g}]`, `node ${key} is in more than one group`)
      seen.add(key)
      refs.push(ref)
    }
    out.push(refs)
  })
  return out
}

export function range(p: Problems, where: string, v: unknown, min: number, max: number, fallback: readonly [number, number]): [number, number] {
  if (v === undefined) return [fallback[0], fallback[1]]
  if (typeof v === 'number') {
    const x = num(p, where, v, min, max)
    return x === null ? [fallback[0], fallback[1]] : [x, x]
  }
  if (Array.isArray(v) && v.length === 2) {
    const lo = num(p, `${where}[0]`, v[0], min, max)
    const hi = num(p, `${where}[1]`, v[1], min, max)
    if (lo !== null && hi !== null && lo > hi) p.add(where, `range [${lo}, ${hi}] has its minimum above its maximum`)
    return lo === null || hi === null || lo > hi ? [fallback[0], fallback[1]] : [lo, hi]
  }
  p.add(where, `must be a number or a [min, max] pair, got ${JSON.stringify(v)}`)
  return [fallback[0], fallback[1]]
}

/** What the sections after `cluster` and `byzantine` check against. */
export interface Context {
  readonly p: Problems
  readonly n: number
  readonly f: number
  readonly durationMs: number
  /** Validators that run the 'twins' behaviour (their second instance is "i'"). */
  readonly twins: ReadonlySet<number>
}

/** A time within the fault phase, [0, durationMs]. */
export function time(ctx: Context, where: string, v: unknown): number | null {
  return num(ctx.p, where, v, 0, ctx.durationMs)
}
