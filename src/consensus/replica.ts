// The replica: one validator's consensus state machine (Jolteon / DiemBFT-v4 chained
// HotStuff, two-chain commit). step(event) -> actions; see types.ts for the contract
// and docs/protocol.md for the protocol and its arguments.
//
// Structure: the parent (this file) decides and mutates; the leaves are pure or own
// one concern: SafetyRules (the only signer of votes and timeouts), Pacemaker (rounds
// and backoff), BlockTree (blocks, QCs, commit rule), Mempool, Verifier (signature
// checks with caches), aggregators (votes -> QC/CC, timeouts -> TC).
import { bytesEqual } from '../codec/cbor.ts'
import { signDomain } from '../crypto/domain.ts'
import { toHex } from '../crypto/hash.ts'
import { blockHash, genesisBlock, genesisQc, type Block, type BlockHeader } from '../log/block.ts'
import {
  tcHighQcRound, type CommitCertificate, type QuorumCertificate, type TimeoutCertificate,
} from '../log/certificates.ts'
import { entryId, type Entry, type Hash } from '../log/entry.ts'
import { validatorSetOf, type Genesis } from '../log/genesis.ts'
import { MerkleAccumulator, merkleRoot } from '../log/merkle.ts'
import type { ValidatorSet } from '../log/validator-set.ts'
import { TimeoutAggregator, VoteAggregator } from './aggregators.ts'
import { BlockTree, type BlockNode, type CommitResult } from './block-tree.ts'
import { validateBlock, type ValidationContext } from './block-validation.ts'
import { RoundRobinLeaderElection, type LeaderElection } from './leader-election.ts'
import { isRejection, type Rejection } from './rejections.ts'
import { Mempool, type AddResult } from './mempool.ts'
import { BLOCK_REQUEST_COUNT_MAX, RANGE_REQUEST_HEIGHTS_MAX } from './messages.ts'
import { Pacemaker } from './pacemaker.ts'
import { DEFAULT_REPLICA_LIMITS } from './replica-limits.ts'
import { initialSafetyState, SafetyRules } from './safety-rules.ts'
import type {
  Action, BlockResponse, EntriesMessage, Event, Message, ProposalMessage, RangeEmpty, RangeResponse,
  ReplicaLimits, ReplicaOptions, RestoredState, SubmitResult, SyncInfoMessage, TimeoutMessage, TimerKind, VoteMessage,
} from './types.ts'
import { Verifier, type CheckedEntry } from './verifier.ts'

/** Votes are only useful to the leader of the next round; accept them this many rounds
 * ahead of ours (a lagging leader catches up through the votes' QC soon after). */
const VOTE_ROUNDS_AHEAD_MAX = 64
/** Orphan blocks (fetched or proposed, parent still missing) kept per replica. */
const ORPHANS_MAX = 256
/** QCs waiting for their block. */
const WAITING_QCS_MAX = 64
/** `from` of messages a replica hands to itself (its own proposal and vote). */
const SELF = -1
/** A peer's status requests are answered at most this often (virtual or real ms, from
 * the events' `now`): an answer carries three certificates, a request nothing. */
const STATUS_ANSWER_INTERVAL_MS = 1000
/** The sync retry delay doubles at most this many times (then syncRetryMaxMs caps it). */
const SYNC_BACKOFF_STEPS_MAX = 16

interface Want {
  readonly height: number
  /** Peers to ask, in order; the first is the one that told us about the block. */
  readonly peers: number[]
  attempts: number
}

/** A committed height far above the head, fetched by height ranges. Range requests are
 * pipelined: on a response that extends the head up to a certified block, the next range
 * is requested before this one is verified, so the peer reads and sends it meanwhile. */
interface RangeTarget {
  height: number
  /** Peers to ask, in order; the first is the one that told us about the height. */
  peers: number[]
  attempts: number
  /** First height of the latest request (0: none yet): a request for the same heights is
   * not sent again while it may still be answered. */
  requestedFrom: number
  /** Head height when the last request ahead was sent (-1: none): one request ahead per
   * head, so responses that fail verification cannot make this replica send more. */
  aheadAtHead: number
  /** A response advanced the head (or is arriving) since the last sync timer: the
   * request it sent may still be answered. */
  progressed: boolean
  /** The latest request is unanswered; `askedPeer` is whom it went to. */
  inFlight: boolean
  askedPeer: number
  /** Peers that answered 'range-empty' at head height `emptyAtHead`: not asked again
   * for it until the sync timer. */
  readonly emptyPeers: Set<number>
  emptyAtHead: number
}

interface Orphan {
  readonly from: number
  readonly block: Block
  readonly hashHex: string
  /** Set for proposals (which are voted on once their parent arrives). */
  readonly proposal: ProposalMessage | null
}

/** Counters for metrics and reports; the protocol never reads them. */
export interface ReplicaStats {
  proposals: number
  votes: number
  timeouts: number
  qcsFormed: number
  tcsFormed: number
  ccsFormed: number
  blocksCommitted: number
  entriesCommitted: number
  rejected: number
  ignored: number
  syncRequests: number
}

export class Replica {
  readonly genesis: Genesis
  readonly index: number
  readonly set: ValidatorSet
  readonly limits: ReplicaLimits
  readonly leaders: LeaderElection
  readonly verifier: Verifier
  readonly stats: ReplicaStats = {
    proposals: 0, votes: 0, timeouts: 0, qcsFormed: 0, tcsFormed: 0, ccsFormed: 0,
    blocksCommitted: 0, entriesCommitted: 0, rejected: 0, ignored: 0, syncRequests: 0,
  }

  readonly #seed: Uint8Array
  readonly #safety: SafetyRules
  readonly #pacemaker: Pacemaker
  readonly #tree: BlockTree
  readonly #mempool: Mempool
  readonly #votes: VoteAggregator
  readonly #timeouts: TimeoutAggregator
  readonly #ctx: ValidationContext
  #highTc: TimeoutCertificate | null
  /** Newest verified CC (sent in sync-info to peers that are behind). */
  #latestCc: CommitCertificate | null = null
  /** Verified CCs for blocks above the head, by block hash, until they commit. */
  readonly #pendingCcs = new Map<string, CommitCertificate>()
  /** A CC this replica formed as leader, to attach to its next proposal. */
  #ccToAttach: CommitCertificate | null = null
  #proposedRound = 0
  /** The round whose timer is set (0: none). */
  #timerRound = 0
  /** Round in which this replica leads but had nothing to propose yet. */
  #idleLeaderRound = 0
  readonly #wants = new Map<string, Want>()
  readonly #orphans = new Map<string, Orphan>()
  /** Verified QCs whose block we lack, by block hash. */
  readonly #waitingQcs = new Map<string, QuorumCertificate>()
  #rangeTarget: RangeTarget | null = null
  /** The armed sync timer's token (0: none) and whether it was armed for fetching (the
   * retry delay) or for a status poll (statusIntervalMs). */
  #syncTimer = 0
  #syncTimerFetching = false
  #syncTokens = 0
  /** Sync timers in a row that found no progress (the retry delay doubles with them). */
  #syncFruitless = 0
  /** A sync response brought blocks since the last sync timer. */
  #syncProgress = false
  /** When each peer's status request was last answered (events' `now`). */
  readonly #statusAnswered = new Map<number, number>()
  #now = 0
  #actions: Action[] = []
  #started = false

  constructor(options: ReplicaOptions, restored?: RestoredState) {
    const { genesis, validatorIndex, seed } = options
    this.genesis = genesis
    this.set = validatorSetOf(genesis)
    if (!Number.isSafeInteger(validatorIndex) || validatorIndex < 0 || validatorIndex >= this.set.n) {
      throw new RangeError(`validator index ${validatorIndex} is not in 0..${this.set.n - 1}`)
    }
    this.index = validatorIndex
    this.#seed = seed
    this.limits = { ...DEFAULT_REPLICA_LIMITS, ...options.limits }
    this.leaders = new RoundRobinLeaderElection(this.set.n)
    this.verifier = new Verifier(genesis, this.set, this.limits.verifiedEntriesMax, this.limits.verifiedCertificatesMax)
    this.#mempool = new Mempool({ entriesMax: this.limits.mempoolEntriesMax, bytesMax: this.limits.mempoolBytesMax })
    this.#votes = new VoteAggregator(this.set.n, this.set.quorum)
    this.#timeouts = new TimeoutAggregator(this.set.n, this.set.quorum)
    const gQc = genesisQc(genesis)
    const safetyState = restored?.safety ?? initialSafetyState(gQc)
    this.#safety = new SafetyRules({ chainId: genesis.chainId, validatorIndex, seed }, safetyState)
    this.#highTc = safetyState.highTc

    const headBlock = restored?.committedHead ?? genesisBlock(genesis)
    const headHash = blockHash(headBlock.header)
    const head: BlockNode = {
      block: headBlock, header: headBlock.header, hash: headHash, hashHex: toHex(headHash), parentHex: toHex(headBlock.header.parent),
      log: restored === undefined ? new MerkleAccumulator() : MerkleAccumulator.fromState(restored.committedLog),
      agentSeqs: new Map(), entryIds: new Set(), qc: null, children: [],
    }
    if (head.log.size !== head.header.logSize || !bytesEqual(head.log.root(), head.header.logRoot)) {
      throw new Error('restored log state does not match the committed head')
    }
    const headQc = restored === undefined ? gQc : restored.committedQc
    this.#tree = new BlockTree(head, headQc, restored?.agentSeqs ?? new Map())
    this.#ctx = { genesis, tree: this.#tree, verifier: this.verifier, leaders: this.leaders }
    if (restored !== undefined) this.#restorePending(restored, safetyState.highQc)
    const highQcRound = this.#tree.highQc?.round ?? 0
    const startRound = Math.max(highQcRound + 1, (this.#highTc?.round ?? 0) + 1, safetyState.lastVotedRound)
    this.#pacemaker = new Pacemaker(genesis.params, startRound)
  }

  // --- read-only views (drivers, tests, checkers) ---

  get round(): number {
    return this.#pacemaker.round
  }
  get committedHeight(): number {
    return this.#tree.head.header.height
  }
  get committedHead(): Block {
    return this.#tree.head.block
  }
  get highQc(): QuorumCertificate | null {
    return this.#tree.highQc
  }
  get safetyState(): RestoredState['safety'] {
    return this.#safety.state
  }
  get mempoolSize(): number {
    return this.#mempool.size
  }
  get pendingBlocks(): number {
    return this.#tree.pendingCount
  }
  /** Whether the replica is fetching blocks it lacks (by hash or by height range), so
   * that sync responses are expected. */
  get fetching(): boolean {
    return this.#rangeTarget !== null || this.#wants.size > 0
  }
  /** The highest height this replica knows a quorum committed (by a verified commit
   * certificate), at least its own committed height. */
  get knownCommittedHeight(): number {
    return Math.max(this.#latestCc?.height ?? 0, this.#tree.head.header.height)
  }
  /** Heights known committed that this replica has yet to commit: 0 when it is caught up
   * with what it has heard. */
  get syncLagHeights(): number {
    return this.knownCommittedHeight - this.#tree.head.header.height
  }
  /** A one-line summary of internal state, for debugging simulations. */
  debugState(): string {
    return `round=${this.round} head=${this.committedHeight} highQc=${this.#tree.highQc?.round} highTc=${this.#highTc?.round} timer=${this.#timerRound} pool=${this.#mempool.size} pending=${this.#tree.pendingCount} wants=${this.#wants.size} orphans=${this.#orphans.size} waitingQcs=${this.#waitingQcs.size} range=${this.#rangeTarget?.height} lastVoted=${this.#safety.state.lastVotedRound} proposed=${this.#proposedRound} idleLeader=${this.#idleLeaderRound}`
  }

  /** Feeds one event; returns the actions to execute, in order. */
  step(event: Event): Action[] {
    // #actions may already hold commits made while restoring pending blocks in the
    // constructor: they go out with the first step.
    if (Number.isFinite(event.now)) this.#now = event.now
    switch (event.type) {
      case 'start':
        this.#onStart()
        break
      case 'message':
        if (!this.#started) break
        if (!Number.isSafeInteger(event.from) || event.from < 0 || event.from >= this.set.n) {
          this.#reject(-1, event.message.type, { code: 'sender-unknown', sender: event.from })
          break
        }
        this.#onMessage(event.from, event.message)
        break
      case 'timer':
        if (!this.#started) break
        this.#onTimer(event.kind, event.round)
        break
      case 'submit':
        this.#onSubmit(event.entries)
        break
      case 'range-arriving':
        if (!this.#started || !Number.isSafeInteger(event.from) || event.from < 0 || event.from >= this.set.n) break
        this.#onRangeArriving(event.from, event.message)
        break
    }
    this.#ensureSyncTimer()
    const out = this.#actions
    this.#actions = []
    return out
  }

  // ---------------------------------------------------------------------------------
  // Start and restart
  // ---------------------------------------------------------------------------------

  #restorePending(restored: RestoredState, safetyHighQc: QuorumCertificate): void {
    // Parent-first: sort by height, insert what chains to the head, drop the rest.
    const blocks = [...restored.pendingBlocks].sort((a, b) => a.header.height - b.header.height)
    for (const block of blocks) {
      const parent = this.#tree.get(toHex(block.header.parent))
      if (parent === undefined || block.header.height <= this.#tree.head.header.height) continue
      if (this.#tree.get(toHex(blockHash(block.header))) !== undefined) continue
      const node = validateBlock(this.#ctx, parent, block)
      if (isRejection(node)) continue // corrupt storage: drop, sync will refetch
      this.#tree.insert(node)
      this.#applyCommit(this.#tree.certify(block.header.justify))
    }
    const node = this.#tree.get(toHex(safetyHighQc.block))
    if (node !== undefined && node.header.round === safetyHighQc.round) this.#applyCommit(this.#tree.certify(safetyHighQc))
    for (const n of this.#tree.pending()) for (const e of n.block.entries) this.#addToPool(e)
  }

  #onStart(): void {
    if (this.#started) return
    this.#started = true
    this.#enterRound()
    // Whether this replica is behind: on a busy chain proposals would tell it soon, on
    // an idle one nothing would.
    this.#emit({ type: 'broadcast', message: { type: 'status-request' } })
  }

  // ---------------------------------------------------------------------------------
  // Messages
  // ---------------------------------------------------------------------------------

  #onMessage(from: number, m: Message): void {
    switch (m.type) {
      case 'proposal':
        return this.#onProposal(from, m)
      case 'vote':
        return this.#onVote(from, m)
      case 'timeout':
        return this.#onTimeout(from, m)
      case 'sync-info':
        return this.#onSyncInfo(from, m)
      case 'entries':
        return this.#onEntries(from, m)
      case 'block-request':
      case 'range-request':
        this.#emit({ type: 'serve-sync', to: from, request: m })
        return
      case 'block-response':
        return this.#onBlockResponse(from, m)
      case 'range-response':
        return this.#onRangeResponse(from, m)
      case 'range-empty':
        return this.#onRangeEmpty(from, m)
      case 'status-request':
        return this.#onStatusRequest(from)
    }
  }

  #onProposal(from: number, m: ProposalMessage): void {
    const h = m.block.header
    if (h.round > this.round + this.limits.futureRoundsMax) return this.#ignore()
    if (h.proposer !== this.leaders.leaderOf(h.round)) return this.#reject(from, m.type, { code: 'proposer-not-leader', proposer: h.proposer, round: h.round })
    const hash = blockHash(h)
    const hashHex = toHex(hash)
    if (this.#tree.get(hashHex) !== undefined || this.#orphans.has(hashHex)) return this.#ignore()
    if (!this.verifier.proposal(h.proposer, hash, m.sig)) {
      return this.#reject(from, m.type, { code: 'proposal-bad-signature', proposer: h.proposer })
    }
    // Round justification: by the parent's QC, or by a TC for the previous round.
    if (h.round !== h.justify.round + 1) {
      if (m.tc === null || m.tc.round + 1 !== h.round) return this.#reject(from, m.type, { code: 'proposal-round-unjustified', round: h.round, qcRound: h.justify.round })
      if (h.justify.round < tcHighQcRound(m.tc)) return this.#reject(from, m.type, { code: 'proposal-qc-below-tc', qcRound: h.justify.round, tcHighQcRound: tcHighQcRound(m.tc) })
    }
    // Certificates first: they move the round and may commit, whatever the block is.
    if (m.tc !== null && !this.#acceptTc(from, m.tc, m.type)) return
    if (m.cc !== null && !this.#acceptCc(from, m.cc, m.type)) return
    if (!this.#acceptQc(from, h.justify, m.type)) return
    if (h.height <= this.#tree.head.header.height) return this.#ignore()
    const parent = this.#tree.get(toHex(h.parent))
    if (parent === undefined) {
      this.#addOrphan({ from, block: m.block, hashHex, proposal: m })
      this.#want(toHex(h.parent), h.height - 1, from)
      return
    }
    this.#insertAndVote(from, parent, m.block, m)
  }

  /** Validates a block whose parent is in the tree, inserts it, then votes if it is a
   * proposal for the current round; then resolves orphans that waited for it. */
  #insertAndVote(from: number, parent: BlockNode, block: Block, proposal: ProposalMessage | null): void {
    if (this.#tree.pendingCount >= this.limits.pendingBlocksMax) return this.#ignore()
    const node = validateBlock(this.#ctx, parent, block)
    if (isRejection(node)) return this.#reject(from, proposal === null ? 'block' : 'proposal', node)
    this.#tree.insert(node)
    this.#emit({ type: 'persist-block', hash: node.hash, block })
    this.#wants.delete(node.hashHex)
    for (const e of block.entries) this.#addToPool(e)
    // Its justify QC certifies the parent (already verified by validateBlock).
    this.#certify(block.header.justify)
    const waiting = this.#waitingQcs.get(node.hashHex)
    if (waiting !== undefined) {
      this.#waitingQcs.delete(node.hashHex)
      this.#certify(waiting)
    }
    const cc = this.#pendingCcs.get(node.hashHex)
    if (cc !== undefined && node.header.height > this.#tree.head.header.height) this.#applyCommit(this.#tree.commitTo(node))
    if (proposal !== null) this.#maybeVote(node, proposal)
    this.#ensureTimer()
    // Orphans whose parent this is.
    for (const orphan of [...this.#orphans.values()]) {
      if (toHex(orphan.block.header.parent) === node.hashHex) {
        this.#orphans.delete(orphan.hashHex)
        if (this.#tree.get(node.hashHex) !== undefined) this.#insertAndVote(orphan.from, node, orphan.block, orphan.proposal)
      }
    }
  }

  #maybeVote(node: BlockNode, proposal: ProposalMessage): void {
    const h = node.header
    if (h.round !== this.round) return
    const parent = this.#tree.get(node.parentHex)
    if (parent === undefined) return
    const signed = this.#safety.signVote(h, node.hash, parent.header, parent.hash, proposal.tc, this.#tree.highQc ?? h.justify, this.#highTc)
    if (!signed.ok) return
    if (signed.persist !== null) this.#emit({ type: 'persist-safety-state', state: signed.persist })
    this.stats.votes++
    const next = this.leaders.leaderOf(h.round + 1)
    if (next === this.index) this.#onVote(SELF, signed.message)
    else this.#emit({ type: 'send', to: next, message: signed.message })
  }

  #onVote(from: number, v: VoteMessage): void {
    if (this.leaders.leaderOf(v.round + 1) !== this.index) return this.#ignore()
    if (v.round + 1 < this.round || v.round > this.round + VOTE_ROUNDS_AHEAD_MAX) return this.#ignore()
    if (from !== SELF) {
      const problem = this.verifier.vote(v)
      if (problem !== null) return this.#reject(from, v.type, problem)
    }
    const { qc, cc } = this.#votes.add(v)
    if (cc !== null) this.verifier.formed({ kind: 'cc', cc })
    if (qc !== null) this.verifier.formed({ kind: 'qc', qc })
    if (cc !== null) {
      this.stats.ccsFormed++
      this.#ccToAttach = cc
      this.#noteCc(cc)
      if (cc.height > this.#tree.head.header.height) this.#pendingCcs.set(toHex(cc.block), cc)
      // Formed after our proposal went out: send it on its own.
      if (this.#proposedRound >= v.round + 1 && this.#tree.highQc !== null) {
        this.#emit({ type: 'broadcast', message: { type: 'sync-info', highQc: this.#tree.highQc, highTc: this.#highTc, highCc: cc } })
        this.#ccToAttach = null
      }
    }
    if (qc !== null) {
      this.stats.qcsFormed++
      if (this.#tree.get(toHex(qc.block)) === undefined) {
        this.#waitQc(qc, from)
        return
      }
      this.#certify(qc)
    }
    // An idle leader proposes nothing, so the QC that commits the last block and its
    // commit certificate would otherwise wait at this replica until new entries arrive:
    // the other replicas would lag one block behind. Send them on their own.
    if (this.#ccToAttach !== null && this.#idleLeaderRound === this.round && this.#proposedRound < this.round && this.#tree.highQc !== null) {
      this.#emit({ type: 'broadcast', message: { type: 'sync-info', highQc: this.#tree.highQc, highTc: this.#highTc, highCc: this.#ccToAttach } })
      this.#ccToAttach = null
    }
  }

  #onTimeout(from: number, t: TimeoutMessage): void {
    if (t.round > this.round + this.limits.futureRoundsMax) return this.#ignore()
    if (from !== SELF) {
      const problem = this.verifier.timeout(t)
      if (problem !== null) return this.#reject(from, t.type, problem)
    }
    if (!this.#acceptQc(from, t.highQc, t.type)) return
    if (t.highTc !== null && !this.#acceptTc(from, t.highTc, t.type)) return
    const highQc = this.#tree.highQc
    if (t.round < this.round || (highQc !== null && t.highQc.round < highQc.round)) {
      // The sender is behind: help it catch up (once per signed timeout).
      if (highQc !== null && from !== SELF) {
        this.#emit({ type: 'send', to: from, message: { type: 'sync-info', highQc, highTc: this.#highTc, highCc: this.#latestCc } })
      }
      if (t.round < this.round) return
    }
    const tc = this.#timeouts.add(t)
    if (tc !== null) this.verifier.formed({ kind: 'tc', tc })
    if (tc !== null) {
      this.stats.tcsFormed++
      this.#applyTc(tc)
      return
    }
    // Bracha-style join: f+1 timeouts for our round mean at least one honest replica
    // gave up on it; time out too instead of waiting for our own timer.
    if (t.round === this.round && this.#timeouts.count(t.round) >= this.set.f + 1 && this.#safety.state.highestTimeoutRound < t.round) {
      this.#localTimeout()
    }
  }

  #onSyncInfo(from: number, m: SyncInfoMessage): void {
    if (!this.#acceptQc(from, m.highQc, m.type)) return
    if (m.highTc !== null && !this.#acceptTc(from, m.highTc, m.type)) return
    if (m.highCc !== null) this.#acceptCc(from, m.highCc, m.type)
  }

  #onEntries(from: number, m: EntriesMessage): void {
    let added = 0
    for (const entry of m.entries) {
      const checked = this.verifier.entry(entry)
      if (isRejection(checked)) {
        this.#reject(from, m.type, checked)
        continue
      }
      if (this.#poolAdd(checked) === 'added') added++
    }
    if (added > 0) this.#onNewWork()
  }

  #onSubmit(entries: readonly Entry[]): void {
    const results: SubmitResult[] = []
    const fresh: Entry[] = []
    for (const entry of entries) {
      const checked = this.verifier.entry(entry)
      if (isRejection(checked)) {
        results.push({ id: safeEntryId(entry), rejected: checked })
        continue
      }
      const outcome = this.#poolAdd(checked)
      const id = hexToBytes(checked.idHex)
      if (outcome === 'added') {
        fresh.push(entry)
        results.push({ id, rejected: null })
      } else if (outcome === 'known') {
        results.push({ id, rejected: null })
      } else {
        results.push({ id, rejected: POOL_REJECTIONS[outcome] })
      }
    }
    this.#emit({ type: 'submitted', results })
    if (fresh.length > 0) {
      this.#emit({ type: 'broadcast', message: { type: 'entries', entries: fresh } })
      if (this.#started) this.#onNewWork()
    }
  }

  #onBlockResponse(from: number, m: BlockResponse): void {
    if (m.blocks.length === 0) return this.#ignore()
    const hashes = m.blocks.map((b) => blockHash(b.header))
    const firstHex = toHex(hashes[0]!)
    if (!this.#wants.has(firstHex)) return this.#ignore()
    for (let i = 0; i + 1 < m.blocks.length; i++) {
      if (!bytesEqual(m.blocks[i]!.header.parent, hashes[i + 1]!)) return this.#reject(from, m.type, { code: 'blocks-not-chained', index: i, next: i + 1 })
    }
    this.#wants.delete(firstHex)
    this.#syncProgress = true
    // Ascending: each block's parent is either in the tree or the previous one.
    for (let i = m.blocks.length - 1; i >= 0; i--) {
      const block = m.blocks[i]!
      const hashHex = toHex(hashes[i]!)
      if (block.header.height <= this.#tree.head.header.height || this.#tree.get(hashHex) !== undefined) continue
      const parent = this.#tree.get(toHex(block.header.parent))
      if (parent === undefined) {
        this.#addOrphan({ from, block, hashHex, proposal: null })
        if (i === m.blocks.length - 1) this.#want(toHex(block.header.parent), block.header.height - 1, from)
        continue
      }
      if (!this.#verifyJustify(from, block)) return
      this.#insertAndVote(from, parent, block, null)
    }
  }

  #onRangeResponse(from: number, m: RangeResponse): void {
    const target = this.#rangeTarget
    if (target === null || m.blocks.length === 0) return this.#ignore()
    const headBefore = this.#tree.head.header.height
    if (m.blocks[0]!.header.height !== headBefore + 1) return this.#ignore()
    if (target.requestedFrom === headBefore + 1 && target.askedPeer === from) target.inFlight = false
    const hashes = m.blocks.map((b) => blockHash(b.header))
    // With a commit certificate, every block is provably committed once it chains by
    // hash to the certified one: then each verified block commits, whatever follows it.
    let proven = false
    if (m.cc !== null) {
      const problem = certifiedChainProblem(m, hashes)
      if (problem !== null) return this.#reject(from, m.type, problem)
      if (!this.#acceptCc(from, m.cc, m.type, true)) return
      proven = true
      this.#requestAhead(from, m.blocks, hashes)
    }
    let lastInserted: BlockNode | null = null
    let refused = false
    for (let i = 0; i < m.blocks.length; i++) {
      const block = m.blocks[i]!
      const hashHex = toHex(hashes[i]!)
      // Known, or committed meanwhile (blocks fetched by hash, and orphans they resolved,
      // may have got ahead of this range).
      const known = this.#tree.get(hashHex)
      if (known !== undefined || block.header.height <= this.#tree.head.header.height) {
        if (known !== undefined) lastInserted = known
        continue
      }
      const parent = this.#tree.get(toHex(block.header.parent))
      if (parent === undefined) {
        this.#reject(from, m.type, { code: 'range-block-not-chained', height: block.header.height })
        refused = true
        break
      }
      if (!this.#verifyJustify(from, block)) {
        refused = true
        break
      }
      this.#insertAndVote(from, parent, block, null)
      const node = this.#tree.get(hashHex)
      if (node === undefined) {
        if (block.header.height > this.#tree.head.header.height) refused = true // invalid: rejected
        if (refused) break
        continue
      }
      lastInserted = node
    }
    // The verified prefix commits (the whole response when nothing was refused).
    const head = this.#tree.head
    if (proven && lastInserted !== null && lastInserted.header.height > head.header.height && this.#tree.extends(lastInserted, head.hashHex)) {
      this.#applyCommit(this.#tree.commitTo(lastInserted))
    }
    const headHeight = this.#tree.head.header.height
    const advanced = headHeight > headBefore
    if (advanced) this.#syncProgress = true
    // Committing may have ended this target (or a certificate seen meanwhile started another).
    const current = this.#rangeTarget
    if (current === null) {
      this.#rewant()
      return
    }
    if (this.#rangeDone(current)) return
    if (!advanced) return // refused, or nothing new: the sync timer asks again
    current.progressed = true
    if (refused) current.attempts++ // the rest from another peer
    // Usually the request ahead already asked for what follows the new head.
    if (!current.inFlight || current.requestedFrom !== headHeight + 1) this.#requestRange()
  }

  /** A peer has committed nothing at the height asked for: ask another one at once
   * (each at most once per head height; after that, the sync timer asks again). */
  #onRangeEmpty(from: number, m: RangeEmpty): void {
    const target = this.#rangeTarget
    if (target === null || !target.inFlight || target.askedPeer !== from || m.fromHeight !== target.requestedFrom) return this.#ignore()
    target.inFlight = false
    if (m.cc !== null && !this.#acceptCc(from, m.cc, m.type)) return
    const current = this.#rangeTarget
    if (current === null) {
      this.#rewant()
      return
    }
    if (this.#rangeDone(current)) return
    const headHeight = this.#tree.head.header.height
    if (current.emptyAtHead !== headHeight) {
      current.emptyPeers.clear()
      current.emptyAtHead = headHeight
    }
    current.emptyPeers.add(from)
    if (!current.inFlight) this.#requestRange()
  }

  /** Ends a range sync that has nothing left to bring: the head reached its target, or
   * no height above the head is known committed and the target is within the window
   * (its blocks are fetched by hash: a range holds committed blocks only). */
  #rangeDone(target: RangeTarget): boolean {
    const headHeight = this.#tree.head.header.height
    const committedAbove = (this.#latestCc?.height ?? 0) > headHeight
    if (headHeight < target.height && (committedAbove || target.height > headHeight + this.limits.syncWindowHeights)) return false
    this.#rangeTarget = null
    this.#rewant()
    return true
  }

  /** A range response the driver will deliver later (see the 'range-arriving' event):
   * asks for the range after it if it would be asked for on delivery. Rejects nothing:
   * a response that fails here is rejected when it is delivered. */
  #onRangeArriving(from: number, m: RangeResponse): void {
    const target = this.#rangeTarget
    if (target === null || m.blocks.length === 0 || m.cc === null) return
    if (m.blocks[0]!.header.height !== this.#tree.head.header.height + 1) return
    const hashes = m.blocks.map((b) => blockHash(b.header))
    if (certifiedChainProblem(m, hashes) !== null) return
    // Cached: the CC is not verified again on delivery.
    if (this.verifier.cc(m.cc) !== null) return
    // On its way: the sync timer must not ask for it again meanwhile.
    target.progressed = true
    this.#requestAhead(from, m.blocks, hashes)
  }

  /**
   * Asks `from` for the range after this response's blocks before they are verified, so
   * that the peer serves it meanwhile. Only when the response's commit certificate has
   * verified (the caller checked it is for the last block, so its height is one a quorum
   * committed) and its blocks chain by hash from the head to that block: then, once they
   * verify, the head is the last block and the next range starts right after it. At most
   * one request ahead per head height: a response that then fails verification leaves the
   * head where it was and cannot make this replica ask again (the round timer retries).
   */
  #requestAhead(from: number, blocks: readonly Block[], hashes: readonly Hash[]): void {
    const target = this.#rangeTarget
    const head = this.#tree.head
    const next = blocks[blocks.length - 1]!.header.height + 1
    if (target === null || next > target.height || target.requestedFrom === next || target.aheadAtHead === head.header.height) return
    if (!bytesEqual(blocks[0]!.header.parent, head.hash)) return
    for (let i = 1; i < blocks.length; i++) {
      if (blocks[i]!.header.height !== blocks[i - 1]!.header.height + 1 || !bytesEqual(blocks[i]!.header.parent, hashes[i - 1]!)) return
    }
    target.aheadAtHead = head.header.height
    this.#sendRangeRequest(target, from, next)
  }

  // ---------------------------------------------------------------------------------
  // Certificates
  // ---------------------------------------------------------------------------------

  /** Verifies a QC and acts on it (waits for its block if needed). False when invalid. */
  #acceptQc(from: number, qc: QuorumCertificate, messageType: string): boolean {
    const problem = this.verifier.qc(qc)
    if (problem !== null) {
      this.#reject(from, messageType, { code: 'certificate-rejected', certificate: 'QC', problem })
      return false
    }
    const node = this.#tree.get(toHex(qc.block))
    if (node === undefined) {
      if (qc.height > this.#tree.head.header.height) this.#waitQc(qc, from)
      return true
    }
    if (node.header.round !== qc.round || node.header.height !== qc.height) {
      // A quorum signed a round/height that differs from the block's header: impossible
      // with at most f faulty validators.
      this.#reject(from, messageType, { code: 'qc-differs-from-block' })
      return false
    }
    this.#certify(qc)
    return true
  }

  #acceptTc(from: number, tc: TimeoutCertificate, messageType: string): boolean {
    if (this.#highTc !== null && tc.round <= this.#highTc.round && tc.round < this.round) return true // old news
    const problem = this.verifier.tc(tc)
    if (problem !== null) {
      this.#reject(from, messageType, { code: 'certificate-rejected', certificate: 'TC', problem })
      return false
    }
    this.#applyTc(tc)
    return true
  }

  /** Verifies a CC and acts on it; fetches its block unless `blockInHand` (a range
   * response carries it). False when invalid. */
  #acceptCc(from: number, cc: CommitCertificate, messageType: string, blockInHand = false): boolean {
    if (cc.height <= this.#tree.head.header.height && !bytesEqual(cc.block, this.#tree.head.hash)) return true // old news
    const problem = this.verifier.cc(cc)
    if (problem !== null) {
      this.#reject(from, messageType, { code: 'certificate-rejected', certificate: 'CC', problem })
      return false
    }
    this.#noteCc(cc)
    const hashHex = toHex(cc.block)
    if (cc.height === this.#tree.head.header.height) {
      return true
    }
    const node = this.#tree.get(hashHex)
    if (node !== undefined) {
      if (node.header.logSize !== cc.logSize || !bytesEqual(node.header.logRoot, cc.logRoot)) {
        this.#reject(from, messageType, { code: 'cc-differs-from-block' })
        return false
      }
      // A CC proves the two-chain commit condition held: commit directly.
      this.#pendingCcs.set(hashHex, cc)
      this.#applyCommit(this.#tree.commitTo(node))
      return true
    }
    this.#pendingCcs.set(hashHex, cc)
    if (!blockInHand) this.#want(hashHex, cc.height, from)
    return true
  }

  /** Remembers the newest CC; stores it if it certifies the head. */
  #noteCc(cc: CommitCertificate): void {
    if (this.#latestCc === null || cc.height > this.#latestCc.height) this.#latestCc = cc
    if (cc.height === this.#tree.head.header.height && bytesEqual(cc.block, this.#tree.head.hash)) {
      this.#emit({ type: 'store-commit-certificate', cc })
    }
  }

  #certify(qc: QuorumCertificate): void {
    if (this.#tree.get(toHex(qc.block)) === undefined) return
    const before = this.#tree.highQc
    this.#applyCommit(this.#tree.certify(qc))
    if (!this.#advance(qc.round + 1, false) && this.#tree.highQc !== before) this.#maybePropose(false)
  }

  #applyTc(tc: TimeoutCertificate): void {
    if (this.#highTc === null || tc.round > this.#highTc.round) this.#highTc = tc
    this.#advance(tc.round + 1, true)
  }

  #applyCommit(result: CommitResult): void {
    if (result.nodes.length === 0) return
    const nodes = result.nodes
    const last = nodes[nodes.length - 1]!
    for (const node of nodes) {
      for (const e of node.block.entries) {
        const checked = this.verifier.entry(e)
        if (!isRejection(checked)) this.#mempool.remove(checked.idHex)
      }
      for (const [agent, seq] of node.agentSeqs) this.#mempool.dropUpTo(agent, seq)
      this.stats.entriesCommitted += node.block.entries.length
    }
    this.stats.blocksCommitted += nodes.length
    const cc = this.#pendingCcs.get(last.hashHex) ?? null
    this.#emit({
      type: 'commit',
      blocks: nodes.map((n) => n.block),
      hashes: nodes.map((n) => n.hash),
      qc: last.qc,
      cc,
      log: last.log.toState(),
    })
    for (const node of nodes.slice(0, -1)) {
      const c = this.#pendingCcs.get(node.hashHex)
      if (c !== undefined) this.#emit({ type: 'store-commit-certificate', cc: c })
    }
    const headHeight = last.header.height
    for (const [key, c] of this.#pendingCcs) if (c.height <= headHeight) this.#pendingCcs.delete(key)
    for (const [key, w] of this.#wants) if (w.height <= headHeight) this.#wants.delete(key)
    for (const [key, o] of this.#orphans) if (o.block.header.height <= headHeight) this.#orphans.delete(key)
    for (const [key, q] of this.#waitingQcs) if (q.height <= headHeight) this.#waitingQcs.delete(key)
    if (this.#rangeTarget !== null && headHeight >= this.#rangeTarget.height) this.#rangeTarget = null
  }

  // ---------------------------------------------------------------------------------
  // Rounds, timers, proposals
  // ---------------------------------------------------------------------------------

  #advance(round: number, byTimeout: boolean): boolean {
    if (!this.#pacemaker.advanceTo(round, byTimeout)) return false
    this.#votes.prune(round - 1)
    this.#timeouts.prune(round - 1)
    this.#enterRound()
    return true
  }

  #enterRound(): void {
    this.#timerRound = 0
    this.#ensureTimer()
    this.#maybePropose(false)
  }

  /** Arms the current round's timer if there is work to finish and none is set. */
  #ensureTimer(): void {
    if (!this.#started || this.#timerRound === this.round) return
    if (!this.#hasWork()) return
    this.#timerRound = this.round
    this.#emit({ type: 'set-timer', kind: 'round', round: this.round, delayMs: this.#pacemaker.timeoutMs() })
  }

  /** Work: something that needs rounds to make progress. Without it the replica idles
   * (no timers, no empty blocks) until entries or blocks arrive. */
  #hasWork(): boolean {
    if (this.#mempool.size > 0 || this.#wants.size > 0 || this.#rangeTarget !== null) return true
    for (const node of this.#tree.pending()) if (node.block.entries.length > 0) return true
    return false
  }

  #onNewWork(): void {
    this.#ensureTimer()
    // An idle leader has no block in flight: nothing would join a block while it waits
    // for proposalDelayMs except entries arriving in that window, and at light load
    // the wait is pure latency. So it proposes at once; the delay still applies to
    // proposals that follow a QC (under load, where it fills blocks).
    if (this.#idleLeaderRound === this.round) this.#maybePropose(true)
  }

  #onTimer(kind: TimerKind, round: number): void {
    if (kind === 'sync') return this.#onSyncTimer(round)
    if (round !== this.round) return this.#ignore()
    if (kind === 'propose') {
      this.#maybePropose(true)
      return
    }
    this.#timerRound = 0
    if (!this.#hasWork()) return
    this.#localTimeout()
    this.#timerRound = this.round
    this.#emit({ type: 'set-timer', kind: 'round', round: this.round, delayMs: this.#pacemaker.timeoutMs() })
  }

  #localTimeout(): void {
    const highQc = this.#tree.highQc
    if (highQc === null) return
    const firstTime = this.#safety.state.highestTimeoutRound < this.round
    const signed = this.#safety.signTimeout(this.round, highQc, this.#highTc)
    if (!signed.ok) return
    if (signed.persist !== null) this.#emit({ type: 'persist-safety-state', state: signed.persist })
    this.stats.timeouts++
    this.#emit({ type: 'broadcast', message: signed.message })
    if (firstTime) {
      // Re-gossip entries a leader may have missed (lost messages): bounded to one block.
      const batch = this.#mempool.select(this.genesis.params.blockEntriesMax, this.genesis.params.blockBytesMax, () => -1, () => false)
      if (batch.length > 0) this.#emit({ type: 'broadcast', message: { type: 'entries', entries: batch.map((p) => p.entry) } })
      const tc = this.#timeouts.add(signed.message)
      if (tc !== null) this.verifier.formed({ kind: 'tc', tc })
      if (tc !== null) {
        this.stats.tcsFormed++
        this.#applyTc(tc)
      }
    }
  }

  /** Proposes if this replica leads the current round, has not proposed in it, the round
   * is justified (QC for round-1 or TC for round-1), and there is something to propose.
   * Waits params.proposalDelayMs first (to fill the block) unless `now` is set. */
  #maybePropose(now: boolean): void {
    const round = this.round
    if (!this.#started || this.leaders.leaderOf(round) !== this.index || this.#proposedRound >= round) return
    const highQc = this.#tree.highQc
    if (highQc === null) return
    const viaTc = this.#highTc !== null && this.#highTc.round + 1 === round
    if (highQc.round + 1 !== round && !viaTc) return
    // After a TC, extend a QC at least as high as any signer's: wait until we have it
    // (the timeouts carried it; its block is being fetched).
    if (highQc.round + 1 !== round && highQc.round < tcHighQcRound(this.#highTc!)) return
    const parent = this.#tree.highQcNode
    const lastSeqOf = (agent: string): number => this.#tree.lastSeqInChain(parent, agent)
    const skip = (id: string): boolean => this.#tree.inChain(parent, id)
    const candidates = this.#mempool.hasCandidates(lastSeqOf, skip)
    if (!candidates && !viaTc && !this.#chainNeedsBlocks(parent)) {
      this.#idleLeaderRound = round
      return
    }
    const delay = this.genesis.params.proposalDelayMs
    if (!now && delay > 0 && candidates && this.#mempool.size < this.genesis.params.blockEntriesMax) {
      this.#emit({ type: 'set-timer', kind: 'propose', round, delayMs: delay })
      return
    }
    const batch = this.#mempool.select(this.genesis.params.blockEntriesMax, this.genesis.params.blockBytesMax, lastSeqOf, skip)
    const block = this.#buildBlock(round, parent, highQc, batch)
    const hash = blockHash(block.header)
    const sig = signDomain(this.#seed, 'proposal', this.genesis.chainId, { block: hash })
    this.verifier.signedProposal(this.index, hash, sig)
    const proposal: ProposalMessage = {
      type: 'proposal',
      block,
      sig,
      tc: highQc.round + 1 === round ? null : this.#highTc,
      cc: this.#ccToAttach,
    }
    this.#ccToAttach = null
    this.#proposedRound = round
    this.stats.proposals++
    this.#emit({ type: 'broadcast', message: proposal })
    this.#onProposal(SELF, proposal)
  }

  /** Whether the chain ending at `tip` has entries that others have yet to see committed:
   * an uncommitted block with entries, or a head committed by the QC on `tip`. */
  #chainNeedsBlocks(tip: BlockNode): boolean {
    const head = this.#tree.head
    for (let at: BlockNode | undefined = tip; at !== undefined; at = this.#tree.get(at.parentHex)) {
      if (at === head) return head.block.entries.length > 0 && (tip === head || tip.parentHex === head.hashHex)
      if (at.block.entries.length > 0) return true
    }
    return false
  }

  #buildBlock(round: number, parent: BlockNode, justify: QuorumCertificate, batch: readonly CheckedEntry[]): Block {
    const log = parent.log.clone()
    for (const item of batch) log.append(item.leaf)
    const header: BlockHeader = {
      height: parent.header.height + 1,
      round,
      parent: parent.hash,
      entriesRoot: merkleRoot(batch.map((item) => item.leaf)),
      entryCount: batch.length,
      logSize: log.size,
      logRoot: log.root(),
      proposer: this.index,
      justify,
    }
    return { header, entries: batch.map((item) => item.entry) }
  }

  // ---------------------------------------------------------------------------------
  // Sync
  // ---------------------------------------------------------------------------------

  #waitQc(qc: QuorumCertificate, from: number): void {
    const key = toHex(qc.block)
    if (!this.#waitingQcs.has(key) && this.#waitingQcs.size >= WAITING_QCS_MAX) return
    const known = this.#waitingQcs.get(key)
    if (known === undefined || qc.round > known.round) this.#waitingQcs.set(key, qc)
    this.#want(key, qc.height, from)
  }

  #addOrphan(orphan: Orphan): void {
    if (this.#orphans.size >= ORPHANS_MAX) return this.#ignore()
    this.#orphans.set(orphan.hashHex, orphan)
  }

  /** Fetches a block we lack (and its ancestors): by hash when close, by committed
   * height range when far behind. */
  #want(hashHex: string, height: number, from: number): void {
    const headHeight = this.#tree.head.header.height
    if (height <= headHeight || this.#tree.get(hashHex) !== undefined) return
    if (height > headHeight + this.limits.syncWindowHeights) {
      const target = this.#rangeTarget
      if (target === null) {
        this.#rangeTarget = {
          height, peers: this.#peerOrder(from), attempts: 0, requestedFrom: 0, aheadAtHead: -1, progressed: false,
          inFlight: false, askedPeer: -1, emptyPeers: new Set(), emptyAtHead: -1,
        }
        this.#requestRange()
      } else if (height > target.height) {
        // Same target, further away: what was requested so far still counts. A newly
        // certified height is news: when nothing is in flight, ask at once.
        target.height = height
        target.peers = this.#peerOrder(from)
        target.attempts = 0
        target.emptyPeers.clear()
        if (!target.inFlight) this.#requestRange()
      }
      return
    }
    if (height <= this.#rangeReach()) return
    if (this.#wants.has(hashHex)) return
    if (this.#wants.size >= this.limits.bufferedProposalsMax) return
    const want: Want = { height, peers: this.#peerOrder(from), attempts: 0 }
    this.#wants.set(hashHex, want)
    this.#requestBlock(hashHex, want)
    this.#ensureTimer()
  }

  /** Wants again every missing block that something verified points to: the parents of
   * orphans, the blocks of waiting QCs and of pending CCs. #want skips those already
   * wanted, so nothing is asked twice; what a full want table or a range sync set aside
   * is asked for once there is room. */
  #rewant(): void {
    const headHeight = this.#tree.head.header.height
    for (const [key, qc] of this.#waitingQcs) if (qc.height > headHeight && this.#tree.get(key) === undefined) this.#want(key, qc.height, SELF)
    for (const [key, cc] of this.#pendingCcs) if (cc.height > headHeight && this.#tree.get(key) === undefined) this.#want(key, cc.height, SELF)
    for (const orphan of this.#orphans.values()) {
      const parentHex = toHex(orphan.block.header.parent)
      if (this.#tree.get(parentHex) === undefined && !this.#orphans.has(parentHex)) this.#want(parentHex, orphan.block.header.height - 1, orphan.from)
    }
  }

  /** While a range sync is under way, the height up to which it brings the blocks: its
   * target, or the newest commit certificate if lower (ranges hold committed blocks
   * only). Blocks up to there are left to it: fetched by hash as well, they would be
   * served and verified twice. 0 when no range sync is under way. */
  #rangeReach(): number {
    const target = this.#rangeTarget
    if (target === null) return 0
    return Math.min(target.height, this.#latestCc?.height ?? 0)
  }

  /** `first`, then every other validator in index order (deterministic). */
  #peerOrder(first: number): number[] {
    const peers = first === SELF || first === this.index ? [] : [first]
    for (let i = 0; i < this.set.n; i++) if (i !== this.index && i !== first) peers.push(i)
    return peers
  }

  #requestBlock(hashHex: string, want: Want): void {
    if (want.peers.length === 0) return
    const to = want.peers[want.attempts % want.peers.length]!
    want.attempts++
    this.stats.syncRequests++
    // Ancestors down to the head, or down to what a range sync brings.
    const below = Math.max(this.#tree.head.header.height, this.#rangeReach())
    const count = Math.min(BLOCK_REQUEST_COUNT_MAX, this.limits.syncBlocksMax, Math.max(1, want.height - below))
    this.#emit({ type: 'send', to, message: { type: 'block-request', block: hexToBytes(hashHex), count } })
  }

  /** Asks the next peer in turn for the range after the head, skipping those that just
   * said they have nothing there (none left: the sync timer asks again later). */
  #requestRange(): void {
    const target = this.#rangeTarget
    if (target === null || target.peers.length === 0) return
    const headHeight = this.#tree.head.header.height
    const skip = target.emptyAtHead === headHeight ? target.emptyPeers : null
    for (let tries = 0; tries < target.peers.length; tries++) {
      const to = target.peers[target.attempts % target.peers.length]!
      target.attempts++
      if (skip !== null && skip.has(to)) continue
      this.#sendRangeRequest(target, to, headHeight + 1)
      return
    }
  }

  #sendRangeRequest(target: RangeTarget, to: number, fromHeight: number): void {
    this.stats.syncRequests++
    const toHeight = Math.min(target.height, fromHeight + Math.min(RANGE_REQUEST_HEIGHTS_MAX, this.limits.syncBlocksMax) - 1)
    target.requestedFrom = fromHeight
    target.inFlight = true
    target.askedPeer = to
    this.#emit({ type: 'send', to, message: { type: 'range-request', fromHeight, toHeight } })
  }

  /** Arms the sync timer: while fetching, at the retry delay (doubling while retries
   * bring nothing); otherwise for a status poll, at most the status interval apart.
   * An armed timer is left alone (so progress elsewhere never postpones a retry),
   * except a status timer when a fetch starts: the retry timer replaces it. */
  #ensureSyncTimer(): void {
    if (!this.#started) return
    const fetching = this.fetching
    if (this.#syncTimer !== 0 && (this.#syncTimerFetching || !fetching)) return
    // A fetch starting after a quiet spell (or a status poll after a fetch) starts its
    // backoff afresh: the polls' count says nothing about the peers' answers to fetches.
    if (fetching !== this.#syncTimerFetching) this.#syncFruitless = 0
    // Fetching: retries at the first delay for syncRetriesMax timers, then doubling.
    // Polling: from the first delay after start (the peers may not have been connected
    // for the poll on start), doubling up to the status interval.
    const steps = Math.min(SYNC_BACKOFF_STEPS_MAX, fetching ? Math.max(0, this.#syncFruitless - this.limits.syncRetriesMax + 1) : this.#syncFruitless)
    const delayMs = Math.min(fetching ? this.limits.syncRetryMaxMs : this.limits.statusIntervalMs, this.limits.syncRetryMs * 2 ** steps)
    this.#syncTimer = ++this.#syncTokens
    this.#syncTimerFetching = fetching
    this.#emit({ type: 'set-timer', kind: 'sync', round: this.#syncTimer, delayMs })
  }

  /** The sync timer: ask the next peer for what is still missing (fetches are never
   * given up: a block stops being wanted only when the head passes it), or, when
   * nothing is being fetched, poll the peers' status. Re-armed by step(). */
  #onSyncTimer(token: number): void {
    if (token !== this.#syncTimer) return this.#ignore()
    const wasFetching = this.#syncTimerFetching
    this.#syncTimer = 0
    if (this.#syncProgress) this.#syncFruitless = 0
    else this.#syncFruitless++
    this.#syncProgress = false
    if (!this.fetching) {
      if (!wasFetching) this.#emit({ type: 'broadcast', message: { type: 'status-request' } })
      return
    }
    const reach = this.#rangeReach()
    for (const [hashHex, want] of [...this.#wants]) {
      if (want.height <= reach) {
        // A range sync now brings it.
        this.#wants.delete(hashHex)
        continue
      }
      this.#requestBlock(hashHex, want)
    }
    const target = this.#rangeTarget
    if (target !== null) {
      target.emptyPeers.clear()
      // A response advanced the head since the last timer and its request ahead is in
      // flight: the range sync is moving, and that request may still be answered.
      // Asking again would have the range served twice.
      if (target.progressed && target.inFlight) target.progressed = false
      else this.#requestRange()
    }
    this.#rewant()
  }

  /** Answers a peer's status request with this replica's newest certificates. */
  #onStatusRequest(from: number): void {
    const highQc = this.#tree.highQc
    const last = this.#statusAnswered.get(from)
    if (highQc === null || (last !== undefined && this.#now - last < STATUS_ANSWER_INTERVAL_MS)) return this.#ignore()
    this.#statusAnswered.set(from, this.#now)
    this.#emit({ type: 'send', to: from, message: { type: 'sync-info', highQc, highTc: this.#highTc, highCc: this.#latestCc } })
  }

  #verifyJustify(from: number, block: Block): boolean {
    const problem = this.verifier.qc(block.header.justify)
    if (problem === null) return true
    this.#reject(from, 'block', { code: 'certificate-rejected', certificate: 'justify QC', problem })
    return false
  }

  // ---------------------------------------------------------------------------------
  // Mempool
  // ---------------------------------------------------------------------------------

  #poolAdd(checked: CheckedEntry): AddResult | 'seq-committed' {
    if (checked.entry.seq <= this.#tree.committedSeq(checked.agentHex)) return 'seq-committed'
    return this.#mempool.add(checked)
  }

  /** Entries of a validated block: already verified (cache hit); back into the pool so
   * that they are proposed again if this block's fork is abandoned. */
  #addToPool(entry: Entry): void {
    const checked = this.verifier.entry(entry)
    if (!isRejection(checked)) this.#poolAdd(checked)
  }

  // ---------------------------------------------------------------------------------

  #emit(action: Action): void {
    this.#actions.push(action)
  }

  #reject(from: number, messageType: string, reason: Rejection): void {
    this.stats.rejected++
    this.#emit({ type: 'rejected', from, messageType, reason })
  }

  #ignore(): void {
    this.stats.ignored++
  }
}

/** Why a range response's blocks and headers do not chain by hash (at consecutive
 * heights) to the block its commit certificate is for; null when they do. */
function certifiedChainProblem(m: RangeResponse, hashes: readonly Hash[]): Rejection | null {
  for (let i = 1; i < m.blocks.length; i++) {
    const h = m.blocks[i]!.header
    if (h.height !== m.blocks[i - 1]!.header.height + 1 || !bytesEqual(h.parent, hashes[i - 1]!)) return { code: 'blocks-not-chained', index: i, next: i - 1 }
  }
  let height = m.blocks[m.blocks.length - 1]!.header.height
  let hash = hashes[hashes.length - 1]!
  for (let i = 0; i < m.links.length; i++) {
    const h = m.links[i]!
    if (h.height !== height + 1 || !bytesEqual(h.parent, hash)) return { code: 'range-header-not-chained', index: i }
    height = h.height
    hash = blockHash(h)
  }
  const cc = m.cc!
  if (cc.height !== height || !bytesEqual(cc.block, hash)) return { code: 'range-cc-not-for-last' }
  return null
}

/** What the submitter is told when the pool refuses a valid entry. */
const POOL_REJECTIONS: Readonly<Record<Exclude<AddResult | 'seq-committed', 'added' | 'known'>, Rejection>> = {
  'seq-committed': { code: 'entry-seq-committed' },
  'duplicate-seq': { code: 'entry-duplicate-seq' },
  'mempool-full': { code: 'mempool-full' },
  'mempool-bytes-full': { code: 'mempool-bytes-full' },
}

function hexToBytes(hex: string): Hash {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

function safeEntryId(entry: Entry): Hash {
  try {
    return entryId(entry)
  } catch {
    return new Uint8Array(32)
  }
}
