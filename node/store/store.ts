// The chain store contract: what the validator runtime persists and what the HTTP
// backend, sync and proofs read. One implementation (ChainStore, chain-store.ts) over
// two key-value backends: LevelStore on disk, MemoryStore in memory. Both pass the
// compliance suite in test/node/store-compliance.ts.
import type { BoundaryCertificate } from '../../src/consensus/types.ts'
import type { GovernanceState } from '../../src/governance/state.ts'
import type { EpochPosition } from '../../src/log/epochs.ts'
import type { Block, BlockHeader } from '../../src/log/block.ts'
import type { CommitCertificate, QuorumCertificate } from '../../src/log/certificates.ts'
import type { Entry, Hash } from '../../src/log/entry.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { MerkleAccumulatorState } from '../../src/log/merkle.ts'
import type { EpochChange, Receipt } from '../../src/log/receipt.ts'
import type { Sidecar, SidecarLookup } from '../../src/sealed/sidecar.ts'

/** The committed head: the highest committed block and the log after it. */
export interface Head {
  readonly height: number
  readonly hash: Hash
  readonly logSize: number
  readonly logRoot: Hash
}

/** What a consensus 'commit' action carries (see src/consensus/types.ts). */
export interface CommitBatch {
  readonly blocks: readonly Block[]
  readonly hashes: readonly Hash[]
  /** QC certifying the last block, when known. */
  readonly qc: QuorumCertificate | null
  /** Commit certificate of the last block, when known. */
  readonly cc: CommitCertificate | null
  /** Accumulator state after the last block (checked against the store's own). */
  readonly log: MerkleAccumulatorState
}

export interface StoredEntry {
  readonly id: Hash
  readonly entry: Entry
  /** Height of the committed block that holds it. */
  readonly height: number
  /** Leaf index in the log. */
  readonly index: number
  /** Position within its block. */
  readonly position: number
}

/** A bounded, ordered scan of committed entries by log index: [fromIndex, toIndex). */
export interface IndexRange {
  readonly fromIndex: number
  /** Exclusive; defaults to the log size. */
  readonly toIndex?: number
  readonly limit: number
}

/** What a restart needs to rebuild the replica (src/consensus/types.ts RestoredState). */
export interface RestoreParts {
  /** Encoded safety state (decode with decodeSafetyState), null on a fresh store. */
  readonly safety: Uint8Array | null
  readonly committedHead: Block
  readonly committedLog: MerkleAccumulatorState
  readonly agentSeqs: ReadonlyMap<string, number>
  readonly pendingBlocks: readonly Block[]
}

/** Consensus writes that must be durable together before anything after them is sent. */
export interface DurableWrite {
  readonly safety?: Uint8Array
  readonly blocks?: readonly { readonly hash: Hash, readonly block: Block }[]
}

export interface Store {
  /** Opens the store for this genesis: initialises a fresh store, or checks that an
   * existing one belongs to the same chain (StoreError 'wrong-genesis' otherwise). */
  open(genesis: Genesis): Promise<void>
  close(): Promise<void>
  /** The committed head, from memory. */
  readonly head: Head

  // --- consensus persistence (durable: fsync'd before the promise resolves) ---
  persist(write: DurableWrite): Promise<void>
  /** Appends committed blocks atomically (all or nothing), with every index; the
   * effective erases among their entries delete their sidecars in the same batch. With
   * `durable`, that persist goes into the same atomic, fsync'd batch (its pending blocks
   * at or below the new head are left out: they are committed). */
  commit(batch: CommitBatch, durable?: DurableWrite): Promise<void>
  /** Stores a commit certificate for an already committed height. */
  saveCommitCertificate(cc: CommitCertificate): Promise<void>
  restoreParts(pendingMax: number): Promise<RestoreParts>
  /** The governance state after the committed head (docs/formats.md section 13); null
   * on a chain without governance. */
  governance(): Promise<GovernanceState | null>
  /** The epoch position after the committed head (docs/formats.md section 15.3). */
  epochPosition(): Promise<EpochPosition>
  /** The validator directory after the committed head (src/log/validator-directory.ts):
   * the genesis keys, then each epoch change's new keys, in index order. */
  validatorDirectory(): Promise<readonly Uint8Array[]>
  /** Keeps the boundary certificate of the committed reconfiguration block at `height`
   * (the replica's 'store-boundary-certificate'), durably, unless one with no more links
   * is kept ('kept'). A StoreError 'bad-commit' when it is not one for that block. */
  saveBoundaryCertificate(height: number, boundary: BoundaryCertificate): Promise<'stored' | 'kept'>
  boundaryCertificateAt(height: number): Promise<BoundaryCertificate | undefined>
  /** The heights with a stored boundary certificate, ascending (from memory). */
  boundaryHeights(): readonly number[]
  /** The epoch changes of epochs 1..upTo, as a receipt of epoch upTo carries them; null
   * when a boundary certificate is missing here. */
  epochChanges(upTo: number): Promise<EpochChange[] | null>

  // --- reads ---
  headerAt(height: number): Promise<BlockHeader | undefined>
  blockAt(height: number): Promise<Block | undefined>
  heightOf(hash: Hash): Promise<number | undefined>
  pendingBlock(hash: Hash): Promise<Block | undefined>
  qcAt(height: number): Promise<QuorumCertificate | undefined>
  commitCertificate(height: number): Promise<CommitCertificate | undefined>
  /** The commit certificate with the lowest height >= height. */
  firstCommitCertificateFrom(height: number): Promise<CommitCertificate | undefined>
  latestCommitCertificate(): Promise<CommitCertificate | undefined>
  accumulatorAt(height: number): Promise<MerkleAccumulatorState | undefined>
  entryById(id: Hash): Promise<StoredEntry | undefined>
  entryAt(index: number): Promise<StoredEntry | undefined>
  entries(range: IndexRange): Promise<StoredEntry[]>
  entriesByNamespace(namespace: string, range: IndexRange): Promise<StoredEntry[]>
  entriesByAgent(agent: Uint8Array, range: IndexRange): Promise<StoredEntry[]>
  /** Highest committed seq of an agent. */
  agentSeq(agent: Uint8Array): Promise<number | undefined>
  /** First log index of the block at height (its entries are [first, first + count)). */
  firstIndexAt(height: number): Promise<number | undefined>
  leafHash(index: number): Promise<Hash | undefined>
  inclusionProof(index: number, size: number): Promise<Hash[]>
  consistencyProof(oldSize: number, newSize: number): Promise<Hash[]>
  /** Roots of the perfect subtrees (level, k), k in [fromK, fromK + count), of the log
   * (level 0: leaf hashes); out-of-range unless all lie below the log size. Serves tiles. */
  subtreeHashes(level: number, fromK: number, count: number): Promise<Hash[]>
  /** CBOR(entry) of the entries at [fromIndex, fromIndex + count), as stored (no decoding);
   * out-of-range unless all lie below the log size. Serves entry bundles. */
  entryEncodings(fromIndex: number, count: number): Promise<Uint8Array[]>
  /** The receipt of a committed entry against the first commit certificate at or above
   * its height; null when the entry is unknown or no such certificate exists yet. */
  receipt(id: Hash): Promise<Receipt | null>

  // --- sidecars of sealed entries (beside the log, never part of it) ---
  /** Keeps the sidecar of a committed sealed entry, durably; the caller has checked it
   * against the entry (src/sealed/sidecar.ts checkSidecar). 'duplicate' when one is kept
   * already (a sidecar with the key replaces one without), 'erased' when an erase of the
   * entry is committed (refused). Serialised with commits, so an upload racing an erase
   * is either deleted by it or refused after it. */
  putSidecar(id: Hash, sidecar: Sidecar): Promise<'stored' | 'duplicate' | 'erased'>
  sidecar(id: Hash): Promise<SidecarLookup>
  /** Ids of committed sealed entries this node holds no sidecar of and no erase of
   * (the 'W' index), in id order, after `after` (from the first when null): at most
   * `limit` (1..queryPageMax). */
  wantedSidecars(after: Hash | null, limit: number): Promise<Hash[]>
}
