// The deterministic network simulator (in the manner of TigerBeetle's VOPR). It drives
// the very same Replica as the node does, with virtual time, one seeded PRNG for
// everything, a priority queue of events, per-link delays, loss, duplication,
// reordering, partitions that heal, and crash/restart with simulated durable storage.
//
// A run has two phases. Safety phase [0, faultsStopMs): network faults and crashes,
// Byzantine behaviours active, a workload of signed entries. Liveness phase: network
// faults stop, partitions heal, crashed honest nodes restart; each agent submits one
// probe entry, and every honest node must commit every probe within livenessBoundMs.
// The checkers then judge the run.
//
// Two ways to say which faults happen:
//  - seed-derived (deriveOptions without `schedule`): the number of partitions and
//    crashes, loss and duplication rates, and who is Byzantine are drawn from the seed
//    (what `synod simulate` runs);
//  - explicit (`schedule`, what the scenario DSL compiles to): a timeline of partitions,
//    link changes, crashes and clock skews, Byzantine behaviours on chosen nodes, a
//    workload; the seed still decides every remaining random draw.
import { toHex } from '../../src/crypto/hash.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { blockHash } from '../../src/log/block.ts'
import { entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis, type ProtocolParams } from '../../src/log/genesis.ts'
import { faultTolerance } from '../../src/log/validator-set.ts'
import { Replica, type ReplicaStats } from '../../src/consensus/replica.ts'
import { codePath as rejectionPath } from '../../src/consensus/rejections.ts'
import { decodeMessage, encodeMessage } from '../../src/consensus/messages.ts'
import { serveSyncRequest } from '../../src/consensus/sync.ts'
import type { Action, Event, Message, ReplicaLimits, TimerKind } from '../../src/consensus/types.ts'
import { syncResponseBytesMax } from '../../src/consensus/replica-limits.ts'
import type { Behaviour, SimReplica } from '../behaviours/types.ts'
import { behaviourNamed, type BehaviourName } from '../behaviours/index.ts'
import { EventHeap } from './heap.ts'
import { Prng } from './prng.ts'
import { DEFAULT_NETWORK, instanceName, type InstanceRef, type LinkSettings, type SimSchedule } from './schedule.ts'
import { SimStorage } from './storage.ts'
import { DecisionWorkload } from './decision-workload.ts'

export { SimStorage } from './storage.ts'

export interface SimOptions {
  readonly seed: number
  readonly nodes: number
  /** Byzantine identities (they run `behaviour`); the rest are honest. */
  readonly byzantine: number
  readonly behaviour: BehaviourName
  readonly faultsStopMs: number
  readonly livenessBoundMs: number
  readonly agents: number
  /** Mean interval between workload bursts (1-4 entries) during the safety phase. */
  readonly entryIntervalMs: number
  /** Network fault rates during the safety phase. */
  readonly lossRate: number
  readonly duplicateRate: number
  readonly partitions: number
  readonly crashes: number
  /** Probability that a step is cut short by a crash after a random prefix of its actions. */
  readonly midStepCrashRate: number
  /** Round-trip every message through encodeMessage/decodeMessage. */
  readonly wireEncoding: boolean
  readonly params: ProtocolParams
  /** An explicit schedule: when present, `byzantine`, `behaviour`, `partitions`,
   * `crashes`, `lossRate`, `duplicateRate`, `agents` and `entryIntervalMs` are ignored. */
  readonly schedule?: SimSchedule
}

export const SIM_PARAMS: ProtocolParams = {
  ...DEFAULT_PARAMS,
  roundTimeoutMs: 400,
  roundTimeoutMaxMs: 3000,
  backoffPercent: 150,
  proposalDelayMs: 5,
  blockEntriesMax: 64,
  blockBytesMax: 256 * 1024,
  payloadBytesMax: 1024,
}

/** Every option not given is derived from the seed. */
export function deriveOptions(seed: number, given: Partial<SimOptions> = {}): SimOptions {
  const rng = new Prng(seed ^ 0x5eed)
  const nodes = given.nodes ?? rng.pick([4, 4, 5, 7, 10])
  const f = faultTolerance(nodes)
  const byzantine = given.byzantine ?? rng.int(f + 1)
  const harsh = rng.chance(0.3)
  return {
    seed,
    nodes,
    byzantine,
    behaviour: given.behaviour ?? 'mixed',
    faultsStopMs: given.faultsStopMs ?? rng.range(3000, 8000),
    livenessBoundMs: given.livenessBoundMs ?? 20_000,
    agents: given.agents ?? rng.range(2, 6),
    entryIntervalMs: given.entryIntervalMs ?? rng.range(150, 500),
    lossRate: given.lossRate ?? (harsh ? rng.float() * 0.2 : rng.float() * 0.03),
    duplicateRate: given.duplicateRate ?? rng.float() * 0.05,
    partitions: given.partitions ?? rng.int(harsh ? 4 : 2),
    crashes: given.crashes ?? rng.int(harsh ? 4 : 2),
    midStepCrashRate: given.midStepCrashRate ?? 0.002,
    wireEncoding: given.wireEncoding ?? false,
    params: given.params ?? SIM_PARAMS,
    ...(given.schedule === undefined ? {} : { schedule: given.schedule }),
  }
}

export interface SimResult {
  readonly options: SimOptions
  readonly safetyViolations: string[]
  readonly livenessFailures: string[]
  /** Exceptions thrown by replica code (always a bug when at most f are faulty). */
  readonly errors: string[]
  readonly entriesCommitted: number
  readonly blocksCommitted: number
  readonly rounds: number
  readonly timeouts: number
  readonly messages: number
  readonly rejected: number
  readonly latencyP50: number
  readonly latencyP99: number
  /** Every entry's submit-to-first-honest-commit latency, virtual ms, ascending. */
  readonly latencies: readonly number[]
  /** Virtual ms from the end of faults until every honest node committed every probe (or -1). */
  readonly convergenceMs: number
  readonly endMs: number
  readonly replay: string
}

/** What happened to the network, for reports: counts per message type. */
export interface MessageCounts {
  /** Copies put on the wire (duplicates included). */
  sent: number
  /** Not sent: the two ends were partitioned. */
  partitioned: number
  /** Lost on a lossy link. */
  lost: number
  /** Extra copies from duplication. */
  duplicated: number
  /** Arrived at a running instance. */
  delivered: number
}

/** A fault as it actually happened (scheduled, seed-derived or a mid-step crash). */
export interface SimMark {
  readonly at: number
  until?: number
  readonly kind: string
  readonly label: string
}

// ---------------------------------------------------------------------------------

interface Instance {
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

type SimEvent =
  | { kind: 'deliver', to: number, from: number, message: Message }
  | { kind: 'timer', inst: number, timerKind: TimerKind, round: number, token: number }
  | { kind: 'submit', inst: number, entries: Entry[] }
  | { kind: 'crash', inst: number, downMs: number }
  | { kind: 'restart', inst: number }
  | { kind: 'partition', durationMs: number }
  | { kind: 'heal' }
  | { kind: 'workload' }
  | { kind: 'faults-stop' }
  | { kind: 'probe' }
  | { kind: 'fault', index: number, phase: 'start' | 'end' }
  | { kind: 'sample' }

export const CHAIN_ID = 'sim'

export function simSeeds(seed: number, n: number): Uint8Array[] {
  const rng = new Prng(seed ^ 0x7a11da7e)
  return Array.from({ length: n }, () => rng.bytes(32))
}

export function simGenesis(seeds: readonly Uint8Array[], params: ProtocolParams): Genesis {
  return {
    chainId: CHAIN_ID,
    validators: seeds.map((s, i) => ({ name: `v${i}`, publicKey: publicKeyFromSeed(s), addresses: [] })),
    params,
    policy: { open: true, namespaces: {} },
  }
}

const SIM_LIMITS: Partial<ReplicaLimits> = {}
/** Samples of height and round per instance are kept at most this often apart, and
 * at most this many per instance (a report draws a few hundred points per line). */
const SAMPLES_MAX = 2000
/** The event loop's budget: a run that needs more is stuck in a message storm. */
const EVENTS_MAX = 20_000_000

function zeroStats(): ReplicaStats {
  return { proposals: 0, votes: 0, timeouts: 0, qcsFormed: 0, tcsFormed: 0, ccsFormed: 0, blocksCommitted: 0, entriesCommitted: 0, rejected: 0, ignored: 0, syncRequests: 0 }
}

/** The round a message belongs to, when it names one. */
function messageRound(m: Message): number | null {
  switch (m.type) {
    case 'proposal': return m.block.header.round
    case 'vote': return m.round
    case 'timeout': return m.round
    default: return null
  }
}

export class Simulation {
  readonly options: SimOptions
  readonly genesis: Genesis
  readonly instances: Instance[] = []
  readonly #rng: Prng
  /** Decisions and votes in the workload, when the schedule asks for them. */
  readonly #decisions: DecisionWorkload | null
  readonly #heap = new EventHeap<SimEvent>()
  readonly #seeds: Uint8Array[]
  readonly #latency: number[][]
  readonly #agents: { seed: Uint8Array, key: Uint8Array, seq: number }[]
  /** entry id -> submit time. */
  readonly submitted = new Map<string, number>()
  readonly #probes = new Set<string>()
  /** entry id -> first honest commit time. */
  readonly #firstCommit = new Map<string, number>()
  #now = 0
  #faultsOn = true
  #partition: number[] | null = null // identity -> side (seed-derived partitions)
  #messages = 0
  #timerToken = 0
  readonly #sides: number[] = []
  #twinSplitUntilMs = 0
  readonly errors: string[] = []
  /** `message type: rejection codes` (outer/inner, e.g. `proposal: block-entry-invalid/entry-bad-signature`) -> count, over all instances. */
  readonly rejections = new Map<string, number>()
  readonly protocolErrors: string[] = []
  /** Per message type: what the network did with it. */
  readonly messageCounts = new Map<string, MessageCounts>()
  /** Faults as they happened, for the report's timeline. */
  readonly marks: SimMark[] = []
  // --- explicit schedule state ---
  readonly #schedule: SimSchedule | null
  /** Scheduled partition: instance id -> group (-1: not listed, the implicit group). */
  #groups: number[] | null = null
  /** Active link overrides, `${from}>${to}` -> settings. */
  readonly #links = new Map<string, LinkSettings>()
  /** Round partitions (Twins): [round - 1][instance id] -> group. */
  readonly #roundGroups: number[][] | null = null
  readonly #faultMarks = new Map<number, SimMark>()
  #sampleEveryMs = 0
  #lastSampleMs = -1

  constructor(options: SimOptions) {
    this.options = options
    this.#rng = new Prng(options.seed)
    const n = options.nodes
    this.#seeds = simSeeds(options.seed, n)
    this.genesis = simGenesis(this.#seeds, options.params)
    this.#schedule = options.schedule ?? null
    const decisionPlan = this.#schedule?.workload.decisions
    this.#decisions = decisionPlan === undefined ? null : new DecisionWorkload(decisionPlan)
    const sched = this.#schedule
    if (sched === null) {
      // Per-link base latency: most links 2-30 ms, a few slow ones up to 150 ms.
      this.#latency = Array.from({ length: n }, () => Array.from({ length: n }, () => (this.#rng.chance(0.1) ? this.#rng.range(30, 150) : this.#rng.range(2, 30))))
    } else {
      const net = sched.network
      this.#latency = Array.from({ length: n }, () => Array.from({ length: n }, () => this.#rng.range(net.delayMinMs, net.delayMaxMs)))
    }
    const agentCount = sched === null ? options.agents : sched.workload.agents
    this.#agents = Array.from({ length: agentCount }, () => {
      const seed = this.#rng.bytes(32)
      return { seed, key: publicKeyFromSeed(seed), seq: 0 }
    })
    // Byzantine identities: chosen from the seed, or given by the schedule.
    const assigned = new Map<number, { behaviour: BehaviourName, params: Readonly<Record<string, unknown>> }>()
    if (sched === null) {
      for (const i of this.#rng.shuffle([...Array(n).keys()]).slice(0, options.byzantine)) assigned.set(i, { behaviour: options.behaviour, params: {} })
    } else {
      for (const a of sched.byzantine) if (a.behaviour !== 'honest') assigned.set(a.node, { behaviour: a.behaviour, params: a.params })
    }
    // Twin sides (seed-derived runs): honest identities alternate between the two sides
    // in a seeded order (so both sides hold honest nodes), then the Byzantine ones.
    const order = this.#rng.shuffle([...Array(n).keys()])
    const honestFirst = [...order.filter((i) => !assigned.has(i)), ...order.filter((i) => assigned.has(i))]
    honestFirst.forEach((identity, i) => { this.#sides[identity] = i % 2 })
    for (let identity = 0; identity < n; identity++) {
      const a = assigned.get(identity)
      const behaviour = behaviourNamed(a?.behaviour ?? 'honest', this.#rng)
      const copies = behaviour.twins === true ? 2 : 1
      for (let copy = 0; copy < copies; copy++) {
        const inst: Instance = {
          id: this.instances.length, identity, honest: a === undefined, behaviour, params: a?.params ?? {}, copy, replica: null,
          label: instanceName({ node: identity, copy: copy === 0 ? 0 : 1 }),
          storage: new SimStorage(this.genesis), timers: new Map(), rng: this.#rng.fork(), commitTimes: [0], ids: new Set(),
          permanentlyDown: false, heldDown: false, carried: zeroStats(), timerRate: 1, heights: [], rounds: [], crashMark: null,
        }
        this.instances.push(inst)
      }
    }
    if (sched === null) {
      if (this.instances.some((i) => i.behaviour.twins === true)) this.#twinSplitUntilMs = options.faultsStopMs
    } else {
      if (sched.roundPartitions !== null) this.#roundGroups = sched.roundPartitions.map((groups) => this.#groupsOf(groups))
      this.#sampleEveryMs = sched.sampleIntervalMs
    }
    if (this.#sampleEveryMs === 0) this.#sampleEveryMs = Math.max(20, Math.ceil((options.faultsStopMs + options.livenessBoundMs) / 400))
  }

  /** Instance id -> group index (-1 for instances no group lists). */
  #groupsOf(groups: readonly (readonly InstanceRef[])[]): number[] {
    const out = this.instances.map(() => -1)
    groups.forEach((group, g) => {
      for (const ref of group) {
        const inst = this.instances.find((i) => i.identity === ref.node && i.copy === ref.copy)
        if (inst === undefined) throw new RangeError(`partition names instance ${instanceName(ref)}, which does not exist`)
        out[inst.id] = g
      }
    })
    return out
  }

  // --- Twins (seed-derived runs): copy 0 of a twin identity talks to one side of the
  // other identities, copy 1 to the other side; until twinSplitUntilMs (in the safety
  // phase) the two sides of honest nodes are also cut from each other, as in the Twins
  // paper's scenarios. Scheduled runs say who talks to whom with partitions instead.
  #twinSide(identity: number): number {
    return this.#sides[identity]!
  }

  #linked(from: Instance, to: Instance, message: Message): boolean {
    if (this.#schedule !== null) return this.#linkedScheduled(from, to, message)
    if (from.behaviour.twins === true && to.behaviour.twins === true) return from.identity === to.identity || from.copy === to.copy
    if (from.behaviour.twins === true && to.identity !== from.identity && this.#twinSide(to.identity) !== from.copy) return false
    if (to.behaviour.twins === true && from.identity !== to.identity && this.#twinSide(from.identity) !== to.copy) return false
    if (this.#now < this.#twinSplitUntilMs && from.behaviour.twins !== true && to.behaviour.twins !== true && this.#twinSide(from.identity) !== this.#twinSide(to.identity)) return false
    return true
  }

  #linkedScheduled(from: Instance, to: Instance, message: Message): boolean {
    if (this.#groups !== null && this.#groups[from.id] !== this.#groups[to.id]) return false
    const rounds = this.#roundGroups
    if (rounds !== null && this.#faultsOn) {
      const round = messageRound(message) ?? from.replica?.inner.round ?? 0
      const groups = round >= 1 ? rounds[round - 1] : undefined
      if (groups !== undefined && groups[from.id] !== groups[to.id]) return false
    }
    return true
  }

  #create(inst: Instance): void {
    const restored = inst.storage.restoredState()
    const options = { genesis: this.genesis, validatorIndex: inst.identity, seed: this.#seeds[inst.identity]!, limits: SIM_LIMITS }
    inst.replica = inst.behaviour.create({
      genesis: this.genesis, index: inst.identity, seed: this.#seeds[inst.identity]!, limits: SIM_LIMITS, restored,
      rng: inst.rng.fork(), faultsStopMs: this.options.faultsStopMs,
      honest: () => new Replica(options, restored),
      params: inst.params,
      store: inst.storage,
    })
  }

  run(): SimResult {
    const o = this.options
    const sched = this.#schedule
    for (const inst of this.instances) {
      this.#create(inst)
      this.#step(inst, { type: 'start', now: 0 })
    }
    if (sched === null) {
      this.#heap.push(this.#rng.range(0, 50), { kind: 'workload' })
      for (let i = 0; i < o.partitions; i++) this.#heap.push(this.#rng.int(o.faultsStopMs), { kind: 'partition', durationMs: this.#rng.range(200, 3000) })
      for (let i = 0; i < o.crashes; i++) {
        const inst = this.#rng.pick(this.instances)
        this.#heap.push(this.#rng.int(o.faultsStopMs), { kind: 'crash', inst: inst.id, downMs: this.#rng.range(100, 3000) })
      }
    } else {
      const w = sched.workload
      if (w.agents > 0 && w.ratePerSecond > 0 && w.untilMs > w.fromMs) this.#heap.push(w.fromMs + this.#workloadGapMs(), { kind: 'workload' })
      sched.faults.forEach((fault, index) => {
        this.#heap.push(fault.at, { kind: 'fault', index, phase: 'start' })
        if (fault.kind !== 'crash' || fault.until !== null) this.#heap.push(fault.until!, { kind: 'fault', index, phase: 'end' })
      })
    }
    this.#heap.push(0, { kind: 'sample' })
    this.#heap.push(o.faultsStopMs, { kind: 'faults-stop' })
    const livenessPhase = sched === null || sched.livenessPhase
    if (livenessPhase) this.#heap.push(o.faultsStopMs + 100, { kind: 'probe' })
    const deadline = o.faultsStopMs + (livenessPhase ? o.livenessBoundMs : 0)
    let convergedAt = -1
    let guard = 0
    while (this.#heap.size > 0) {
      const next = this.#heap.pop()!
      if (next.time > deadline) break
      this.#now = next.time
      this.#handle(next.item)
      if (++guard > EVENTS_MAX) throw new Error('simulation event budget exhausted')
      if (this.#probes.size > 0 && this.#now >= o.faultsStopMs && (guard & 63) === 0 && this.#allProbesCommitted()) {
        convergedAt = this.#now
        break
      }
    }
    if (convergedAt < 0 && this.#probes.size > 0 && this.#allProbesCommitted()) convergedAt = this.#now
    this.#sample(true)
    for (const m of this.marks) if (m.until === undefined && (m.kind === 'partition' || m.kind === 'crash')) m.until = this.#now
    return this.#result(convergedAt)
  }

  #handle(e: SimEvent): void {
    switch (e.kind) {
      case 'deliver': {
        const inst = this.instances[e.to]!
        if (inst.replica === null) return
        this.#count(e.message.type).delivered++
        const message = this.options.wireEncoding ? decodeMessage(encodeMessage(e.message)) : e.message
        this.#step(inst, { type: 'message', now: this.#now, from: e.from, message })
        return
      }
      case 'timer': {
        const inst = this.instances[e.inst]!
        if (inst.replica === null || inst.timers.get(e.timerKind) !== e.token) return
        inst.timers.delete(e.timerKind)
        this.#step(inst, { type: 'timer', now: this.#now, kind: e.timerKind, round: e.round })
        return
      }
      case 'submit': {
        const inst = this.instances[e.inst]!
        if (inst.replica === null) return
        this.#step(inst, { type: 'submit', now: this.#now, entries: e.entries })
        return
      }
      case 'crash': {
        if (!this.#faultsOn) return
        const inst = this.instances[e.inst]!
        if (inst.replica === null) return
        this.#crash(inst, 'random crash')
        this.#heap.push(this.#now + e.downMs, { kind: 'restart', inst: inst.id })
        return
      }
      case 'restart': {
        const inst = this.instances[e.inst]!
        if (inst.replica !== null || inst.permanentlyDown || inst.heldDown) return
        this.#restart(inst)
        return
      }
      case 'partition': {
        if (!this.#faultsOn) return
        this.#partition = Array.from({ length: this.options.nodes }, () => this.#rng.int(2))
        const sides = [0, 1].map((s) => this.#partition!.flatMap((side, i) => (side === s ? [i] : [])).join(','))
        this.marks.push({ at: this.#now, until: this.#now + e.durationMs, kind: 'partition', label: `{${sides[0]}} | {${sides[1]}} (random)` })
        this.#heap.push(this.#now + e.durationMs, { kind: 'heal' })
        return
      }
      case 'heal':
        this.#partition = null
        return
      case 'workload': {
        if (this.#now >= this.options.faultsStopMs) return
        if (this.#schedule === null) {
          const burst = this.#rng.range(1, 4)
          for (let i = 0; i < burst; i++) this.#submitOne(false)
          this.#heap.push(this.#now + 1 + this.#rng.int(2 * this.options.entryIntervalMs), { kind: 'workload' })
          return
        }
        if (this.#now >= this.#schedule.workload.untilMs) return
        this.#submitOne(false)
        this.#heap.push(this.#now + this.#workloadGapMs(), { kind: 'workload' })
        return
      }
      case 'faults-stop': {
        this.#faultsOn = false
        this.#partition = null
        this.#endScheduledFaults()
        for (const inst of this.instances) {
          if (inst.replica === null && inst.honest && !inst.permanentlyDown) this.#heap.push(this.#now, { kind: 'restart', inst: inst.id })
        }
        return
      }
      case 'probe':
        for (let a = 0; a < this.#agents.length; a++) this.#submitOne(true, a)
        return
      case 'fault':
        this.#applyFault(e.index, e.phase)
        return
      case 'sample':
        this.#sample(false)
        this.#heap.push(this.#now + this.#sampleEveryMs, { kind: 'sample' })
        return
    }
  }

  // --- the explicit schedule ---

  #applyFault(index: number, phase: 'start' | 'end'): void {
    const fault = this.#schedule!.faults[index]!
    if (phase === 'end' && !this.#faultMarks.has(index)) return // already ended at faults-stop
    switch (fault.kind) {
      case 'partition': {
        if (phase === 'start') {
          this.#groups = this.#groupsOf(fault.groups)
          const listed = fault.groups.map((g) => `{${g.map(instanceName).join(',')}}`)
          const rest = this.instances.filter((_, i) => this.#groups![i] === -1).map((i) => i.label)
          this.#open(index, { at: this.#now, kind: 'partition', label: [...listed, ...(rest.length > 0 ? [`{${rest.join(',')}}`] : [])].join(' | ') })
        } else {
          this.#groups = null
          this.#close(index)
        }
        return
      }
      case 'link': {
        for (const from of fault.from) {
          for (const to of fault.to) {
            if (from === to) continue
            if (phase === 'start') this.#links.set(`${from}>${to}`, fault.settings)
            else this.#links.delete(`${from}>${to}`)
          }
        }
        if (phase === 'start') this.#open(index, { at: this.#now, kind: 'link', label: `${fault.from.join(',')} -> ${fault.to.join(',')}: ${JSON.stringify(fault.settings)}` })
        else this.#close(index)
        return
      }
      case 'crash': {
        const inst = this.#instanceOf(fault.node.node, fault.node.copy)
        if (phase === 'start') {
          this.#faultMarks.set(index, { at: this.#now, kind: 'crash', label: '' })
          inst.heldDown = true
          if (fault.until === null) inst.permanentlyDown = true
          if (inst.replica !== null) this.#crash(inst, fault.until === null ? 'crash (never restarts)' : 'crash')
        } else {
          this.#faultMarks.delete(index)
          inst.heldDown = false
          if (inst.replica === null) this.#restart(inst)
        }
        return
      }
      case 'skew': {
        const inst = this.#instanceOf(fault.node.node, fault.node.copy)
        inst.timerRate = phase === 'start' ? fault.rate : 1
        if (phase === 'start') this.#open(index, { at: this.#now, kind: 'skew', label: `node ${inst.label} timers x${fault.rate}` })
        else this.#close(index)
        return
      }
    }
  }

  #open(index: number, mark: SimMark): void {
    this.marks.push(mark)
    this.#faultMarks.set(index, mark)
  }

  #close(index: number): void {
    const mark = this.#faultMarks.get(index)
    if (mark !== undefined) mark.until = this.#now
    this.#faultMarks.delete(index)
  }

  /** At faults-stop: whatever the schedule left open ends (permanent crashes stay). */
  #endScheduledFaults(): void {
    if (this.#schedule === null) return
    for (const index of [...this.#faultMarks.keys()]) {
      const fault = this.#schedule.faults[index]!
      if (fault.kind === 'crash' && fault.until === null) continue
      this.#applyFault(index, 'end')
    }
    this.#groups = null
    this.#links.clear()
    for (const inst of this.instances) inst.timerRate = 1
  }

  #instanceOf(node: number, copy: number): Instance {
    const inst = this.instances.find((i) => i.identity === node && i.copy === copy)
    if (inst === undefined) throw new RangeError(`no instance ${node}${copy === 1 ? "'" : ''}`)
    return inst
  }

  #workloadGapMs(): number {
    const rate = this.#schedule!.workload.ratePerSecond
    // Exponential gaps (a Poisson process), at least 1 ms.
    return Math.max(1, Math.round((-Math.log(1 - this.#rng.float()) * 1000) / rate))
  }

  #sample(final: boolean): void {
    if (!final && this.#now === this.#lastSampleMs) return
    this.#lastSampleMs = this.#now
    for (const inst of this.instances) {
      if (inst.heights.length >= SAMPLES_MAX && !final) continue
      inst.heights.push([this.#now, inst.storage.committed.length - 1])
      if (inst.replica !== null) inst.rounds.push([this.#now, inst.replica.inner.round])
    }
  }

  // --- crash and restart ---

  #crash(inst: Instance, why: string): void {
    if (inst.replica !== null) {
      const s = inst.replica.inner.stats
      for (const key of Object.keys(s) as (keyof ReplicaStats)[]) inst.carried[key] += s[key]
    }
    inst.replica = null
    inst.timers.clear()
    if (inst.crashMark === null) {
      inst.crashMark = { at: this.#now, kind: 'crash', label: `node ${inst.label}: ${why}` }
      this.marks.push(inst.crashMark)
    }
  }

  #restart(inst: Instance): void {
    this.#create(inst)
    if (inst.crashMark !== null) {
      inst.crashMark.until = this.#now
      inst.crashMark = null
    }
    this.#step(inst, { type: 'start', now: this.#now })
  }

  /** The highest height any instance has committed (a decision's deadline is set from it). */
  #committedHeightMax(): number {
    let best = 0
    for (const inst of this.instances) best = Math.max(best, inst.storage.committed.length - 1)
    return best
  }

  #submitOne(probe: boolean, agentIndex?: number): void {
    const agent = this.#agents[agentIndex ?? this.#rng.int(this.#agents.length)]!
    agent.seq += 1 + (this.#rng.chance(0.1) ? 1 : 0) // gaps are allowed
    const a = this.#agents.indexOf(agent)
    const w = this.#schedule?.workload
    let payload = JSON.stringify({ decision: `d${agent.seq}`, probe })
    let namespace = `sim/agent-${a}`
    let refs: Uint8Array[] = []
    const about = probe ? null : this.#decisions?.next(this.#rng, a, this.#agents.map((x) => x.key), this.#committedHeightMax()) ?? null
    if (w !== undefined) {
      namespace = w.namespaces[a % w.namespaces.length]!
      const size = this.#rng.range(w.payloadBytesMin, w.payloadBytesMax)
      const pad = size - payload.length - 10
      if (pad > 0) payload = JSON.stringify({ decision: `d${agent.seq}`, probe, pad: 'x'.repeat(pad) })
    }
    if (about !== null) {
      payload = about.payload
      refs = about.refs
    }
    const entry = signEntry({ agent: agent.key, namespace, seq: agent.seq, payload, refs, idempotencyKey: '' }, CHAIN_ID, agent.seed)
    if (about?.proposal === true) this.#decisions!.proposed(entryId(entry), a)
    const id = toHex(entryId(entry))
    this.submitted.set(id, this.#now)
    if (probe) this.#probes.add(id)
    // To f+1 distinct identities: at least one is honest when at most f are faulty.
    const f = faultTolerance(this.options.nodes)
    const targets = about?.homeOnly === true ? [a % this.options.nodes] : this.#rng.shuffle([...Array(this.options.nodes).keys()]).slice(0, f + 1)
    for (const identity of targets) {
      const candidates = this.instances.filter((i) => i.identity === identity)
      const inst = this.#rng.pick(candidates)
      this.#heap.push(this.#now + this.#rng.range(1, 10), { kind: 'submit', inst: inst.id, entries: [entry] })
    }
  }

  #step(inst: Instance, event: Event): void {
    let actions: Action[]
    try {
      actions = inst.replica!.step(event)
    } catch (err) {
      this.errors.push(`t=${this.#now} node ${inst.label}: ${(err as Error).stack ?? String(err)}`)
      this.#crash(inst, 'threw an exception')
      return
    }
    // A crash in the middle of executing a step: only a prefix of the actions happens.
    let limit = actions.length
    let crashAfter = false
    if (this.#faultsOn && actions.length > 0 && this.options.midStepCrashRate > 0 && this.#rng.chance(this.options.midStepCrashRate)) {
      limit = this.#rng.int(actions.length)
      crashAfter = true
    }
    for (let i = 0; i < limit; i++) this.#execute(inst, actions[i]!)
    if (crashAfter) {
      this.#crash(inst, `crash in the middle of a step (after ${limit} of ${actions.length} actions)`)
      this.#heap.push(this.#now + this.#rng.range(50, 1000), { kind: 'restart', inst: inst.id })
    }
  }

  #execute(inst: Instance, a: Action): void {
    const s = inst.storage
    switch (a.type) {
      case 'persist-safety-state':
        s.safety = a.state
        return
      case 'persist-block':
        s.blocks.set(toHex(a.hash), a.block)
        return
      case 'send':
        this.#send(inst, a.to, a.message)
        return
      case 'broadcast':
        for (let to = 0; to < this.options.nodes; to++) if (to !== inst.identity) this.#send(inst, to, a.message)
        return
      case 'set-timer': {
        const token = ++this.#timerToken
        inst.timers.set(a.kind, token)
        const delay = inst.timerRate === 1 ? a.delayMs : Math.max(0, Math.round(a.delayMs / inst.timerRate))
        this.#heap.push(this.#now + delay, { kind: 'timer', inst: inst.id, timerKind: a.kind, round: a.round, token })
        return
      }
      case 'commit':
        this.#commit(inst, a)
        return
      case 'store-commit-certificate': {
        const block = s.committed[a.cc.height]
        if (block === undefined || toHex(blockHash(block.header)) !== toHex(a.cc.block)) {
          if (inst.honest) this.protocolErrors.push(`node ${inst.label}: store-commit-certificate for height ${a.cc.height} does not match its committed block`)
          return
        }
        s.ccs.set(a.cc.height, a.cc)
        return
      }
      case 'serve-sync': {
        const response = serveSyncRequest(a.request, s, syncResponseBytesMax(this.genesis.params.blockBytesMax))
        if (response !== null) this.#send(inst, a.to, response)
        return
      }
      case 'rejected': {
        const key = `${a.messageType}: ${rejectionPath(a.reason)}`
        this.rejections.set(key, (this.rejections.get(key) ?? 0) + 1)
        return
      }
      case 'submitted':
        return
    }
  }

  #commit(inst: Instance, a: Extract<Action, { type: 'commit' }>): void {
    const s = inst.storage
    for (let i = 0; i < a.blocks.length; i++) {
      const block = a.blocks[i]!
      if (block.header.height !== s.committed.length) {
        this.protocolErrors.push(`node ${inst.label}: commit of height ${block.header.height} after height ${s.committed.length - 1}`)
        return
      }
      s.committed.push(block)
      s.committedHashes.push(toHex(a.hashes[i]!))
      s.committedIndex.set(toHex(a.hashes[i]!), block.header.height)
      s.blocks.delete(toHex(a.hashes[i]!))
      inst.commitTimes.push(this.#now)
      for (const e of block.entries) {
        const key = toHex(e.agent)
        s.agentSeqs.set(key, Math.max(s.agentSeqs.get(key) ?? -1, e.seq))
        const id = toHex(entryId(e))
        inst.ids.add(id)
        if (inst.honest && !this.#firstCommit.has(id)) this.#firstCommit.set(id, this.#now)
      }
    }
    s.log = a.log
    s.headQc = a.qc
    if (a.cc !== null) s.ccs.set(a.cc.height, a.cc)
    // Forget stored blocks at or below the new head that were not committed (forks).
    const head = s.committed.length - 1
    for (const [key, block] of s.blocks) if (block.header.height <= head) s.blocks.delete(key)
  }

  #count(type: string): MessageCounts {
    let c = this.messageCounts.get(type)
    if (c === undefined) {
      c = { sent: 0, partitioned: 0, lost: 0, duplicated: 0, delivered: 0 }
      this.messageCounts.set(type, c)
    }
    return c
  }

  #send(from: Instance, to: number, message: Message): void {
    const counts = this.#count(message.type)
    for (const target of this.instances) {
      if (target.identity !== to || target.id === from.id) continue
      if (!this.#linked(from, target, message)) {
        counts.partitioned++
        continue
      }
      if (this.#partition !== null && this.#partition[from.identity] !== this.#partition[to]) {
        counts.partitioned++
        continue
      }
      if (this.#schedule !== null) {
        this.#sendScheduled(from, target, message, counts)
        continue
      }
      if (this.#faultsOn && this.#rng.chance(this.options.lossRate)) {
        counts.lost++
        continue
      }
      const copies = this.#faultsOn && this.#rng.chance(this.options.duplicateRate) ? 2 : 1
      if (copies === 2) counts.duplicated++
      for (let c = 0; c < copies; c++) {
        const base = this.#latency[from.identity]![to]!
        const jitter = this.#rng.int(Math.max(1, Math.floor(base / 2) + 5))
        this.#messages++
        counts.sent++
        this.#heap.push(this.#now + base + jitter, { kind: 'deliver', to: target.id, from: from.identity, message })
      }
    }
  }

  #sendScheduled(from: Instance, target: Instance, message: Message, counts: MessageCounts): void {
    const net = this.#schedule!.network
    const link = this.#links.get(`${from.identity}>${target.identity}`)
    const loss = link?.loss ?? net.loss
    const duplicate = link?.duplicate ?? net.duplicate
    if (this.#faultsOn && loss > 0 && this.#rng.chance(loss)) {
      counts.lost++
      return
    }
    const copies = this.#faultsOn && duplicate > 0 && this.#rng.chance(duplicate) ? 2 : 1
    if (copies === 2) counts.duplicated++
    const base = link?.delayMs ?? this.#latency[from.identity]![target.identity]!
    const jitterMs = link?.jitterMs ?? net.jitterMs
    for (let c = 0; c < copies; c++) {
      const jitter = jitterMs > 0 ? this.#rng.int(jitterMs + 1) : 0
      this.#messages++
      counts.sent++
      this.#heap.push(this.#now + base + jitter, { kind: 'deliver', to: target.id, from: from.identity, message })
    }
  }

  #allProbesCommitted(): boolean {
    for (const inst of this.instances) {
      if (!inst.honest || inst.permanentlyDown) continue
      for (const p of this.#probes) if (!inst.ids.has(p)) return false
    }
    return true
  }

  honestInstances(): Instance[] {
    return this.instances.filter((i) => i.honest)
  }

  /** Honest instances that the liveness checker judges (not crashed for good). */
  correctInstances(): Instance[] {
    return this.instances.filter((i) => i.honest && !i.permanentlyDown)
  }

  /** An instance's statistics over all its restarts. */
  statsOf(inst: Instance): ReplicaStats {
    const out = { ...inst.carried }
    if (inst.replica !== null) {
      const s = inst.replica.inner.stats
      for (const key of Object.keys(s) as (keyof ReplicaStats)[]) out[key] += s[key]
    }
    return out
  }

  #result(convergedAt: number): SimResult {
    const o = this.options
    const honest = this.honestInstances()
    const latencies: number[] = []
    for (const [id, t] of this.#firstCommit) {
      const s = this.submitted.get(id)
      if (s !== undefined) latencies.push(t - s)
    }
    latencies.sort((a, b) => a - b)
    let entries = 0
    let blocks = 0
    let rounds = 0
    let timeouts = 0
    let rejected = 0
    for (const inst of honest) {
      const h = inst.storage.committed.length - 1
      if (h > blocks) {
        blocks = h
        entries = inst.storage.log.size
      }
    }
    for (const inst of this.instances) {
      if (!inst.honest) continue
      if (inst.replica !== null) rounds = Math.max(rounds, inst.replica.inner.round)
      const s = this.statsOf(inst)
      timeouts += s.timeouts
      rejected += s.rejected
    }
    return {
      options: o,
      safetyViolations: [],
      livenessFailures: [],
      errors: [...this.errors, ...this.protocolErrors],
      entriesCommitted: entries,
      blocksCommitted: blocks,
      rounds,
      timeouts,
      messages: this.#messages,
      rejected,
      latencyP50: percentile(latencies, 0.5),
      latencyP99: percentile(latencies, 0.99),
      latencies,
      convergenceMs: convergedAt < 0 ? -1 : convergedAt - o.faultsStopMs,
      endMs: this.#now,
      replay: replayCommand(o),
    }
  }

  get probes(): ReadonlySet<string> {
    return this.#probes
  }

  get now(): number {
    return this.#now
  }
}

export function committedIds(storage: SimStorage): Set<string> {
  const ids = new Set<string>()
  for (const block of storage.committed) for (const e of block.entries) ids.add(toHex(entryId(e)))
  return ids
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

export function replayCommand(o: SimOptions): string {
  return `npx synod simulate --nodes ${o.nodes} --byzantine ${o.byzantine} --behaviour ${o.behaviour} --runs 1 --seed ${o.seed}`
}

export { DEFAULT_NETWORK }
