// The chain store over an ordered key-value backend (key layout in keys.ts). Commits are
// one atomic, fsync'd batch: blocks, log entries, indexes, subtree hashes, accumulator
// state, agent seqs and certificates land together or not at all, so a crash at any
// instant leaves either the old head or the new one.
//
// Reads see the old state or the new one, never half of a commit. The backend shows a
// batch to readers as soon as it is applied, before the write resolves and the head
// moves; so the in-memory head is what is published: it moves only once the batch is
// written, and every read of committed data is bounded by it (a header, block, entry,
// certificate or accumulator above the published head reads as absent). Agent seqs
// and pending blocks are not bounded this way (they are not part of the committed log).
import { bytesEqual, decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { sha256, toHex } from '../../src/crypto/hash.ts'
import { blockHash, decodeBlock, encodeBlock, genesisBlock, type Block, type BlockHeader } from '../../src/log/block.ts'
import { ccFromCbor, ccToCbor, qcFromCbor, type CommitCertificate, type QuorumCertificate } from '../../src/log/certificates.ts'
import { decodeEntry, type Hash } from '../../src/log/entry.ts'
import { boundaryShapeProblem, type EpochPosition, type EpochReplay } from '../../src/log/epochs.ts'
import { genesisHash, type Genesis } from '../../src/log/genesis.ts'
import type { BoundaryCertificate } from '../../src/consensus/types.ts'
import type { GovernanceState } from '../../src/governance/state.ts'
import type { MerkleAccumulatorState } from '../../src/log/merkle.ts'
import type { EpochChange, Receipt } from '../../src/log/receipt.ts'
import { encodeSidecar, sidecarFromCbor, type Sidecar, type SidecarLookup } from '../../src/sealed/sidecar.ts'
import { NODE_LIMITS } from '../limits.ts'
import { appendBlockOps, certificateOps, checkContinues, checkLogState, checkRecommitted, CommitSeqs, pruneOps } from './commit-ops.ts'
import { erasureOps } from './erasure-ops.ts'
import { epochReplayInGenesisEpoch, replayEpochs, stepEpochReplay } from './epoch-replay.ts'
import { replayGovernance, stepGovernance } from './governance-replay.ts'
import { wantedSidecarOps } from './sidecar-wants.ts'
import { StoreError } from './errors.ts'
import { indexed, keys, prefixEnd, readU64, TAG, u64 } from './keys.ts'
import type { KvBackend, KvOp } from './kv.ts'
import { consistencyProof, inclusionProof } from './merkle-index.ts'
import { decodeStoredAccumulator, decodeStoredBoundary, decodeStoredHeader, encodeStoredAccumulator, encodeStoredBoundary, encodeStoredHeader } from './store-records.ts'
import type { CommitBatch, DurableWrite, Head, IndexRange, RestoreParts, Store, StoredEntry } from './store.ts'

/** Bumped when the key layout changes; a store of another version refuses to open. */
const SCHEMA_VERSION = 1
/** Pending blocks pruned per commit: more than the replica ever holds (its
 * pendingBlocksMax is 1024); any rest goes with the next commit. */
const PENDING_PRUNE_MAX = 4096
/** Pending rows read per page when the store opens (see #pendingKeys). */
const PENDING_PAGE = 4096
/** Boundary-certificate rows read per page when the store opens: one per epoch change. */
const BOUNDARY_PAGE = 4096

function checkIndexRange(range: IndexRange): void {
  if (!Number.isSafeInteger(range.fromIndex) || range.fromIndex < 0) throw new RangeError(`fromIndex ${range.fromIndex} is not a non-negative integer`)
  if (range.toIndex !== undefined && (!Number.isSafeInteger(range.toIndex) || range.toIndex < 0)) throw new RangeError(`toIndex ${range.toIndex} is not a non-negative integer`)
  if (!Number.isSafeInteger(range.limit) || range.limit < 1) throw new RangeError(`limit ${range.limit} is not a positive integer`)
}

/** Expiry keys read per scan. */
const EXPIRY_SCAN_PAGE = 4096

export class ChainStore implements Store {
  readonly #kv: KvBackend
  #head: Head | null = null
  #genesis: Genesis | null = null
  /** The governance state after the head (governance-replay.ts): undefined until first
   * needed, null on a chain without governance. */
  #governance: GovernanceState | null | undefined = undefined
  /** The epoch replay after the head (epoch-replay.ts): undefined until first needed. */
  #epochs: EpochReplay | undefined = undefined
  /** The epoch the head block names: while 0, every receipt is an epoch-0 receipt. */
  #headEpoch = 0
  /** Heights with a stored boundary certificate ('K' rows): read once at open, so that
   * serving a range asks the backend only for heights that have one. */
  readonly #boundaryHeights = new Set<number>()
  /** Serialises writers: commits and certificate writes read-modify-write the head. */
  #writing: Promise<void> = Promise.resolve()
  /** The keys of the pending-block rows on disk, by height: read once at open, then kept
   * by persist and commit, so that a commit finds the rows it prunes without a range scan
   * (in LevelDB a scan of the pending range steps over the tombstones of every pending
   * row deleted since the last compaction, a cost that grew with the chain: measured 0.5
   * ms of CPU per commit after 200 blocks, 1.6 ms after 2,000, bench/store-path.ts). */
  readonly #pendingKeys = new Map<number, Uint8Array[]>()
  /** The accumulator state at the head (each commit starts from it), null until read. */
  #headAccumulator: MerkleAccumulatorState | null = null

  constructor(kv: KvBackend) {
    this.#kv = kv
  }

  get head(): Head {
    if (this.#head === null) throw new StoreError('not-open', 'the store is not open')
    return this.#head
  }

  async open(genesis: Genesis): Promise<void> {
    await this.#kv.open()
    const expected = genesisHash(genesis)
    const [stored, version] = await this.#kv.getMany([keys.meta('genesis'), keys.meta('version')])
    if (stored === undefined) {
      const block = genesisBlock(genesis)
      const hash = blockHash(block.header)
      await this.#kv.write([
        { type: 'put', key: keys.meta('genesis'), value: expected },
        { type: 'put', key: keys.meta('version'), value: u64(SCHEMA_VERSION) },
        { type: 'put', key: keys.header(0), value: encodeStoredHeader(block.header) },
        { type: 'put', key: keys.blockHash(hash), value: u64(0) },
        { type: 'put', key: keys.accumulator(0), value: encodeStoredAccumulator({ size: 0, frontier: [] }) },
      ], true)
    } else {
      if (!bytesEqual(stored, expected)) {
        await this.#kv.close()
        throw new StoreError('wrong-genesis', `the store belongs to genesis ${toHex(stored)}, not ${toHex(expected)}`)
      }
      const v = version === undefined ? -1 : readU64(version, 0)
      if (v !== SCHEMA_VERSION) {
        await this.#kv.close()
        throw new StoreError('corrupt', `the store has schema version ${v}; this node reads version ${SCHEMA_VERSION}`)
      }
    }
    const [last] = await this.#kv.scan({ gte: Uint8Array.of(TAG.header), lt: Uint8Array.of(TAG.header + 1), reverse: true, limit: 1 })
    if (last === undefined) throw new StoreError('corrupt', 'the store has no blocks, not even the genesis block')
    const header = decodeStoredHeader(last[1])
    this.#head = { height: header.height, hash: blockHash(header), logSize: header.logSize, logRoot: header.logRoot }
    this.#headEpoch = header.epoch ?? 0
    this.#genesis = genesis
    this.#headAccumulator = null
    this.#epochs = undefined
    await this.#loadPendingKeys()
    await this.#loadBoundaryHeights()
  }

  async #loadBoundaryHeights(): Promise<void> {
    this.#boundaryHeights.clear()
    await this.#eachKey(TAG.boundary, BOUNDARY_PAGE, (k) => this.#boundaryHeights.add(readU64(k, 1)))
  }

  /** Reads the keys of every pending-block row (bounded pages; a store holds at most a
   * few thousand, the replica's limit plus forks not yet pruned). */
  async #loadPendingKeys(): Promise<void> {
    this.#pendingKeys.clear()
    await this.#eachKey(TAG.pending, PENDING_PAGE, (k) => this.#notePendingKey(k))
  }

  /** Every key under one tag, in pages of `page` rows. */
  async #eachKey(tag: number, page: number, each: (key: Uint8Array) => void): Promise<void> {
    let from: Uint8Array = Uint8Array.of(tag)
    const end = Uint8Array.of(tag + 1)
    for (let pages = 0; pages < 1_000_000; pages++) {
      const rows = await this.#kv.scan({ gte: from, lt: end, limit: page })
      for (const [k] of rows) each(k)
      if (rows.length < page) return
      from = prefixEnd(rows.at(-1)![0])
    }
  }

  #notePendingKey(key: Uint8Array): void {
    const height = readU64(key, 1)
    const known = this.#pendingKeys.get(height)
    if (known === undefined) this.#pendingKeys.set(height, [key])
    else if (!known.some((k) => bytesEqual(k, key))) known.push(key)
  }

  /** Pending-row keys at or below `height`, at most PENDING_PRUNE_MAX of them. */
  #stalePendingKeys(height: number): Uint8Array[] {
    const stale: Uint8Array[] = []
    for (const [h, rows] of this.#pendingKeys) {
      if (h > height) continue
      for (const k of rows) {
        if (stale.length >= PENDING_PRUNE_MAX) return stale
        stale.push(k)
      }
    }
    return stale
  }

  #forgetPendingKeys(pruned: readonly Uint8Array[]): void {
    for (const key of pruned) {
      const height = readU64(key, 1)
      const rows = this.#pendingKeys.get(height)
      if (rows === undefined) continue
      const left = rows.filter((k) => !bytesEqual(k, key))
      if (left.length === 0) this.#pendingKeys.delete(height)
      else this.#pendingKeys.set(height, left)
    }
  }

  async close(): Promise<void> {
    await this.#writing
    this.#head = null
    this.#governance = undefined
    this.#epochs = undefined
    this.#headAccumulator = null
    this.#pendingKeys.clear()
    this.#boundaryHeights.clear()
    await this.#kv.close()
  }

  #serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writing.then(work)
    this.#writing = run.then(() => {}, () => {})
    return run
  }

  // --- consensus persistence ---

  persist(write: DurableWrite): Promise<void> {
    const ops: KvOp[] = []
    const pendingKeys = durableOps(write, this.head.height, ops)
    return this.#serialised(async () => {
      await this.#kv.write(ops, true)
      // Noted once written: a commit queued after this write prunes what it wrote.
      for (const key of pendingKeys) this.#notePendingKey(key)
    })
  }

  commit(batch: CommitBatch, durable?: DurableWrite): Promise<void> {
    return this.#serialised(() => this.#commit(batch, durable))
  }

  // The store trusts what the consensus core validated: a committed block passed the one
  // block rule (src/log/block-rule.ts: leader, QC, limits, entries, seqs, roots) before it
  // got here, and the store does not judge it again. What #commit checks are assertions on
  // the node's own state: the batch continues the store's head (height, parent hash), the
  // store's own accumulator reaches the header's log root, and the core's log state agrees
  // with the store's; a failure is a bug or a corrupt store, never a bad peer.
  async #commit(batch: CommitBatch, durable: DurableWrite | undefined): Promise<void> {
    if (batch.blocks.length !== batch.hashes.length) {
      throw new StoreError('bad-commit', `${batch.blocks.length} blocks but ${batch.hashes.length} hashes`)
    }
    let head = this.head
    const ops: KvOp[] = []
    let state = this.#headAccumulator ?? await this.accumulatorAt(head.height)
    if (state === undefined) throw new StoreError('corrupt', `no accumulator state at the head height ${head.height}`)
    const seqs = new CommitSeqs()
    let appended = false
    const appendedBlocks: Block[] = []
    for (let b = 0; b < batch.blocks.length; b++) {
      const block = batch.blocks[b]!
      const hash = batch.hashes[b]!
      const header = block.header
      if (!bytesEqual(blockHash(header), hash)) throw new StoreError('bad-commit', `block at height ${header.height}: hash ${toHex(hash)} is not its header's hash`)
      if (header.height <= head.height) {
        // Already committed (a repeated commit after a restart): it must be the same block.
        checkRecommitted(await this.#kv.get(keys.header(header.height)), header.height, hash)
        continue
      }
      checkContinues(block, head)
      state = appendBlockOps(block, hash, state, ops, seqs)
      appendedBlocks.push(block)
      head = { height: header.height, hash, logSize: header.logSize, logRoot: header.logRoot }
      appended = true
    }
    if (appended) checkLogState(batch.log, state, head)
    // The governance in force for each appended block: the state after its parent.
    let governance = await this.#governanceAtHead()
    const inForce: (GovernanceState | null)[] = []
    for (const block of appendedBlocks) {
      inForce.push(governance)
      if (governance !== null) governance = stepGovernance(governance, block)
    }
    // The epoch replay, once anyone has asked for it, follows every commit.
    let epochs = this.#epochs
    if (epochs !== undefined && appendedBlocks.length > 0) epochs = stepEpochReplay(epochs, appendedBlocks)
    // Reads below the old head: this commit is not published until its batch is written.
    const erased = await erasureOps(appendedBlocks, this.#genesis!.policy, inForce, {
      entry: async (id) => (await this.entryById(id))?.entry,
      erased: async (id) => (await this.#kv.get(keys.erased(id))) !== undefined,
      expiringAt: (height) => this.#expiringAt(height),
    }, ops)
    wantedSidecarOps(appendedBlocks, erased, ops)
    seqs.ops(await this.#kv.getMany(seqs.agents.map((a) => keys.seq(a))), ops)
    certificateOps(batch, head, ops)
    // Pending blocks at or below the new head are committed or abandoned forks.
    const pruned = this.#stalePendingKeys(head.height)
    pruneOps(pruned, ops)
    // A persist asked for with this commit (a step's safety state and pending blocks):
    // in the same fsync'd batch, against the new head.
    const pendingKeys = durable === undefined ? [] : durableOps(durable, head.height, ops)
    await this.#kv.write(ops, true)
    this.#forgetPendingKeys(pruned)
    for (const key of pendingKeys) this.#notePendingKey(key)
    // Publishes the commit to readers (see the file comment).
    this.#head = head
    if (appendedBlocks.length > 0) this.#headEpoch = appendedBlocks[appendedBlocks.length - 1]!.header.epoch ?? 0
    this.#governance = governance
    this.#epochs = epochs
    this.#headAccumulator = state
    // The erased sidecars are gone for every reader now; compacting their key range also
    // drops the deleted bytes from the store's files (LevelDB keeps a deleted value in its
    // log and tables until compaction). In the writer chain, so that close() waits for it;
    // the range holds sidecars only, so it is small next to the log.
    if (erased.length > 0) await this.#kv.compact?.(Uint8Array.of(TAG.sidecar), Uint8Array.of(TAG.sidecar + 1))
  }

  /** The governance state after the committed head (docs/formats.md section 13), null
   * on a chain without governance: replayed from the log when first asked, then kept up
   * to date by every commit. */
  governance(): Promise<GovernanceState | null> {
    return this.#serialised(() => this.#governanceAtHead())
  }

  /** The sealed entries whose retention ends at `height` ('Y' keys), in pages: how many
   * share a height is bounded only by the sealed entries in the log. */
  async #expiringAt(height: number): Promise<Hash[]> {
    const out: Hash[] = []
    let from = keys.expiryAt(height)
    const end = keys.expiryAt(height + 1)
    for (;;) {
      const rows = await this.#kv.scan({ gte: from, lt: end, limit: EXPIRY_SCAN_PAGE })
      for (const [k] of rows) out.push(k.subarray(9))
      if (rows.length < EXPIRY_SCAN_PAGE) return out
      from = prefixEnd(rows.at(-1)![0])
    }
  }

  async #governanceAtHead(): Promise<GovernanceState | null> {
    if (this.#governance === undefined) {
      const head = this.head
      this.#governance = await replayGovernance((range) => this.entries(range), this.#genesis!, head.height, head.logSize)
    }
    return this.#governance
  }

  /** The epoch position after the committed head (docs/formats.md section 15.3):
   * replayed from the log when first asked, then kept up to date by every commit. */
  epochPosition(): Promise<EpochPosition> {
    return this.#serialised(async () => (await this.#epochsAtHead()).position)
  }

  /** The validator directory after the committed head, its keys in index order. */
  validatorDirectory(): Promise<readonly Uint8Array[]> {
    return this.#serialised(async () => (await this.#epochsAtHead()).directory.keys)
  }

  /** Not serialised: for callers inside the writer chain, or readers that accept the
   * chain of the head they started from. */
  async #epochsAtHead(): Promise<EpochReplay> {
    if (this.#epochs === undefined) {
      const head = this.head
      const block = await this.blockAt(head.height)
      if (block === undefined) throw new StoreError('corrupt', `the head block at height ${head.height} is missing`)
      const epochs = (block.header.epoch ?? 0) === 0
        ? epochReplayInGenesisEpoch(this.#genesis!, block)
        : await replayEpochs((range) => this.entries(range), this.#genesis!, head.height, head.logSize)
      // A commit that landed meanwhile stepped nothing (the chain was unknown): keep the
      // replay only if the head is still the one it was made for.
      if (this.head.height !== head.height) return this.#epochsAtHead()
      this.#epochs = epochs
    }
    return this.#epochs
  }

  saveBoundaryCertificate(height: number, boundary: BoundaryCertificate): Promise<'stored' | 'kept'> {
    return this.#serialised(async () => {
      if (!Number.isSafeInteger(height) || height < 1 || height > this.head.height) {
        throw new StoreError('out-of-range', `boundary certificate for height ${height}: the committed heights are 1..${this.head.height}`)
      }
      const header = await this.#header(height)
      if (header === undefined) throw new StoreError('corrupt', `no header at committed height ${height}`)
      const problem = boundaryShapeProblem(boundary.cc, boundary.links, blockHash(header), header)
      if (problem !== null) throw new StoreError('bad-commit', `boundary certificate for height ${height} is not one for its committed block: ${problem}`)
      // The shortest one is kept: it fits the most range responses (SYNC_LINKS_MAX).
      const kept = await this.boundaryCertificateAt(height)
      if (kept !== undefined && kept.links.length <= boundary.links.length) return 'kept'
      await this.#kv.write([{ type: 'put', key: keys.boundary(height), value: encodeStoredBoundary(boundary) }], true)
      this.#boundaryHeights.add(height)
      return 'stored'
    })
  }

  async boundaryCertificateAt(height: number): Promise<BoundaryCertificate | undefined> {
    if (!this.#boundaryHeights.has(height)) return undefined
    const bytes = await this.#kv.get(keys.boundary(height))
    if (bytes === undefined) return undefined
    try {
      return decodeStoredBoundary(bytes)
    } catch (err) {
      throw new StoreError('corrupt', `the boundary certificate stored at height ${height} does not decode: ${(err as Error).message}`)
    }
  }

  boundaryHeights(): readonly number[] {
    return [...this.#boundaryHeights].sort((a, b) => a - b)
  }

  saveCommitCertificate(cc: CommitCertificate): Promise<void> {
    return this.#serialised(async () => {
      if (cc.height > this.head.height) throw new StoreError('out-of-range', `commit certificate for height ${cc.height} is above the head ${this.head.height}`)
      const header = await this.#header(cc.height)
      if (header === undefined || !bytesEqual(blockHash(header), cc.block)) {
        throw new StoreError('bad-commit', `commit certificate for height ${cc.height} names block ${toHex(cc.block)}, not the committed one`)
      }
      await this.#kv.write([{ type: 'put', key: keys.cc(cc.height), value: encodeCanonical(ccToCbor(cc)) }], true)
    })
  }

  async restoreParts(pendingMax: number): Promise<RestoreParts> {
    const head = this.head
    const [safety, headerBytes] = await this.#kv.getMany([keys.meta('safety'), keys.header(head.height)])
    const committedHead = await this.blockAt(head.height)
    const committedLog = await this.accumulatorAt(head.height)
    if (headerBytes === undefined || committedHead === undefined || committedLog === undefined) {
      throw new StoreError('corrupt', `the head block or accumulator at height ${head.height} is missing`)
    }
    const agentSeqs = new Map<string, number>()
    // Bounded by the number of agents; scanned in pages.
    let from: Uint8Array = Uint8Array.of(TAG.seq)
    const end = Uint8Array.of(TAG.seq + 1)
    for (let page = 0; page < 1_000_000; page++) {
      const rows = await this.#kv.scan({ gte: from, lt: end, limit: 4096 })
      for (const [k, v] of rows) agentSeqs.set(toHex(k.subarray(1)), readU64(v, 0))
      if (rows.length < 4096) break
      from = prefixEnd(rows.at(-1)![0])
    }
    const pendingRows = await this.#kv.scan({ gte: keys.pendingUpTo(head.height + 1), lt: Uint8Array.of(TAG.pending + 1), limit: pendingMax })
    const pendingBlocks = pendingRows.map(([, v]) => decodeBlock(v))
    return { safety: safety ?? null, committedHead, committedLog, agentSeqs, pendingBlocks }
  }

  // --- reads ---

  /** Whether a height is at or below the published head (see the file comment). */
  #published(height: number): boolean {
    return Number.isSafeInteger(height) && height >= 0 && height <= this.head.height
  }

  async #header(height: number): Promise<BlockHeader | undefined> {
    if (!this.#published(height)) return undefined
    const bytes = await this.#kv.get(keys.header(height))
    return bytes === undefined ? undefined : decodeStoredHeader(bytes)
  }

  headerAt(height: number): Promise<BlockHeader | undefined> {
    return this.#header(height)
  }

  async blockAt(height: number): Promise<Block | undefined> {
    const header = await this.#header(height)
    if (header === undefined) return undefined
    const first = header.logSize - header.entryCount
    const rows = header.entryCount === 0 ? [] : await this.#kv.scan({ gte: keys.data(first), lt: keys.data(header.logSize), limit: header.entryCount })
    if (rows.length !== header.entryCount) throw new StoreError('corrupt', `block ${height} has ${rows.length} of its ${header.entryCount} entries`)
    return { header, entries: rows.map(([, v]) => decodeEntry(v.subarray(8))) }
  }

  async heightOf(hash: Hash): Promise<number | undefined> {
    if (hash.length !== 32) return undefined
    const bytes = await this.#kv.get(keys.blockHash(hash))
    if (bytes === undefined) return undefined
    const height = readU64(bytes, 0)
    return this.#published(height) ? height : undefined
  }

  async pendingBlock(hash: Hash): Promise<Block | undefined> {
    if (hash.length !== 32) return undefined
    const height = await this.#kv.get(keys.pendingHash(hash))
    if (height === undefined) return undefined
    const bytes = await this.#kv.get(keys.pending(readU64(height, 0), hash))
    return bytes === undefined ? undefined : decodeBlock(bytes)
  }

  async qcAt(height: number): Promise<QuorumCertificate | undefined> {
    if (!this.#published(height)) return undefined
    const bytes = await this.#kv.get(keys.qc(height))
    return bytes === undefined ? undefined : qcFromCbor(decodeCanonical(bytes))
  }

  async commitCertificate(height: number): Promise<CommitCertificate | undefined> {
    if (!this.#published(height)) return undefined
    const bytes = await this.#kv.get(keys.cc(height))
    return bytes === undefined ? undefined : ccFromCbor(decodeCanonical(bytes))
  }

  async firstCommitCertificateFrom(height: number): Promise<CommitCertificate | undefined> {
    if (!this.#published(height)) return undefined
    // Most blocks have their own certificate (every receipt asks for one): a point read
    // first, a range scan (an iterator, several times its cost) only when it is missing.
    const own = await this.#kv.get(keys.cc(height))
    if (own !== undefined) return ccFromCbor(decodeCanonical(own))
    const [row] = await this.#kv.scan({ gte: keys.cc(height), lt: keys.cc(this.head.height + 1), limit: 1 })
    return row === undefined ? undefined : ccFromCbor(decodeCanonical(row[1]))
  }

  async latestCommitCertificate(): Promise<CommitCertificate | undefined> {
    const [row] = await this.#kv.scan({ gte: Uint8Array.of(TAG.cc), lt: keys.cc(this.head.height + 1), reverse: true, limit: 1 })
    return row === undefined ? undefined : ccFromCbor(decodeCanonical(row[1]))
  }

  async accumulatorAt(height: number): Promise<MerkleAccumulatorState | undefined> {
    if (!this.#published(height)) return undefined
    const bytes = await this.#kv.get(keys.accumulator(height))
    return bytes === undefined ? undefined : decodeStoredAccumulator(bytes)
  }

  async entryById(id: Hash): Promise<StoredEntry | undefined> {
    if (id.length !== 32) return undefined
    const location = await this.#kv.get(keys.entry(id))
    if (location === undefined) return undefined
    const index = readU64(location, 0)
    // Indexed by a commit not yet published: not there yet for readers.
    if (index >= this.head.logSize) return undefined
    const stored = await this.entryAt(index)
    if (stored === undefined || !bytesEqual(stored.id, id)) throw new StoreError('corrupt', `entry ${toHex(id)} is indexed at ${index} but not stored there`)
    return stored
  }

  async entryAt(index: number): Promise<StoredEntry | undefined> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.head.logSize) return undefined
    const bytes = await this.#kv.get(keys.data(index))
    if (bytes === undefined) throw new StoreError('corrupt', `log index ${index} is below the log size ${this.head.logSize} but not stored`)
    return this.#storedEntry(index, bytes)
  }

  async #storedEntry(index: number, data: Uint8Array): Promise<StoredEntry> {
    const height = readU64(data, 0)
    const bytes = data.subarray(8)
    const id = sha256(bytes)
    const location = await this.#kv.get(keys.entry(id))
    const position = location === undefined ? -1 : new DataView(location.buffer, location.byteOffset).getUint32(16, false)
    return { id, entry: decodeEntry(bytes), height, index, position }
  }

  async entries(range: IndexRange): Promise<StoredEntry[]> {
    checkIndexRange(range)
    const to = Math.min(range.toIndex ?? this.head.logSize, this.head.logSize)
    if (range.fromIndex >= to) return []
    const limit = Math.min(range.limit, NODE_LIMITS.queryPageMax)
    const rows = await this.#kv.scan({ gte: keys.data(range.fromIndex), lt: keys.data(to), limit })
    const out: StoredEntry[] = []
    for (const [k, v] of rows) out.push(await this.#storedEntry(readU64(k, 1), v))
    return out
  }

  entriesByNamespace(namespace: string, range: IndexRange): Promise<StoredEntry[]> {
    return this.#byIndex(keys.namespacePrefix(namespace), range)
  }

  entriesByAgent(agent: Uint8Array, range: IndexRange): Promise<StoredEntry[]> {
    if (agent.length !== 32) throw new RangeError(`an agent key is 32 bytes, got ${agent.length}`)
    return this.#byIndex(keys.agentPrefix(agent), range)
  }

  async #byIndex(prefix: Uint8Array, range: IndexRange): Promise<StoredEntry[]> {
    checkIndexRange(range)
    const to = Math.min(range.toIndex ?? this.head.logSize, this.head.logSize)
    if (range.fromIndex >= to) return []
    const limit = Math.min(range.limit, NODE_LIMITS.queryPageMax)
    const rows = await this.#kv.scan({ gte: indexed(prefix, range.fromIndex), lt: indexed(prefix, to), limit })
    const indexes = rows.map(([k]) => readU64(k, k.length - 8))
    const data = await this.#kv.getMany(indexes.map((i) => keys.data(i)))
    const out: StoredEntry[] = []
    for (let i = 0; i < indexes.length; i++) {
      const bytes = data[i]
      if (bytes === undefined) throw new StoreError('corrupt', `indexed log entry ${indexes[i]} is not stored`)
      out.push(await this.#storedEntry(indexes[i]!, bytes))
    }
    return out
  }

  async agentSeq(agent: Uint8Array): Promise<number | undefined> {
    if (agent.length !== 32) return undefined
    const bytes = await this.#kv.get(keys.seq(agent))
    return bytes === undefined ? undefined : readU64(bytes, 0)
  }

  async firstIndexAt(height: number): Promise<number | undefined> {
    const header = await this.#header(height)
    return header === undefined ? undefined : header.logSize - header.entryCount
  }

  async leafHash(index: number): Promise<Hash | undefined> {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.head.logSize) return undefined
    return this.#kv.get(keys.tree(0, index))
  }

  #subtree = async (level: number, k: number): Promise<Uint8Array> => {
    const hash = await this.#kv.get(keys.tree(level, k))
    if (hash === undefined) throw new StoreError('corrupt', `subtree (${level}, ${k}) is not stored`)
    return hash
  }

  async subtreeHashes(level: number, fromK: number, count: number): Promise<Hash[]> {
    if (!Number.isSafeInteger(level) || level < 0 || level > 52 || !Number.isSafeInteger(fromK) || fromK < 0 || !Number.isSafeInteger(count) || count < 1) {
      throw new StoreError('out-of-range', `subtrees (${level}, ${fromK}..+${count}) are not a range of subtrees`)
    }
    if ((fromK + count) * 2 ** level > this.head.logSize) throw new StoreError('out-of-range', `subtrees (${level}, ${fromK}..+${count}) reach past the log size ${this.head.logSize}`)
    const rows = await this.#kv.getMany(Array.from({ length: count }, (_, i) => keys.tree(level, fromK + i)))
    return rows.map((hash, i) => {
      if (hash === undefined) throw new StoreError('corrupt', `subtree (${level}, ${fromK + i}) is not stored`)
      return hash
    })
  }

  async entryEncodings(fromIndex: number, count: number): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(fromIndex) || fromIndex < 0 || !Number.isSafeInteger(count) || count < 1 || fromIndex + count > this.head.logSize) {
      throw new StoreError('out-of-range', `entries ${fromIndex}..+${count} are not below the log size ${this.head.logSize}`)
    }
    const rows = await this.#kv.getMany(Array.from({ length: count }, (_, i) => keys.data(fromIndex + i)))
    return rows.map((data, i) => {
      if (data === undefined) throw new StoreError('corrupt', `log index ${fromIndex + i} is below the log size but not stored`)
      return data.subarray(8)
    })
  }

  async inclusionProof(index: number, size: number): Promise<Hash[]> {
    if (size > this.head.logSize) throw new StoreError('out-of-range', `tree size ${size} is above the log size ${this.head.logSize}`)
    return inclusionProof(index, size, this.#subtree)
  }

  async consistencyProof(oldSize: number, newSize: number): Promise<Hash[]> {
    if (newSize > this.head.logSize) throw new StoreError('out-of-range', `tree size ${newSize} is above the log size ${this.head.logSize}`)
    return consistencyProof(oldSize, newSize, this.#subtree)
  }

  putSidecar(id: Hash, sidecar: Sidecar): Promise<'stored' | 'duplicate' | 'erased'> {
    if (id.length !== 32) throw new RangeError(`an entry id is 32 bytes, got ${id.length}`)
    return this.#serialised(async () => {
      const [erased, kept] = await this.#kv.getMany([keys.erased(id), keys.sidecar(id)])
      if (erased !== undefined) return 'erased'
      if (kept !== undefined && (sidecar.key === null || sidecarFromCbor(decodeCanonical(kept)).key !== null)) return 'duplicate'
      await this.#kv.write([{ type: 'put', key: keys.sidecar(id), value: encodeSidecar(sidecar) }, { type: 'del', key: keys.wanted(id) }], true)
      return 'stored'
    })
  }

  async wantedSidecars(after: Hash | null, limit: number): Promise<Hash[]> {
    if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= NODE_LIMITS.queryPageMax)) throw new RangeError(`limit ${limit} is not within 1..${NODE_LIMITS.queryPageMax}`)
    const gte = after === null ? Uint8Array.of(TAG.wanted) : prefixEnd(keys.wanted(after))
    const rows = await this.#kv.scan({ gte, lt: Uint8Array.of(TAG.wanted + 1), limit })
    return rows.map(([k]) => k.slice(1))
  }

  async sidecar(id: Hash): Promise<SidecarLookup> {
    if (id.length !== 32) return { status: 'missing' }
    const [erased, kept] = await this.#kv.getMany([keys.erased(id), keys.sidecar(id)])
    if (erased !== undefined) return erased.length === 8 ? { status: 'erased', erase: null, expiredAt: readU64(erased, 0) } : { status: 'erased', erase: erased, expiredAt: null }
    if (kept === undefined) return { status: 'missing' }
    return { status: 'stored', sidecar: sidecarFromCbor(decodeCanonical(kept)) }
  }

  async receipt(id: Hash): Promise<Receipt | null> {
    const stored = await this.entryById(id)
    if (stored === undefined) return null
    const checkpoint = await this.firstCommitCertificateFrom(stored.height)
    if (checkpoint === undefined) return null
    const proof = await this.inclusionProof(stored.index, checkpoint.logSize)
    const receipt: Receipt = { entry: stored.entry, index: stored.index, proof, checkpoint }
    // A head in epoch 0 (a chain that never changed its set) has only epoch-0 receipts:
    // no header read on the hot path.
    if (this.#headEpoch === 0) return receipt
    const header = await this.#header(checkpoint.height)
    const epoch = header?.epoch ?? 0
    if (epoch === 0) return receipt
    const epochs = await this.epochChanges(epoch)
    return epochs === null ? null : { ...receipt, epochs }
  }

  /** The epoch changes of epochs 1..upTo (docs/formats.md section 15.5): each the receipt
   * of its reconfiguration entry under the boundary certificate of the epoch it ends,
   * with the boundary's headers. Null when this store lacks a boundary certificate (a
   * receipt of a later epoch cannot be made without it). */
  async epochChanges(upTo: number): Promise<EpochChange[] | null> {
    const chain = await this.#epochsAtHead()
    if (chain.changes.length < upTo) return null
    const out: EpochChange[] = []
    for (const change of chain.changes.slice(0, upTo)) {
      const [boundary, header, stored] = await Promise.all([this.boundaryCertificateAt(change.height), this.#header(change.height), this.entryAt(change.index)])
      if (boundary === undefined) return null
      if (header === undefined || stored === undefined) throw new StoreError('corrupt', `the reconfiguration block at height ${change.height} or its entry ${change.index} is missing`)
      const proof = await this.inclusionProof(change.index, header.logSize)
      out.push({ entry: stored.entry, index: change.index, proof, checkpoint: boundary.cc, boundary: [header, ...boundary.links] })
    }
    return out
  }
}

/** The writes of a persist (safety state, pending blocks) against a head at `headHeight`
 * (a block at or below it is committed already: nothing to keep); answers the keys of
 * the pending rows it writes. */
function durableOps(write: DurableWrite, headHeight: number, ops: KvOp[]): Uint8Array[] {
  const pendingKeys: Uint8Array[] = []
  if (write.safety !== undefined) ops.push({ type: 'put', key: keys.meta('safety'), value: write.safety })
  for (const { hash, block } of write.blocks ?? []) {
    if (block.header.height <= headHeight) continue
    const key = keys.pending(block.header.height, hash)
    pendingKeys.push(key)
    ops.push({ type: 'put', key, value: encodeBlock(block) })
    ops.push({ type: 'put', key: keys.pendingHash(hash), value: u64(block.header.height) })
  }
  return pendingKeys
}
