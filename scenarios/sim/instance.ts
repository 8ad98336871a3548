// The simulated instances: one per validator identity (two for a twin), each with its
// durable storage, its replica while it runs, and what the report samples of it.
import type { SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { ReplicaStats } from '../../src/consensus/replica.ts'
import type { Behaviour, SimReplica } from '../behaviours/types.ts'
import { behaviourNamed, type BehaviourName } from '../behaviours/index.ts'
import type { SimMark } from './clock.ts'
import type { SimOptions } from './options.ts'
import type { Prng } from './prng.ts'
import { instanceName, type SimSchedule } from './schedule.ts'
import { SimStorage } from './storage.ts'

export interface Instance {
  readonly id: number
  readonly identity: number
  readonly honest: boolean
  readonly behaviour: Behaviour
  readonly params: Readonly<Record<string, unknown>>
  /** For twins: which copy (0 or 1). */
  readonly copy: number
  readonly label: string
  replica: SimReplica | null
  readonly storage: SimStorage
  readonly timers: Map<string, number>
  readonly rng: Prng
  /** Commit time (virtual) per committed height. */
  readonly commitTimes: number[]
  /** Ids of committed entries. */
  readonly ids: Set<string>
  /** Crashed for good by the schedule: faulty, not judged by the liveness checker. */
  permanentlyDown: boolean
  /** Down by a scheduled crash: restarts only when that crash ends. */
  heldDown: boolean
  /** Statistics of replicas this instance ran before its restarts. */
  readonly carried: ReplicaStats
  /** Timers run this many times as fast as virtual time (clock skew). */
  timerRate: number
  /** Sampled [time, committed height] and [time, round]. */
  readonly heights: [number, number][]
  readonly rounds: [number, number][]
  /** The open mark of a current crash (closed on restart). */
  crashMark: SimMark | null
}

/** Who runs which behaviour: identity -> Byzantine behaviour (absent: honest). */
export type Assignments = Map<number, { behaviour: BehaviourName, params: Readonly<Record<string, unknown>> }>

/** Samples of height and round per instance are kept at most this often apart, and
 * at most this many per instance (a report draws a few hundred points per line). */
const SAMPLES_MAX = 2000

function zeroStats(): ReplicaStats {
  return { proposals: 0, votes: 0, timeouts: 0, qcsFormed: 0, tcsFormed: 0, ccsFormed: 0, blocksCommitted: 0, entriesCommitted: 0, rejected: 0, ignored: 0, syncRequests: 0 }
}

/** Byzantine identities: chosen from the seed, or given by the schedule. */
export function assignBehaviours(rng: Prng, options: SimOptions, sched: SimSchedule | null): Assignments {
  const assigned: Assignments = new Map()
  if (sched === null) {
    for (const i of rng.shuffle([...Array(options.nodes).keys()]).slice(0, options.byzantine)) assigned.set(i, { behaviour: options.behaviour, params: {} })
  } else {
    for (const a of sched.byzantine) if (a.behaviour !== 'honest') assigned.set(a.node, { behaviour: a.behaviour, params: a.params })
  }
  return assigned
}

/** Every identity's instances, in identity order (a twin's two copies side by side). */
export function createInstances(rng: Prng, nodes: number, assigned: Assignments, genesis: Genesis, signatures?: SignatureScheme): Instance[] {
  const instances: Instance[] = []
  for (let identity = 0; identity < nodes; identity++) {
    const a = assigned.get(identity)
    const behaviour = behaviourNamed(a?.behaviour ?? 'honest', rng)
    const copies = behaviour.twins === true ? 2 : 1
    for (let copy = 0; copy < copies; copy++) {
      instances.push({
        id: instances.length, identity, honest: a === undefined, behaviour, params: a?.params ?? {}, copy, replica: null,
        label: instanceName({ node: identity, copy: copy === 0 ? 0 : 1 }),
        storage: new SimStorage(genesis, signatures), timers: new Map(), rng: rng.fork(), commitTimes: [0], ids: new Set(),
        permanentlyDown: false, heldDown: false, carried: zeroStats(), timerRate: 1, heights: [], rounds: [], crashMark: null,
      })
    }
  }
  return instances
}

/** Keeps the statistics of the replica that is going away (crash) in `carried`. */
export function carryStats(inst: Instance): void {
  if (inst.replica === null) return
  const s = inst.replica.inner.stats
  for (const key of Object.keys(s) as (keyof ReplicaStats)[]) inst.carried[key] += s[key]
}

/** An instance's statistics over all its restarts. */
export function statsOf(inst: Instance): ReplicaStats {
  const out = { ...inst.carried }
  if (inst.replica !== null) {
    const s = inst.replica.inner.stats
    for (const key of Object.keys(s) as (keyof ReplicaStats)[]) out[key] += s[key]
  }
  return out
}

/** Samples every instance's committed height and round for the report's charts. */
export class Sampler {
  readonly everyMs: number
  #lastMs = -1

  constructor(everyMs: number) {
    this.everyMs = everyMs
  }

  sample(instances: readonly Instance[], now: number, final: boolean): void {
    if (!final && now === this.#lastMs) return
    this.#lastMs = now
    for (const inst of instances) {
      if (inst.heights.length >= SAMPLES_MAX && !final) continue
      inst.heights.push([now, inst.storage.committed.length - 1])
      if (inst.replica !== null) inst.rounds.push([now, inst.replica.inner.round])
    }
  }
}
