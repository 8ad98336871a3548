// The validator node: drives the consensus core (src/consensus/replica.ts) with real
// time, the libp2p transport and the chain store. One loop takes one input at a time
// (timer, network message, local submissions), steps the replica, and executes the
// actions it returns IN ORDER (execute-actions.ts). Persist actions are written durably
// (fsync'd, batched when adjacent) before any later action of the same step runs, so no
// vote or timeout leaves the process before the safety state that allows it is on disk.
// Around the loop, each its own module: the network pump (network-pump.ts), sending
// (outbound.ts), timers (replica-timers.ts), commit writes (commit-writer.ts), sync
// serving (sync-serves.ts), input checks (message-inspection.ts), transport events
// (transport-events.ts), tracing (step-trace.ts) and the replication of sealed entries'
// sidecars (sidecar-replication.ts).
import type { Logger } from 'pino'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { describe as describeRejection, type Rejection } from '../../src/consensus/rejections.ts'
import type { Action, Event, Message } from '../../src/consensus/types.ts'
import type { Entry, Hash } from '../../src/log/entry.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { Sidecar } from '../../src/sealed/sidecar.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { NODE_LIMITS } from '../limits.ts'
import { Libp2pTransport } from '../net/libp2p-transport.ts'
import type { Transport, TransportStats } from '../net/transport.ts'
import type { Head, Store } from '../store/store.ts'
import { CommitSignal } from './commit-signal.ts'
import { CommitWriter } from './commit-writer.ts'
import { EntryBatches } from './entry-batches.ts'
import { NodeFatalError, QueueFullError } from './errors.ts'
import { executeActions, type PerformedAction } from './execute-actions.ts'
import { traceCpuUs, traceWallMs } from './hop-trace.ts'
import { Mailbox, type Input, type NetworkInput, type SubmitInput, type SubmitOutcome } from './mailbox.ts'
import { pumpNetwork } from './network-pump.ts'
import { inspectMessage } from './message-inspection.ts'
import { NodeEventListeners, type NodeEvent } from './node-events.ts'
import { Outbound } from './outbound.ts'
import { PendingSubmissions, type SupersededEntry } from './pending-submissions.ts'
import { ProposalSightings } from './proposal-sightings.ts'
import { penaltyCauseOf } from './rejection-causes.ts'
import { PeerBook, transportValidators } from './transport-validators.ts'
import { ReplicaTimers } from './replica-timers.ts'
import { restoreReplicaState } from './restore.ts'
import { settleSubmissions } from './settle-submissions.ts'
import { StepTracer } from './step-trace.ts'
import { SidecarReplication } from './sidecar-replication.ts'
import { SyncServes } from './sync-serves.ts'
import { SyncSignatureChecker } from './sync-signatures.ts'
import { REAL_TIMERS, type RuntimeTimers } from './timers.ts'
import { TransportEvents } from './transport-events.ts'
import type { CreateTransport, ValidatorNodeDependencies, ValidatorNodeOptions } from './validator-node-options.ts'

export type { NodeEvent } from './node-events.ts'
export type { TransportFactoryOptions, ValidatorNodeDependencies, ValidatorNodeOptions } from './validator-node-options.ts'
export { QueueFullError } from './errors.ts'

export class ValidatorNode {
  readonly genesis: Genesis
  /** The genesis index of this node's key, -1 for a joining validator's. */
  readonly #genesisIndex: number
  /** Every validator info seen in the committed chain: the directory's addresses. */
  readonly #peerBook: PeerBook
  readonly commits = new CommitSignal()
  readonly #options: ValidatorNodeOptions
  readonly #store: Store
  readonly #logger: Logger
  readonly #now: () => number
  readonly #clock: RuntimeTimers
  readonly #signaturePoolSize: number | undefined
  readonly #createTransport: CreateTransport
  readonly #mailbox = new Mailbox<Message>(NODE_LIMITS.driverQueueMax, NODE_LIMITS.driverQueueMax, NODE_LIMITS.bulkQueueBytesMax)
  readonly #timers: ReplicaTimers
  readonly #listeners: NodeEventListeners
  /** Entries accepted through this node and not yet committed, and those that a later
   * seq of their agent superseded. */
  readonly #pending = new PendingSubmissions({ pendingMax: NODE_LIMITS.pendingSubmissionsMax, pendingBytesMax: NODE_LIMITS.pendingSubmissionsBytesMax, supersededMax: NODE_LIMITS.supersededEntriesMax })
  /** First sighting of proposals, for commit latency. */
  readonly #sightings = new ProposalSightings()
  readonly #outbound: Outbound
  readonly #writer: CommitWriter
  readonly #syncServes: SyncServes
  readonly #transportEvents: TransportEvents
  readonly #tracer: StepTracer
  #replica: Replica | null = null
  /** Verifies the entry signatures of sync responses on worker threads (from start). */
  #syncSignatures: SyncSignatureChecker | null = null
  #transport: Transport<Message> | null = null
  /** Sidecar replication, when the transport has the sidecar protocol (from start). */
  #sidecars: SidecarReplication | null = null
  #loop: Promise<void> | null = null
  #pump: Promise<void> | null = null
  /** Entries on their way to the next leaders, batched per peer. */
  readonly #entryBatches: EntryBatches
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new'
  #lastRound = 0
  /** How many directory validators the transport has (it follows the directory). */
  #transportValidators = 0

  constructor(options: ValidatorNodeOptions, dependencies: ValidatorNodeDependencies) {
    const key = publicKeyFromSeed(options.seed)
    const index = options.genesis.validators.findIndex((v) => bytesEqual(v.publicKey, key))
    // A key outside the genesis is a joining validator's: it needs the switch to follow the
    // reconfiguration that names it.
    if (index < 0 && options.reconfigurations !== 'switch') throw new NodeFatalError(`key ${toHex(key)} is not a validator of chain '${options.genesis.chainId}'`)
    this.genesis = options.genesis
    this.#genesisIndex = index
    this.#peerBook = new PeerBook(options.genesis)
    this.#options = options
    this.#store = dependencies.store
    this.#logger = dependencies.logger
    this.#now = dependencies.now ?? Date.now
    this.#clock = dependencies.timers ?? REAL_TIMERS
    this.#signaturePoolSize = dependencies.signaturePoolSize
    this.#listeners = new NodeEventListeners(this.#logger)
    const emit = (event: NodeEvent): void => this.#listeners.emit(event)
    this.#outbound = new Outbound(() => this.index, () => this.#replica?.directory.size ?? options.genesis.validators.length, this.#logger, () => this.#transport)
    const send = (to: number, message: Message): void => this.#outbound.send(to, message)
    this.#timers = new ReplicaTimers(this.#clock, () => this.stopping, (kind, round) => this.#mailbox.pushTimer({ type: 'timer', kind, round }))
    this.#tracer = new StepTracer(this.#logger, () => ({ round: this.round, headHeight: this.#store.head.height }))
    this.#writer = new CommitWriter({
      store: this.#store, logger: this.#logger, now: this.#now, emit, traceHop: (hop, fields) => this.traceHop(hop, fields),
      pending: this.#pending, sightings: this.#sightings, commits: this.commits,
      committed: (blocks) => this.#sidecars?.committed(blocks),
    })
    this.#syncServes = new SyncServes({ store: this.#store, logger: this.#logger, blockBytesMax: options.genesis.params.blockBytesMax, send, stopping: () => this.stopping })
    this.#transportEvents = new TransportEvents({ logger: this.#logger, emit, send, running: () => this.running, connectedPeers: () => this.#transport?.connectedPeers().length ?? 0 })
    this.#entryBatches = new EntryBatches(this.#clock, (to, entries) => send(to, { type: 'entries', entries }))
    this.#createTransport = dependencies.createTransport ?? ((o, inspect, onEvent) => new Libp2pTransport<Message>(
      { chainId: o.genesis.chainId, validators: o.validators, selfIndex: o.selfIndex, seed: o.seed, listen: o.listen },
      { inspect, onEvent },
    ))
  }

  // --- views ---

  /** This node's validator directory index: its genesis index, or for a joining
   * validator -1 until a committed reconfiguration names its key. */
  get index(): number {
    return this.#replica?.index ?? this.#genesisIndex
  }

  get store(): Store {
    return this.#store
  }

  get head(): Head {
    return this.#store.head
  }

  get running(): boolean {
    return this.#state === 'running'
  }

  get stopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped'
  }

  get round(): number {
    return this.#replica?.round ?? 0
  }

  /** Height of the replica's committed head: above the store's head while a commit is
   * being written. */
  get committedHeight(): number {
    return this.#replica?.committedHeight ?? 0
  }

  get mempoolSize(): number {
    return this.#replica?.mempoolSize ?? 0
  }

  /** Height of the highest certified block this node knows (ahead of the head by the
   * blocks not yet committed); a large gap means the node is catching up. */
  get certifiedHeight(): number {
    return this.#replica?.highQc?.height ?? 0
  }

  /** Heights known committed by a quorum (a verified commit certificate) that this node
   * has yet to commit; 0 when caught up with what it has heard from its peers. */
  get syncLagHeights(): number {
    return this.#replica?.syncLagHeights ?? 0
  }

  /** Height of the highest stored commit certificate: every committed entry at or below
   * it has a receipt. */
  get ccHeight(): number {
    return this.#writer.ccHeight
  }

  get peers(): number[] {
    return this.#transport?.connectedPeers() ?? []
  }

  /** The transport's message and byte counters (null before start). */
  get transportStats(): Readonly<TransportStats> | null {
    return this.#transport?.stats ?? null
  }

  /** Sidecar replication's counters (null without it: before start, or a transport
   * without the sidecar protocol). */
  get sidecarReplication(): SidecarReplication | null {
    return this.#sidecars
  }

  listenAddresses(): string[] {
    return this.#transport?.listenAddresses() ?? []
  }

  pendingEntry(id: Hash): Entry | undefined {
    return this.#pending.get(toHex(id))?.entry
  }

  /** An entry accepted here that can never commit: a later seq of its agent committed. */
  supersededEntry(id: Hash): SupersededEntry | undefined {
    return this.#pending.superseded(toHex(id))
  }

  onEvent(listener: (event: NodeEvent) => void): () => void {
    return this.#listeners.add(listener)
  }

  #emit(event: NodeEvent): void {
    this.#listeners.emit(event)
  }

  // --- lifecycle ---

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new NodeFatalError(`cannot start a node that is ${this.#state}`)
    this.#state = 'starting'
    await this.#store.open(this.genesis)
    const restored = await restoreReplicaState(this.#store, this.genesis, this.#options.replicaLimits?.pendingBlocksMax ?? 1024)
    this.#writer.ccHeight = (await this.#store.latestCommitCertificate())?.height ?? 0
    const skipEntrySignatures = this.#options.unsafeSkipEntrySignatures === true
    this.#replica = new Replica({
      genesis: this.genesis, ...(this.#genesisIndex < 0 ? {} : { validatorIndex: this.#genesisIndex }), seed: this.#options.seed,
      limits: this.#options.replicaLimits, unsafeSkipEntrySignatures: skipEntrySignatures, reconfigurations: this.#options.reconfigurations ?? 'refuse',
    }, restored)
    if (restored !== undefined) this.#peerBook.notePosition(restored.position ?? await this.#store.epochPosition())
    // Checks off: no worker pool verifying what the replica would not verify either.
    this.#syncSignatures = new SyncSignatureChecker(this.genesis.chainId, this.#replica.verifier, this.#logger, skipEntrySignatures ? 0 : this.#signaturePoolSize)
    this.#logger.info({ index: this.index, height: this.#store.head.height, logSize: this.#store.head.logSize, round: this.#replica.round }, 'replica restored')
    this.#transport = this.#createTransport(
      // The peers are the replica's directory: a connection's key is its `from`.
      { genesis: this.genesis, validators: transportValidators(this.#replica.directory, this.#peerBook), selfIndex: this.#replica.index, seed: this.#options.seed, listen: this.#options.listen },
      (bytes) => inspectMessage(bytes, this.genesis.params.payloadBytesMax, this.#replica, () => this.#store.head.height),
      (event) => this.#transportEvents.handle(event),
    )
    this.#transportValidators = this.#replica.directory.size
    const transport = this.#transport
    if (transport.sidecars !== undefined) {
      this.#sidecars = new SidecarReplication({
        selfIndex: () => this.index, validators: () => this.#replica?.directory.size ?? this.genesis.validators.length, store: this.#store, wire: transport.sidecars,
        connectedPeers: () => transport.connectedPeers(), penalise: (peer, cause, reason) => transport.penalise(peer, cause, reason),
        logger: this.#logger, timers: this.#clock,
      })
    }
    await transport.start()
    this.#sidecars?.start()
    this.#logger.info({ listen: transport.listenAddresses() }, 'transport started')
    await this.#execute(this.#replica.step({ type: 'start', now: this.#now() }), null, [])
    this.#state = 'running'
    this.#pump = pumpNetwork({
      transport: this.#transport, replica: this.#replica, syncSignatures: this.#syncSignatures, mailbox: this.#mailbox,
      stopping: () => this.stopping, tracing: () => this.tracing, traceHop: (hop, fields) => this.traceHop(hop, fields),
    })
    this.#loop = this.#run()
  }

  /** Stops taking inputs, lets the current step finish, then closes the transport and
   * the store. Pending submissions are answered with an error. */
  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopping'
    this.#mailbox.close(new NodeFatalError('the node is stopping'))
    this.#timers.clearAll()
    this.#entryBatches.close()
    // Ends the checks the loop and the pump may be waiting for.
    await this.#syncSignatures?.close()
    if (wasRunning) await this.#loop
    this.#sidecars?.stop()
    await this.#transport?.stop()
    await this.#pump
    await this.#store.close().catch((err: unknown) => this.#logger.error({ err }, 'store close failed'))
    this.#state = 'stopped'
    this.#logger.info('node stopped')
  }

  // --- submissions ---

  /**
   * Hands entries to the replica; resolves with, per entry, null (accepted or already
   * known) or the replica's reason for refusing it. Rejects when the node is not
   * running or its queue is full.
   */
  submit(entries: readonly Entry[]): Promise<readonly (Rejection | null)[]> {
    if (this.#state !== 'running') return Promise.reject(new NodeFatalError(`the node is ${this.#state}`))
    if (entries.length === 0) return Promise.resolve([])
    if (entries.length > NODE_LIMITS.submitBatchMax) return Promise.reject(new RangeError(`${entries.length} entries in one submission, over ${NODE_LIMITS.submitBatchMax}`))
    return new Promise((resolve, reject) => {
      const settle = (outcome: SubmitOutcome): void => {
        if (outcome.ok) resolve(outcome.rejected)
        else reject(outcome.error)
      }
      if (!this.#mailbox.pushSubmit({ type: 'submit', entries, settle })) reject(new QueueFullError('the node\'s submission queue is full'))
    })
  }

  // --- sidecars of sealed entries ---

  /**
   * Keeps a sidecar uploaded to this node, which the caller has checked against the
   * committed sealed entry (node/api/routes/sealed.ts), and, when it is new here,
   * announces it to the other validators so that those without it pull it.
   */
  async keepSidecar(id: Hash, sidecar: Sidecar): Promise<'stored' | 'duplicate' | 'erased'> {
    const result = await this.#store.putSidecar(id, sidecar)
    if (result === 'stored') this.#sidecars?.announce(id, sidecar.key !== null)
    return result
  }

  hasPending(id: Hash): boolean {
    return this.#pending.has(toHex(id))
  }

  get pendingCount(): number {
    return this.#pending.size
  }

  // --- the loop ---

  async #run(): Promise<void> {
    const replica = this.#replica!
    // Runs until the mailbox closes; each iteration handles one input.
    for (;;) {
      const input = await this.#mailbox.next()
      if (input === null) return
      if (input.type === 'network' && input.checked !== undefined && !(await this.#awaitChecked(input, input.checked))) return
      const now = this.#now()
      let event: Event
      let submits: SubmitInput[] = []
      switch (input.type) {
        case 'timer':
          event = { type: 'timer', now, kind: input.kind, round: input.round }
          if (input.kind === 'round') this.#emit({ type: 'round-timeout', round: input.round })
          break
        case 'network':
          event = { type: 'message', now, from: input.from, message: input.message }
          if (input.message.type === 'proposal') this.#sightings.note(input.message.block.header, now)
          break
        case 'submit':
          submits = [input, ...this.#mailbox.takeMoreSubmits(NODE_LIMITS.submitBatchMax, input.entries.length)]
          event = { type: 'submit', now, entries: submits.flatMap((s) => s.entries) }
          break
      }
      try {
        const tracing = this.#logger.isLevelEnabled('trace')
        const traceStart = tracing ? { t: traceWallMs(), cpuUs: traceCpuUs() } : null
        const stepStart = this.#clock.monotonicMs()
        const actions = replica.step(event)
        const executeStart = this.#clock.monotonicMs()
        await this.#execute(actions, input, submits)
        this.#followDirectory()
        if (traceStart !== null) this.#tracer.step(input, actions, executeStart - stepStart, this.#clock.monotonicMs() - executeStart, traceStart)
      } catch (err) {
        for (const s of submits) s.settle({ ok: false, error: err as Error })
        await this.#fail(err as Error)
        return
      }
      const round = replica.round
      if (round !== this.#lastRound) {
        // A round entered through a QC is the QC's round + 1; any other came from a TC.
        this.#emit({ type: 'round', round, byTimeout: round !== (replica.highQc?.round ?? 0) + 1 })
        this.#lastRound = round
      }
    }
  }

  /** The transport follows the replica's directory: the validators a committed
   * reconfiguration added become peers, accepted and dialled at the addresses its
   * validator list names. Run before any send of a step (the step that commits the
   * reconfiguration block may send to them: the boundary sync-info at the switch, entries
   * to the next epoch's leaders) and after it; synchronous up to the transport's new links,
   * so that those sends are queued for the new peers, not refused. Addresses the
   * replica's epoch does not give yet (its directory grows at the commit, its epoch at the
   * switch) come from the store's epoch position once the commit is written. */
  #followDirectory(): void {
    const replica = this.#replica
    const transport = this.#transport
    if (replica === null || transport === null || replica.directory.size <= this.#transportValidators) return
    const from = this.#transportValidators
    const size = replica.directory.size
    this.#transportValidators = size
    this.#peerBook.note(replica.epoch.validators)
    const added = transportValidators(replica.directory, this.#peerBook, from)
    this.#logger.info({ validators: added.map((v) => ({ name: v.name, addresses: v.addresses })), directory: size, index: replica.index }, 'validators added to the transport')
    if (transport.addValidators === undefined) return
    const adding = transport.addValidators(added)
    void (async () => {
      await adding
      if (added.every((v) => v.addresses.length > 0)) return
      this.#peerBook.notePosition(await this.#store.epochPosition())
      for (const [i, v] of transportValidators(replica.directory, this.#peerBook, from).slice(0, added.length).entries()) {
        if (added[i]!.addresses.length === 0 && v.addresses.length > 0 && from + i !== transport.selfIndex) await transport.setPeerAddresses(from + i, v.addresses)
      }
    })().catch((err: unknown) => this.#logger.error({ err }, 'cannot add the validators to the transport'))
  }

  /** Waits for the check of a sync response's entries (see the pump); a range response
   * first lets the replica ask for the range after it, so that the peer serves it while
   * this one is checked. False when the node stops or fails meanwhile. */
  async #awaitChecked(input: NetworkInput<Message>, checked: Promise<void>): Promise<boolean> {
    if (input.message.type === 'range-response') {
      try {
        const actions = this.#replica!.step({ type: 'range-arriving', now: this.#now(), from: input.from, message: input.message })
        await this.#execute(actions, input, [])
      } catch (err) {
        await this.#fail(err as Error)
        return false
      }
    }
    await checked
    return !this.stopping
  }

  /** A trace line for a point of interest outside the loop's steps (bench/trace-commit.ts). */
  traceHop(hop: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.#tracer.hop(hop, fields)
  }

  get tracing(): boolean {
    return this.#tracer.tracing
  }

  async #fail(error: Error): Promise<void> {
    this.#logger.fatal({ err: error }, 'the node cannot go on')
    this.#emit({ type: 'fatal', error })
    this.#mailbox.close(error)
    this.#timers.clearAll()
  }

  #execute(actions: readonly Action[], input: Input<Message> | null, submits: readonly SubmitInput[]): Promise<void> {
    return executeActions(actions, {
      persist: (write) => this.#store.persist(write),
      commit: (action, durable) => this.#writer.commit(action, durable),
      perform: (action) => this.#perform(action, input, submits),
    })
  }

  async #perform(action: PerformedAction, input: Input<Message> | null, submits: readonly SubmitInput[]): Promise<void> {
    switch (action.type) {
      case 'send':
        this.#followDirectory()
        // The entries of the response will be checked on the signature pool: its workers
        // start now, while the peer serves the range.
        if (action.message.type === 'range-request') this.#syncSignatures?.prepare()
        if (action.message.type === 'entries') this.#entryBatches.add(action.to, action.message.entries)
        else this.#outbound.send(action.to, action.message)
        return
      case 'broadcast':
        this.#followDirectory()
        this.#outbound.broadcast(action.message)
        return
      case 'set-timer':
        this.#timers.set(action.kind, action.round, action.delayMs)
        return
      case 'commit':
        await this.#writer.commit(action)
        return
      case 'store-commit-certificate':
        await this.#writer.storeCertificate(action.cc)
        return
      case 'store-boundary-certificate':
        await this.#writer.storeBoundary(action.height, action.boundary)
        return
      case 'serve-sync':
        this.#syncServes.serve(action.to, action.request)
        return
      case 'rejected': {
        const reason = describeRejection(action.reason)
        const cause = penaltyCauseOf(action.reason)
        this.#logger.debug({ from: action.from, type: action.messageType, code: action.reason.code, reason }, 'rejected a message')
        this.#emit({ type: 'rejected', from: action.from, messageType: action.messageType, cause, reason, rejection: action.reason })
        // Nothing is relayed: the peer a message came from is the one who sent it.
        if (input?.type === 'network' && action.from === input.from) this.#transport?.penalise(action.from, cause, reason)
        return
      }
      case 'submitted':
        settleSubmissions(action, submits, this.#pending, this.#now)
        this.#emit({ type: 'mempool', entries: this.mempoolSize })
        return
      default: {
        // A new action kind in the consensus contract must be handled here.
        const unknown: never = action
        throw new NodeFatalError(`unknown consensus action ${JSON.stringify((unknown as { type?: unknown }).type)}`)
      }
    }
  }
}
