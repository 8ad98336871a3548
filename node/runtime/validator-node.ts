// The validator node: drives the consensus core (src/consensus/replica.ts) with real
// time, the libp2p transport and the chain store. One loop takes one input at a time
// (timer, network message, local submissions), steps the replica, and executes the
// actions it returns IN ORDER. Persist actions are written durably (fsync'd, batched
// when adjacent) before any later action of the same step runs, so no vote or timeout
// leaves the process before the safety state that allows it is on disk.
import type { Logger } from 'pino'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { decodeMessage, encodeMessage, encodeSafetyState, decodeSafetyState } from '../../src/consensus/messages.ts'
import { Replica } from '../../src/consensus/replica.ts'
import { describe as describeRejection, isRejection, type Rejection } from '../../src/consensus/rejections.ts'
import { syncResponseBytesMax } from '../../src/consensus/replica-limits.ts'
import { initialSafetyState } from '../../src/consensus/safety-rules.ts'
import type { Action, Event, Message, ReplicaLimits, RestoredState, TimerKind } from '../../src/consensus/types.ts'
import { blockHash, genesisQc, type Block, type BlockHeader } from '../../src/log/block.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { entryId, type Entry, type Hash } from '../../src/log/entry.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { isLeaderOf } from '../../src/log/leader-election.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { NODE_LIMITS } from '../limits.ts'
import { Libp2pTransport } from '../net/libp2p-transport.ts'
import type { Inspection, PenaltyCause, Transport, TransportEvent, TransportStats } from '../net/transport.ts'
import type { DurableWrite, Head, Store } from '../store/store.ts'
import { CommitSignal } from './commit-signal.ts'
import { EntryBatches } from './entry-batches.ts'
import { NodeFatalError } from './errors.ts'
import { Mailbox, type Input, type NetworkInput, type SubmitInput, type SubmitOutcome } from './mailbox.ts'
import { penaltyCauseOf } from './rejection-causes.ts'
import { PendingSubmissions, type SupersededEntry } from './pending-submissions.ts'
import { answerSyncRequest } from './sync-server.ts'
import { SyncSignatureChecker } from './sync-signatures.ts'
import { traceAction, traceCpuUs, traceIds, traceMessage, traceWallMs } from './hop-trace.ts'
import { REAL_TIMERS, type RuntimeTimers, type TimerHandle } from './timers.ts'

export interface ValidatorNodeOptions {
  readonly genesis: Genesis
  /** This validator's 32-byte Ed25519 seed (its key must be in the genesis). */
  readonly seed: Uint8Array
  /** Multiaddrs to listen on. */
  readonly listen: readonly string[]
  readonly replicaLimits?: Partial<ReplicaLimits>
  /** UNSAFE, benchmark chains only: entry signatures are not verified (src/consensus/unsafe-bench.ts). */
  readonly unsafeSkipEntrySignatures?: boolean
}

export interface TransportFactoryOptions {
  readonly genesis: Genesis
  readonly selfIndex: number
  readonly seed: Uint8Array
  readonly listen: readonly string[]
}

export interface ValidatorNodeDependencies {
  readonly store: Store
  readonly logger: Logger
  /** Default: the libp2p transport. */
  readonly createTransport?: (options: TransportFactoryOptions, inspect: (bytes: Uint8Array, from: number) => Inspection<Message>, onEvent: (event: TransportEvent) => void) => Transport<Message>
  /** Wall-clock milliseconds handed to the replica. Default: Date.now. */
  readonly now?: () => number
  /** Timers and the monotonic clock. Default: the process's (REAL_TIMERS). */
  readonly timers?: RuntimeTimers
  /** Worker threads checking sync responses' signatures; 0 checks them on the main
   * thread (the simulator: workers are real concurrency). Default: the core count. */
  readonly signaturePoolSize?: number
}

/** What the node reports for metrics and logs (the protocol never sees these). */
export type NodeEvent =
  | { readonly type: 'commit', readonly height: number, readonly hash: Hash, readonly entries: number, readonly logSize: number, readonly blockLatencyMs: number | null, readonly entryLatenciesMs: readonly number[], readonly entryIds: readonly string[], readonly supersededIds: readonly string[] }
  /** A commit certificate is stored: receipts exist for every entry at or below `height`. */
  | { readonly type: 'certified', readonly height: number }
  | { readonly type: 'round', readonly round: number, readonly byTimeout: boolean }
  | { readonly type: 'round-timeout', readonly round: number }
  | { readonly type: 'peers', readonly count: number }
  /** A message refused by the core (`rejection`) or by the transport's checks (null);
   * `cause` is what metrics count it as, `reason` the text for logs. */
  | { readonly type: 'rejected', readonly from: number, readonly messageType: string, readonly cause: PenaltyCause, readonly reason: string, readonly rejection: Rejection | null }
  | { readonly type: 'mempool', readonly entries: number }
  | { readonly type: 'fatal', readonly error: Error }

/** Serve-sync answers computed at once, beyond which requests wait their turn. */
const SYNC_SERVES_MAX = 4
/** Proposals whose first sighting is remembered for the commit latency metric. */
const PROPOSALS_SEEN_MAX = 1024

export class ValidatorNode {
  readonly genesis: Genesis
  readonly index: number
  readonly commits = new CommitSignal()
  readonly #options: ValidatorNodeOptions
  readonly #store: Store
  readonly #logger: Logger
  readonly #now: () => number
  readonly #clock: RuntimeTimers
  readonly #signaturePoolSize: number | undefined
  readonly #createTransport: NonNullable<ValidatorNodeDependencies['createTransport']>
  readonly #mailbox = new Mailbox<Message>(NODE_LIMITS.driverQueueMax, NODE_LIMITS.driverQueueMax, NODE_LIMITS.bulkQueueBytesMax)
  readonly #timers = new Map<TimerKind, TimerHandle>()
  readonly #listeners = new Set<(event: NodeEvent) => void>()
  /** Entries accepted through this node and not yet committed, and those that a later
   * seq of their agent superseded. */
  readonly #pending = new PendingSubmissions({ pendingMax: NODE_LIMITS.pendingSubmissionsMax, pendingBytesMax: NODE_LIMITS.pendingSubmissionsBytesMax, supersededMax: NODE_LIMITS.supersededEntriesMax })
  /** First sighting of proposals by block hash (hex), for commit latency. */
  readonly #proposalsSeen = new Map<string, number>()
  #replica: Replica | null = null
  /** Verifies the entry signatures of sync responses on worker threads (from start). */
  #syncSignatures: SyncSignatureChecker | null = null
  #transport: Transport<Message> | null = null
  #loop: Promise<void> | null = null
  #pump: Promise<void> | null = null
  #syncServes = 0
  /** Entries on their way to the next leaders, batched per peer. */
  readonly #entryBatches: EntryBatches
  #state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new'
  /** The process's CPU time when the last traced step ended. */
  #traceLastCpuUs: number | null = null
  #lastRound = 0
  #lastPeers = -1
  /** Height of the highest commit certificate in the store. */
  #ccHeight = 0
  /** Commit certificates above the store's head, by height: their blocks' commit is
   * still being written. Stored once it lands (#storeEarlyCertificates). */
  readonly #earlyCertificates = new Map<number, CommitCertificate>()

  constructor(options: ValidatorNodeOptions, dependencies: ValidatorNodeDependencies) {
    const key = publicKeyFromSeed(options.seed)
    const index = options.genesis.validators.findIndex((v) => bytesEqual(v.publicKey, key))
    if (index < 0) throw new NodeFatalError(`key ${toHex(key)} is not a validator of chain '${options.genesis.chainId}'`)
    this.genesis = options.genesis
    this.index = index
    this.#options = options
    this.#store = dependencies.store
    this.#logger = dependencies.logger
    this.#now = dependencies.now ?? Date.now
    this.#clock = dependencies.timers ?? REAL_TIMERS
    this.#signaturePoolSize = dependencies.signaturePoolSize
    this.#entryBatches = new EntryBatches(this.#clock, (to, entries) => this.#send(to, { type: 'entries', entries }))
    this.#createTransport = dependencies.createTransport ?? ((o, inspect, onEvent) => new Libp2pTransport<Message>(
      { chainId: o.genesis.chainId, validators: o.genesis.validators, selfIndex: o.selfIndex, seed: o.seed, listen: o.listen },
      { inspect, onEvent },
    ))
  }

  // --- views ---

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
    return this.#ccHeight
  }

  get peers(): number[] {
    return this.#transport?.connectedPeers() ?? []
  }

  /** The transport's message and byte counters (null before start). */
  get transportStats(): Readonly<TransportStats> | null {
    return this.#transport?.stats ?? null
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
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #emit(event: NodeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (err) {
        this.#logger.error({ err }, 'node event listener failed')
      }
    }
  }

  // --- lifecycle ---

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new NodeFatalError(`cannot start a node that is ${this.#state}`)
    this.#state = 'starting'
    await this.#store.open(this.genesis)
    const restored = await this.#restore()
    this.#ccHeight = (await this.#store.latestCommitCertificate())?.height ?? 0
    const skipEntrySignatures = this.#options.unsafeSkipEntrySignatures === true
    this.#replica = new Replica({ genesis: this.genesis, validatorIndex: this.index, seed: this.#options.seed, limits: this.#options.replicaLimits, unsafeSkipEntrySignatures: skipEntrySignatures }, restored)
    // Checks off: no worker pool verifying what the replica would not verify either.
    this.#syncSignatures = new SyncSignatureChecker(this.genesis.chainId, this.#replica.verifier, this.#logger, skipEntrySignatures ? 0 : this.#signaturePoolSize)
    this.#logger.info({ index: this.index, height: this.#store.head.height, logSize: this.#store.head.logSize, round: this.#replica.round }, 'replica restored')
    this.#transport = this.#createTransport(
      { genesis: this.genesis, selfIndex: this.index, seed: this.#options.seed, listen: this.#options.listen },
      (bytes, from) => this.#inspect(bytes, from),
      (event) => this.#onTransportEvent(event),
    )
    await this.#transport.start()
    this.#logger.info({ listen: this.#transport.listenAddresses() }, 'transport started')
    await this.#execute(this.#replica.step({ type: 'start', now: this.#now() }), null, [])
    this.#state = 'running'
    this.#pump = this.#pumpNetwork()
    this.#loop = this.#run()
  }

  /** Stops taking inputs, lets the current step finish, then closes the transport and
   * the store. Pending submissions are answered with an error. */
  async stop(): Promise<void> {
    if (this.#state === 'stopping' || this.#state === 'stopped') return
    const wasRunning = this.#state === 'running'
    this.#state = 'stopping'
    this.#mailbox.close(new NodeFatalError('the node is stopping'))
    for (const timer of this.#timers.values()) this.#clock.clearTimeout(timer)
    this.#timers.clear()
    this.#entryBatches.close()
    // Ends the checks the loop and the pump may be waiting for.
    await this.#syncSignatures?.close()
    if (wasRunning) await this.#loop
    await this.#transport?.stop()
    await this.#pump
    await this.#store.close().catch((err: unknown) => this.#logger.error({ err }, 'store close failed'))
    this.#state = 'stopped'
    this.#logger.info('node stopped')
  }

  async #restore(): Promise<RestoredState | undefined> {
    const parts = await this.#store.restoreParts(this.#options.replicaLimits?.pendingBlocksMax ?? 1024)
    if (parts.safety === null && parts.committedHead.header.height === 0 && parts.pendingBlocks.length === 0) return undefined
    const safety = parts.safety === null ? initialSafetyState(genesisQc(this.genesis)) : decodeSafetyState(parts.safety)
    return {
      safety,
      committedHead: parts.committedHead,
      committedQc: (await this.#store.qcAt(parts.committedHead.header.height)) ?? null,
      committedLog: parts.committedLog,
      agentSeqs: parts.agentSeqs,
      pendingBlocks: parts.pendingBlocks,
    }
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

  hasPending(id: Hash): boolean {
    return this.#pending.has(toHex(id))
  }

  get pendingCount(): number {
    return this.#pending.size
  }

  // --- the loop ---

  async #pumpNetwork(): Promise<void> {
    const transport = this.#transport!
    const replica = this.#replica!
    const syncSignatures = this.#syncSignatures!
    for await (const received of transport.received) {
      if (this.tracing) this.traceHop('received', { message: traceMessage(received.message), from: received.from })
      // A sync response the replica may be waiting for has its entry signatures checked
      // on worker threads from now on, while the loop steps the replica through what is
      // ahead of it in the mailbox; the loop waits for the check when it gets there.
      let checked: Promise<void> | undefined
      if (replica.fetching && syncSignatures.wants(received.message)) {
        await syncSignatures.roomForCheck()
        checked = syncSignatures.check(received.message)
      }
      await this.#mailbox.roomForNetwork()
      if (this.stopping) break
      this.#mailbox.pushNetwork({ type: 'network', from: received.from, bulk: received.message.type === 'entries', message: received.message, bytes: received.bytes, checked })
    }
  }

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
          if (input.message.type === 'proposal') this.#noteProposal(input.message.block.header, now)
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
        if (traceStart !== null) this.#trace(input, actions, executeStart - stepStart, this.#clock.monotonicMs() - executeStart, traceStart)
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

  /** One line per step: the input, the actions, and how long the core's step and the
   * actions' execution took (ms, wall clock: execution includes whatever else the event
   * loop ran while an action awaited the store). */
  #trace(input: Input<Message>, actions: readonly Action[], stepMs: number, executeMs: number, start: { t: number, cpuUs: number }): void {
    const what = input.type === 'network' ? `${traceMessage(input.message)} from ${input.from}` : input.type === 'timer' ? `${input.kind} timer, round ${input.round}` : `submit n${input.entries.length} [${traceIds(input.entries).join(',')}]`
    const cpuUs = traceCpuUs()
    // CPU used between the previous step's end and this step's start: the transport
    // (decrypting, decoding, inspecting), the HTTP API, timers.
    const cpuBetweenUs = this.#traceLastCpuUs === null ? null : start.cpuUs - this.#traceLastCpuUs
    this.#traceLastCpuUs = cpuUs
    this.#logger.trace({
      round: this.round, height: this.#store.head.height, input: what, actions: actions.map(traceAction),
      stepMs: round1(stepMs), executeMs: round1(executeMs), t: start.t, cpuUs: cpuUs - start.cpuUs, cpuBetweenUs,
    }, 'step')
  }

  /** A trace line for a point of interest outside the loop's steps (bench/trace-commit.ts). */
  traceHop(hop: string, fields: Readonly<Record<string, unknown>> = {}): void {
    if (!this.#logger.isLevelEnabled('trace')) return
    this.#logger.trace({ ...fields, hop, t: traceWallMs(), cpuTotalUs: traceCpuUs() }, 'hop')
  }

  get tracing(): boolean {
    return this.#logger.isLevelEnabled('trace')
  }

  async #fail(error: Error): Promise<void> {
    this.#logger.fatal({ err: error }, 'the node cannot go on')
    this.#emit({ type: 'fatal', error })
    this.#mailbox.close(error)
    for (const timer of this.#timers.values()) this.#clock.clearTimeout(timer)
    this.#timers.clear()
  }

  #noteProposal(header: BlockHeader, now: number): void {
    // The hash is computed once more by the replica; it is one SHA-256 of a header.
    const hash = toHex(blockHash(header))
    if (this.#proposalsSeen.has(hash)) return
    if (this.#proposalsSeen.size >= PROPOSALS_SEEN_MAX) {
      const oldest = this.#proposalsSeen.keys().next().value
      if (oldest !== undefined) this.#proposalsSeen.delete(oldest)
    }
    this.#proposalsSeen.set(hash, now)
  }

  async #execute(actions: readonly Action[], input: Input<Message> | null, submits: readonly SubmitInput[]): Promise<void> {
    let durable: { safety?: Uint8Array, blocks: { hash: Hash, block: Block }[] } | null = null
    const flush = async (): Promise<void> => {
      if (durable === null) return
      const write: DurableWrite = durable
      durable = null
      await this.#store.persist(write)
    }
    // A commit is written without holding up the actions after it: a leader's next
    // proposal (and a follower's vote, after its own persist) need not wait for the
    // committed block's write. The store applies writes in the order they are asked for,
    // so a commit certificate asked for later lands after the commit (kept until then,
    // #storeCertificate), and the step does not end (no next input) until the commit is
    // durable. Pending blocks and the safety state do not depend on it. Nothing a commit
    // writes is needed for safety: after a crash it is derived again from the stored
    // certificates and blocks.
    let committing = null as Promise<void> | null
    // A block that a commit of this same step writes (range sync inserts and commits
    // whole ranges in one step) is not persisted as pending first: that would write and
    // fsync it twice. Nothing before the commit needs it on disk; after a crash before
    // the commit lands it is fetched again.
    const committedHere = new Set<string>()
    for (const action of actions) if (action.type === 'commit') for (const hash of action.hashes) committedHere.add(toHex(hash))
    // A step that votes writes its commits after the vote has left: the store writes in
    // order, so a commit queued first would put its fsync in front of the vote's (a
    // follower's step for a proposal whose QC commits the block before: two disk flushes
    // on the round's critical path). Other steps start a commit at once: the leader that
    // forms a commit certificate serves the first receipts once its commit is written.
    const votes = actions.some((a) => a.type === 'send' && a.message.type === 'vote')
    const deferred: Extract<Action, { type: 'commit' }>[] = []
    const startCommit = (action: Extract<Action, { type: 'commit' }>): void => {
      const previous: Promise<void> | null = committing
      committing = previous === null ? this.#commit(action) : previous.then(() => this.#commit(action))
      // Awaited below; until then a failure must not count as unhandled.
      committing.catch(() => {})
    }
    for (const action of actions) {
      if (action.type === 'persist-safety-state') {
        durable ??= { blocks: [] }
        durable.safety = encodeSafetyState(action.state)
        continue
      }
      if (action.type === 'persist-block') {
        if (committedHere.has(toHex(action.hash))) continue
        durable ??= { blocks: [] }
        durable.blocks.push({ hash: action.hash, block: action.block })
        continue
      }
      await flush()
      if (action.type === 'commit') {
        // Started now (or, in a step that votes, after the vote), so the store queues its
        // write before any later one of this step.
        if (votes) deferred.push(action)
        else startCommit(action)
        continue
      }
      await this.#perform(action, input, submits)
      if (action.type === 'send' && action.message.type === 'vote') for (const commit of deferred.splice(0)) startCommit(commit)
    }
    await flush()
    for (const commit of deferred.splice(0)) startCommit(commit)
    await committing
  }

  async #perform(action: Exclude<Action, { type: 'persist-safety-state' | 'persist-block' }>, input: Input<Message> | null, submits: readonly SubmitInput[]): Promise<void> {
    switch (action.type) {
      case 'send':
        // The entries of the response will be checked on the signature pool: its workers
        // start now, while the peer serves the range.
        if (action.message.type === 'range-request') this.#syncSignatures?.prepare()
        if (action.message.type === 'entries') this.#entryBatches.add(action.to, action.message.entries)
        else this.#send(action.to, action.message)
        return
      case 'broadcast':
        this.#broadcast(action.message)
        return
      case 'set-timer':
        this.#setTimer(action.kind, action.round, action.delayMs)
        return
      case 'commit':
        await this.#commit(action)
        return
      case 'store-commit-certificate':
        await this.#storeCertificate(action.cc)
        return
      case 'serve-sync':
        this.#serveSync(action.to, action.request)
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
      case 'submitted': {
        let offset = 0
        for (const s of submits) {
          const slice = action.results.slice(offset, offset + s.entries.length).map((r) => r.rejected)
          offset += s.entries.length
          if (slice.length !== s.entries.length) {
            s.settle({ ok: false, error: new NodeFatalError(`the replica answered ${action.results.length} results for ${offset} entries`) })
            continue
          }
          // Recorded for getEntry and the commit latency.
          slice.forEach((rejected, i) => { if (rejected === null) this.#pending.note(s.entries[i]!, this.#now()) })
          s.settle({ ok: true, rejected: slice })
        }
        this.#emit({ type: 'mempool', entries: this.mempoolSize })
        return
      }
      default: {
        // A new action kind in the consensus contract must be handled here.
        const unknown: never = action
        throw new NodeFatalError(`unknown consensus action ${JSON.stringify((unknown as { type?: unknown }).type)}`)
      }
    }
  }

  #send(to: number, message: Message): void {
    if (to === this.index) return
    try {
      this.#transport?.send(to, encodeMessage(message))
    } catch (err) {
      this.#logger.warn({ err, to, type: message.type }, 'message not sent')
    }
  }

  /** To every other validator, each its own copy on its direct stream (encoded once).
   * A leader's proposal is the one full broadcast of a block's entries. */
  #broadcast(message: Message): void {
    const transport = this.#transport
    if (transport === null) return
    let bytes: Uint8Array
    try {
      bytes = encodeMessage(message)
    } catch (err) {
      this.#logger.warn({ err, type: message.type }, 'message not encoded')
      return
    }
    for (let i = 0; i < this.genesis.validators.length; i++) {
      if (i === this.index) continue
      try {
        transport.send(i, bytes)
      } catch (err) {
        this.#logger.warn({ err, to: i, type: message.type }, 'message not sent')
      }
    }
  }

  #setTimer(kind: TimerKind, round: number, delayMs: number): void {
    const previous = this.#timers.get(kind)
    if (previous !== undefined) this.#clock.clearTimeout(previous)
    if (this.stopping) return
    const delay = Math.max(0, Math.min(delayMs, 2 ** 31 - 1))
    this.#timers.set(kind, this.#clock.setTimeout(() => {
      this.#timers.delete(kind)
      this.#mailbox.pushTimer({ type: 'timer', kind, round })
    }, delay))
  }

  async #commit(action: Extract<Action, { type: 'commit' }>): Promise<void> {
    await this.#store.commit({ blocks: action.blocks, hashes: action.hashes, qc: action.qc, cc: action.cc, log: action.log })
    this.traceHop('commit-written', { height: action.blocks[action.blocks.length - 1]?.header.height, cc: action.cc?.height ?? null })
    const now = this.#now()
    for (let i = 0; i < action.blocks.length; i++) {
      const block = action.blocks[i]!
      const hashHex = toHex(action.hashes[i]!)
      const seen = this.#proposalsSeen.get(hashHex)
      this.#proposalsSeen.delete(hashHex)
      const entryIds = block.entries.map((entry) => toHex(entryId(entry)))
      // The replica dropped the superseded entries from its mempool at this commit.
      const { latenciesMs: entryLatenciesMs, superseded: supersededIds } = this.#pending.commit(block.entries, entryIds, now)
      this.#emit({
        type: 'commit', height: block.header.height, hash: action.hashes[i]!, entries: block.entries.length,
        logSize: block.header.logSize, blockLatencyMs: seen === undefined ? null : now - seen, entryLatenciesMs, entryIds, supersededIds,
      })
    }
    if (action.cc !== null) this.#certified(action.cc.height)
    await this.#storeEarlyCertificates()
    this.commits.notify()
  }

  /** Stores a commit certificate the replica hands over. The replica gives it for a
   * block it has committed, whose commit may still be on its way to the store (a commit
   * does not hold up the actions after it, see #execute): then it is kept and stored
   * when that commit lands, before the step ends. */
  async #storeCertificate(cc: CommitCertificate): Promise<void> {
    if (cc.height === this.#ccHeight) return // stored already: every proposal repeats it
    if (cc.height > this.#store.head.height) {
      this.#keepEarlyCertificate(cc)
      return
    }
    await this.#store.saveCommitCertificate(cc)
    this.traceHop('cc-written', { height: cc.height })
    this.#certified(cc.height)
  }

  #keepEarlyCertificate(cc: CommitCertificate): void {
    if (this.#earlyCertificates.size >= NODE_LIMITS.earlyCommitCertificatesMax && !this.#earlyCertificates.has(cc.height)) {
      // Full: the highest goes (the one furthest from being stored; it comes again).
      const highest = Math.max(...this.#earlyCertificates.keys())
      if (cc.height > highest) {
        this.#logger.debug({ height: cc.height, head: this.#store.head.height }, 'early commit certificate dropped: too many kept')
        return
      }
      this.#earlyCertificates.delete(highest)
    }
    this.#earlyCertificates.set(cc.height, cc)
  }

  /** Stores the kept certificates the head has reached. */
  async #storeEarlyCertificates(): Promise<void> {
    const head = this.#store.head.height
    const ready = [...this.#earlyCertificates.values()].filter((cc) => cc.height <= head).sort((a, b) => a.height - b.height)
    for (const cc of ready) {
      this.#earlyCertificates.delete(cc.height)
      await this.#store.saveCommitCertificate(cc)
      this.#certified(cc.height)
    }
  }

  #certified(height: number): void {
    if (height <= this.#ccHeight) return
    this.#ccHeight = height
    this.#emit({ type: 'certified', height })
  }

  #serveSync(to: number, request: Parameters<typeof answerSyncRequest>[0]): void {
    if (this.#syncServes >= SYNC_SERVES_MAX) {
      this.#logger.debug({ to, type: request.type }, 'sync request dropped: too many in progress')
      return
    }
    this.#syncServes++
    answerSyncRequest(request, this.#store, syncResponseBytesMax(this.genesis.params.blockBytesMax)).then(
      (response) => { if (response !== null && !this.stopping) this.#send(to, response) },
      (err: unknown) => this.#logger.warn({ err, to }, 'sync request failed'),
    ).finally(() => { this.#syncServes-- })
  }

  // --- network input checks (run inside the transport, before delivery) ---

  #inspect(bytes: Uint8Array, _from: number): Inspection<Message> {
    let message: Message
    try {
      message = decodeMessage(bytes, this.genesis.params.payloadBytesMax)
    } catch (err) {
      return { verdict: 'reject', cause: 'malformed', reason: (err as Error).message }
    }
    const replica = this.#replica
    if (replica === null) return { verdict: 'ignore', reason: 'not started' }
    // Proposals and entry batches are checked before they are queued, so that a peer's
    // invalid ones take no room in the mailbox (the checks are cached: the replica does
    // not verify them again).
    if (message.type === 'proposal') {
      const h = message.block.header
      if (!isLeaderOf(replica.leaders, h.proposer, h.round)) return rejectWith({ code: 'proposer-not-leader', proposer: h.proposer, round: h.round })
      // Cached by the replica's verifier: delivered, the proposal is not verified again.
      if (!replica.verifier.proposal(h.proposer, blockHash(h), message.sig)) {
        return rejectWith({ code: 'proposal-bad-signature', proposer: h.proposer })
      }
      if (h.height <= this.#store.head.height) return { verdict: 'ignore', reason: 'proposal below the committed head' }
    } else if (message.type === 'entries') {
      // The replica's verifier caches verified entries by id: no entry is checked twice.
      for (const entry of message.entries) {
        const checked = replica.verifier.entry(entry)
        if (isRejection(checked)) return rejectWith(checked)
      }
    }
    return { verdict: 'accept', message }
  }

  #onTransportEvent(event: TransportEvent): void {
    switch (event.type) {
      case 'peer-connected':
      case 'peer-disconnected': {
        this.#logger.info({ peer: event.peer }, event.type)
        // A peer that (re)connects is asked for its newest certificates at once: a node
        // that starts behind, or missed the last commit while a link was down, learns the
        // head now instead of at its next status poll (up to statusIntervalMs away on an
        // idle chain; the polls sent before any peer was connected went nowhere).
        if (event.type === 'peer-connected' && this.running) this.#send(event.peer, { type: 'status-request' })
        const count = this.#transport?.connectedPeers().length ?? 0
        if (count !== this.#lastPeers) {
          this.#lastPeers = count
          this.#emit({ type: 'peers', count })
        }
        return
      }
      case 'penalty':
        this.#logger.warn({ peer: event.peer, reason: event.reason }, 'peer penalised')
        this.#emit({ type: 'rejected', from: event.peer, messageType: 'network', cause: event.cause, reason: event.reason, rejection: null })
        return
      case 'peer-cooloff':
        this.#logger.warn({ peer: event.peer, untilMs: event.untilMs }, 'peer cut off for misbehaving')
        return
      case 'send-failed':
        this.#logger.debug({ peer: event.peer, reason: event.reason }, 'send failed')
        return
    }
  }
}

/** The node's submission queue is full: the client should retry later. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError'
}

/** The transport's verdict on a message the core's checks refuse. */
function rejectWith(rejection: Rejection): Inspection<Message> {
  return { verdict: 'reject', cause: penaltyCauseOf(rejection), reason: describeRejection(rejection) }
}

function round1(ms: number): number {
  return Math.round(ms * 10) / 10
}
