// Validation of the scenario spec's sections that stand alone: cluster, duration and
// liveness, network, byzantine, workload, chaos, sampling and backends (faults and the
// expectation have their own modules). Each records its problems and returns the
// section with its defaults filled in.
import { DEFAULT_PARAMS, type ProtocolParams } from '../../src/log/genesis.ts'
import { BEHAVIOUR_NAMES, behaviourSpec, isBehaviourName } from '../behaviours/index.ts'
import { SIM_PARAMS } from '../sim/simulator.ts'
import { DEFAULT_NETWORK, type NetworkSettings, type WorkloadPlan } from '../sim/schedule.ts'
import { isObject, nodeRef, num, range, time, unknownKeys, type Context, type Problems } from './fields.ts'
import { DSL_LIMITS } from './limits.ts'
import type { ResolvedFault, Scenario } from './types.ts'
import type { DecisionWorkloadPlan } from '../sim/decision-workload.ts'

const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/

type Byzantine = { node: number, behaviour: (typeof BEHAVIOUR_NAMES)[number], params: Readonly<Record<string, unknown>> }

export function cluster(p: Problems, raw: unknown): { n: number, params: ProtocolParams } {
  let n = 4
  let params: ProtocolParams = SIM_PARAMS
  if (!isObject(raw)) p.add('cluster', `must be an object like { nodes: 4 }, got ${JSON.stringify(raw)}`)
  else {
    unknownKeys(p, 'cluster', raw, ['nodes', 'params'])
    n = num(p, 'cluster.nodes', raw.nodes, DSL_LIMITS.nodesMin, DSL_LIMITS.nodesMax) ?? 4
    if (raw.params !== undefined) {
      if (!isObject(raw.params)) p.add('cluster.params', 'must be an object of protocol parameters')
      else params = protocolParams(p, raw.params)
    }
  }
  return { n, params }
}

function protocolParams(p: Problems, given: Record<string, unknown>): ProtocolParams {
  const out: Record<string, number> = { ...SIM_PARAMS }
  for (const [k, v] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_PARAMS, k)) {
      p.add('cluster.params', `unknown protocol parameter '${k}' (known: ${Object.keys(DEFAULT_PARAMS).join(', ')})`)
      continue
    }
    const x = num(p, `cluster.params.${k}`, v, k === 'proposalDelayMs' ? 0 : 1, 1e9)
    if (x !== null) out[k] = x
  }
  const params = out as unknown as ProtocolParams
  if (params.backoffPercent < 100) p.add('cluster.params.backoffPercent', `must be at least 100 (timers must not shrink), got ${params.backoffPercent}`)
  if (params.roundTimeoutMaxMs < params.roundTimeoutMs) p.add('cluster.params.roundTimeoutMaxMs', `${params.roundTimeoutMaxMs} is below roundTimeoutMs ${params.roundTimeoutMs}`)
  return params
}

export function durationMs(p: Problems, raw: unknown): number {
  return num(p, 'durationMs', raw, DSL_LIMITS.durationMsMin, DSL_LIMITS.durationMsMax) ?? DSL_LIMITS.durationMsMin
}

/** The liveness phase's bound, or null for none. */
export function liveness(p: Problems, raw: unknown): number | null {
  let livenessBoundMs: number | null = DSL_LIMITS.livenessBoundMsDefault
  if (raw === false) livenessBoundMs = null
  else if (raw !== undefined) {
    if (!isObject(raw)) p.add('liveness', 'must be { boundMs } or false')
    else {
      unknownKeys(p, 'liveness', raw, ['boundMs'])
      if (raw.boundMs !== undefined) livenessBoundMs = num(p, 'liveness.boundMs', raw.boundMs, 1000, DSL_LIMITS.durationMsMax) ?? livenessBoundMs
    }
  }
  return livenessBoundMs
}

export function network(p: Problems, raw: unknown): NetworkSettings {
  if (raw === undefined) return DEFAULT_NETWORK
  if (!isObject(raw)) {
    p.add('network', 'must be an object')
    return DEFAULT_NETWORK
  }
  unknownKeys(p, 'network', raw, ['delayMs', 'jitterMs', 'loss', 'duplicate'])
  const [delayMinMs, delayMaxMs] = range(p, 'network.delayMs', raw.delayMs, 0, DSL_LIMITS.delayMsMax, [DEFAULT_NETWORK.delayMinMs, DEFAULT_NETWORK.delayMaxMs])
  return {
    delayMinMs, delayMaxMs,
    jitterMs: raw.jitterMs === undefined ? DEFAULT_NETWORK.jitterMs : num(p, 'network.jitterMs', raw.jitterMs, 0, DSL_LIMITS.delayMsMax) ?? 0,
    loss: raw.loss === undefined ? 0 : num(p, 'network.loss', raw.loss, 0, 1, false) ?? 0,
    duplicate: raw.duplicate === undefined ? 0 : num(p, 'network.duplicate', raw.duplicate, 0, 1, false) ?? 0,
  }
}

/** The Byzantine assignments, and which nodes run twins (so "i'" may name their copy). */
export function byzantine(p: Problems, raw: unknown, n: number): { byzantine: Byzantine[], twins: Set<number> } {
  const out: Byzantine[] = []
  const twins = new Set<number>()
  if (raw === undefined) return { byzantine: out, twins }
  if (!Array.isArray(raw)) {
    p.add('byzantine', 'must be a list of { node, behaviour, params? }')
    return { byzantine: out, twins }
  }
  raw.forEach((b: unknown, i) => {
    const where = `byzantine[${i}]`
    if (!isObject(b)) return p.add(where, 'must be { node, behaviour, params? }')
    unknownKeys(p, where, b, ['node', 'behaviour', 'params'])
    const ref = nodeRef(p, `${where}.node`, typeof b.node === 'number' ? b.node : JSON.stringify(b.node), n, twins)
    const node = ref === null ? null : ref.node
    if (typeof b.behaviour !== 'string' || !isBehaviourName(b.behaviour)) return p.add(`${where}.behaviour`, `unknown behaviour ${JSON.stringify(b.behaviour)}; one of: ${BEHAVIOUR_NAMES.join(', ')}`)
    const behaviour = b.behaviour
    const bparams = b.params === undefined ? {} : b.params
    if (!isObject(bparams)) return p.add(`${where}.params`, 'must be an object')
    behaviourParams(p, where, behaviour, bparams)
    if (node === null) return
    if (out.some((x) => x.node === node)) return p.add(`${where}.node`, `node ${node} is given a behaviour twice`)
    out.push({ node, behaviour, params: bparams })
    if (behaviour === 'twins') twins.add(node)
  })
  return { byzantine: out, twins }
}

function behaviourParams(p: Problems, where: string, behaviour: Byzantine['behaviour'], bparams: Record<string, unknown>): void {
  const specs = behaviourSpec(behaviour)?.params ?? {}
  for (const [k, v] of Object.entries(bparams)) {
    const ps = specs[k]
    if (ps === undefined) {
      const known = Object.keys(specs)
      p.add(`${where}.params`, `behaviour '${behaviour}' has no parameter '${k}'${known.length > 0 ? ` (known: ${known.join(', ')})` : ' (it takes none)'}`)
    } else if (ps.type === 'number') num(p, `${where}.params.${k}`, v, ps.min, ps.max, false)
    else if (typeof v !== 'string' || !ps.values.includes(v)) p.add(`${where}.params.${k}`, `must be one of ${ps.values.join(', ')}, got ${JSON.stringify(v)}`)
  }
}

export function workload(ctx: Context, raw: unknown, params: ProtocolParams): WorkloadPlan {
  const p = ctx.p
  const w = raw === undefined ? {} : raw
  const fallback = { agents: 3, ratePerSecond: 20, payloadBytesMin: 40, payloadBytesMax: 200, namespaces: [] as string[], fromMs: 0, untilMs: ctx.durationMs }
  if (!isObject(w)) {
    p.add('workload', 'must be an object')
    return fallback
  }
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
  const from = w.from === undefined ? 0 : time(ctx, 'workload.from', w.from) ?? 0
  const until = w.until === undefined ? ctx.durationMs : time(ctx, 'workload.until', w.until) ?? ctx.durationMs
  if (until < from) p.add('workload', `until ${until} is before from ${from}`)
  const decisions = workloadDecisions(p, w.decisions)
  return { agents, ratePerSecond: rate, payloadBytesMin: lo, payloadBytesMax: hi, namespaces, fromMs: from, untilMs: until, ...(decisions === null ? {} : { decisions }) }
}

/** workload.decisions: null when absent (or invalid, with its problems). */
function workloadDecisions(p: Problems, v: unknown): DecisionWorkloadPlan | null {
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

export function chaos(p: Problems, raw: unknown): { midStepCrashRate: number, wireEncoding: boolean } {
  let midStepCrashRate = 0
  let wireEncoding = false
  if (raw !== undefined) {
    if (!isObject(raw)) p.add('chaos', 'must be an object')
    else {
      unknownKeys(p, 'chaos', raw, ['midStepCrashRate', 'wireEncoding'])
      if (raw.midStepCrashRate !== undefined) midStepCrashRate = num(p, 'chaos.midStepCrashRate', raw.midStepCrashRate, 0, 0.1, false) ?? 0
      if (raw.wireEncoding !== undefined) wireEncoding = raw.wireEncoding === true
    }
  }
  return { midStepCrashRate, wireEncoding }
}

export function sampleIntervalMs(p: Problems, raw: unknown, durationMs: number, livenessBoundMs: number | null): number {
  const total = durationMs + (livenessBoundMs ?? 0)
  return raw === undefined ? Math.max(20, Math.ceil(durationMs / 300)) : num(p, 'sampleIntervalMs', raw, 5, total) ?? 50
}

/** What else the net backend's check needs of the scenario. */
export interface NetFeatures {
  readonly byzantine: readonly Byzantine[]
  readonly roundPartitions: Scenario['roundPartitions']
  readonly leaders: Scenario['leaders']
  readonly midStepCrashRate: number
  readonly wireEncoding: boolean
  /** The spec sets `network`. */
  readonly networkGiven: boolean
  /** The workload has decisions (the simulator's workload only). */
  readonly workloadDecisions: boolean
  readonly faults: readonly ResolvedFault[]
}

export function backends(p: Problems, raw: unknown, s: NetFeatures): ('sim' | 'net')[] {
  // The net backend injects crashes (kill -9) and partitions (routes) into real processes;
  // it cannot run Byzantine code, script leaders (its validators follow the genesis), shape links (delay, loss, duplication), skew clocks or
  // crash inside a chosen step (see scenarios/net/net-backend.ts), and its workload has no
  // decisions (workload.decisions is the simulator's).
  const netExpressible = s.byzantine.length === 0 && s.roundPartitions === null && s.leaders === null && s.midStepCrashRate === 0 && !s.wireEncoding && !s.networkGiven && !s.workloadDecisions &&
    s.faults.every((x) => x.kind === 'crash' || x.kind === 'partition')
  let out: ('sim' | 'net')[] = netExpressible ? ['sim', 'net'] : ['sim']
  if (raw !== undefined) {
    if (!Array.isArray(raw) || raw.some((b) => b !== 'sim' && b !== 'net')) p.add('backends', "must be a list of 'sim' and 'net'")
    else {
      out = raw as ('sim' | 'net')[]
      if (out.includes('net') && !netExpressible) p.add('backends', "'net' can express only crashes and partitions of honest nodes (no Byzantine behaviours, network settings or link changes, clock skew, Twins rounds, chaos or workload decisions)")
    }
  }
  return out
}
