// The node's own code under deterministic simulation (FoundationDB / TigerBeetle style).
// n ValidatorNode instances (node/runtime/validator-node.ts: action execution in order,
// persist-before-send, the chain store's commit and reads, sync serving, the commit
// certificate path, health views) run under virtual time from one seed, over a
// simulated transport (sim-transport.ts) and simulated disks with storage faults
// (sim-disk.ts: a crash at any await, slow writes, disk full). Everything random comes
// from the seed's PRNG and every await resolves in virtual time, so a seed replays
// exactly (virtual-clock.ts says how the microtasks are run to quiescence).
//
// A run: a fault phase [0, faultsStopMs) with a workload of signed entries, reads of
// submitted entries and their receipts, partitions, loss, crashes (timed, and at store
// awaits), disk-full spells; then faults stop, every node restarts, each agent submits a
// probe; once every node holds every probe the cluster idles for idleMs. The judges
// (run-judges.ts) then read each node's durable store.
import { toHex } from '../../../src/crypto/hash.ts'
import { publicKeyFromSeed } from '../../../src/crypto/ed25519.ts'
import { entryId, signEntry } from '../../../src/log/entry.ts'
import type { Genesis, ProtocolParams } from '../../../src/log/genesis.ts'
import { faultTolerance } from '../../../src/log/validator-set.ts'
import { ChainStore } from '../../../node/store/chain-store.ts'
import { ValidatorNode, type NodeEvent } from '../../../node/runtime/validator-node.ts'
import { Prng } from '../prng.ts'
import { CHAIN_ID, SIM_PARAMS, simGenesis, simSeeds } from '../simulator.ts'
import { LogSink } from './log-sink.ts'
import { NO_DISK_FAULTS, SimDisk, SimKv, type DiskFaults } from './sim-disk.ts'
import { SimNetwork } from './sim-transport.ts'
import { VirtualClock, type TimerScope } from './virtual-clock.ts'
import { VoteWatch } from './vote-watch.ts'

export interface NodeSimOptions {
  readonly seed: number
  readonly nodes: number
  readonly faultsStopMs: number
  /** Virtual ms after faults stop within which every node must hold every probe. */
  readonly livenessBoundMs: number
  /** Quiet virtual ms after convergence (no workload): the idle chain is judged. */
  readonly idleMs: number
  readonly agents: number
  /** Mean interval between workload bursts (1-4 entries each). */
  readonly entryIntervalMs: number
  /** Mean interval between reads of a submitted entry and its receipt on one node. */
  readonly readIntervalMs: number
  readonly lossRate: number
  readonly partitions: number
  /** Timed crashes (each down 0.3-3 s) in the fault phase. */
  readonly crashes: number
  /** Disk-full spells in the fault phase (the node stops at its next write). */
  readonly diskFulls: number
  readonly disk: DiskFaults
  readonly params: ProtocolParams
}

export const NODE_SIM_PARAMS: ProtocolParams = { ...SIM_PARAMS, blockEntriesMax: 16 }

/** The virtual-time event budget of one run (a run needing more is stuck in a storm). */
const EVENTS_MAX = 5_000_000
/** How often the driver checks convergence after faults stop. */
const SAMPLE_MS = 100

/** Every option not given is drawn from the seed. */
export function deriveNodeSimOptions(seed: number, given: Partial<NodeSimOptions> = {}): NodeSimOptions {
  const rng = new Prng(seed ^ 0x40de51)
  const harsh = rng.chance(0.3)
  return {
    seed,
    nodes: given.nodes ?? rng.pick([4, 4, 4, 5, 7]),
    faultsStopMs: given.faultsStopMs ?? rng.range(2000, 5000),
    livenessBoundMs: given.livenessBoundMs ?? 20_000,
    // Longer than the slowest status poll (statusIntervalMs, 30 s): a node left behind on
    // the idle chain must have pulled the head by the end.
    idleMs: given.idleMs ?? 35_000,
    agents: given.agents ?? rng.range(2, 5),
    entryIntervalMs: given.entryIntervalMs ?? rng.range(20, 120),
    readIntervalMs: given.readIntervalMs ?? rng.range(2, 10),
    lossRate: given.lossRate ?? (harsh ? rng.float() * 0.1 : rng.float() * 0.02),
    partitions: given.partitions ?? rng.int(harsh ? 3 : 2),
    crashes: given.crashes ?? rng.int(harsh ? 4 : 2),
    diskFulls: given.diskFulls ?? rng.int(2),
    disk: given.disk ?? {
      crashPerCallRate: harsh ? 0.0005 : 0.0001,
      slowWriteRate: rng.float() * 0.05,
      slowWriteMs: [20, harsh ? 600 : 200],
      lateReadRate: 0.1,
    },
    params: given.params ?? NODE_SIM_PARAMS,
  }
}

/** Options without storage or network faults (a baseline, and the fast test). */
export function calmNodeSimOptions(seed: number, given: Partial<NodeSimOptions> = {}): NodeSimOptions {
  return deriveNodeSimOptions(seed, { lossRate: 0, partitions: 0, crashes: 0, diskFulls: 0, disk: NO_DISK_FAULTS, ...given })
}

/** One node incarnation: a process, from start to stop or crash. */
interface Incarnation {
  readonly node: ValidatorNode
  readonly kv: SimKv
  readonly timers: TimerScope
  running: boolean
}

export interface NodeSlot {
  readonly index: number
  readonly disk: SimDisk
  readonly log: LogSink
  incarnation: Incarnation | null
  /** Hex ids of entries this node committed (any incarnation). */
  readonly ids: Set<string>
  /** Virtual ms until which a restart waits (disk full); 0: none. */
  heldUntil: number
  crashes: number
  /** Highest height a 'commit' event reported, and 'certified' event. */
  committedHeight: number
  certifiedHeight: number
}

/** A node's own account of itself (what /healthz reports). */
export interface NodeViews {
  readonly height: number
  readonly ccHeight: number
  readonly certifiedHeight: number
}

/** What a finished run hands to the judges. */
export interface NodeSimRun {
  readonly options: NodeSimOptions
  readonly genesis: Genesis
  readonly slots: readonly NodeSlot[]
  /** Hex ids of every entry submitted, and of the probes. */
  readonly submitted: ReadonlySet<string>
  readonly probes: ReadonlySet<string>
  /** Virtual ms from faults stopping to every node holding every probe (-1: never). */
  readonly convergenceMs: number
  /** Commits and certificates in the order they happened: the determinism witness. */
  readonly trace: readonly string[]
  /** Failures the driver saw directly (read errors, unexpected stops, thrown errors). */
  readonly errors: readonly string[]
  /** Warn and error lines per node during the idle tail. */
  readonly idleWarnLines: readonly number[]
  /** What each node's health views said at the end (null: not running). */
  readonly views: readonly (NodeViews | null)[]
  readonly endMs: number
  readonly events: number
}

export class NodeSimulation {
  readonly options: NodeSimOptions
  readonly genesis: Genesis
  readonly clock = new VirtualClock(EVENTS_MAX)
  readonly #rng: Prng
  readonly #seeds: Uint8Array[]
  readonly #network: SimNetwork
  readonly slots: NodeSlot[]
  readonly #slotRngs: Prng[]
  readonly #agents: { seed: Uint8Array, key: Uint8Array, seq: number }[]
  readonly #f: number
  readonly submitted = new Set<string>()
  readonly #submittedList: Uint8Array[] = []
  readonly probes = new Set<string>()
  readonly trace: string[] = []
  readonly errors: string[] = []
  #faultsOn = true
  readonly #votes: VoteWatch

  constructor(options: NodeSimOptions) {
    this.options = options
    this.#rng = new Prng(options.seed)
    this.#seeds = simSeeds(options.seed, options.nodes)
    this.genesis = simGenesis(this.#seeds, options.params)
    this.#f = faultTolerance(options.nodes)
    this.#network = new SimNetwork(this.clock, this.#rng.fork(), options.nodes)
    this.#votes = new VoteWatch(options.params.payloadBytesMax)
    this.#network.onDirectSend = (from, bytes) => this.#votes.observe(from, bytes, this.clock.now)
    this.#slotRngs = this.#seeds.map(() => this.#rng.fork())
    this.slots = this.#seeds.map((_, index) => ({
      index, disk: new SimDisk(index), log: new LogSink(() => this.clock.now), incarnation: null, ids: new Set<string>(),
      heldUntil: 0, crashes: 0, committedHeight: 0, certifiedHeight: 0,
    }))
    this.#agents = Array.from({ length: options.agents }, () => {
      const seed = this.#rng.bytes(32)
      return { seed, key: publicKeyFromSeed(seed), seq: 0 }
    })
  }

  /** Runs the whole scenario and returns what the judges need. */
  async run(): Promise<NodeSimRun> {
    const o = this.options
    for (const slot of this.slots) await slot.disk.open()
    for (const slot of this.slots) this.clock.at(this.#rng.range(0, 20), () => this.#boot(slot))
    this.#scheduleFaults()
    this.#scheduleWorkload()
    this.#scheduleReads()
    this.clock.at(o.faultsStopMs, () => this.#stopFaults())
    // Probes go out once the restarted nodes are up.
    this.clock.at(o.faultsStopMs + 500, () => { for (let a = 0; a < this.#agents.length; a++) this.#submitProbe(a, 0) })
    let convergedAt = -1
    const deadline = o.faultsStopMs + o.livenessBoundMs
    for (let t = o.faultsStopMs; t <= deadline && convergedAt < 0; t += SAMPLE_MS) {
      await this.clock.runUntil(t)
      if (this.probes.size === this.#agents.length && this.slots.every((s) => s.incarnation?.running === true && [...this.probes].every((p) => s.ids.has(p)))) convergedAt = t
    }
    const warnBefore = this.slots.map((s) => s.log.warnLines + s.log.errorLines)
    const idleEnd = (convergedAt < 0 ? deadline : convergedAt) + o.idleMs
    await this.clock.runUntil(idleEnd)
    const idleWarnLines = this.slots.map((s, i) => s.log.warnLines + s.log.errorLines - warnBefore[i]!)
    const views = this.slots.map((s) => {
      const node = s.incarnation?.running === true ? s.incarnation.node : null
      return node === null ? null : { height: node.head.height, ccHeight: node.ccHeight, certifiedHeight: node.certifiedHeight }
    })
    for (const err of this.clock.errors) this.errors.push(`event error: ${err.name}: ${err.message}`)
    this.errors.push(...this.#votes.violations)
    return {
      options: o, genesis: this.genesis, slots: this.slots, submitted: this.submitted, probes: this.probes,
      convergenceMs: convergedAt < 0 ? -1 : convergedAt - o.faultsStopMs, trace: this.trace, errors: this.errors,
      idleWarnLines, views, endMs: this.clock.now, events: this.clock.events,
    }
  }

  // --- node incarnations ---

  #boot(slot: NodeSlot): void {
    if (slot.incarnation !== null) return
    const timers = this.clock.scope()
    const kv = new SimKv(slot.disk, this.clock, this.#slotRngs[slot.index]!, () => this.options.disk, {
      mayCrash: () => this.#mayFail(),
      onCrash: () => this.#crash(slot, 'storage crash at an await', this.#downMs()),
    })
    const node = new ValidatorNode(
      { genesis: this.genesis, seed: this.#seeds[slot.index]!, listen: [] },
      {
        store: new ChainStore(kv), logger: slot.log.logger, now: () => this.clock.now, timers, signaturePoolSize: 0,
        createTransport: (_options, inspect, onEvent) => this.#network.attach(slot.index, inspect, onEvent),
      },
    )
    const incarnation: Incarnation = { node, kv, timers, running: false }
    slot.incarnation = incarnation
    node.onEvent((event) => this.#onNodeEvent(slot, incarnation, event))
    node.start().then(
      () => {
        if (slot.incarnation !== incarnation) return
        incarnation.running = true
        this.trace.push(`${this.clock.now} n${slot.index} up at height ${node.head.height}, round ${node.round}`)
      },
      (err: unknown) => this.#stopped(slot, incarnation, err as Error),
    )
  }

  #onNodeEvent(slot: NodeSlot, incarnation: Incarnation, event: NodeEvent): void {
    if (slot.incarnation !== incarnation) return
    switch (event.type) {
      case 'commit':
        for (const id of event.entryIds) slot.ids.add(id)
        slot.committedHeight = Math.max(slot.committedHeight, event.height)
        this.trace.push(`${this.clock.now} n${slot.index} commit ${event.height} ${toHex(event.hash).slice(0, 16)} ${event.entries}`)
        return
      case 'certified':
        slot.certifiedHeight = Math.max(slot.certifiedHeight, event.height)
        this.trace.push(`${this.clock.now} n${slot.index} certified ${event.height}`)
        return
      case 'fatal':
        this.#stopped(slot, incarnation, event.error)
        return
      default:
        return
    }
  }

  /** The node stopped by itself (a failed start or a fatal error): the process exits.
   * Only a full disk is expected to do that; it restarts once the disk has room. */
  #stopped(slot: NodeSlot, incarnation: Incarnation, error: Error): void {
    if (slot.incarnation !== incarnation) return
    if (error.name !== 'DiskFullError') this.errors.push(`node ${slot.index} stopped at ${this.clock.now} ms: ${error.name}: ${error.message}`)
    this.#crash(slot, error.name, Math.max(this.#downMs(), slot.heldUntil - this.clock.now + 50))
  }

  #crash(slot: NodeSlot, why: string, downMs: number): void {
    const incarnation = slot.incarnation
    if (incarnation === null) return
    incarnation.kv.kill()
    incarnation.timers.kill()
    this.#network.detach(slot.index)
    slot.incarnation = null
    slot.crashes++
    this.trace.push(`${this.clock.now} n${slot.index} down (${why})`)
    this.clock.after(this.#faultsOn ? downMs : 50, () => this.#boot(slot))
  }

  #downMs(): number {
    return this.#faultsOn ? this.#rng.range(200, 2500) : 50
  }

  /** At most f nodes are down or about to stop (a full disk) at once. */
  #mayFail(): boolean {
    if (!this.#faultsOn) return false
    const failing = this.slots.filter((s) => s.incarnation === null || s.disk.full).length
    return failing < this.#f
  }

  // --- faults ---

  #scheduleFaults(): void {
    const o = this.options
    for (let i = 0; i < o.crashes; i++) {
      this.clock.at(this.#rng.range(100, o.faultsStopMs - 100), () => {
        const slot = this.#rng.pick(this.slots)
        if (slot.incarnation !== null && this.#mayFail()) this.#crash(slot, 'timed crash', this.#downMs())
      })
    }
    for (let i = 0; i < o.partitions; i++) {
      this.clock.at(this.#rng.range(100, o.faultsStopMs - 100), () => {
        if (!this.#faultsOn) return
        const sides = this.slots.map(() => this.#rng.int(2))
        this.#network.faults = { ...this.#network.faults, partition: sides }
        this.trace.push(`${this.clock.now} partition ${sides.join('')}`)
        this.clock.after(this.#rng.range(200, 1500), () => { this.#network.faults = { ...this.#network.faults, partition: null } })
      })
    }
    for (let i = 0; i < o.diskFulls; i++) {
      this.clock.at(this.#rng.range(100, o.faultsStopMs - 100), () => {
        const slot = this.#rng.pick(this.slots)
        if (slot.disk.full || slot.incarnation === null || !this.#mayFail()) return
        const spellMs = this.#rng.range(100, 1500)
        slot.disk.full = true
        slot.heldUntil = this.clock.now + spellMs
        this.trace.push(`${this.clock.now} n${slot.index} disk full for ${spellMs} ms`)
        this.clock.after(spellMs, () => { slot.disk.full = false })
      })
    }
    this.#network.faults = { lossRate: o.lossRate, partition: null }
  }

  #stopFaults(): void {
    this.#faultsOn = false
    this.#network.faults = { lossRate: 0, partition: null }
    for (const slot of this.slots) {
      slot.disk.full = false
      slot.heldUntil = 0
    }
    this.trace.push(`${this.clock.now} faults stop`)
  }

  // --- workload ---

  #scheduleWorkload(): void {
    const o = this.options
    const next = (): void => {
      if (this.clock.now >= o.faultsStopMs) return
      const agent = this.#rng.int(this.#agents.length)
      const count = this.#rng.range(1, 4)
      const entries = Array.from({ length: count }, () => this.#sign(agent, false))
      const running = this.slots.filter((s) => s.incarnation?.running === true)
      for (const slot of this.#rng.shuffle(running).slice(0, this.#f + 1)) this.#submit(slot, entries)
      this.clock.after(this.#rng.range(Math.ceil(o.entryIntervalMs / 2), Math.ceil(o.entryIntervalMs * 1.5)), next)
    }
    this.clock.at(50, next)
  }

  #sign(agentIndex: number, probe: boolean): ReturnType<typeof signEntry> {
    const agent = this.#agents[agentIndex]!
    agent.seq += 1
    const payload = JSON.stringify({ decision: `d${agent.seq}`, probe, pad: 'x'.repeat(this.#rng.int(200)) })
    const entry = signEntry({ agent: agent.key, namespace: `sim/agent-${agentIndex}`, seq: agent.seq, payload, refs: [], idempotencyKey: '' }, CHAIN_ID, agent.seed)
    const id = entryId(entry)
    this.submitted.add(toHex(id))
    this.#submittedList.push(id)
    if (probe) this.probes.add(toHex(id))
    return entry
  }

  /** Resolves with whether the node accepted every entry. */
  #submit(slot: NodeSlot, entries: ReturnType<typeof signEntry>[]): Promise<boolean> {
    const node = slot.incarnation?.node
    if (node === undefined) return Promise.resolve(false)
    return node.submit(entries).then((results) => results.every((r) => r === null), () => false)
  }

  #submitProbe(agentIndex: number, attempt: number): void {
    const entry = this.#sign(agentIndex, true)
    const running = this.slots.filter((s) => s.incarnation?.running === true)
    void Promise.all(running.map((slot) => this.#submit(slot, [entry]))).then((accepted) => {
      if (accepted.some((ok) => ok)) return
      // Nobody took it (still restarting): a new probe replaces it.
      this.probes.delete(toHex(entryId(entry)))
      if (attempt < 20) this.clock.after(500, () => this.#submitProbe(agentIndex, attempt + 1))
      else this.errors.push(`probe of agent ${agentIndex} accepted by no node in 20 attempts`)
    })
  }

  /** Reads as the HTTP API does: an entry by id, then its receipt, on a running node.
   * A read must see the store before or after a commit, never half of one. */
  #scheduleReads(): void {
    const o = this.options
    const next = (): void => {
      if (this.clock.now >= o.faultsStopMs + o.livenessBoundMs) return
      this.clock.after(this.#rng.range(1, o.readIntervalMs * 2), next)
      if (this.#submittedList.length === 0) return
      const slot = this.#rng.pick(this.slots)
      const incarnation = slot.incarnation
      if (incarnation === null || !incarnation.running) return
      const id = this.#submittedList[this.#submittedList.length - 1 - this.#rng.int(Math.min(64, this.#submittedList.length))]!
      const store = incarnation.node.store
      const read = async (): Promise<void> => {
        await store.entryById(id)
        await store.receipt(id)
      }
      read().catch((err: unknown) => {
        if (slot.incarnation !== incarnation || !incarnation.running) return
        const e = err as Error
        this.errors.push(`read on node ${slot.index} at ${this.clock.now} ms: ${e.name}: ${e.message}`)
      })
    }
    this.clock.at(60, next)
  }
}
