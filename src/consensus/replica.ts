// The replica: one validator's consensus state machine (Jolteon / DiemBFT-v4 chained
// HotStuff, two-chain commit). step(event) -> actions; see types.ts for the contract
// and docs/protocol.md for the protocol and its arguments.
//
// Structure: the parent (this file) decides and mutates; the leaves are pure or own
// one concern: SafetyRules (the only signer of votes and timeouts), Pacemaker (rounds
// and backoff), BlockTree (blocks, QCs, commit rule), Mempool, Verifier (signature
// checks with caches), aggregators (votes -> QC/CC, timeouts -> TC).
import { assert } from '../assert.ts'
import { bytesEqual } from '../codec/cbor.ts'
import { signDomain } from '../crypto/domain.ts'
import { ED25519, type SignatureScheme } from '../crypto/signature-scheme.ts'
import { toHex } from '../crypto/hash.ts'
import { blockHash, genesisBlock, genesisQc, type Block, type BlockHeader } from '../log/block.ts'
import { LIMITS } from '../limits.ts'
import { SYNC_LINKS_MAX } from './messages.ts'
import {
  tcHighQcRound, type CommitCertificate, type QuorumCertificate, type TimeoutCertificate,
} from '../log/certificates.ts'
import { entryId, type Entry, type Hash } from '../log/entry.ts'
import { boundaryShapeProblem, genesisPosition, type Epoch, type EpochPosition } from '../log/epochs.ts'
import { validatorSetOf, type Genesis } from '../log/genesis.ts'
import { MerkleAccumulator, merkleRoot } from '../log/merkle.ts'
import type { ValidatorSet } from '../log/validator-set.ts'
import { EpochMembers, ValidatorDirectory } from '../log/validator-directory.ts'
import { GovernanceState } from '../governance/state.ts'
import { TimeoutAggregator, VoteAggregator } from './aggregators.ts'
import { BlockSync, hexToBytes, SELF } from './block-sync.ts'
import { BlockTree, type BlockNode, type CommitResult } from './block-tree.ts'
import { validateBlock, type ValidationContext } from './block-validation.ts'
import { isLeaderOf, leaderElectionFor, RoundRobinLeaderElection, upcomingLeaders, type LeaderElection } from './leader-election.ts'
import { isRejection, type Rejection } from './rejections.ts'
import { Mempool, type AddResult } from './mempool.ts'
import { Pacemaker } from './pacemaker.ts'
import { DEFAULT_REPLICA_LIMITS } from './replica-limits.ts'
import { initialSafetyState, SafetyRules } from './safety-rules.ts'
import type {
  Action, BoundaryCertificate, EntriesMessage, Event, Message, ProposalMessage,
  ReplicaLimits, ReplicaOptions, RestoredState, SubmitResult, SyncInfoMessage, TimeoutMessage, TimerKind, VoteMessage,
} from './types.ts'
import { Verifier, type CheckedEntry } from './verifier.ts'

/** Votes are only useful to the leader of the next round; accept them this many rounds
 * ahead of ours (a lagging leader catches up through the votes' QC soon after). */
const VOTE_ROUNDS_AHEAD_MAX = 64

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
  readonly limits: ReplicaLimits
  readonly verifier: Verifier
  readonly stats: ReplicaStats = {
    proposals: 0, votes: 0, timeouts: 0, qcsFormed: 0, tcsFormed: 0, ccsFormed: 0,
    blocksCommitted: 0, entriesCommitted: 0, rejected: 0, ignored: 0, syncRequests: 0,
  }

  readonly #seed: Uint8Array
  readonly #signatures: SignatureScheme
  readonly #safety: SafetyRules
  #pacemaker: Pacemaker
  readonly #tree: BlockTree
  readonly #mempool: Mempool
  /** The epoch the replica is in, and what follows from it (#enterEpoch). */
  #epoch!: Epoch
  #set!: ValidatorSet
  #leaders!: LeaderElection
  #votes!: VoteAggregator
  #timeouts!: TimeoutAggregator
  /** Every validator of every epoch this replica has committed the start of, in order of
   * first appearance: what `from`, `to` and the replica's own index address. */
  readonly #directory: ValidatorDirectory
  /** The epoch's set against the directory (set positions <-> directory indexes). */
  #members!: EpochMembers
  /** This replica's directory index: -1 until the directory holds its key (a joining
   * validator before the reconfiguration that names it commits). */
  #index: number
  /** Its position in the epoch's set (what it signs and proposes as), -1 outside it. */
  #position = -1
  /** Whether this replica's key is in the epoch's set: otherwise it proposes, votes, times
   * out and forwards entries in none of its rounds (ReplicaOptions.reconfigurations 'switch'). */
  #member = true
  /** Whether the replica enters the next epoch at the boundary (ReplicaOptions.reconfigurations). */
  readonly #switches: boolean
  /** Epoch 0's leader election: the chain's, or the one given (ReplicaOptions.leaders). */
  readonly #genesisLeaders: LeaderElection
  readonly #ctx: ValidationContext
  #highTc: TimeoutCertificate | null
  /** Newest verified CC (sent in sync-info to peers that are behind). */
  #latestCc: CommitCertificate | null = null
  /** Verified CCs for blocks above the head, by block hash, until they commit. */
  readonly #pendingCcs = new Map<string, CommitCertificate>()
  /** A CC this replica formed as leader, to attach to its next proposal. */
  #ccToAttach: CommitCertificate | null = null
  /** The lowest boundary certificate known (the fewest links) of the latest
   * reconfiguration block it holds, with that block; whether the driver has stored it. */
  #boundary: { readonly reconfiguration: BlockNode, readonly boundary: BoundaryCertificate, stored: boolean } | null = null
  /** Proposals, votes and timeouts of the epoch after this one, held back until the switch
   * and then handled in it (a replica that switches after its peers would otherwise miss
   * the next epoch's first proposal). Unverifiable until then, so bounded: the oldest go. */
  readonly #heldBack: { readonly from: number, readonly message: ProposalMessage | VoteMessage | TimeoutMessage }[] = []
  /** True while the constructor restores: the epoch it enters may be any later one. */
  #restoring = true
  #proposedRound = 0
  /** The round whose timer is set (0: none). */
  #timerRound = 0
  /** Round in which this replica leads but had nothing to propose yet. */
  #idleLeaderRound = 0
  /** Highest round of a proposal this replica validated (its own included). */
  #proposalSeenRound = 0
  readonly #sync: BlockSync
  #now = 0
  #actions: Action[] = []
  #started = false

  constructor(options: ReplicaOptions, restored?: RestoredState) {
    const { genesis, validatorIndex, seed } = options
    this.genesis = genesis
    const genesisSet = validatorSetOf(genesis)
    this.#seed = seed
    this.#switches = options.reconfigurations === 'switch'
    const headBlock = restored?.committedHead ?? genesisBlock(genesis)
    const position = restoredPosition(genesis, genesisSet, headBlock, restored, this.#switches)
    this.#directory = restoredDirectory(genesis, position, restored)
    if (validatorIndex !== undefined && !this.#directory.has(validatorIndex)) {
      throw new RangeError(`validator index ${validatorIndex} is not in 0..${this.#directory.size - 1}`)
    }
    this.limits = { ...DEFAULT_REPLICA_LIMITS, ...options.limits }
    this.#genesisLeaders = options.leaders ?? leaderElectionFor(genesis)
    const signatures = options.signatures ?? ED25519
    this.#signatures = signatures
    // A joining validator is configured with its key alone: it finds its index in the
    // directory (a probe signature, so any scheme works), once a commit names its key.
    this.#index = validatorIndex ?? this.#findSelf(0)
    this.verifier = new Verifier(genesis, genesisSet, this.limits.verifiedEntriesMax, this.limits.verifiedCertificatesMax, {
      unsafeSkipEntrySignatures: options.unsafeSkipEntrySignatures === true, signatures,
      refuseReconfigurations: (options.reconfigurations ?? 'refuse') === 'refuse',
    })
    this.#mempool = new Mempool({ entriesMax: this.limits.mempoolEntriesMax, bytesMax: this.limits.mempoolBytesMax })
    const gQc = genesisQc(genesis)
    const safetyState = restored?.safety ?? initialSafetyState(gQc)
    // It signs as its position in the epoch's set (#enterEpoch sets it).
    this.#safety = new SafetyRules({ chainId: genesis.chainId, validatorIndex: Math.max(this.#index, 0), seed, signatures }, safetyState)
    this.#highTc = safetyState.highTc

    const headHash = blockHash(headBlock.header)
    const head: BlockNode = {
      block: headBlock, header: headBlock.header, hash: headHash, hashHex: toHex(headHash), parentHex: toHex(headBlock.header.parent),
      log: restored === undefined ? new MerkleAccumulator() : MerkleAccumulator.fromState(restored.committedLog),
      governance: restoredGovernance(genesis, headBlock.header.height, restored),
      agentSeqs: new Map(), entryIds: new Set(),
      position, suffix: false, qc: null, children: [],
    }
    this.#enterEpoch(head.position.epoch)
    if (head.log.size !== head.header.logSize || !bytesEqual(head.log.root(), head.header.logRoot)) {
      throw new Error('restored log state does not match the committed head')
    }
    const headQc = restored === undefined ? gQc : restored.committedQc
    this.#tree = new BlockTree(head, headQc, restored?.agentSeqs ?? new Map())
    this.#ctx = {
      genesis, tree: this.#tree, verifier: this.verifier, leaders: this.#genesisLeaders,
      ...(this.#switches ? { switchedEpoch: () => this.#epoch.number } : {}),
    }
    // The set changes with the epoch (#enterEpoch) and the index with the directory:
    // block sync reads the current ones.
    const peers = (): readonly number[] => this.#members.indexes
    const self = (): number => this.#index
    this.#sync = new BlockSync({
      tree: this.#tree, verifier: this.verifier, limits: this.limits, stats: this.stats, pendingCcs: this.#pendingCcs,
      get index() {
        return self()
      },
      get peers() {
        return peers()
      },
      latestCc: () => this.#latestCc, highTc: () => this.#highTc, now: () => this.#now, started: () => this.#started,
      emit: (action) => this.#emit(action), reject: (from, type, reason) => this.#reject(from, type, reason), ignore: () => this.#ignore(),
      insertAndVote: (from, parent, block, proposal) => this.#insertAndVote(from, parent, block, proposal),
      acceptCc: (from, cc, type, blockInHand) => this.#acceptCc(from, cc, type, blockInHand),
      applyCommit: (result) => this.#applyCommit(result), ensureRoundTimer: () => this.#ensureTimer(),
      syncInfo: (highQc) => this.#syncInfo(highQc, this.#latestCc), keepBoundary: (node, boundary) => this.#keepBoundary(node, boundary),
    })
    // Restarted after the switch, at the reconfiguration block: the safety state is the
    // next epoch's already (persisted before anything of it was signed), so enter it.
    const ending = head.position.ending
    if (this.#switches && ending !== null && this.#safety.epoch === ending.next.number) {
      const root = [restored?.committedQc ?? null, safetyState.highQc].find((qc) => qc !== null && bytesEqual(qc.block, headHash))
      if (root === undefined || root === null) throw new Error(`the safety state is of epoch ${ending.next.number}, rooted at the committed head, but no QC for the head was restored`)
      this.#enterNextEpoch(ending.next, root)
      this.#highTc = safetyState.highTc
    } else if (this.#safety.epoch !== head.position.epoch.number) {
      throw new Error(`the safety state is of epoch ${this.#safety.epoch}, the committed head at height ${headBlock.header.height} in epoch ${head.position.epoch.number}`)
    }
    if (restored !== undefined) this.#restorePending(restored, safetyState.highQc)
    const highQcRound = this.#tree.highQc === null ? 0 : this.#tree.roundOf(this.#tree.highQc)
    const startRound = Math.max(highQcRound + 1, (this.#highTc?.round ?? 0) + 1, safetyState.lastVotedRound)
    this.#pacemaker = new Pacemaker(genesis.params, startRound)
    this.#restoring = false
  }

  // --- read-only views (drivers, tests, checkers) ---

  /** This replica's index in the validator directory (what drivers address it by), -1
   * while the directory does not hold its key (a joining validator before the
   * reconfiguration that names it is committed). */
  get index(): number {
    return this.#index
  }
  /** Every validator of every epoch the replica knows of, in order of first appearance:
   * what `from` and `to` are indexes into. A driver maps peer keys to it (read only: it
   * grows when a committed reconfiguration names new keys). */
  get directory(): ValidatorDirectory {
    return this.#directory
  }
  /** The replica's position in the epoch's set (its `voter` and `proposer`), -1 outside it. */
  get position(): number {
    return this.#position
  }
  /** The validator set of the epoch the replica is in. */
  get set(): ValidatorSet {
    return this.#set
  }
  /** Who leads each round of the epoch the replica is in. */
  get leaders(): LeaderElection {
    return this.#leaders
  }
  /** The epoch the replica is in. */
  get epoch(): Epoch {
    return this.#epoch
  }

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
    return this.#sync.fetching
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
    return `round=${this.round} head=${this.committedHeight} highQc=${this.#tree.highQc?.round} highTc=${this.#highTc?.round} timer=${this.#timerRound} pool=${this.#mempool.size} pending=${this.#tree.pendingCount} wants=${this.#sync.wants.size} orphans=${this.#sync.orphans.size} waitingQcs=${this.#sync.waitingQcs.size} range=${this.#sync.rangeTarget} lastVoted=${this.#safety.state.lastVotedRound} proposed=${this.#proposedRound} idleLeader=${this.#idleLeaderRound}`
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
        if (!this.#directory.has(event.from)) {
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
        if (!this.#started || !this.#directory.has(event.from)) break
        this.#sync.range.onRangeArriving(event.from, event.message)
        break
    }
    // The switch happens between events, never inside one: what the event's handling did
    // after the commit (a round advance, a vote) is of the epoch it began in.
    this.#maybeSwitch()
    this.#sync.ensureSyncTimer()
    const out = this.#actions
    this.#actions = []
    return out
  }

  // ---------------------------------------------------------------------------------
  // Epochs
  // ---------------------------------------------------------------------------------

  /** Makes `epoch` the replica's, in one place: its set, its leader election (round-robin
   * over its set; epoch 0's is the chain's or the one given), fresh aggregators for its n
   * and quorum (nothing of another epoch counts in them), and the verifier's default set.
   * The switch at the boundary calls it (docs/protocol.md, "The replica at the boundary",
   * step 5); the constructor enters the committed head's epoch. */
  #enterEpoch(epoch: Epoch, root?: Uint8Array): void {
    this.#epoch = epoch
    this.#set = epoch.set
    this.#leaders = epoch.number === 0 ? this.#genesisLeaders : new RoundRobinLeaderElection(epoch.set.n)
    this.#votes = new VoteAggregator(epoch.set.n, epoch.set.quorum)
    // A timeout's high QC counts as round 0 when it is the epoch's root QC (the tree's rule).
    this.#timeouts = new TimeoutAggregator(epoch.set.n, epoch.set.quorum, (qc) => this.#tree.roundOf(qc))
    this.verifier.enterEpoch(epoch, root, this.#restoring)
    this.#members = new EpochMembers(epoch.set, this.#directory)
    this.#position = this.#index < 0 ? -1 : this.#members.positionOf(this.#index)
    // Without the switch the replica never leaves the genesis set, whose positions are
    // the directory's first indexes: it is what it was configured as.
    if (!this.#switches) this.#position = this.#index
    this.#member = this.#position >= 0 && (!this.#switches || signsAs(epoch.set, this.#position, this.#seed, this.#signatures))
    if (this.#position >= 0) this.#safety.signAs(this.#position)
  }

  /** The first directory index from `from` on whose key is this replica's (a probe
   * signature verifies against it), or -1. */
  #findSelf(from: number): number {
    const probe = new TextEncoder().encode('synod/membership-probe')
    const sig = this.#signatures.sign(this.#seed, probe)
    for (let i = from; i < this.#directory.size; i++) if (this.#signatures.verify(this.#directory.key(i), probe, sig)) return i
    return -1
  }

  /** A committed reconfiguration block names the next epoch's set: its new keys join the
   * directory (the same indexes at every replica: the committed chain is one), and a
   * joining replica may find its own among them. */
  #learnValidators(node: BlockNode): void {
    const ending = node.position.ending
    if (ending === null || ending.height !== node.header.height) return
    const added = this.#directory.learn(ending.next.validators)
    if (this.#index < 0 && added.length > 0) this.#index = this.#findSelf(added[0]!)
  }

  /** The switch at the boundary (docs/protocol.md, "The replica at the boundary", step 5):
   * once the kept boundary certificate's reconfiguration block is the committed head and
   * stored with it, tells the peers still in the ending epoch (its sync-info), starts the
   * next epoch's safety state (persisted before anything of the epoch is signed), enters
   * the epoch and its round 1 with the head's QC as round 0. */
  #maybeSwitch(): void {
    const kept = this.#boundary
    if (!this.#switches || kept === null || !kept.stored || kept.reconfiguration !== this.#tree.head) return
    const ending = kept.reconfiguration.position.ending
    const root = kept.reconfiguration.qc
    // Without the head's QC (committed by a CC alone) the epoch has no round 0 to build
    // on: the switch waits for it.
    if (ending === null || root === null || ending.next.number !== this.#epoch.number + 1) return
    this.#emit({ type: 'broadcast', message: this.#boundarySyncInfo() })
    const started = this.#safety.startEpoch(ending.next.number, root)
    assert(started.ok, 'the next epoch\'s safety state starts after the current one')
    this.#emit({ type: 'persist-safety-state', state: started.persist })
    this.#enterNextEpoch(ending.next, root)
    if (!this.#started) return
    this.#enterRound()
    // Entries its clients gave it while it was outside the set waited in its pool (a
    // non-member forwards none): a member now, it sends them on (one block's worth; the
    // rest go with its local timeouts).
    const waiting = this.#member ? this.#mempool.select(this.genesis.params.blockEntriesMax, this.genesis.params.blockBytesMax, () => -1, () => false) : []
    if (waiting.length > 0) this.#forwardEntries(waiting, this.round, false)
    for (const held of this.#heldBack.splice(0)) this.#onMessage(held.from, held.message)
  }

  /** A proposal, vote or timeout not of the replica's epoch: held back when of the next
   * (#heldBack), else ignored. */
  #notThisEpoch(from: number, m: ProposalMessage | VoteMessage | TimeoutMessage, epoch: number | undefined): void {
    this.#ignore()
    if (!this.#switches || from === SELF || (epoch ?? 0) !== this.#epoch.number + 1) return
    if (this.#heldBack.length >= this.limits.bufferedProposalsMax) this.#heldBack.shift()
    this.#heldBack.push({ from, message: m })
  }

  /** Enters `next`, rooted at the committed head (its QC `root`): its set, a tree without
   * the suffix, no certificates of the epoch before (none counts in this one), round 1. */
  #enterNextEpoch(next: Epoch, root: QuorumCertificate): void {
    this.#enterEpoch(next, root.block)
    this.#tree.enterEpoch(root)
    this.#highTc = null
    this.#latestCc = null
    this.#pendingCcs.clear()
    this.#ccToAttach = null
    this.#sync.wants.clear()
    this.#sync.orphans.clear()
    this.#sync.waitingQcs.clear()
    // Its rounds count from 1 (the constructor makes the pacemaker after this on a restart).
    if (this.#pacemaker !== undefined) this.#pacemaker = new Pacemaker(this.genesis.params, 1)
    this.#proposedRound = 0
    this.#timerRound = 0
    this.#idleLeaderRound = 0
    this.#proposalSeenRound = 0
  }

  /** The kept boundary certificate as a sync-info of the epoch it ends (its peers still
   * there accept only that epoch's), with the reconfiguration block's QC. */
  #boundarySyncInfo(): SyncInfoMessage {
    const kept = this.#boundary!
    const epoch = kept.reconfiguration.position.epoch.number
    const links = kept.boundary.links.length > SYNC_LINKS_MAX ? [] : kept.boundary.links
    return {
      type: 'sync-info', ...(epoch === 0 ? {} : { epoch }), highQc: kept.reconfiguration.qc!, highTc: null, highCc: kept.boundary.cc,
      ...(links.length === 0 ? {} : { links }),
    }
  }

  /** Whether `from` (a directory index, or SELF) is a validator of the replica's epoch.
   * Checked for proposals, votes and timeouts of the replica's epoch, and for entries;
   * sync requests and responses are served and taken from any validator of the directory
   * (a response is verified block by block, whoever sends it). */
  #fromMember(from: number): boolean {
    return from === SELF || this.#members.positionOf(from) >= 0
  }

  /** Whether `from` is in the set the committed head's reconfiguration starts. */
  #inNextSet(from: number): boolean {
    const ending = this.#tree.head.position.ending
    if (ending === null || ending.next.number !== this.#epoch.number + 1 || !this.#directory.has(from)) return false
    return ending.next.set.has(this.#directory.key(from))
  }

  /** A consensus message of the replica's epoch from a validator outside its set (a
   * removed one after the boundary; docs/protocol.md, "The replica at the boundary" 6). */
  #refuseSender(from: number, messageType: string): void {
    this.#reject(from, messageType, { code: 'sender-not-in-epoch', sender: from, epoch: this.#epoch.number })
  }

  /** Where a message of epoch `epoch` (absent: 0) stands: of the replica's epoch, or one it
   * has left (stale: ignored, not penalised, docs/protocol.md), or one it has not reached
   * (not acted on until it gets there by the chain: the switch comes with the boundary
   * certificate, not with a peer's word; the next epoch's are held back, #notThisEpoch). */
  #ofThisEpoch(epoch: number | undefined): boolean {
    return (epoch ?? 0) === this.#epoch.number
  }

  /** The epoch whose set signed a certificate for the block `hashHex` at `height`: that
   * block's, when it is in the tree (the committed head too: a new epoch's root); else,
   * below the replica's epoch's first height, the latest epoch entered that starts at or
   * below it (a peer just past the boundary still names the root's QC); else the
   * replica's. */
  #epochOfBlock(hashHex: string, height: number): Epoch {
    const node = this.#tree.get(hashHex)
    if (node !== undefined) return node.position.epoch
    let epoch = this.#epoch
    while (height < epoch.firstHeight && epoch.number > 0) {
      const before = this.verifier.knownEpoch(epoch.number - 1)
      if (before === undefined) break
      epoch = before
    }
    return epoch
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
      if ((block.header.epoch ?? 0) < this.#epoch.number) continue // the suffix of the epoch left
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
        return this.#sync.onBlockResponse(from, m)
      case 'range-response':
        return this.#sync.range.onRangeResponse(from, m)
      case 'range-empty':
        return this.#sync.range.onRangeEmpty(from, m)
      case 'status-request':
        return this.#sync.onStatusRequest(from)
    }
  }

  #onProposal(from: number, m: ProposalMessage): void {
    const h = m.block.header
    if (h.round > this.round + this.limits.futureRoundsMax) return this.#ignore()
    if (!this.#ofThisEpoch(h.epoch)) return this.#notThisEpoch(from, m, h.epoch)
    if (!this.#fromMember(from)) return this.#refuseSender(from, m.type)
    if (!isLeaderOf(this.leaders, h.proposer, h.round)) return this.#reject(from, m.type, { code: 'proposer-not-leader', proposer: h.proposer, round: h.round })
    const hash = blockHash(h)
    const hashHex = toHex(hash)
    if (this.#tree.get(hashHex) !== undefined || this.#sync.orphans.has(hashHex)) return this.#ignore()
    if (!this.verifier.proposal(h.proposer, hash, m.sig)) {
      return this.#reject(from, m.type, { code: 'proposal-bad-signature', proposer: h.proposer })
    }
    // Round justification: by the parent's QC, or by a TC for the previous round.
    // The epoch's root QC counts as its round 0.
    const justifyRound = this.#tree.roundOf(h.justify)
    if (h.round !== justifyRound + 1) {
      if (m.tc === null || m.tc.round + 1 !== h.round) return this.#reject(from, m.type, { code: 'proposal-round-unjustified', round: h.round, qcRound: justifyRound })
      if (justifyRound < tcHighQcRound(m.tc)) return this.#reject(from, m.type, { code: 'proposal-qc-below-tc', qcRound: justifyRound, tcHighQcRound: tcHighQcRound(m.tc) })
    }
    // Certificates first: they move the round and may commit, whatever the block is.
    if (m.tc !== null && !this.#acceptTc(from, m.tc, m.type)) return
    if (m.cc !== null && !this.#acceptCc(from, m.cc, m.type)) return
    if (!this.#acceptQc(from, h.justify, m.type)) return
    if (h.height <= this.#tree.head.header.height) return this.#ignore()
    const parent = this.#tree.get(toHex(h.parent))
    if (parent === undefined) {
      this.#sync.addOrphan({ from, block: m.block, hashHex, proposal: m })
      this.#sync.want(toHex(h.parent), h.height - 1, from)
      return
    }
    this.#insertAndVote(from, parent, m.block, m)
  }

  /** Validates a block whose parent is in the tree, inserts it, then votes if it is a
   * proposal for the current round; then resolves orphans that waited for it. */
  #insertAndVote(from: number, parent: BlockNode, block: Block, proposal: ProposalMessage | null): void {
    if (this.#tree.pendingCount >= this.limits.pendingBlocksMax) return this.#ignore()
    // A suffix block of the epoch this replica left: never committed, and its QCs'
    // rounds are of that epoch.
    if ((block.header.epoch ?? 0) < this.#epoch.number) return this.#ignore()
    const node = validateBlock(this.#ctx, parent, block)
    if (isRejection(node)) return this.#reject(from, proposal === null ? 'block' : 'proposal', node)
    this.#tree.insert(node)
    if (proposal !== null && node.header.round > this.#proposalSeenRound) this.#proposalSeenRound = node.header.round
    this.#emit({ type: 'persist-block', hash: node.hash, block })
    this.#sync.wants.delete(node.hashHex)
    for (const e of block.entries) this.#addToPool(e)
    // Its justify QC certifies the parent (already verified by validateBlock).
    this.#certify(block.header.justify)
    const waiting = this.#sync.waitingQcs.get(node.hashHex)
    if (waiting !== undefined) {
      this.#sync.waitingQcs.delete(node.hashHex)
      this.#certify(waiting)
      this.#sendIdleCertificates()
    }
    const cc = this.#pendingCcs.get(node.hashHex)
    if (cc !== undefined) this.#noteBoundary(cc)
    if (cc !== undefined && node.header.height > this.#tree.head.header.height) this.#applyCommit(this.#tree.commitTo(node))
    if (proposal !== null) this.#maybeVote(node, proposal)
    this.#ensureTimer()
    // Orphans whose parent this is.
    for (const orphan of [...this.#sync.orphans.values()]) {
      if (toHex(orphan.block.header.parent) === node.hashHex) {
        this.#sync.orphans.delete(orphan.hashHex)
        if (this.#tree.get(node.hashHex) !== undefined) this.#insertAndVote(orphan.from, node, orphan.block, orphan.proposal)
      }
    }
  }

  #maybeVote(node: BlockNode, proposal: ProposalMessage): void {
    const h = node.header
    if (h.round !== this.round || !this.#member) return
    const parent = this.#tree.get(node.parentHex)
    if (parent === undefined) return
    const signed = this.#safety.signVote(h, node.hash, parent.header, parent.hash, proposal.tc, this.#tree.highQc ?? h.justify, this.#highTc)
    if (!signed.ok) return
    if (signed.persist !== null) this.#emit({ type: 'persist-safety-state', state: signed.persist })
    this.stats.votes++
    const next = this.leaders.leaderOf(h.round + 1)
    if (next === this.#position) this.#onVote(SELF, signed.message)
    else this.#emit({ type: 'send', to: this.#members.indexOf(next), message: signed.message })
  }

  #onVote(from: number, v: VoteMessage): void {
    // Outside the epoch's set this replica leads no round (it has no position in it).
    if (!this.#ofThisEpoch(v.epoch)) return this.#notThisEpoch(from, v, v.epoch)
    if (!this.#fromMember(from)) return this.#refuseSender(from, v.type)
    if (!this.#member) return this.#ignore()
    if (this.leaders.leaderOf(v.round + 1) !== this.#position) return this.#ignore()
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
      this.#noteBoundary(cc)
      if (cc.height > this.#tree.head.header.height) this.#pendingCcs.set(toHex(cc.block), cc)
      // Formed after our proposal went out: send it on its own.
      if (this.#proposedRound >= v.round + 1 && this.#tree.highQc !== null) {
        this.#emit({ type: 'broadcast', message: this.#syncInfo(this.#tree.highQc, cc) })
        this.#ccToAttach = null
      }
    }
    if (qc !== null) {
      this.stats.qcsFormed++
      if (this.#tree.get(toHex(qc.block)) === undefined) {
        this.#sync.waitQc(qc, from)
        return
      }
      this.#certify(qc)
    }
    this.#sendIdleCertificates()
  }

  /** An idle leader proposes nothing, so the QC that commits the last block and its
   * commit certificate would otherwise wait at this replica until new entries arrive: the
   * other replicas would lag one block behind. Sends them on their own. Also when the QC
   * formed before its block was here (a leader catching up): it certifies the block once
   * the block arrives. */
  #sendIdleCertificates(): void {
    if (this.#ccToAttach !== null && this.#idleLeaderRound === this.round && this.#proposedRound < this.round && this.#tree.highQc !== null) {
      this.#emit({ type: 'broadcast', message: this.#syncInfo(this.#tree.highQc, this.#ccToAttach) })
      this.#ccToAttach = null
    }
  }

  #onTimeout(from: number, t: TimeoutMessage): void {
    if (!this.#ofThisEpoch(t.epoch)) {
      // A peer still timing out in the epoch this replica left: it lacks the boundary.
      if ((t.epoch ?? 0) < this.#epoch.number && this.#boundary?.reconfiguration === this.#tree.head && from !== SELF) {
        this.#emit({ type: 'send', to: from, message: this.#boundarySyncInfo() })
      }
      return this.#notThisEpoch(from, t, t.epoch)
    }
    if (!this.#fromMember(from)) return this.#refuseSender(from, t.type)
    if (t.round > this.round + this.limits.futureRoundsMax) return this.#ignore()
    if (from !== SELF) {
      const problem = this.verifier.timeout(t)
      if (problem !== null) return this.#reject(from, t.type, problem)
    }
    if (!this.#acceptQc(from, t.highQc, t.type)) return
    if (t.highTc !== null && !this.#acceptTc(from, t.highTc, t.type)) return
    const highQc = this.#tree.highQc
    if (t.round < this.round || (highQc !== null && this.#tree.roundOf(t.highQc) < this.#tree.roundOf(highQc))) {
      // The sender is behind: help it catch up (once per signed timeout).
      if (highQc !== null && from !== SELF) {
        this.#emit({ type: 'send', to: from, message: this.#syncInfo(highQc, this.#latestCc) })
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
    // A peer timed out in our round: it has work (entries reach only the next leaders,
    // so a replica may hold none of them). Arm our timer too, so that every honest
    // replica times out in this round and a TC forms even when fewer than f+1 hold the
    // work (docs/protocol.md, "Dissemination").
    if (t.round === this.round) this.#ensureTimer()
    // Bracha-style join: f+1 timeouts for our round mean at least one honest replica
    // gave up on it; time out too instead of waiting for our own timer.
    if (t.round === this.round && this.#timeouts.count(t.round) >= this.set.f + 1 && this.#safety.state.highestTimeoutRound < t.round) {
      this.#localTimeout()
    }
  }

  #onSyncInfo(from: number, m: SyncInfoMessage): void {
    // Its QC and TC are signed by the sender's epoch's set: judged only in that epoch.
    if (!this.#ofThisEpoch(m.epoch)) return this.#ignore()
    if (!this.#acceptQc(from, m.highQc, m.type)) return
    if (m.highTc !== null && !this.#acceptTc(from, m.highTc, m.type)) return
    if (m.highCc === null) return
    const links = m.links ?? []
    if (links.length > 0) {
      // A boundary certificate for a suffix block: the links are that suffix (empty
      // blocks, so each header is its whole block), inserted as blocks (validated like
      // any) so that the certificate's block is at hand when it is accepted.
      const problem = this.verifier.cc(m.highCc, this.#epochOfBlock(toHex(m.highCc.block), m.highCc.height))
      if (problem !== null) return this.#reject(from, m.type, { code: 'certificate-rejected', certificate: 'CC', problem })
      for (const header of links) {
        const hashHex = toHex(blockHash(header))
        if (header.height <= this.#tree.head.header.height || this.#tree.get(hashHex) !== undefined) continue
        const parentHex = toHex(header.parent)
        const parent = this.#tree.get(parentHex)
        if (parent !== undefined) {
          this.#insertAndVote(from, parent, { header, entries: [] }, null)
          continue
        }
        // Its parent (the reconfiguration block, or a link before it) is not here yet: a
        // replica behind, or joining. Kept as an orphan, inserted once the parent comes, so
        // that the certificate's block is at hand then: peers past the boundary may have
        // pruned the suffix, which nobody commits, and could not serve it by hash.
        if (this.#sync.orphans.has(hashHex)) continue
        this.#sync.addOrphan({ from, block: { header, entries: [] }, hashHex, proposal: null })
        if (!this.#sync.orphans.has(parentHex)) this.#sync.want(parentHex, header.height - 1, from)
      }
    }
    this.#acceptCc(from, m.highCc, m.type)
  }

  /** A sync-info with this replica's certificates; with the links when `highCc` is the
   * boundary certificate it keeps for a suffix block. */
  #syncInfo(highQc: QuorumCertificate, highCc: CommitCertificate | null): SyncInfoMessage {
    const links = highCc === null ? [] : this.#boundaryLinks(highCc)
    const epoch = this.#epoch.number
    return { type: 'sync-info', ...(epoch === 0 ? {} : { epoch }), highQc, highTc: this.#highTc, highCc, ...(links.length === 0 ? {} : { links }) }
  }

  /** The links of the boundary certificate kept, when `cc` is its certificate and they fit
   * in a message; none otherwise. */
  #boundaryLinks(cc: CommitCertificate): readonly BlockHeader[] {
    const kept = this.#boundary
    if (kept === null || kept.boundary.cc !== cc || kept.boundary.links.length > SYNC_LINKS_MAX) return []
    return kept.boundary.links
  }

  #onEntries(from: number, m: EntriesMessage): void {
    // A member of the next epoch's set already forwards to that epoch's leaders when it
    // switched before this replica did: its entries are a member's, a moment early.
    if (!this.#fromMember(from) && !this.#inNextSet(from)) return this.#refuseSender(from, m.type)
    let added = 0
    for (const entry of m.entries) {
      const checked = this.verifier.entry(entry)
      if (isRejection(checked)) {
        this.#reject(from, m.type, checked)
        continue
      }
      // No governance judgement here: this replica's view of the policies may lag the
      // peer's (a policy that allows the entry may be in a block it has yet to see); the
      // proposer judges the entry against its parent's state.
      if (this.#poolAdd(checked) === 'added') added++
    }
    if (added > 0) this.#onNewWork()
  }

  #onSubmit(entries: readonly Entry[]): void {
    const results: SubmitResult[] = []
    const fresh: CheckedEntry[] = []
    for (const entry of entries) {
      const checked = this.verifier.entry(entry)
      if (isRejection(checked)) {
        results.push({ id: safeEntryId(entry), rejected: checked })
        continue
      }
      const refused = this.#governanceRefusal(checked)
      if (refused !== null) {
        results.push({ id: hexToBytes(checked.idHex), rejected: refused })
        continue
      }
      const outcome = this.#poolAdd(checked)
      const id = hexToBytes(checked.idHex)
      if (outcome === 'added') {
        fresh.push(checked)
        results.push({ id, rejected: null })
      } else if (outcome === 'known') {
        results.push({ id, rejected: null })
      } else {
        results.push({ id, rejected: POOL_REJECTIONS[outcome] })
      }
    }
    this.#emit({ type: 'submitted', results })
    if (fresh.length > 0) {
      // The current round's leader unless its proposal is already here (then these
      // entries can only join a later round's block).
      this.#forwardEntries(fresh, this.#proposalSeenRound >= this.round ? this.round + 1 : this.round, false)
      if (this.#started) this.#onNewWork()
    }
  }

  /** Sends entries this replica holds to the next f+1 leaders other than itself from
   * `fromRound` on (one of them is honest), each entry once per target: the leader's
   * proposal is then the one message that carries it to every validator (docs/protocol.md,
   * "Dissemination"). Receivers do not forward them again. A target that has not had an
   * agent's earlier pooled entries from this replica gets them first, in seq order, so
   * that it never proposes a later seq without the earlier one (which would supersede
   * it). `resend` (a local timeout: a message may have been lost) sends again what was
   * sent before. */
  #forwardEntries(entries: readonly CheckedEntry[], fromRound: number, resend: boolean): void {
    // Each agent's highest seq here: its pooled entries below it go first (one scan per agent).
    const highestSeq = new Map<string, number>()
    for (const item of entries) highestSeq.set(item.agentHex, Math.max(highestSeq.get(item.agentHex) ?? -1, item.entry.seq))
    // Outside the epoch's set: its members would refuse them (sender-not-in-epoch); they
    // wait in the pool until this replica is a member, or for its own proposals.
    if (!this.#member) return
    const leaders = upcomingLeaders(this.leaders, fromRound, this.set.f + 1, this.#position, this.set.n).map((p) => this.#members.indexOf(p))
    for (const to of leaders) {
      const out: CheckedEntry[] = []
      const added = new Set<string>()
      const push = (item: CheckedEntry): void => {
        if (added.has(item.idHex) || (!resend && this.#mempool.wasSent(item.idHex, to))) return
        added.add(item.idHex)
        out.push(item)
      }
      for (const [agentHex, seq] of highestSeq) {
        // Earlier entries already in the certified chain reach every validator in their
        // block (and are proposed again from every pool if it is abandoned).
        for (const earlier of this.#mempool.unsentBelow(agentHex, seq, to)) if (!this.#tree.inChain(this.#tree.highQcNode, earlier.idHex)) push(earlier)
      }
      for (const item of entries) push(item)
      if (out.length === 0) continue
      for (const item of out) this.#mempool.markSent(item.idHex, to)
      this.#emit({ type: 'send', to, message: { type: 'entries', entries: out.map((item) => item.entry) } })
    }
  }

  // ---------------------------------------------------------------------------------
  // Certificates
  // ---------------------------------------------------------------------------------

  /** Verifies a QC and acts on it (waits for its block if needed). False when invalid. */
  #acceptQc(from: number, qc: QuorumCertificate, messageType: string): boolean {
    const problem = this.verifier.qc(qc, this.#epochOfBlock(toHex(qc.block), qc.height))
    if (problem !== null) {
      this.#reject(from, messageType, { code: 'certificate-rejected', certificate: 'QC', problem })
      return false
    }
    const node = this.#tree.get(toHex(qc.block))
    if (node === undefined) {
      if (qc.height > this.#tree.head.header.height) this.#sync.waitQc(qc, from)
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
    const problem = this.verifier.cc(cc, this.#epochOfBlock(toHex(cc.block), cc.height))
    if (problem !== null) {
      this.#reject(from, messageType, { code: 'certificate-rejected', certificate: 'CC', problem })
      return false
    }
    this.#noteCc(cc)
    this.#noteBoundary(cc)
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
    if (!blockInHand) this.#sync.want(hashHex, cc.height, from)
    return true
  }

  /** Remembers the newest CC; stores it if it certifies the head. */
  #noteCc(cc: CommitCertificate): void {
    if (this.#latestCc === null || cc.height > this.#latestCc.height) this.#latestCc = cc
    if (cc.height === this.#tree.head.header.height && bytesEqual(cc.block, this.#tree.head.hash)) {
      this.#emit({ type: 'store-commit-certificate', cc })
    }
  }

  /** A verified CC: when its block is in the tree and is a reconfiguration block or one
   * of its suffix blocks, it is (with the links) that epoch's boundary certificate. */
  #noteBoundary(cc: CommitCertificate): void {
    const node = this.#tree.get(toHex(cc.block))
    if (node === undefined) return
    const found = this.#tree.boundaryOf(node)
    if (found !== null) this.#keepBoundary(found.reconfiguration, { cc, links: found.links })
  }

  /** Keeps `boundary`, a verified CC with links for the reconfiguration block `node`
   * (shape checked here), if it is the first for a reconfiguration block this high or has
   * fewer links than the one kept; the driver stores it once that block is committed. */
  #keepBoundary(node: BlockNode, boundary: BoundaryCertificate): void {
    if (node.position.ending?.height !== node.header.height) return
    if (boundary.links.length > LIMITS.boundaryHeadersMax - 1) return
    if (boundaryShapeProblem(boundary.cc, boundary.links, node.hash, node.header) !== null) return
    const kept = this.#boundary
    if (kept !== null) {
      if (kept.reconfiguration.header.height > node.header.height) return
      if (kept.reconfiguration.hashHex === node.hashHex && kept.boundary.links.length <= boundary.links.length) return
    }
    this.#boundary = { reconfiguration: node, boundary, stored: false }
    this.#storeBoundary()
  }

  /** Has the driver store the kept boundary certificate once its block is committed. */
  #storeBoundary(): void {
    const kept = this.#boundary
    if (kept === null || kept.stored || kept.reconfiguration !== this.#tree.head) return
    kept.stored = true
    this.#emit({ type: 'store-boundary-certificate', height: kept.reconfiguration.header.height, boundary: kept.boundary })
  }

  #certify(qc: QuorumCertificate): void {
    if (this.#tree.get(toHex(qc.block)) === undefined) return
    const before = this.#tree.highQc
    this.#applyCommit(this.#tree.certify(qc))
    if (!this.#advance(this.#tree.roundOf(qc) + 1, false) && this.#tree.highQc !== before) this.#maybePropose(false)
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
      this.#learnValidators(node)
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
    this.#sync.prune(headHeight)
    this.#storeBoundary()
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
    this.#resupplyLeaders()
    this.#ensureTimer()
    this.#maybePropose(false)
  }

  /** Entries this replica accepted and still pools that the new round's leader has not
   * had from it (the leaders it sent them to have had their turns: a burst of more than
   * f+1 blocks) go to that round's leaders now, one block's worth, instead of waiting for
   * a local timeout while a leader holding nothing idles. Under a steady load the round's
   * leader was among the first targets, so this sends nothing extra; a Byzantine leader
   * that drops them is the local timeout's case (docs/protocol.md, "Dissemination"). */
  #resupplyLeaders(): void {
    // Cheap on most replicas: one that only received entries has nothing to resupply.
    if (!this.#started || !this.#member || this.#mempool.forwardedCount === 0) return
    const position = this.leaders.leaderOf(this.round)
    if (position === this.#position) return
    const leader = this.#members.indexOf(position)
    const { blockEntriesMax, blockBytesMax } = this.genesis.params
    // Only what this replica forwarded before (it accepted it): receivers never forward.
    const stranded = this.#mempool.select(blockEntriesMax, blockBytesMax, () => -1, (idHex) =>
      !this.#mempool.wasForwarded(idHex) || this.#mempool.wasSent(idHex, leader) || this.#tree.inChain(this.#tree.highQcNode, idHex))
    if (stranded.length > 0) this.#forwardEntries(stranded, this.round, false)
  }

  /** Arms the current round's timer if there is work to finish and none is set. */
  #ensureTimer(): void {
    if (!this.#started || this.#timerRound === this.round) return
    if (!this.#hasWork()) return
    this.#timerRound = this.round
    this.#emit({ type: 'set-timer', kind: 'round', round: this.round, delayMs: this.#pacemaker.timeoutMs() })
  }

  /** Work: something that needs rounds to make progress (its own, or a peer's: a timeout
   * for this round). Without it the replica idles (no timers, no empty blocks) until
   * entries, blocks or timeouts arrive. */
  #hasWork(): boolean {
    if (this.#mempool.size > 0 || this.#sync.wants.size > 0 || this.#sync.range.target !== null) return true
    if (this.#timeouts.count(this.round) > 0) return true
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
    if (kind === 'sync') return this.#sync.onSyncTimer(round)
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
    if (highQc === null || !this.#member) return
    const firstTime = this.#safety.state.highestTimeoutRound < this.round
    const signed = this.#safety.signTimeout(this.round, highQc, this.#highTc, this.#epoch.number)
    if (!signed.ok) return
    if (signed.persist !== null) this.#emit({ type: 'persist-safety-state', state: signed.persist })
    this.stats.timeouts++
    this.#emit({ type: 'broadcast', message: signed.message })
    if (firstTime) {
      // The leaders these entries went to may be down, Byzantine or behind, or the
      // message lost: forward them (one block's worth) to the leaders after this round.
      // They are f+1 other validators, so an honest one now has work too, arms its timer
      // and times out with us, which makes the others join (f+1 timeouts) and a TC form.
      const batch = this.#mempool.select(this.genesis.params.blockEntriesMax, this.genesis.params.blockBytesMax, () => -1, () => false)
      if (batch.length > 0) this.#forwardEntries(batch, this.round + 1, true)
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
   * Waits params.proposalDelayMs first (to fill the block) when the parent carries
   * entries, unless `now` is set. */
  #maybePropose(now: boolean): void {
    const round = this.round
    if (!this.#started || !this.#member || this.leaders.leaderOf(round) !== this.#position || this.#proposedRound >= round) return
    const highQc = this.#tree.highQc
    if (highQc === null) return
    const viaTc = this.#highTc !== null && this.#highTc.round + 1 === round
    const highQcRound = this.#tree.roundOf(highQc)
    if (highQcRound + 1 !== round && !viaTc) return
    // After a TC, extend a QC at least as high as any signer's: wait until we have it
    // (the timeouts carried it; its block is being fetched).
    if (highQcRound + 1 !== round && highQcRound < tcHighQcRound(this.#highTc!)) return
    const parent = this.#tree.highQcNode
    // After the epoch's reconfiguration block only empty suffix blocks, and only until
    // its boundary certificate is stored: then this replica, which cannot switch sets
    // yet, has nothing left to propose in the epoch (docs/protocol.md, "The replica at
    // the boundary"). The suffix is work of its own: it gives the reconfiguration block
    // its commit.
    // (The reconfiguration block of the epoch before is this epoch's root: its child is
    // the first block.)
    const suffix = parent.position.ending !== null && parent.position.epoch.number === this.#epoch.number
    // The boundary certificate kept must be this epoch's: the one of the epoch before stays
    // kept (stored) after the switch, until this epoch's replaces it.
    const ended = this.#boundary !== null && this.#boundary.stored && this.#boundary.reconfiguration.position.epoch.number === this.#epoch.number
    if (suffix && ended) {
      this.#idleLeaderRound = round
      return
    }
    const lastSeqOf = (agent: string): number => this.#tree.lastSeqInChain(parent, agent)
    const skip = (id: string): boolean => this.#tree.inChain(parent, id)
    const candidates = !suffix && this.#mempool.hasCandidates(lastSeqOf, skip)
    if (!candidates && !viaTc && !suffix && !this.#chainNeedsBlocks(parent)) {
      this.#idleLeaderRound = round
      return
    }
    // The wait to fill a block pays only under load: when the block it extends carries
    // entries too (a batch is in progress, more are arriving). After an empty block (the
    // tail of the previous commit) the entries at hand go at once.
    const delay = this.genesis.params.proposalDelayMs
    if (!now && delay > 0 && candidates && parent.block.entries.length > 0 && this.#mempool.size < this.genesis.params.blockEntriesMax) {
      this.#emit({ type: 'set-timer', kind: 'propose', round, delayMs: delay })
      return
    }
    const batch = suffix ? [] : this.#governed(parent, this.#mempool.select(this.genesis.params.blockEntriesMax, this.genesis.params.blockBytesMax, lastSeqOf, skip))
    const block = this.#buildBlock(round, parent, highQc, batch)
    const hash = blockHash(block.header)
    const sig = signDomain(this.#seed, 'proposal', this.genesis.chainId, { block: hash }, this.#signatures)
    this.verifier.signedProposal(this.#position, hash, sig)
    const proposal: ProposalMessage = {
      type: 'proposal',
      block,
      sig,
      tc: highQcRound + 1 === round ? null : this.#highTc,
      cc: this.#ccToAttach,
    }
    this.#ccToAttach = null
    this.#proposedRound = round
    this.stats.proposals++
    this.#emit({ type: 'broadcast', message: proposal })
    this.#onProposal(SELF, proposal)
  }

  /** Whether the chain ending at `tip` has entries that others have yet to see committed:
   * an uncommitted block with entries, or a head committed by the QC on `tip` whose commit
   * certificate this replica does not hold. With the certificate, a leader sends it and
   * the QC in a `sync-info` instead (#onVote): an empty block and a round of votes for it
   * would only tell the others what the sync-info does. */
  #chainNeedsBlocks(tip: BlockNode): boolean {
    const head = this.#tree.head
    for (let at: BlockNode | undefined = tip; at !== undefined; at = this.#tree.get(at.parentHex)) {
      if (at === head) {
        if (head.block.entries.length === 0) return false
        if (tip === head) return true
        return tip.parentHex === head.hashHex && !(this.#latestCc !== null && this.#latestCc.height >= head.header.height)
      }
      if (at.block.entries.length > 0) return true
    }
    return false
  }

  /** The batch without the entries the governance state after `parent` refuses, judged
   * in batch order as the block rule will (docs/formats.md section 13): a proposal is
   * valid by construction. A refused entry leaves the pool too: it stays refused unless a
   * later policy changes that, and then its agent submits it again. */
  #governed(parent: BlockNode, batch: CheckedEntry[]): CheckedEntry[] {
    if (parent.governance === null) return batch
    const judge = parent.governance.blockJudge()
    return batch.filter((item) => {
      if (judge.judge(item.entry, () => item.idHex) === null) return true
      this.#mempool.remove(item.idHex)
      return false
    })
  }

  /** Why the governance state a proposal would extend refuses the entry, or null: a
   * submission's early answer (the proposer judges it again, against its parent). */
  #governanceRefusal(checked: CheckedEntry): Rejection | null {
    const state = this.#tree.highQcNode.governance
    if (state === null) return null
    const problem = state.blockJudge().check(checked.entry)
    return problem === null ? null : { code: 'entry-governance', ...problem }
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
      proposer: this.#position,
      justify,
      // Epoch 0 leaves the field out (its headers encode as before epochs existed).
      ...(this.#epoch.number === 0 ? {} : { epoch: this.#epoch.number }),
    }
    return { header, entries: batch.map((item) => item.entry) }
  }

  // ---------------------------------------------------------------------------------
  // Sync
  // ---------------------------------------------------------------------------------

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

function safeEntryId(entry: Entry): Hash {
  try {
    return entryId(entry)
  } catch {
    return new Uint8Array(32)
  }
}

/** The rejection for each way the mempool refuses an entry (a table: no message is decoded). */
const POOL_REJECTIONS: Readonly<Record<Exclude<AddResult | 'seq-committed', 'added' | 'known'>, Rejection>> = {
  'seq-committed': { code: 'entry-seq-committed' },
  'duplicate-seq': { code: 'entry-duplicate-seq' },
  'mempool-full': { code: 'mempool-full' },
  'mempool-bytes-full': { code: 'mempool-bytes-full' },
}

/** The governance state after the committed head: G(0) at genesis, else what the driver
 * rebuilt from the committed log (RestoredState.governance). */
function restoredGovernance(genesis: Genesis, headHeight: number, restored: RestoredState | undefined): GovernanceState | null {
  const initial = GovernanceState.initial(genesis)
  if (initial === null || headHeight === 0) return initial
  const state = restored?.governance
  if (state === undefined || state === null) throw new Error(`the chain has governance: restoring at height ${headHeight} needs the governance state after it (RestoredState.governance)`)
  if (state.height !== headHeight) throw new Error(`the restored governance state is after height ${state.height}, not the committed head's ${headHeight}`)
  return state
}

/** The epoch position after the committed head: the genesis position at genesis or when
 * the driver gives none, else the one it replayed from the committed log
 * (RestoredState.position), checked against the head's header. */
function restoredPosition(genesis: Genesis, set: ValidatorSet, head: Block, restored: RestoredState | undefined, switches: boolean): EpochPosition {
  const position = restored?.position ?? genesisPosition(genesis, set)
  const height = head.header.height
  const headEpoch = head.header.epoch ?? 0
  if (position.epoch.number !== headEpoch) throw new Error(`the restored epoch position is in epoch ${position.epoch.number}, the committed head at height ${height} in epoch ${headEpoch}`)
  // In a committed chain the block after a reconfiguration block starts the next epoch:
  // an epoch that ended below the head is a position from another chain.
  if (position.ending !== null && position.ending.height !== height) {
    throw new Error(`the restored epoch position ends epoch ${position.epoch.number} at height ${position.ending.height}, not at the committed head's ${height}`)
  }
  // This replica does not switch validator sets yet (docs/protocol.md, "The replica at the
  // boundary"): it runs only where its genesis set is the set in charge.
  if (!switches && (position.epoch.number !== 0 || position.ending !== null)) {
    throw new Error(`the committed head at height ${height} is ${position.ending === null ? `in epoch ${position.epoch.number}` : `the reconfiguration block of epoch ${position.epoch.number}`}, and this replica does not switch validator sets yet`)
  }
  return position
}

/** The validator directory after the committed head: the driver's (RestoredState.directory,
 * replayed from the committed log with the position) when given, else the genesis set
 * followed by the keys of the head's epoch and of the epoch it starts, if any (right for a
 * chain with at most one epoch change). Either way it must hold those sets' keys. */
function restoredDirectory(genesis: Genesis, position: EpochPosition, restored: RestoredState | undefined): ValidatorDirectory {
  const genesisDirectory = new ValidatorDirectory(genesis.validators)
  const given = restored?.directory
  const directory = given === undefined ? genesisDirectory : ValidatorDirectory.fromKeys(given)
  if (given !== undefined && !directory.extends(genesisDirectory)) throw new Error('the restored validator directory does not start with the genesis set')
  const sets = [position.epoch.validators, ...(position.ending === null ? [] : [position.ending.next.validators])]
  for (const validators of sets) {
    if (given === undefined) directory.learn(validators)
    else if (validators.some((v) => directory.indexOf(v.publicKey) === undefined)) throw new Error(`the restored validator directory lacks a validator of epoch ${position.epoch.number} or the epoch it starts`)
  }
  return directory
}

/** Whether the holder of `seed` is validator `index` of `set` (its signature verifies
 * against the key there): a replica outside an epoch's set takes no part in its rounds. */
function signsAs(set: ValidatorSet, index: number, seed: Uint8Array, signatures: SignatureScheme): boolean {
  if (index >= set.n) return false
  const probe = new TextEncoder().encode('synod/membership-probe')
  return signatures.verify(set.key(index), probe, signatures.sign(seed, probe))
}
