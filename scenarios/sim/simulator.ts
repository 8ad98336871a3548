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
import { toHex } from '../../src/crypto/hash.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { blockHash, genesisBlock, genesisQc, type Block } from '../../src/log/block.ts'
import type { CommitCertificate, QuorumCertificate } from '../../src/log/certificates.ts'
import { entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis, type ProtocolParams } from '../../src/log/genesis.ts'
import { faultTolerance } from '../../src/log/validator-set.ts'
import type { MerkleAccumulatorState } from '../../src/log/merkle.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { decodeMessage, encodeMessage } from '../../src/consensus/messages.ts'
import { serveSyncRequest, type SyncStore } from '../../src/consensus/sync.ts'
import type { Action, Event, Message, RestoredState, SafetyState, ReplicaLimits } from '../../src/consensus/types.ts'
import type { Behaviour, SimReplica } from '../behaviours/types.ts'
import { behaviourNamed, type BehaviourName } from '../behaviours/index.ts'
import { EventHeap } from './heap.ts'
import { Prng } from './prng.ts'

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

// ---------------------------------------------------------------------------------
// Simulated durable storage: what a real driver would write to disk.
// ---------------------------------------------------------------------------------

export class SimStorage implements SyncStore {
  safety: SafetyState | null = null
  readonly blocks = new Map<string, Block>()
  /** committed[h] = block at height h (committed[0] = genesis block). */
  readonly committed: Block[]
  readonly committedHashes: string[]
  readonly ccs = new Map<number, CommitCertificate>()
  headQc: QuorumCertificate | null
  log: MerkleAccumulatorState = { size: 0, frontier: [] }
  readonly agentSeqs = new Map<string, number>()

  constructor(genesis: Genesis) {
    const g = genesisBlock(genesis)
    this.committed = [g]
    this.committedHashes = [toHex(blockHash(g.header))]
    this.headQc = genesisQc(genesis)
  }

  /** Hash -> height of committed blocks. */
  readonly committedIndex = new Map<string, number>()

  blockByHash(hash: Uint8Array): Block | undefined {
    const key = toHex(hash)
    const height = this.committedIndex.get(key)
    return height !== undefined ? this.committed[height] : this.blocks.get(key)
  }
  committedBlock(height: number): Block | undefined {
    return this.committed[height]
  }
  commitCertificate(height: number): CommitCertificate | undefined {
    return this.ccs.get(height)
  }
  committedHeight(): number {
    return this.committed.length - 1
  }

  restoredState(): RestoredState | undefined {
    if (this.safety === null && this.committed.length === 1) return undefined
    const head = this.committed[this.committed.length - 1]!
    const headHeight = head.header.height
    return {
      safety: this.safety ?? { lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null, highQc: this.headQc!, highTc: null },
      committedHead: head,
      committedQc: this.headQc,
      committedLog: this.log,
      agentSeqs: new Map(this.agentSeqs),
      pendingBlocks: [...this.blocks.values()].filter((b) => b.header.height > headHeight),
    }
  }
}

// ---------------------------------------------------------------------------------

interface Instance {
  readonly id: number
  readonly identity: number
  readonly honest: boolean
  readonly behaviour: Behaviour
  /** For twins: which copy (0 or 1). */
  readonly copy: number
  replica: SimReplica | null
  readonly storage: SimStorage
  readonly timers: Map<string, number>
  readonly rng: Prng
  /** Commit time (virtual) per committed height. */
  readonly commitTimes: number[]
  /** Ids of committed entries. */
  readonly ids: Set<string>
}

type SimEvent =
  | { kind: 'deliver', to: number, from: number, message: Message }
  | { kind: 'timer', inst: number, timerKind: 'round' | 'propose', round: number, token: number }
  | { kind: 'submit', inst: number, entries: Entry[] }
  | { kind: 'crash', inst: number, downMs: number }
  | { kind: 'restart', inst: number }
  | { kind: 'partition', durationMs: number }
  | { kind: 'heal' }
  | { kind: 'workload' }
  | { kind: 'faults-stop' }
  | { kind: 'probe' }

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

export class Simulation {
  readonly options: SimOptions
  readonly genesis: Genesis
  readonly instances: Instance[] = []
  readonly #rng: Prng
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
  #partition: number[] | null = null // identity -> side
  #messages = 0
  #timerToken = 0
  readonly #sides: number[] = []
  #twinSplitUntilMs = 0
  readonly errors: string[] = []
  /** Rejection reasons (digits folded) -> count, over all instances. */
  readonly rejections = new Map<string, number>()
  readonly protocolErrors: string[] = []

  constructor(options: SimOptions) {
    this.options = options
    this.#rng = new Prng(options.seed)
    const n = options.nodes
    this.#seeds = simSeeds(options.seed, n)
    this.genesis = simGenesis(this.#seeds, options.params)
    // Per-link base latency: most links 2-30 ms, a few slow ones up to 150 ms.
    this.#latency = Array.from({ length: n }, () => Array.from({ length: n }, () => (this.#rng.chance(0.1) ? this.#rng.range(30, 150) : this.#rng.range(2, 30))))
    this.#agents = Array.from({ length: options.agents }, () => {
      const seed = this.#rng.bytes(32)
      return { seed, key: publicKeyFromSeed(seed), seq: 0 }
    })
    // Byzantine identities: chosen from the seed.
    const byzantine = new Set(this.#rng.shuffle([...Array(n).keys()]).slice(0, options.byzantine))
    // Twin sides: honest identities alternate between the two sides in a seeded order
    // (so both sides hold honest nodes), then the Byzantine ones.
    const order = this.#rng.shuffle([...Array(n).keys()])
    const honestFirst = [...order.filter((i) => !byzantine.has(i)), ...order.filter((i) => byzantine.has(i))]
    honestFirst.forEach((identity, i) => { this.#sides[identity] = i % 2 })
    for (let identity = 0; identity < n; identity++) {
      const isByz = byzantine.has(identity)
      const behaviour = behaviourNamed(isByz ? options.behaviour : 'honest', this.#rng)
      const copies = behaviour.twins === true ? 2 : 1
      for (let copy = 0; copy < copies; copy++) {
        const inst: Instance = {
          id: this.instances.length, identity, honest: !isByz, behaviour, copy, replica: null,
          storage: new SimStorage(this.genesis), timers: new Map(), rng: this.#rng.fork(), commitTimes: [0], ids: new Set(),
        }
        this.instances.push(inst)
      }
    }
    if (this.instances.some((i) => i.behaviour.twins === true)) this.#twinSplitUntilMs = options.faultsStopMs
  }

  // --- Twins: copy 0 of a twin identity talks to one side of the other identities,
  // copy 1 to the other side; until twinSplitUntilMs (in the safety phase) the two sides
  // of honest nodes are also cut from each other, as in the Twins paper's scenarios.
  #twinSide(identity: number): number {
    return this.#sides[identity]!
  }

  #linked(from: Instance, to: Instance): boolean {
    if (from.behaviour.twins === true && to.behaviour.twins === true) return from.identity === to.identity || from.copy === to.copy
    if (from.behaviour.twins === true && to.identity !== from.identity && this.#twinSide(to.identity) !== from.copy) return false
    if (to.behaviour.twins === true && from.identity !== to.identity && this.#twinSide(from.identity) !== to.copy) return false
    if (this.#now < this.#twinSplitUntilMs && from.behaviour.twins !== true && to.behaviour.twins !== true && this.#twinSide(from.identity) !== this.#twinSide(to.identity)) return false
    return true
  }

  #create(inst: Instance): void {
    const restored = inst.storage.restoredState()
    const options = { genesis: this.genesis, validatorIndex: inst.identity, seed: this.#seeds[inst.identity]!, limits: SIM_LIMITS }
    inst.replica = inst.behaviour.create({
      genesis: this.genesis, index: inst.identity, seed: this.#seeds[inst.identity]!, limits: SIM_LIMITS, restored,
      rng: inst.rng.fork(), faultsStopMs: this.options.faultsStopMs,
      honest: () => new Replica(options, restored),
    })
  }

  run(): SimResult {
    const o = this.options
    for (const inst of this.instances) {
      this.#create(inst)
      this.#step(inst, { type: 'start', now: 0 })
    }
    this.#heap.push(this.#rng.range(0, 50), { kind: 'workload' })
    for (let i = 0; i < o.partitions; i++) this.#heap.push(this.#rng.int(o.faultsStopMs), { kind: 'partition', durationMs: this.#rng.range(200, 3000) })
    for (let i = 0; i < o.crashes; i++) {
      const inst = this.#rng.pick(this.instances)
      this.#heap.push(this.#rng.int(o.faultsStopMs), { kind: 'crash', inst: inst.id, downMs: this.#rng.range(100, 3000) })
    }
    this.#heap.push(o.faultsStopMs, { kind: 'faults-stop' })
    this.#heap.push(o.faultsStopMs + 100, { kind: 'probe' })
    const deadline = o.faultsStopMs + o.livenessBoundMs
    let convergedAt = -1
    let guard = 0
    while (this.#heap.size > 0) {
      const next = this.#heap.pop()!
      if (next.time > deadline) break
      this.#now = next.time
      this.#handle(next.item)
      if (++guard > 20_000_000) throw new Error('simulation event budget exhausted')
      if (this.#probes.size > 0 && this.#now >= o.faultsStopMs && (guard & 63) === 0 && this.#allProbesCommitted()) {
        convergedAt = this.#now
        break
      }
    }
    if (convergedAt < 0 && this.#probes.size > 0 && this.#allProbesCommitted()) convergedAt = this.#now
    return this.#result(convergedAt)
  }

  #handle(e: SimEvent): void {
    switch (e.kind) {
      case 'deliver': {
        const inst = this.instances[e.to]!
        if (inst.replica === null) return
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
        this.#crash(inst)
        this.#heap.push(this.#now + e.downMs, { kind: 'restart', inst: inst.id })
        return
      }
      case 'restart': {
        const inst = this.instances[e.inst]!
        if (inst.replica !== null) return
        this.#create(inst)
        this.#step(inst, { type: 'start', now: this.#now })
        return
      }
      case 'partition': {
        if (!this.#faultsOn) return
        this.#partition = Array.from({ length: this.options.nodes }, () => this.#rng.int(2))
        this.#heap.push(this.#now + e.durationMs, { kind: 'heal' })
        return
      }
      case 'heal':
        this.#partition = null
        return
      case 'workload': {
        if (this.#now >= this.options.faultsStopMs) return
        const burst = this.#rng.range(1, 4)
        for (let i = 0; i < burst; i++) this.#submitOne(false)
        this.#heap.push(this.#now + 1 + this.#rng.int(2 * this.options.entryIntervalMs), { kind: 'workload' })
        return
      }
      case 'faults-stop': {
        this.#faultsOn = false
        this.#partition = null
        for (const inst of this.instances) {
          if (inst.replica === null && inst.honest) this.#heap.push(this.#now, { kind: 'restart', inst: inst.id })
        }
        return
      }
      case 'probe':
        for (let a = 0; a < this.#agents.length; a++) this.#submitOne(true, a)
        return
    }
  }

  #crash(inst: Instance): void {
    inst.replica = null
    inst.timers.clear()
  }

  #submitOne(probe: boolean, agentIndex?: number): void {
    const agent = this.#agents[agentIndex ?? this.#rng.int(this.#agents.length)]!
    agent.seq += 1 + (this.#rng.chance(0.1) ? 1 : 0) // gaps are allowed
    const a = this.#agents.indexOf(agent)
    const entry = signEntry({
      agent: agent.key, namespace: `sim/agent-${a}`, seq: agent.seq,
      payload: JSON.stringify({ decision: `d${agent.seq}`, probe }), refs: [], idempotencyKey: '',
    }, CHAIN_ID, agent.seed)
    const id = toHex(entryId(entry))
    this.submitted.set(id, this.#now)
    if (probe) this.#probes.add(id)
    // To f+1 distinct identities: at least one is honest when at most f are faulty.
    const f = faultTolerance(this.options.nodes)
    const targets = this.#rng.shuffle([...Array(this.options.nodes).keys()]).slice(0, f + 1)
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
      this.errors.push(`t=${this.#now} node ${inst.identity}${inst.copy > 0 ? "'" : ''}: ${(err as Error).stack ?? String(err)}`)
      this.#crash(inst)
      return
    }
    // A crash in the middle of executing a step: only a prefix of the actions happens.
    let limit = actions.length
    let crashAfter = false
    if (this.#faultsOn && actions.length > 0 && this.#rng.chance(this.options.midStepCrashRate)) {
      limit = this.#rng.int(actions.length)
      crashAfter = true
    }
    for (let i = 0; i < limit; i++) this.#execute(inst, actions[i]!)
    if (crashAfter) {
      this.#crash(inst)
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
        this.#heap.push(this.#now + a.delayMs, { kind: 'timer', inst: inst.id, timerKind: a.kind, round: a.round, token })
        return
      }
      case 'commit':
        this.#commit(inst, a)
        return
      case 'store-commit-certificate': {
        const block = s.committed[a.cc.height]
        if (block === undefined || toHex(blockHash(block.header)) !== toHex(a.cc.block)) {
          if (inst.honest) this.protocolErrors.push(`node ${inst.identity}: store-commit-certificate for height ${a.cc.height} does not match its committed block`)
          return
        }
        s.ccs.set(a.cc.height, a.cc)
        return
      }
      case 'serve-sync': {
        const response = serveSyncRequest(a.request, s)
        if (response !== null) this.#send(inst, a.to, response)
        return
      }
      case 'rejected': {
        const key = `${a.messageType}: ${a.reason.replace(/\d+/g, '#')}`
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
        this.protocolErrors.push(`node ${inst.identity}${inst.copy > 0 ? "'" : ''}: commit of height ${block.header.height} after height ${s.committed.length - 1}`)
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

  #send(from: Instance, to: number, message: Message): void {
    for (const target of this.instances) {
      if (target.identity !== to || target.id === from.id) continue
      if (!this.#linked(from, target)) continue
      if (this.#partition !== null && this.#partition[from.identity] !== this.#partition[to]) continue
      if (this.#faultsOn && this.#rng.chance(this.options.lossRate)) continue
      const copies = this.#faultsOn && this.#rng.chance(this.options.duplicateRate) ? 2 : 1
      for (let c = 0; c < copies; c++) {
        const base = this.#latency[from.identity]![to]!
        const jitter = this.#rng.int(Math.max(1, Math.floor(base / 2) + 5))
        this.#messages++
        this.#heap.push(this.#now + base + jitter, { kind: 'deliver', to: target.id, from: from.identity, message })
      }
    }
  }

  #allProbesCommitted(): boolean {
    for (const inst of this.instances) {
      if (!inst.honest) continue
      for (const p of this.#probes) if (!inst.ids.has(p)) return false
    }
    return true
  }

  honestInstances(): Instance[] {
    return this.instances.filter((i) => i.honest)
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
      if (inst.replica === null) continue
      const r = inst.replica.inner
      if (inst.honest) rounds = Math.max(rounds, r.round)
      if (inst.honest) timeouts += r.stats.timeouts
      if (inst.honest) rejected += r.stats.rejected
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
