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
//
// This file composes the parts: the clock and event queue (clock.ts), the network
// (network.ts), the faults (faults.ts), the workload (workload.ts), the instances and
// their storage (instance.ts, storage.ts); it drives each replica's steps and executes
// their actions.
import { toHex } from '../../src/crypto/hash.ts'
import { ED25519, type SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import { entryId } from '../../src/log/entry.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { leaderElectionFor, ScheduledLeaderElection, type LeaderElection } from '../../src/log/leader-election.ts'
import { Replica, type ReplicaStats } from '../../src/consensus/replica.ts'
import { codePath as rejectionPath } from '../../src/consensus/rejections.ts'
import { decodeMessage, encodeMessage } from '../../src/consensus/messages.ts'
import { serveSyncRequest } from '../../src/consensus/sync.ts'
import type { Action, Event, ReplicaLimits } from '../../src/consensus/types.ts'
import { syncResponseBytesMax } from '../../src/consensus/replica-limits.ts'
import { SimClock, type SimEvent, type SimMark } from './clock.ts'
import { Faults } from './faults.ts'
import { assignBehaviours, carryStats, createInstances, Sampler, statsOf, type Instance } from './instance.ts'
import { drawLatency, SimNetwork, twinSides, type MessageCounts } from './network.ts'
import { simGenesis, simSeeds, type SimOptions } from './options.ts'
import { governanceAdmin, simGovernance } from './governance-workload.ts'
import { Prng } from './prng.ts'
import { simResult, type SimResult } from './results.ts'
import { StandinSignatures } from './standin-signatures.ts'
import type { SimSchedule } from './schedule.ts'
import { drawAgents, Workload } from './workload.ts'
import { RunWatch } from '../checkers/watch.ts'
import { describeEvidence } from '../checkers/run-evidence.ts'

export { SimStorage } from './storage.ts'
export { DEFAULT_NETWORK } from './schedule.ts'
export { CHAIN_ID, deriveOptions, replayCommand, SIM_PARAMS, simGenesis, simSeeds, type SimOptions } from './options.ts'
export { committedIds, percentile, type SimResult } from './results.ts'
export { SIGNATURE_MODES, isSignatureMode, type SignatureMode } from './standin-signatures.ts'
export type { MessageCounts } from './network.ts'
export type { SimMark } from './clock.ts'
export type { Instance } from './instance.ts'

const SIM_LIMITS: Partial<ReplicaLimits> = {}

/** The run's scheme: real Ed25519, or a stand-in with the validators' seeds registered
 * (agents' and any other signer's register as they first sign). */
function signatureScheme(mode: SimOptions['signatures'], genesis: Genesis, validatorSeeds: readonly Uint8Array[]): SignatureScheme {
  if (mode === 'ed25519') return ED25519
  const standin = new StandinSignatures()
  validatorSeeds.forEach((seed, i) => standin.register(seed, genesis.validators[i]!.publicKey))
  return standin
}

export class Simulation {
  readonly options: SimOptions
  readonly genesis: Genesis
  /** Who leads each round: the genesis's round-robin, or the schedule's scripted leaders. */
  readonly leaders: LeaderElection
  /** What every signer and verifier of this run uses (options.signatures): one scheme,
   * so a stand-in's registry is the run's. */
  readonly signatures: SignatureScheme
  readonly instances: Instance[]
  readonly #rng: Prng
  readonly #clock = new SimClock()
  readonly #seeds: Uint8Array[]
  readonly #schedule: SimSchedule | null
  readonly #network: SimNetwork
  readonly #faults: Faults
  readonly #workload: Workload
  readonly #sampler: Sampler
  /** The checkers that watch honest replicas act, restart and throw (scenarios/checkers/watch.ts). */
  readonly watch: RunWatch
  readonly errors: string[] = []
  /** `message type: rejection codes` (outer/inner, e.g. `proposal: block-entry-invalid/entry-bad-signature`) -> count, over all instances. */
  readonly rejections = new Map<string, number>()
  readonly protocolErrors: string[] = []
  /** Submissions the replicas refused, by rejection code path (e.g. `entry-governance`), over all instances. */
  readonly submitRefusals = new Map<string, number>()
  /** Faults as they happened, for the report's timeline. */
  readonly marks: SimMark[] = []

  constructor(options: SimOptions) {
    this.options = options
    const rng = new Prng(options.seed)
    this.#rng = rng
    const n = options.nodes
    this.#seeds = simSeeds(options.seed, n)
    this.genesis = simGenesis(this.#seeds, options.params, options.governance === undefined ? undefined : simGovernance(governanceAdmin(options.seed)))
    this.signatures = signatureScheme(options.signatures, this.genesis, this.#seeds)
    const sched = options.schedule ?? null
    this.#schedule = sched
    const scripted = sched?.leaders ?? null
    this.leaders = scripted === null ? leaderElectionFor(this.genesis) : new ScheduledLeaderElection(n, scripted)
    // The order of these draws from `rng` is part of what a seed means: keep it.
    const latency = drawLatency(rng, n, sched)
    const agents = drawAgents(rng, sched === null ? options.agents : sched.workload.agents)
    if (this.signatures instanceof StandinSignatures) for (const a of agents) this.signatures.register(a.seed, a.key)
    const assigned = assignBehaviours(rng, options, sched)
    const sides = twinSides(rng, n, assigned)
    this.instances = createInstances(rng, n, assigned, this.genesis, this.signatures)
    this.watch = new RunWatch(this.genesis, options.seed, this.leaders, this.signatures)
    const clock = this.#clock
    const parts = { options, schedule: sched, rng, clock, instances: this.instances }
    this.#network = new SimNetwork({ ...parts, latency, sides, marks: this.marks })
    this.#workload = new Workload({ ...parts, agents, signatures: this.signatures })
    this.#faults = new Faults({
      ...parts, network: this.#network, marks: this.marks,
      crash: (inst, why) => this.#crash(inst, why),
      restart: (inst) => this.#restart(inst),
    })
    const sampleEveryMs = sched === null ? 0 : sched.sampleIntervalMs
    this.#sampler = new Sampler(sampleEveryMs !== 0 ? sampleEveryMs : Math.max(20, Math.ceil((options.faultsStopMs + options.livenessBoundMs) / 400)))
  }

  run(): SimResult {
    const o = this.options
    for (const inst of this.instances) {
      if (this.#create(inst)) this.#step(inst, { type: 'start', now: 0 })
    }
    this.#workload.start()
    this.#faults.schedule()
    const clock = this.#clock
    clock.at(0, { kind: 'sample' })
    clock.at(o.faultsStopMs, { kind: 'faults-stop' })
    const livenessPhase = this.#schedule === null || this.#schedule.livenessPhase
    if (livenessPhase) clock.at(o.faultsStopMs + 100, { kind: 'probe' })
    const deadline = o.faultsStopMs + (livenessPhase ? o.livenessBoundMs : 0)
    const probes = this.#workload.probes
    // Checking convergence costs a pass over every instance: every 64 events is enough.
    const converged = clock.drain(deadline, (e) => this.#handle(e), (count) => probes.size > 0 && clock.now >= o.faultsStopMs && (count & 63) === 0 && this.#workload.allProbesCommitted())
    let convergedAt = converged ? clock.now : -1
    if (convergedAt < 0 && probes.size > 0 && this.#workload.allProbesCommitted()) convergedAt = clock.now
    this.#sampler.sample(this.instances, clock.now, true)
    for (const m of this.marks) if (m.until === undefined && (m.kind === 'partition' || m.kind === 'crash')) m.until = clock.now
    return simResult({
      options: o, instances: this.instances, latencies: this.#workload.latencies(), errors: [...this.errors, ...this.protocolErrors],
      messages: this.#network.messages, endMs: clock.now, convergedAt, evidence: this.watch.evidence,
    })
  }

  #handle(e: SimEvent): void {
    const now = this.#clock.now
    switch (e.kind) {
      case 'deliver': {
        const inst = this.instances[e.to]!
        if (inst.replica === null) return
        this.#network.delivered(e.message.type)
        const message = this.options.wireEncoding ? decodeMessage(encodeMessage(e.message)) : e.message
        return this.#step(inst, { type: 'message', now, from: e.from, message })
      }
      case 'timer': {
        const inst = this.instances[e.inst]!
        if (inst.replica === null || inst.timers.get(e.timerKind) !== e.token) return
        inst.timers.delete(e.timerKind)
        return this.#step(inst, { type: 'timer', now, kind: e.timerKind, round: e.round })
      }
      case 'submit': {
        const inst = this.instances[e.inst]!
        if (inst.replica === null) return
        return this.#step(inst, { type: 'submit', now, entries: e.entries })
      }
      case 'crash': {
        const inst = this.instances[e.inst]!
        if (!this.#clock.faultsOn || inst.replica === null) return
        this.#crash(inst, 'random crash')
        return this.#clock.at(now + e.downMs, { kind: 'restart', inst: inst.id })
      }
      case 'restart': {
        const inst = this.instances[e.inst]!
        if (inst.replica !== null || inst.permanentlyDown || inst.heldDown) return
        return this.#restart(inst)
      }
      case 'partition':
        if (this.#clock.faultsOn) this.#network.randomPartition(e.durationMs)
        return
      case 'heal': return this.#network.heal()
      case 'workload': return this.#workload.tick()
      case 'faults-stop': return this.#stopFaults()
      case 'probe': return this.#workload.probe()
      case 'fault': return this.#faults.apply(e.index, e.phase)
      case 'sample':
        this.#sampler.sample(this.instances, now, false)
        return this.#clock.at(now + this.#sampler.everyMs, { kind: 'sample' })
    }
  }

  /** The liveness phase begins: faults end, crashed honest instances restart. */
  #stopFaults(): void {
    this.#clock.faultsOn = false
    this.#network.heal()
    this.#faults.endAll()
    for (const inst of this.instances) {
      if (inst.replica === null && inst.honest && !inst.permanentlyDown) this.#clock.at(this.#clock.now, { kind: 'restart', inst: inst.id })
    }
  }

  /** Builds the instance's replica from its storage; false when that threw (reported as
   * a replica error; the instance then stays down for good: a restore that throws once
   * throws again from the same storage). */
  #create(inst: Instance): boolean {
    const restored = inst.storage.restoredState()
    const signatures = this.signatures
    const options = { genesis: this.genesis, validatorIndex: inst.identity, seed: this.#seeds[inst.identity]!, limits: SIM_LIMITS, leaders: this.leaders, signatures }
    try {
      inst.replica = inst.behaviour.create({
        genesis: this.genesis, index: inst.identity, seed: this.#seeds[inst.identity]!, signatures, limits: SIM_LIMITS, restored,
        rng: inst.rng.fork(), faultsStopMs: this.options.faultsStopMs,
        honest: () => new Replica(options, restored),
        params: inst.params,
        store: inst.storage,
      })
    } catch (err) {
      this.errors.push(describeEvidence(this.watch.threw(`node ${inst.label}`, 'restore', this.#clock.now, err)))
      inst.replica = null
      inst.permanentlyDown = true
      return false
    }
    if (inst.honest) this.watch.built(this.#actor(inst), inst.replica.inner.safetyState)
    return true
  }

  #actor(inst: Instance): { node: string, round: number } {
    return { node: `node ${inst.label}`, round: inst.replica?.inner.round ?? -1 }
  }

  // --- crash and restart ---

  #crash(inst: Instance, why: string): void {
    if (inst.honest) this.watch.crashed(`node ${inst.label}`)
    carryStats(inst)
    inst.replica = null
    inst.timers.clear()
    if (inst.crashMark === null) {
      inst.crashMark = { at: this.#clock.now, kind: 'crash', label: `node ${inst.label}: ${why}` }
      this.marks.push(inst.crashMark)
    }
  }

  #restart(inst: Instance): void {
    const built = this.#create(inst)
    if (inst.crashMark !== null) {
      inst.crashMark.until = this.#clock.now
      inst.crashMark = null
    }
    if (built) this.#step(inst, { type: 'start', now: this.#clock.now })
  }

  #step(inst: Instance, event: Event): void {
    let actions: Action[]
    if (inst.honest) this.watch.stepping(`node ${inst.label}`, event)
    try {
      actions = inst.replica!.step(event)
    } catch (err) {
      this.errors.push(describeEvidence(this.watch.threw(`node ${inst.label}`, 'step', this.#clock.now, err)))
      this.#crash(inst, 'threw an exception')
      return
    }
    // A crash in the middle of executing a step: only a prefix of the actions happens.
    const rng = this.#rng
    let limit = actions.length
    let crashAfter = false
    if (this.#clock.faultsOn && actions.length > 0 && this.options.midStepCrashRate > 0 && rng.chance(this.options.midStepCrashRate)) {
      limit = rng.int(actions.length)
      crashAfter = true
    }
    // The honest replica's actions are judged as they are executed (only those are done).
    const actor = inst.honest ? this.#actor(inst) : null
    for (let i = 0; i < limit; i++) {
      if (actor !== null) this.watch.executed(actor, actions[i]!)
      this.#execute(inst, actions[i]!)
    }
    if (actor !== null) this.watch.stepped(actor, inst.replica!.inner.safetyState)
    if (crashAfter) {
      this.#crash(inst, `crash in the middle of a step (after ${limit} of ${actions.length} actions)`)
      this.#clock.at(this.#clock.now + rng.range(50, 1000), { kind: 'restart', inst: inst.id })
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
        return this.#network.send(inst, a.to, a.message)
      case 'broadcast':
        for (let to = 0; to < this.options.nodes; to++) if (to !== inst.identity) this.#network.send(inst, to, a.message)
        return
      case 'set-timer': {
        const token = this.#clock.nextTimerToken()
        inst.timers.set(a.kind, token)
        const delay = inst.timerRate === 1 ? a.delayMs : Math.max(0, Math.round(a.delayMs / inst.timerRate))
        return this.#clock.at(this.#clock.now + delay, { kind: 'timer', inst: inst.id, timerKind: a.kind, round: a.round, token })
      }
      case 'commit':
        return this.#commit(inst, a)
      case 'store-commit-certificate':
        if (!s.storeCommitCertificate(a.cc) && inst.honest) this.protocolErrors.push(`node ${inst.label}: store-commit-certificate for height ${a.cc.height} does not match its committed block`)
        return
      case 'store-boundary-certificate':
        if (!s.storeBoundaryCertificate(a.height, a.boundary) && inst.honest) this.protocolErrors.push(`node ${inst.label}: store-boundary-certificate for height ${a.height} is not one for its committed block`)
        return
      case 'serve-sync': {
        const response = serveSyncRequest(a.request, s, syncResponseBytesMax(this.genesis.params.blockBytesMax))
        if (response !== null) this.#network.send(inst, a.to, response)
        return
      }
      case 'rejected': {
        const key = `${a.messageType}: ${rejectionPath(a.reason)}`
        this.rejections.set(key, (this.rejections.get(key) ?? 0) + 1)
        return
      }
      case 'submitted':
        for (const r of a.results) {
          if (r.rejected === null) continue
          const key = rejectionPath(r.rejected)
          this.submitRefusals.set(key, (this.submitRefusals.get(key) ?? 0) + 1)
        }
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
      s.appendCommitted(block, toHex(a.hashes[i]!))
      inst.commitTimes.push(this.#clock.now)
      for (const e of block.entries) {
        const id = toHex(entryId(e))
        inst.ids.add(id)
        if (inst.honest) this.#workload.committed(id)
      }
    }
    s.commitHead(a.log, a.qc, a.cc)
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
    return statsOf(inst)
  }

  /** entry id -> submit time. */
  get submitted(): ReadonlyMap<string, number> {
    return this.#workload.submitted
  }

  get probes(): ReadonlySet<string> {
    return this.#workload.probes
  }

  /** Per message type: what the network did with it. */
  get messageCounts(): ReadonlyMap<string, MessageCounts> {
    return this.#network.messageCounts
  }

  get now(): number {
    return this.#clock.now
  }
}
