// TEST DOUBLE: an in-memory NodeBackend for the API's and the SDK's tests.
// NOT used in production: there is no consensus here. Entries wait in a FIFO mempool
// until the test calls commit(), which makes a real block (hash-chained, with entries
// root, log root and a QC for its parent signed by a quorum of the given validator
// seeds) and, by default, a real commit certificate. So the proofs, receipts and
// exports it serves verify like a real node's.
import { domainMessage } from '../../src/crypto/domain.ts'
import { signMessage } from '../../src/crypto/ed25519.ts'
import { commitNoteMessage } from '../../src/log/checkpoint-note.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { blockHash, entriesRootOf, genesisBlock, genesisQc, type Block, type BlockHeader } from '../../src/log/block.ts'
import { voteDataToCbor, type CommitCertificate, type QuorumCertificate } from '../../src/log/certificates.ts'
import { encodeEntry, entryId, entryLeaf, verifyEntrySignature, type Entry, type Hash } from '../../src/log/entry.ts'
import { EXPORT_FORMAT, type ExportHeader } from '../../src/log/export.ts'
import { genesisHash, policyAllows, validatorSetOf, type Genesis } from '../../src/log/genesis.ts'
import { describeGovernanceProblem, GovernanceState } from '../../src/governance/state.ts'
import { consistencyProof, inclusionProof, MerkleAccumulator, merkleRoot } from '../../src/log/merkle.ts'
import type { NoteVerifier } from '../../src/log/note.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import type { ValidatorSet } from '../../src/log/validator-set.ts'
import type { BlockExport, EntryLookup, LogPage, LogQuery, LogRecord, NodeBackend, NodeHealth, SubmitResult, SubscribeOptions, TransparencySource } from '../../node/api/backend.ts'
import {
  AgentBacklogFullError,
  InvalidCursorError,
  InvalidEntryError,
  InvalidSignatureError,
  MempoolFullError,
  PolicyDeniedError,
  GovernanceDeniedError,
  RangeUnavailableError,
  StaleSequenceError,
} from '../../node/api/errors.ts'
import { encodeChainItem } from '../../src/log/export.ts'
import { ErasureLedger } from '../../src/sealed/erasure.ts'
import { MemorySidecars } from './memory-sidecars.ts'

export interface TestMemoryBackendOptions {
  readonly genesis: Genesis
  /** Seeds of the genesis validators, in genesis order, to sign QCs and CCs. */
  readonly validatorSeeds: readonly Uint8Array[]
  readonly mempoolEntriesMax?: number
  readonly agentPendingMax?: number
}

interface StoredBlock {
  readonly block: Block
  readonly hash: Hash
  cc: CommitCertificate | null
}

const CURSOR = /^i(0|[1-9][0-9]{0,15})$/

export class TestMemoryBackend implements NodeBackend {
  readonly genesis: Genesis
  readonly #set: ValidatorSet
  readonly #seeds: readonly Uint8Array[]
  readonly #mempoolMax: number
  readonly #agentPendingMax: number
  /** id hex -> entry, in arrival order. */
  readonly #mempool = new Map<string, Entry>()
  readonly #log: LogRecord[] = []
  readonly #leaves: Uint8Array[] = []
  readonly #indexById = new Map<string, number>()
  readonly #blocks: StoredBlock[] = []
  /** agent hex -> highest seq in the log or the mempool. */
  readonly #lastSeq = new Map<string, number>()
  /** agent hex -> highest seq in the log. */
  readonly #committedSeq = new Map<string, number>()
  /** The governance state after the last block (docs/formats.md section 13), or null. */
  #governance: GovernanceState | null
  /** id hex -> entries a later seq of their agent superseded (left the mempool at that commit). */
  readonly #superseded = new Map<string, { seq: number, lastSeq: number }>()
  readonly #accumulator = new MerkleAccumulator()
  #round = 0
  #status: NodeHealth['status'] = 'ok'
  /** Woken on every commit and certificate. */
  #waiters = new Set<() => void>()
  #receiptWaiters = 0

  constructor(options: TestMemoryBackendOptions) {
    this.genesis = options.genesis
    this.#governance = GovernanceState.initial(options.genesis)
    this.#erasures = new ErasureLedger(options.genesis.policy)
    this.#set = validatorSetOf(options.genesis)
    if (options.validatorSeeds.length !== this.#set.n) {
      throw new RangeError(`${options.validatorSeeds.length} validator seeds for ${this.#set.n} validators`)
    }
    this.#seeds = options.validatorSeeds
    this.#mempoolMax = options.mempoolEntriesMax ?? 10_000
    this.#agentPendingMax = options.agentPendingMax ?? 1000
    const block = genesisBlock(options.genesis)
    this.#blocks.push({ block, hash: blockHash(block.header), cc: null })
  }

  /** This ledger's own sidecars (what a backend used directly serves). */
  readonly sidecars = new MemorySidecars()
  /** Every node's sidecars over this ledger: each erase committed reaches all of them. */
  readonly #sidecarNodes: MemorySidecars[] = [this.sidecars]
  /** Sealed entries erased so far, id hex (the same on every node). */
  readonly #erased = new Set<string>()
  /** Sealed entries and their erasure over the committed log. */
  readonly #erasures: ErasureLedger

  /** The sidecars of one more node over this ledger (test/support-sdk/cluster.ts). */
  sidecarNode(): MemorySidecars {
    const node = new MemorySidecars()
    this.#sidecarNodes.push(node)
    return node
  }

  /** The erasures of a committed block, by the core's rules (src/sealed/erasure.ts: the
   * ErasureLedger the auditor uses), under the governance in force for the block. */
  #applyErasures(height: number, firstIndex: number, entries: readonly Entry[], inForce: GovernanceState | null): void {
    this.#erasures.advanceTo(height)
    entries.forEach((entry, i) => this.#erasures.append({ entry, index: firstIndex + i, height }, inForce))
    for (const s of this.#erasures.states()) {
      if (s.erasedBy === null || this.#erased.has(s.id)) continue
      this.#erased.add(s.id)
      const id = fromHex(s.id)
      for (const node of this.#sidecarNodes) node.erase(id, s.erasedBy.by === 'erase' ? fromHex(s.erasedBy.id) : s.erasedBy.height)
    }
  }

  /** Witness keys whose cosignatures the C2SP routes keep (set by a test). */
  witnessKeys: NoteVerifier[] = []

  /** The C2SP routes' reads, from the in-memory log: subtree roots are folded from the
   * leaf hashes, as a node's Merkle index stores them. */
  readonly transparency: TransparencySource = ((self: TestMemoryBackend): TransparencySource => ({
    get genesis() {
      return self.genesis
    },
    get witnesses() {
      return self.witnessKeys
    },
    subtreeHashes: async (treeLevel, fromK, count) => {
      const span = 2 ** treeLevel
      if ((fromK + count) * span > self.#leaves.length) throw new RangeUnavailableError(`subtrees past the log size ${self.#leaves.length}`)
      return Array.from({ length: count }, (_, i) => merkleRoot(self.#leaves.slice((fromK + i) * span, (fromK + i + 1) * span)))
    },
    entryEncodings: async (fromIndex, count) => {
      if (fromIndex + count > self.#log.length) throw new RangeUnavailableError(`entries past the log size ${self.#log.length}`)
      return self.#log.slice(fromIndex, fromIndex + count).map((r) => encodeEntry(r.entry))
    },
  }))(this)

  // --- test controls ---

  /** Entries waiting in the mempool. */
  get mempoolSize(): number {
    return this.#mempool.size
  }

  /** The entries waiting in the mempool, in arrival order. */
  get pendingEntries(): readonly Entry[] {
    return [...this.#mempool.values()]
  }

  get height(): number {
    return this.#blocks.length - 1
  }

  setStatus(status: NodeHealth['status']): void {
    this.#status = status
  }

  /**
   * Commits up to `entriesMax` mempool entries (FIFO, or those `pick` chooses, in its
   * order) as one new block, and certifies it unless `certify` is false. Like a real
   * block, it holds each agent's entries in strictly increasing seq above the agent's
   * committed seq: an entry that breaks this stays out. `pick` stands for a leader that
   * has only some of the pending entries (a real mempool is per node). Returns the block.
   */
  commit(options: { entriesMax?: number, certify?: boolean, pick?: (pending: readonly Entry[]) => readonly Entry[] } = {}): Block {
    const pending = [...this.#mempool.values()]
    const chosen = options.pick === undefined ? pending : options.pick(pending)
    const take: [string, Entry][] = []
    const seqs = new Map<string, number>()
    // As a validator's proposer does: entries the governance in force refuses are dropped.
    const judge = this.#governance?.blockJudge() ?? null
    const inForce = this.#governance
    for (const entry of chosen) {
      if (take.length >= (options.entriesMax ?? this.#mempool.size)) break
      const idHex = toHex(entryId(entry))
      const agent = toHex(entry.agent)
      if (!this.#mempool.has(idHex)) continue
      if (entry.seq <= (seqs.get(agent) ?? this.#committedSeq.get(agent) ?? -1)) continue
      if (judge !== null && judge.judge(entry, () => idHex) !== null) {
        this.#mempool.delete(idHex)
        continue
      }
      seqs.set(agent, entry.seq)
      take.push([idHex, entry])
    }
    for (const [agent, seq] of seqs) this.#committedSeq.set(agent, seq)
    // As a validator does: pending entries this block superseded can never commit.
    const taken = new Set(take.map(([idHex]) => idHex))
    for (const [idHex, entry] of this.#mempool) {
      const lastSeq = seqs.get(toHex(entry.agent))
      if (taken.has(idHex) || lastSeq === undefined || entry.seq > lastSeq) continue
      this.#mempool.delete(idHex)
      this.#superseded.set(idHex, { seq: entry.seq, lastSeq })
    }
    const parent = this.#blocks[this.#blocks.length - 1]!
    const height = parent.block.header.height + 1
    if (judge !== null) this.#governance = judge.finish(height)
    const justify = height === 1 ? genesisQc(this.genesis) : this.#qcFor(parent)
    const entries = take.map(([, entry]) => entry)
    const firstIndex = this.#accumulator.size
    for (const entry of entries) {
      const leaf = entryLeaf(entry)
      this.#leaves.push(leaf)
      this.#accumulator.append(leaf)
    }
    this.#round += 1
    const header: BlockHeader = {
      height,
      round: this.#round,
      parent: parent.hash,
      entriesRoot: entriesRootOf(entries),
      entryCount: entries.length,
      logSize: this.#accumulator.size,
      logRoot: this.#accumulator.root(),
      proposer: this.#round % this.#set.n,
      justify,
    }
    const block: Block = { header, entries }
    const stored: StoredBlock = { block, hash: blockHash(header), cc: null }
    this.#blocks.push(stored)
    take.forEach(([idHex, entry], i) => {
      this.#mempool.delete(idHex)
      this.#indexById.set(idHex, firstIndex + i)
      this.#log.push({ id: entryId(entry), entry, height, index: firstIndex + i })
    })
    this.#applyErasures(height, firstIndex, entries, inForce)
    if (options.certify ?? true) this.certify()
    else this.#wake()
    return block
  }

  #wake(): void {
    const waiters = this.#waiters
    this.#waiters = new Set()
    for (const wake of waiters) wake()
  }

  /** Receipt long polls waiting now (tests). */
  get receiptWaiters(): number {
    return this.#receiptWaiters
  }

  /** Signs a commit certificate for the latest block (a quorum of the validators). */
  certify(): CommitCertificate {
    const stored = this.#blocks[this.#blocks.length - 1]!
    const h = stored.block.header
    const data = { height: h.height, block: stored.hash, logSize: h.logSize, logRoot: h.logRoot }
    stored.cc = { ...data, ...this.#sign(commitNoteMessage(this.genesis.chainId, data)) }
    this.#wake()
    return stored.cc
  }

  #qcFor(stored: StoredBlock): QuorumCertificate {
    const vote = { round: stored.block.header.round, height: stored.block.header.height, block: stored.hash }
    return { ...vote, ...this.#sign(domainMessage('vote', this.genesis.chainId, voteDataToCbor(vote))) }
  }

  #sign(message: Uint8Array): { signers: Uint8Array, sigs: Uint8Array[] } {
    const signers = Array.from({ length: this.#set.quorum }, (_, i) => i)
    return {
      signers: bitmapOf(signers, this.#set.n),
      sigs: signers.map((i) => signMessage(this.#seeds[i]!, message)),
    }
  }

  #latestCc(): CommitCertificate | null {
    for (let h = this.#blocks.length - 1; h >= 0; h--) {
      const cc = this.#blocks[h]!.cc
      if (cc !== null) return cc
    }
    return null
  }

  // --- NodeBackend ---

  async submitEntry(entry: Entry, signal: AbortSignal): Promise<SubmitResult> {
    signal.throwIfAborted()
    const id = entryId(entry)
    const idHex = toHex(id)
    if (this.#mempool.has(idHex) || this.#indexById.has(idHex)) return { id, status: 'duplicate' }
    const agent = toHex(entry.agent)
    const committedSeq = this.#committedSeq.get(agent)
    if (!verifyEntrySignature(entry, this.genesis.chainId)) {
      throw new InvalidSignatureError(`the signature of entry ${idHex} does not verify for agent ${agent} on chain '${this.genesis.chainId}'`)
    }
    const payloadBytes = new TextEncoder().encode(entry.payload).length
    if (payloadBytes > this.genesis.params.payloadBytesMax) {
      throw new InvalidEntryError(`payload of ${payloadBytes} bytes is over this chain's limit of ${this.genesis.params.payloadBytesMax}`)
    }
    if (!policyAllows(this.genesis.policy, entry.namespace, entry.agent)) throw new PolicyDeniedError(entry.namespace, agent)
    const governance = this.#governance?.blockJudge().check(entry) ?? null
    if (governance !== null) throw new GovernanceDeniedError(governance.rule, entry.namespace, describeGovernanceProblem(governance))
    entry.refs.forEach((ref, i) => {
      const refHex = toHex(ref)
      if (!this.#indexById.has(refHex) && !this.#mempool.has(refHex)) throw new InvalidEntryError(`refs[${i}]: entry ${refHex} is not known`)
    })
    const lastSeq = this.#lastSeq.get(agent)
    if (committedSeq !== undefined && entry.seq <= committedSeq) throw new StaleSequenceError(entry.seq, committedSeq, 'committed')
    if (lastSeq !== undefined && entry.seq <= lastSeq) throw new StaleSequenceError(entry.seq, lastSeq, 'pending')
    if (this.#mempool.size >= this.#mempoolMax) throw new MempoolFullError(this.#mempool.size)
    let pending = 0
    for (const e of this.#mempool.values()) if (toHex(e.agent) === agent) pending++
    if (pending >= this.#agentPendingMax) throw new AgentBacklogFullError(agent, pending)
    this.#mempool.set(idHex, entry)
    this.#lastSeq.set(agent, entry.seq)
    return { id, status: 'accepted' }
  }

  async getEntry(id: Hash, signal: AbortSignal): Promise<EntryLookup | null> {
    signal.throwIfAborted()
    const idHex = toHex(id)
    const pending = this.#mempool.get(idHex)
    if (pending !== undefined) return { status: 'pending', id, entry: pending }
    const superseded = this.#superseded.get(idHex)
    if (superseded !== undefined) return { status: 'superseded', id, ...superseded }
    const index = this.#indexById.get(idHex)
    return index === undefined ? null : { status: 'committed', ...this.#log[index]! }
  }

  async getReceipt(id: Hash, signal: AbortSignal): Promise<Receipt | null> {
    signal.throwIfAborted()
    const index = this.#indexById.get(toHex(id))
    const cc = this.#latestCc()
    if (index === undefined || cc === null || index >= cc.logSize) return null
    const record = this.#log[index]!
    const proof = inclusionProof(index, cc.logSize, (i) => this.#leaves[i]!)
    return { entry: record.entry, index, proof, checkpoint: cc }
  }

  async awaitReceipt(id: Hash, waitMs: number, signal: AbortSignal): Promise<Receipt | null> {
    const deadline = Date.now() + waitMs
    this.#receiptWaiters++
    try {
      for (;;) {
        const receipt = await this.getReceipt(id, signal)
        const left = deadline - Date.now()
        // A superseded entry never gets one: the server answers so at once.
        if (receipt !== null || left <= 0 || this.#superseded.has(toHex(id))) return receipt
        await new Promise<void>((resolve) => {
          const wake = (): void => {
            clearTimeout(timer)
            this.#waiters.delete(wake)
            signal.removeEventListener('abort', wake)
            resolve()
          }
          const timer = setTimeout(wake, left)
          this.#waiters.add(wake)
          signal.addEventListener('abort', wake, { once: true })
        })
      }
    } finally {
      this.#receiptWaiters--
    }
  }

  async query(query: LogQuery, signal: AbortSignal): Promise<LogPage> {
    signal.throwIfAborted()
    let start = 0
    if (query.cursor !== undefined) {
      const m = CURSOR.exec(query.cursor)
      if (m === null) throw new InvalidCursorError(`cursor '${query.cursor}' was not made by this node`)
      start = Number(m[1])
    }
    const agent = query.agent === undefined ? undefined : toHex(query.agent)
    const matches = (r: LogRecord): boolean =>
      (query.namespace === undefined || r.entry.namespace === query.namespace) &&
      (agent === undefined || toHex(r.entry.agent) === agent) &&
      (query.fromHeight === undefined || r.height >= query.fromHeight) &&
      (query.toHeight === undefined || r.height <= query.toHeight)
    const items: LogRecord[] = []
    for (let i = start; i < this.#log.length; i++) {
      const record = this.#log[i]!
      if (!matches(record)) continue
      if (items.length === query.limit) return { items, nextCursor: `i${items[items.length - 1]!.index + 1}` }
      items.push(record)
    }
    return { items, nextCursor: null }
  }

  subscribe(options: SubscribeOptions, signal: AbortSignal): AsyncIterable<LogRecord> {
    return this.#follow(options, signal)
  }

  async *#follow(options: SubscribeOptions, signal: AbortSignal): AsyncGenerator<LogRecord> {
    let next = options.fromIndex
    while (!signal.aborted) {
      if (next < this.#log.length) {
        const record = this.#log[next++]!
        if (options.namespace === undefined || record.entry.namespace === options.namespace) yield record
        continue
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake)
          signal.removeEventListener('abort', wake)
          resolve()
        }
        this.#waiters.add(wake)
        signal.addEventListener('abort', wake, { once: true })
      })
    }
  }

  async latestCheckpoint(signal: AbortSignal): Promise<CommitCertificate | null> {
    signal.throwIfAborted()
    return this.#latestCc()
  }

  async consistencyProof(oldSize: number, newSize: number, signal: AbortSignal): Promise<Hash[]> {
    signal.throwIfAborted()
    if (newSize > this.#leaves.length) throw new RangeUnavailableError(`log size ${newSize} is above this node's ${this.#leaves.length}`)
    return consistencyProof(oldSize, newSize, (i) => this.#leaves[i]!)
  }

  async exportBlocks(fromHeight: number, toHeight: number, signal: AbortSignal): Promise<BlockExport> {
    signal.throwIfAborted()
    if (toHeight > this.height) throw new RangeUnavailableError(`height ${toHeight} is above this node's committed height ${this.height}`)
    const before = this.#blocks[fromHeight - 1]!.block.header
    const start = fromHeight === 1 ? null : {
      header: before,
      accumulator: (() => {
        const acc = new MerkleAccumulator()
        for (let i = 0; i < before.logSize; i++) acc.append(this.#leaves[i]!)
        return acc.toState()
      })(),
    }
    const header: ExportHeader = { format: EXPORT_FORMAT, chainId: this.genesis.chainId, genesis: genesisHash(this.genesis), from: fromHeight, start }
    return { header, records: this.#records(fromHeight, toHeight, signal) }
  }

  async *#records(fromHeight: number, toHeight: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    for (let h = fromHeight; h <= toHeight; h++) {
      signal.throwIfAborted()
      const stored = this.#blocks[h]!
      yield encodeChainItem({ block: stored.block, cc: stored.cc })
    }
  }

  health(): NodeHealth {
    return {
      status: this.#status,
      chainId: this.genesis.chainId,
      height: this.height,
      lagHeights: 0,
      logSize: this.#log.length,
      round: this.#round,
      peers: this.#set.n - 1,
      mempoolEntries: this.#mempool.size,
    }
  }
}
