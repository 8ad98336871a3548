// Validation of a scenario spec. Every problem is collected (not just the first), each
// naming the field and the offending value, and thrown as one ScenarioError.
import { faultTolerance } from '../../src/log/validator-set.ts'
import { DEFAULT_PARAMS, type ProtocolParams } from '../../src/log/genesis.ts'
import { BEHAVIOUR_NAMES, behaviourSpec, isBehaviourName } from '../behaviours/index.ts'
import { SIM_PARAMS } from '../sim/simulator.ts'
import { DEFAULT_NETWORK, instanceName, type InstanceRef, type LinkSettings, type WorkloadPlan } from '../sim/schedule.ts'
import { ScenarioError } from './errors.ts'
import { DSL_LIMITS } from './limits.ts'
import type { Expectation, NodeSelector, ResolvedFault, Scenario, ScenarioSpec } from './types.ts'
import type { DecisionWorkloadPlan } from '../sim/decision-workload.ts'

const SPEC_KEYS = ['name', 'description', 'cluster', 'network', 'byzantine', 'faults', 'roundPartitions', 'workload', 'durationMs', 'liveness', 'expect', 'chaos', 'sampleIntervalMs', 'backends']
const FAULT_KEYS: Record<string, readonly string[]> = {
  partition: ['kind', 'at', 'until', 'groups'],
  link: ['kind', 'at', 'until', 'from', 'to', 'symmetric', 'delayMs', 'jitterMs', 'loss', 'duplicate'],
  crash: ['kind', 'at', 'until', 'node'],
  skew: ['kind', 'at', 'until', 'node', 'rate'],
}
const NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/
const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/
/** Default grace of a stall window: blocks certified when the stall starts may still commit. */
const STALL_GRACE_MS = 600

class Problems {
  readonly list: string[] = []
  add(where: string, what: string): void {
    this.list.push(`${where}: ${what}`)
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function unknownKeys(p: Problems, where: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const k of Object.keys(value)) if (!known.includes(k)) p.add(where, `unknown field '${k}' (known: ${known.join(', ')})`)
}

function num(p: Problems, where: string, v: unknown, min: number, max: number, integer = true): number | null {
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

/** workload.decisions: null when absent (or invalid, with its problems). */
function decisionsOf(p: Problems, v: unknown): DecisionWorkloadPlan | null {
  if (v === undefined) return null
  if (!isObject(v)) {
    p.add('workload.decisions', 'must be an object { share, threshold?, deadlineHeights?, rejectShare?, votesToHomeNode? }')
    return null
  }
  unknownKeys(p, 'workload.decisions', v, ['share', 'threshold', 'deadlineHeights', 'rejectShare', 'votesToHomeNode'])
  const share = num(p, 'workload.decisions.share', v.share, 0.01, 1, false)
  const threshold = v.threshold === undefined ? 2 : num(p, 'workload.decisions.threshold', v.threshold, 1, 64)
  const deadlineHeights = v.deadlineHeights === undefined ? 20 : num(p, 'workload.decisions.deadlineHeights', v.deadlineHeights, 1, 1_000_000)
  const rejectShare = v.rejectShare === undefined ? 0.2 : num(p, 'workload.decisions.rejectShare', v.rejectShare, 0, 1, false)
  if (v.votesToHomeNode !== undefined && typeof v.votesToHomeNode !== 'boolean') p.add('workload.decisions.votesToHomeNode', `must be true or false, got ${JSON.stringify(v.votesToHomeNode)}`)
  if (share === null || threshold === null || deadlineHeights === null || rejectShare === null) return null
  return { share, threshold, deadlineHeights, rejectShare, votesToHomeNode: v.votesToHomeNode === true }
}

/** Parses a node reference; null (with a problem) when it is not one. */
function nodeRef(p: Problems, where: string, v: unknown, n: number, twins: ReadonlySet<number>): InstanceRef | null {
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

function selector(p: Problems, where: string, v: NodeSelector | undefined, n: number): number[] {
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

function groupsOf(p: Problems, where: string, v: unknown, n: number, twins: ReadonlySet<number>): InstanceRef[][] {
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

function overlaps(a: { at: number, until: number | null }, b: { at: number, until: number | null }): boolean {
  const aEnd = a.until ?? Infinity
  const bEnd = b.until ?? Infinity
  return a.at < bEnd && b.at < aEnd
}

function range(p: Problems, where: string, v: unknown, min: number, max: number, fallback: readonly [number, number]): [number, number] {
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

/** Validates a spec and fills in every default. Throws ScenarioError listing every problem. */
export function validateScenario(spec: ScenarioSpec): Scenario {
  const p = new Problems()
  const raw = spec as unknown
  if (!isObject(raw)) throw new ScenarioError('(scenario)', ['a scenario must be an object (did the file default-export defineScenario({...})?)'])
  const name = typeof raw.name === 'string' ? raw.name : '(unnamed)'
  unknownKeys(p, 'scenario', raw, SPEC_KEYS)
  if (typeof raw.name !== 'string' || !NAME_PATTERN.test(raw.name) || raw.name.length > DSL_LIMITS.nameLengthMax) p.add('name', `must be kebab-case (a-z, 0-9, '-'), at most ${DSL_LIMITS.nameLengthMax} characters, got ${JSON.stringify(raw.name)}`)
  if (typeof raw.description !== 'string' || raw.description.trim() === '') p.add('description', 'must be a non-empty string')

  // --- cluster ---
  let n = 4
  let params: ProtocolParams = SIM_PARAMS
  if (!isObject(raw.cluster)) p.add('cluster', `must be an object like { nodes: 4 }, got ${JSON.stringify(raw.cluster)}`)
  else {
    unknownKeys(p, 'cluster', raw.cluster, ['nodes', 'params'])
    n = num(p, 'cluster.nodes', raw.cluster.nodes, DSL_LIMITS.nodesMin, DSL_LIMITS.nodesMax) ?? 4
    if (raw.cluster.params !== undefined) {
      if (!isObject(raw.cluster.params)) p.add('cluster.params', 'must be an object of protocol parameters')
      else {
        const given = raw.cluster.params
        const out: Record<string, number> = { ...SIM_PARAMS }
        for (const [k, v] of Object.entries(given)) {
          if (!Object.hasOwn(DEFAULT_PARAMS, k)) {
            p.add('cluster.params', `unknown protocol parameter '${k}' (known: ${Object.keys(DEFAULT_PARAMS).join(', ')})`)
            continue
          }
          const x = num(p, `cluster.params.${k}`, v, k === 'proposalDelayMs' ? 0 : 1, 1e9)
          if (x !== null) out[k] = x
        }
        params = out as unknown as ProtocolParams
        if (params.backoffPercent < 100) p.add('cluster.params.backoffPercent', `must be at least 100 (timers must not shrink), got ${params.backoffPercent}`)
        if (params.roundTimeoutMaxMs < params.roundTimeoutMs) p.add('cluster.params.roundTimeoutMaxMs', `${params.roundTimeoutMaxMs} is below roundTimeoutMs ${params.roundTimeoutMs}`)
      }
    }
  }
  const f = faultTolerance(n)

  // --- duration, liveness ---
  const durationMs = num(p, 'durationMs', raw.durationMs, DSL_LIMITS.durationMsMin, DSL_LIMITS.durationMsMax) ?? DSL_LIMITS.durationMsMin
  let livenessBoundMs: number | null = DSL_LIMITS.livenessBoundMsDefault
  if (raw.liveness === false) livenessBoundMs = null
  else if (raw.liveness !== undefined) {
    if (!isObject(raw.liveness)) p.add('liveness', 'must be { boundMs } or false')
    else {
      unknownKeys(p, 'liveness', raw.liveness, ['boundMs'])
      if (raw.liveness.boundMs !== undefined) livenessBoundMs = num(p, 'liveness.boundMs', raw.liveness.boundMs, 1000, DSL_LIMITS.durationMsMax) ?? livenessBoundMs
    }
  }

  // --- network ---
  let network = DEFAULT_NETWORK
  if (raw.network !== undefined) {
    if (!isObject(raw.network)) p.add('network', 'must be an object')
    else {
      unknownKeys(p, 'network', raw.network, ['delayMs', 'jitterMs', 'loss', 'duplicate'])
      const [delayMinMs, delayMaxMs] = range(p, 'network.delayMs', raw.network.delayMs, 0, DSL_LIMITS.delayMsMax, [DEFAULT_NETWORK.delayMinMs, DEFAULT_NETWORK.delayMaxMs])
      network = {
        delayMinMs, delayMaxMs,
        jitterMs: raw.network.jitterMs === undefined ? DEFAULT_NETWORK.jitterMs : num(p, 'network.jitterMs', raw.network.jitterMs, 0, DSL_LIMITS.delayMsMax) ?? 0,
        loss: raw.network.loss === undefined ? 0 : num(p, 'network.loss', raw.network.loss, 0, 1, false) ?? 0,
        duplicate: raw.network.duplicate === undefined ? 0 : num(p, 'network.duplicate', raw.network.duplicate, 0, 1, false) ?? 0,
      }
    }
  }

  // --- byzantine ---
  const byzantine: { node: number, behaviour: (typeof BEHAVIOUR_NAMES)[number], params: Readonly<Record<string, unknown>> }[] = []
  const twins = new Set<number>()
  if (raw.byzantine !== undefined) {
    if (!Array.isArray(raw.byzantine)) p.add('byzantine', 'must be a list of { node, behaviour, params? }')
    else {
      raw.byzantine.forEach((b: unknown, i) => {
        const where = `byzantine[${i}]`
        if (!isObject(b)) return p.add(where, 'must be { node, behaviour, params? }')
        unknownKeys(p, where, b, ['node', 'behaviour', 'params'])
        const ref = nodeRef(p, `${where}.node`, typeof b.node === 'number' ? b.node : JSON.stringify(b.node), n, twins)
        const node = ref === null ? null : ref.node
        if (typeof b.behaviour !== 'string' || !isBehaviourName(b.behaviour)) return p.add(`${where}.behaviour`, `unknown behaviour ${JSON.stringify(b.behaviour)}; one of: ${BEHAVIOUR_NAMES.join(', ')}`)
        const behaviour = b.behaviour
        const bparams = b.params === undefined ? {} : b.params
        if (!isObject(bparams)) return p.add(`${where}.params`, 'must be an object')
        const specs = behaviourSpec(behaviour)?.params ?? {}
        for (const [k, v] of Object.entries(bparams)) {
          const ps = specs[k]
          if (ps === undefined) {
            const known = Object.keys(specs)
            p.add(`${where}.params`, `behaviour '${behaviour}' has no parameter '${k}'${known.length > 0 ? ` (known: ${known.join(', ')})` : ' (it takes none)'}`)
          } else if (ps.type === 'number') num(p, `${where}.params.${k}`, v, ps.min, ps.max, false)
          else if (typeof v !== 'string' || !ps.values.includes(v)) p.add(`${where}.params.${k}`, `must be one of ${ps.values.join(', ')}, got ${JSON.stringify(v)}`)
        }
        if (node === null) return
        if (byzantine.some((x) => x.node === node)) return p.add(`${where}.node`, `node ${node} is given a behaviour twice`)
        byzantine.push({ node, behaviour, params: bparams })
        if (behaviour === 'twins') twins.add(node)
      })
    }
  }

  // --- faults ---
  const faults: ResolvedFault[] = []
  const time = (where: string, v: unknown): number | null => num(p, where, v, 0, durationMs)
  if (raw.faults !== undefined && !Array.isArray(raw.faults)) p.add('faults', 'must be a list of faults (partition, link, crash, skew)')
  const faultList: unknown[] = Array.isArray(raw.faults) ? raw.faults : []
  if (faultList.length > DSL_LIMITS.faultsMax) p.add('faults', `${faultList.length} faults is over the limit of ${DSL_LIMITS.faultsMax}`)
  faultList.forEach((fault, i) => {
    const where = `faults[${i}]`
    if (!isObject(fault) || typeof fault.kind !== 'string' || !Object.hasOwn(FAULT_KEYS, fault.kind)) {
      return p.add(where, `must be a fault with kind one of ${Object.keys(FAULT_KEYS).join(', ')}, got ${JSON.stringify(isObject(fault) ? fault.kind : fault)}`)
    }
    unknownKeys(p, `${where} (${fault.kind})`, fault, FAULT_KEYS[fault.kind]!)
    const at = time(`${where}.at`, fault.at)
    const untilGiven = fault.until === undefined || fault.until === null ? null : time(`${where}.until`, fault.until)
    if (at !== null && untilGiven !== null && untilGiven <= at) p.add(where, `ends at ${untilGiven} ms, not after it starts at ${at} ms`)
    if (at === null) return
    const until = untilGiven ?? durationMs
    switch (fault.kind) {
      case 'partition': {
        const groups = groupsOf(p, `${where}.groups`, fault.groups, n, twins)
        faults.push({ kind: 'partition', at, until, groups })
        return
      }
      case 'link': {
        const from = selector(p, `${where}.from`, fault.from as NodeSelector, n)
        const to = selector(p, `${where}.to`, fault.to as NodeSelector, n)
        const settings: { -readonly [K in keyof LinkSettings]: LinkSettings[K] } = {}
        if (fault.delayMs !== undefined) settings.delayMs = num(p, `${where}.delayMs`, fault.delayMs, 0, DSL_LIMITS.delayMsMax) ?? 0
        if (fault.jitterMs !== undefined) settings.jitterMs = num(p, `${where}.jitterMs`, fault.jitterMs, 0, DSL_LIMITS.delayMsMax) ?? 0
        if (fault.loss !== undefined) settings.loss = num(p, `${where}.loss`, fault.loss, 0, 1, false) ?? 0
        if (fault.duplicate !== undefined) settings.duplicate = num(p, `${where}.duplicate`, fault.duplicate, 0, 1, false) ?? 0
        if (Object.keys(settings).length === 0) p.add(where, 'changes nothing: give delayMs, jitterMs, loss or duplicate')
        if (fault.symmetric !== undefined && typeof fault.symmetric !== 'boolean') p.add(`${where}.symmetric`, 'must be true or false')
        faults.push({ kind: 'link', at, until, from, to, settings })
        if (fault.symmetric !== false) faults.push({ kind: 'link', at, until, from: to, to: from, settings })
        return
      }
      case 'crash': {
        const node = nodeRef(p, `${where}.node`, fault.node, n, twins)
        if (node !== null) faults.push({ kind: 'crash', at, until: untilGiven, node })
        return
      }
      case 'skew': {
        const node = nodeRef(p, `${where}.node`, fault.node, n, twins)
        const rate = num(p, `${where}.rate`, fault.rate, DSL_LIMITS.skewRateMin, DSL_LIMITS.skewRateMax, false)
        if (node !== null && rate !== null) faults.push({ kind: 'skew', at, until, node, rate })
        return
      }
    }
  })
  // Overlaps: one partition at a time; per instance one crash and one skew at a time;
  // per directed link one override at a time.
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

  // --- round partitions (Twins) ---
  let roundPartitions: InstanceRef[][][] | null = null
  if (raw.roundPartitions !== undefined) {
    if (!Array.isArray(raw.roundPartitions)) p.add('roundPartitions', 'must be a list (one partition per round)')
    else if (raw.roundPartitions.length > DSL_LIMITS.roundPartitionsMax) p.add('roundPartitions', `${raw.roundPartitions.length} rounds is over the limit of ${DSL_LIMITS.roundPartitionsMax}`)
    else roundPartitions = raw.roundPartitions.map((groups: unknown, r) => groupsOf(p, `roundPartitions[${r}]`, groups, n, twins))
  }

  // --- workload ---
  const w = raw.workload === undefined ? {} : raw.workload
  let workload: WorkloadPlan = { agents: 3, ratePerSecond: 20, payloadBytesMin: 40, payloadBytesMax: 200, namespaces: [] as string[], fromMs: 0, untilMs: durationMs }
  if (!isObject(w)) p.add('workload', 'must be an object')
  else {
    unknownKeys(p, 'workload', w, ['agents', 'ratePerSecond', 'payloadBytes', 'namespaces', 'from', 'until', 'decisions'])
    const agents = w.agents === undefined ? 3 : num(p, 'workload.agents', w.agents, 0, DSL_LIMITS.agentsMax) ?? 3
    const rate = w.ratePerSecond === undefined ? 20 : num(p, 'workload.ratePerSecond', w.ratePerSecond, 0, DSL_LIMITS.ratePerSecondMax, false) ?? 20
    const [lo, hi] = range(p, 'workload.payloadBytes', w.payloadBytes, 1, params.payloadBytesMax, [40, Math.min(200, params.payloadBytesMax)])
    let namespaces = Array.from({ length: Math.max(1, agents) }, (_, a) => `sim/agent-${a}`)
    if (w.namespaces !== undefined) {
      if (!Array.isArray(w.namespaces) || w.namespaces.length === 0) p.add('workload.namespaces', 'must be a non-empty list of namespaces')
      else {
        for (const ns of w.namespaces as unknown[]) if (typeof ns !== 'string' || !NAMESPACE_PATTERN.test(ns) || ns.length > 128) p.add('workload.namespaces', `${JSON.stringify(ns)} is not a namespace (lowercase segments separated by '/')`)
        namespaces = w.namespaces as string[]
      }
    }
    const from = w.from === undefined ? 0 : time('workload.from', w.from) ?? 0
    const until = w.until === undefined ? durationMs : time('workload.until', w.until) ?? durationMs
    if (until < from) p.add('workload', `until ${until} is before from ${from}`)
    const decisions = decisionsOf(p, w.decisions)
    workload = { agents, ratePerSecond: rate, payloadBytesMin: lo, payloadBytesMax: hi, namespaces, fromMs: from, untilMs: until, ...(decisions === null ? {} : { decisions }) }
  }

  // --- faulty nodes and the bound ---
  const permanent = faults.flatMap((x) => (x.kind === 'crash' && x.until === null && x.node.copy === 0 ? [x.node.node] : []))
  const faulty = [...new Set([...byzantine.filter((b) => b.behaviour !== 'honest').map((b) => b.node), ...permanent])].sort((a, b) => a - b)

  // --- expectation ---
  let expect: Expectation = { outcome: 'safe-and-live', progress: [] }
  const e = raw.expect
  const window = (where: string, v: unknown, keys: readonly string[]): Record<string, unknown> | null => {
    if (!isObject(v)) {
      p.add(where, 'must be an object')
      return null
    }
    unknownKeys(p, where, v, keys)
    return v
  }
  const nodesOf = (where: string, v: unknown): number[] => {
    if (v === undefined) return [...Array(n).keys()].filter((i) => !faulty.includes(i))
    return selector(p, where, v as NodeSelector, n)
  }
  if (!isObject(e) || typeof e.outcome !== 'string') p.add('expect', `must be { outcome: 'safe-and-live' | 'safe-stalled' | 'unsafe', ... }, got ${JSON.stringify(e)}`)
  else if (e.outcome === 'safe-and-live') {
    unknownKeys(p, 'expect', e, ['outcome', 'progress'])
    const progress: Required<{ from: number, to: number, minBlocks: number, nodes: readonly number[] }>[] = []
    if (e.progress !== undefined) {
      if (!Array.isArray(e.progress)) p.add('expect.progress', 'must be a list of windows')
      else e.progress.forEach((v: unknown, i) => {
        const x = window(`expect.progress[${i}]`, v, ['from', 'to', 'minBlocks', 'nodes'])
        if (x === null) return
        const from = time(`expect.progress[${i}].from`, x.from)
        const to = time(`expect.progress[${i}].to`, x.to)
        if (from !== null && to !== null && to <= from) p.add(`expect.progress[${i}]`, `to ${to} is not after from ${from}`)
        const minBlocks = x.minBlocks === undefined ? 1 : num(p, `expect.progress[${i}].minBlocks`, x.minBlocks, 1, 1e6) ?? 1
        if (from !== null && to !== null) progress.push({ from, to, minBlocks, nodes: nodesOf(`expect.progress[${i}].nodes`, x.nodes) })
      })
    }
    expect = { outcome: 'safe-and-live', progress }
    if (livenessBoundMs === null) p.add('liveness', "is false, but 'safe-and-live' needs the liveness phase")
    if (faulty.length > f) p.add('expect', `'safe-and-live' with ${faulty.length} faulty nodes (${faulty.join(', ')}: Byzantine or crashed for good) is beyond f = ${f}: the protocol promises nothing there; expect 'unsafe' or 'safe-stalled', or use fewer`)
  } else if (e.outcome === 'safe-stalled') {
    unknownKeys(p, 'expect', e, ['outcome', 'stall', 'liveAfter'])
    let stall: Required<{ from: number, to: number, graceMs: number, nodes: readonly number[] }> | null = null
    if (e.stall !== undefined) {
      const x = window('expect.stall', e.stall, ['from', 'to', 'graceMs', 'nodes'])
      if (x !== null) {
        const from = time('expect.stall.from', x.from)
        const to = time('expect.stall.to', x.to)
        const graceMs = x.graceMs === undefined ? STALL_GRACE_MS : num(p, 'expect.stall.graceMs', x.graceMs, 0, durationMs) ?? STALL_GRACE_MS
        if (from !== null && to !== null && to <= from + graceMs) p.add('expect.stall', `the window [${from} + ${graceMs} grace, ${to}] is empty`)
        if (from !== null && to !== null) stall = { from, to, graceMs, nodes: nodesOf('expect.stall.nodes', x.nodes) }
      }
    } else {
      const part = faults.find((x) => x.kind === 'partition')
      if (part === undefined) p.add('expect.stall', "is required for 'safe-stalled' when no partition gives a default window")
      else stall = { from: part.at, to: part.until, graceMs: STALL_GRACE_MS, nodes: nodesOf('expect.stall.nodes', undefined) }
    }
    const liveAfter = e.liveAfter === undefined ? livenessBoundMs !== null : e.liveAfter === true
    if (e.liveAfter !== undefined && typeof e.liveAfter !== 'boolean') p.add('expect.liveAfter', 'must be true or false')
    if (liveAfter && livenessBoundMs === null) p.add('expect.liveAfter', 'is true, but liveness is false (no liveness phase)')
    if (liveAfter && faulty.length > f) p.add('expect.liveAfter', `liveness after the stall cannot hold with ${faulty.length} faulty nodes (f = ${f})`)
    if (stall !== null) {
      if (stall.to > workload.untilMs || stall.from + stall.graceMs < workload.fromMs) p.add('expect.stall', `the workload (${workload.fromMs}-${workload.untilMs} ms) must cover the stall window, or the stall proves nothing`)
      expect = { outcome: 'safe-stalled', stall, liveAfter }
    }
  } else if (e.outcome === 'unsafe') {
    unknownKeys(p, 'expect', e, ['outcome'])
    expect = { outcome: 'unsafe' }
    if (byzantine.length <= f && faulty.length <= f) p.add('expect', `'unsafe' with ${byzantine.length} Byzantine nodes: within f = ${f} the protocol must stay safe, so 'unsafe' can never be met; give more than f Byzantine nodes`)
  } else p.add('expect.outcome', `must be 'safe-and-live', 'safe-stalled' or 'unsafe', got ${JSON.stringify(e.outcome)}`)

  // --- chaos, sampling, backends ---
  let midStepCrashRate = 0
  let wireEncoding = false
  if (raw.chaos !== undefined) {
    if (!isObject(raw.chaos)) p.add('chaos', 'must be an object')
    else {
      unknownKeys(p, 'chaos', raw.chaos, ['midStepCrashRate', 'wireEncoding'])
      if (raw.chaos.midStepCrashRate !== undefined) midStepCrashRate = num(p, 'chaos.midStepCrashRate', raw.chaos.midStepCrashRate, 0, 0.1, false) ?? 0
      if (raw.chaos.wireEncoding !== undefined) wireEncoding = raw.chaos.wireEncoding === true
    }
  }
  const total = durationMs + (livenessBoundMs ?? 0)
  const sampleIntervalMs = raw.sampleIntervalMs === undefined ? Math.max(20, Math.ceil(durationMs / 300)) : num(p, 'sampleIntervalMs', raw.sampleIntervalMs, 5, total) ?? 50
  // The net backend injects crashes (kill -9) and partitions (routes) into real processes;
  // it cannot run Byzantine code, shape links (delay, loss, duplication), skew clocks or
  // crash inside a chosen step (see scenarios/net/net-backend.ts), and its workload has no
  // decisions (workload.decisions is the simulator's).
  const netExpressible = byzantine.length === 0 && roundPartitions === null && midStepCrashRate === 0 && !wireEncoding && raw.network === undefined && workload.decisions === undefined &&
    faults.every((x) => x.kind === 'crash' || x.kind === 'partition')
  let backends: ('sim' | 'net')[] = netExpressible ? ['sim', 'net'] : ['sim']
  if (raw.backends !== undefined) {
    if (!Array.isArray(raw.backends) || raw.backends.some((b) => b !== 'sim' && b !== 'net')) p.add('backends', "must be a list of 'sim' and 'net'")
    else {
      backends = raw.backends as ('sim' | 'net')[]
      if (backends.includes('net') && !netExpressible) p.add('backends', "'net' can express only crashes and partitions of honest nodes (no Byzantine behaviours, network settings or link changes, clock skew, Twins rounds, chaos or workload decisions)")
    }
  }

  if (p.list.length > 0) throw new ScenarioError(name, p.list)
  return Object.freeze({
    kind: 'synod-scenario',
    name: raw.name as string,
    description: (raw.description as string).trim(),
    nodes: n,
    f,
    params,
    network,
    byzantine,
    faults,
    roundPartitions,
    workload,
    durationMs,
    livenessBoundMs,
    expect,
    midStepCrashRate,
    wireEncoding,
    sampleIntervalMs,
    backends,
    faulty,
    spec,
  })
}
