// Validation of a scenario spec. Every problem is collected (not just the first), each
// naming the field and the offending value, and thrown as one ScenarioError. The spec's
// sections are checked in a fixed order (the order of the problems): name and
// description, cluster, duration and liveness, network, byzantine, faults, round
// partitions, workload, expect, chaos, sampling, backends.
import { faultTolerance } from '../../src/log/validator-set.ts'
import { ScenarioError } from './errors.ts'
import { isObject, Problems, unknownKeys, type Context } from './fields.ts'
import { DSL_LIMITS } from './limits.ts'
import type { Scenario, ScenarioSpec } from './types.ts'
import { expectation } from './validate-expect.ts'
import { faults as faultsOf, leaders as leadersOf, roundPartitions as roundPartitionsOf } from './validate-faults.ts'
import * as section from './validate-sections.ts'

const SPEC_KEYS = ['name', 'description', 'cluster', 'network', 'byzantine', 'faults', 'roundPartitions', 'leaders', 'workload', 'durationMs', 'liveness', 'expect', 'chaos', 'sampleIntervalMs', 'backends']
const NAME_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/

/** Validates a spec and fills in every default. Throws ScenarioError listing every problem. */
export function validateScenario(spec: ScenarioSpec): Scenario {
  const p = new Problems()
  const raw = spec as unknown
  if (!isObject(raw)) throw new ScenarioError('(scenario)', ['a scenario must be an object (did the file default-export defineScenario({...})?)'])
  const name = typeof raw.name === 'string' ? raw.name : '(unnamed)'
  unknownKeys(p, 'scenario', raw, SPEC_KEYS)
  if (typeof raw.name !== 'string' || !NAME_PATTERN.test(raw.name) || raw.name.length > DSL_LIMITS.nameLengthMax) p.add('name', `must be kebab-case (a-z, 0-9, '-'), at most ${DSL_LIMITS.nameLengthMax} characters, got ${JSON.stringify(raw.name)}`)
  if (typeof raw.description !== 'string' || raw.description.trim() === '') p.add('description', 'must be a non-empty string')

  const { n, params } = section.cluster(p, raw.cluster)
  const f = faultTolerance(n)
  const durationMs = section.durationMs(p, raw.durationMs)
  const livenessBoundMs = section.liveness(p, raw.liveness)
  const network = section.network(p, raw.network)
  const { byzantine, twins } = section.byzantine(p, raw.byzantine, n)
  const ctx: Context = { p, n, f, durationMs, twins }
  const faults = faultsOf(ctx, raw.faults)
  const roundPartitions = roundPartitionsOf(ctx, raw.roundPartitions)
  const leaders = leadersOf(ctx, raw.leaders)
  const workload = section.workload(ctx, raw.workload, params)
  // Faulty: Byzantine, or crashed for good.
  const permanent = faults.flatMap((x) => (x.kind === 'crash' && x.until === null && x.node.copy === 0 ? [x.node.node] : []))
  const faulty = [...new Set([...byzantine.filter((b) => b.behaviour !== 'honest').map((b) => b.node), ...permanent])].sort((a, b) => a - b)
  const expect = expectation({ ...ctx, livenessBoundMs, faults, workload, byzantineCount: byzantine.length, faulty }, raw.expect)
  const { midStepCrashRate, wireEncoding } = section.chaos(p, raw.chaos)
  const sampleIntervalMs = section.sampleIntervalMs(p, raw.sampleIntervalMs, durationMs, livenessBoundMs)
  const backends = section.backends(p, raw.backends, { byzantine, roundPartitions, leaders, midStepCrashRate, wireEncoding, networkGiven: raw.network !== undefined, workloadDecisions: workload.decisions !== undefined, faults })

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
    leaders,
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
