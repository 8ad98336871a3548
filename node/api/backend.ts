// What the HTTP API needs from a validator node: the one interface between the API
// layer (node/api/) and the node runtime (node/runtime/, which implements it). The
// server validates and decodes every request before it calls the backend, so the
// backend gets typed, bounded values only; it answers with data or throws one of the
// errors of node/api/errors.ts. Everything else it throws becomes a 500.
//
// Every method that may wait takes an AbortSignal: it aborts when the client goes
// away or the server's deadline for the call passes; the backend should stop work
// and settle promptly (rejecting with the signal's reason is fine).
import type { CommitCertificate } from '../../src/log/certificates.ts'
import type { Entry, Hash } from '../../src/log/entry.ts'
import type { ExportHeader } from '../../src/log/export.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { NoteVerifier } from '../../src/log/note.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import type { Sidecar, SidecarLookup } from '../../src/sealed/sidecar.ts'

/** A committed entry and where it sits in the log. */
export interface LogRecord {
  readonly id: Hash
  readonly entry: Entry
  /** Height of the committed block that holds the entry. */
  readonly height: number
  /** The entry's 0-based leaf index in the log (its position in log order). */
  readonly index: number
}

export interface SubmitResult {
  readonly id: Hash
  /** 'accepted': new to this node, now in its mempool. 'duplicate': this node already
   * has an entry with this id, in its mempool or in the log. Resubmitting is safe. */
  readonly status: 'accepted' | 'duplicate'
}

/** What this node knows of an entry id. */
export type EntryLookup =
  /** In this node's mempool, not yet in a committed block. Local knowledge: another
   * node may not have it, and a restarted node may have lost it (resubmit). */
  | { readonly status: 'pending', readonly id: Hash, readonly entry: Entry }
  /** Accepted by this node once, but a later seq of its agent committed first, so it can
   * never commit (an agent's committed seqs strictly increase): final. `lastSeq` is the
   * agent's committed seq that passed `seq`. Its author signs the decision again. */
  | { readonly status: 'superseded', readonly id: Hash, readonly seq: number, readonly lastSeq: number }
  /** In a committed block. */
  | ({ readonly status: 'committed' } & LogRecord)

export interface LogQuery {
  /** Only entries of exactly this namespace (no prefix matching). */
  readonly namespace?: string
  /** Only entries of this agent (32-byte public key). */
  readonly agent?: Uint8Array
  /** Only entries in blocks at or above this height. */
  readonly fromHeight?: number
  /** Only entries in blocks at or below this height (inclusive). */
  readonly toHeight?: number
  /** Continue after the page that returned this cursor. Opaque to the server (it only
   * checks it is at most 256 URL-safe characters); the backend throws
   * InvalidCursorError for one it cannot read. */
  readonly cursor?: string
  /** At most this many items (1 <= limit; the server caps it). */
  readonly limit: number
}

export interface LogPage {
  /** Matching entries in log order (ascending index). */
  readonly items: readonly LogRecord[]
  /** Cursor for the next page, or null when the query is exhausted as of now. */
  readonly nextCursor: string | null
}

export interface SubscribeOptions {
  /** First log index to deliver (entries with index >= fromIndex). It may be at or past
   * the current end of the log: the stream then waits for new commits. */
  readonly fromIndex: number
  /** Only entries of exactly this namespace. */
  readonly namespace?: string
}

export interface BlockExport {
  /** The export header: chain id, genesis hash, `from` = fromHeight, and `start` (the
   * header at fromHeight-1 and the log's Merkle frontier after it; null when fromHeight
   * is 1). */
  readonly header: ExportHeader
  /** One record per block, in height order from fromHeight to toHeight without a gap:
   * the canonical CBOR of a ChainItem { block, cc } (encodeChainItem in
   * src/log/export.ts), unframed (the server frames it). Pull-based, like
   * subscribe: produced as the server asks, so a slow reader costs no memory. */
  readonly records: AsyncIterable<Uint8Array>
}

export interface NodeHealth {
  /** 'ok': following the chain; 'syncing': catching up (behind what its peers have
   * committed, or not started yet), reads may be stale; 'stopping': shutting down (the
   * API answers /healthz with 503). */
  readonly status: 'ok' | 'syncing' | 'stopping'
  readonly chainId: string
  /** Height of the latest committed block (0 when only the genesis block exists). */
  readonly height: number
  /** Heights this node knows a quorum committed (by a verified commit certificate) that
   * it has yet to commit: 0 when caught up with what it has heard. */
  readonly lagHeights: number
  /** Number of committed entries: the log size. */
  readonly logSize: number
  /** The consensus round this node is in. */
  readonly round: number
  /** Connected validator peers. */
  readonly peers: number
  readonly mempoolEntries: number
}

/** What the C2SP transparency routes (node/api/routes/transparency.ts: checkpoint note,
 * tiles, entry bundles, witness cosignatures) read beyond the rest of the backend. The
 * server checks every range against the newest commit certificate's log size first. */
export interface TransparencySource {
  readonly genesis: Genesis
  /** Witness keys (cosignature/v1, type 0x04) whose cosignatures the node keeps. */
  readonly witnesses: readonly NoteVerifier[]
  /** Roots of the perfect subtrees (treeLevel, k) for k in [fromK, fromK + count) of the
   * committed log (level 0: leaf hashes); each covers leaves below the committed size. */
  subtreeHashes(treeLevel: number, fromK: number, count: number, signal: AbortSignal): Promise<Hash[]>
  /** CBOR(entry) of the committed entries at log indexes [fromIndex, fromIndex + count). */
  entryEncodings(fromIndex: number, count: number, signal: AbortSignal): Promise<Uint8Array[]>
}

/** The sidecars of sealed entries this node keeps (docs/formats.md section 14): beside
 * the log, never part of it. The server checks an upload against the committed sealed
 * entry (src/sealed/sidecar.ts checkSidecar) before it calls `put`. */
export interface SidecarSource {
  /** What this node holds for the entry with this id (32 bytes). */
  get(id: Hash, signal: AbortSignal): Promise<SidecarLookup>
  /** Keeps a checked sidecar durably: 'duplicate' when one is kept already, 'erased'
   * when an erase of the entry is committed (the upload is refused). */
  put(id: Hash, sidecar: Sidecar, signal: AbortSignal): Promise<'stored' | 'duplicate' | 'erased'>
}

export interface NodeBackend {
  /** The C2SP routes' data; a backend without it answers those routes with 404. */
  readonly transparency?: TransparencySource
  /** Sealed entries' sidecars; a backend without it answers the /v1/sealed routes with 404. */
  readonly sidecars?: SidecarSource

  /**
   * Verifies and admits an entry to the mempool (and forwards it to the next leaders). Idempotent: the same
   * entry again answers 'duplicate' with the same id. Throws InvalidSignatureError,
   * InvalidEntryError, PolicyDeniedError, StaleSequenceError, MempoolFullError,
   * AgentBacklogFullError or NotReadyError to reject it.
   */
  submitEntry(entry: Entry, signal: AbortSignal): Promise<SubmitResult>

  /** The entry with this id (32 bytes), pending, superseded or committed; null when unknown. */
  getEntry(id: Hash, signal: AbortSignal): Promise<EntryLookup | null>

  /**
   * The receipt of a committed entry, proved against the latest commit certificate
   * that covers it; null while none does (unknown, pending, or committed but not yet
   * certified: the server tells these apart with getEntry).
   */
  getReceipt(id: Hash, signal: AbortSignal): Promise<Receipt | null>

  /**
   * Like getReceipt, but waits up to `waitMs` (> 0; the server bounds it) for the
   * receipt to exist: resolves with it as soon as a commit certificate covers the entry,
   * or with null at the deadline. The entry need not be known yet (it may arrive by
   * another node's forward, or commit through another node). No busy polling: the backend wakes on the
   * node's commits and certificates. When `signal` aborts (the client left, or the
   * server's deadline), it settles promptly (rejecting with the signal's reason is fine).
   * The server bounds how many calls wait at once.
   */
  awaitReceipt(id: Hash, waitMs: number, signal: AbortSignal): Promise<Receipt | null>

  /** One page of committed entries matching the query, in log order. */
  query(query: LogQuery, signal: AbortSignal): Promise<LogPage>

  /**
   * Committed entries from `fromIndex` on, in log order, without gap or duplicate
   * (filtered by namespace when given), then new ones as they commit; it never ends
   * on its own. Pull-based: the backend produces the next record when asked, reading
   * from storage while the consumer lags behind, so a slow consumer costs no memory.
   * When `signal` aborts, a pending next() must settle promptly (done, or rejected).
   * A backend that instead pushes commits into a per-subscriber buffer must bound it
   * and throw SubscriberLaggedError when it overflows (the client then resumes).
   */
  subscribe(options: SubscribeOptions, signal: AbortSignal): AsyncIterable<LogRecord>

  /** The commit certificate of the highest certified block; null before the first. */
  latestCheckpoint(signal: AbortSignal): Promise<CommitCertificate | null>

  /**
   * The RFC 9162 consistency proof from log size oldSize to newSize (oldSize <= newSize,
   * checked by the server). Throws RangeUnavailableError when newSize is above the
   * committed log size.
   */
  consistencyProof(oldSize: number, newSize: number, signal: AbortSignal): Promise<Hash[]>

  /**
   * The committed blocks fromHeight..toHeight (inclusive; 1 <= fromHeight <= toHeight,
   * checked by the server) in the export format of src/log/export.ts. Throws
   * RangeUnavailableError when toHeight is above the committed height.
   */
  exportBlocks(fromHeight: number, toHeight: number, signal: AbortSignal): Promise<BlockExport>

  /** A cheap snapshot of the node's state, without I/O. */
  health(): NodeHealth
}
