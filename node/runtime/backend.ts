// The HTTP API's view of a validator node (node/api/backend.ts NodeBackend): reads go
// to the chain store, submissions to the node's driver loop. Every answer is bounded:
// pages by NODE_LIMITS.queryPageMax, streams by the consumer's pace. The query
// (log-query.ts), receipt long polls (receipt-waiters.ts) and the answers to refused
// submissions (submit-refusals.ts) are their own modules.
import { describe as describeRejection, type Rejection } from '../../src/consensus/rejections.ts'
import { toHex } from '../../src/crypto/hash.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { encodeEntry, entryId, type Entry, type Hash } from '../../src/log/entry.ts'
import { EXPORT_FORMAT } from '../../src/log/export.ts'
import { genesisHash } from '../../src/log/genesis.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import type {
  BlockExport, EntryLookup, LogPage, LogQuery, LogRecord, NodeBackend, NodeHealth, SidecarSource, SubmitResult, SubscribeOptions, TransparencySource,
} from '../api/backend.ts'
import type { NoteVerifier } from '../../src/log/note.ts'
import {
  GovernanceDeniedError, InvalidEntryError, InvalidSignatureError, MempoolBytesFullError, MempoolFullError, NotReadyError, PolicyDeniedError,
  RangeUnavailableError, StaleSequenceError,
} from '../api/errors.ts'
import { encodeChainItem } from '../../src/log/export.ts'
import { chainItemOf } from './chain-item.ts'
import { checkSignal, rangeRead, record } from './backend-reads.ts'
import { queryLog } from './log-query.ts'
import { ReceiptWaiters } from './receipt-waiters.ts'
import { SUBMIT_REFUSALS } from './submit-refusals.ts'
import { QueueFullError, type ValidatorNode } from './validator-node.ts'

/** A node whose certified height is this far above its committed head is catching up
 * (even with no commit certificate above its head heard yet). */
const SYNCING_GAP_HEIGHTS = 8
/** Page size of subscription reads from the store. */
const SUBSCRIBE_PAGE = 256
/** A subscription re-checks the store at least this often, even without a commit signal. */
const SUBSCRIBE_POLL_MS = 5_000

export class ValidatorBackend implements NodeBackend {
  readonly #node: ValidatorNode
  readonly #receipts: ReceiptWaiters

  /** The C2SP routes' reads (node/api/routes/transparency.ts). */
  readonly transparency: TransparencySource
  /** Sealed entries' sidecars, in the chain store beside the log (the store deletes one
   * in the commit of its erase: node/store/erasure-ops.ts). */
  readonly sidecars: SidecarSource

  constructor(node: ValidatorNode, options: { readonly witnesses?: readonly NoteVerifier[] } = {}) {
    this.#node = node
    const store = (): ValidatorNode['store'] => node.store
    this.transparency = {
      genesis: node.genesis,
      witnesses: options.witnesses ?? [],
      subtreeHashes: (treeLevel, fromK, count) => rangeRead(() => store().subtreeHashes(treeLevel, fromK, count)),
      entryEncodings: (fromIndex, count) => rangeRead(() => store().entryEncodings(fromIndex, count)),
    }
    this.sidecars = {
      get: (id) => store().sidecar(id),
      // Kept, then announced to the other validators (node/runtime/sidecar-replication.ts).
      put: (id, sidecar) => node.keepSidecar(id, sidecar),
    }
    this.#receipts = new ReceiptWaiters(node)
  }

  async submitEntry(entry: Entry, signal: AbortSignal): Promise<SubmitResult> {
    const node = this.#node
    if (!node.running) throw new NotReadyError(node.stopping ? 'the node is stopping' : 'the node is starting')
    const id = entryId(entry)
    if (node.tracing) node.traceHop('http-submit', { entry: toHex(id).slice(0, 16) })
    // A committed copy is not looked up here (a store read on every submit): its seq is at
    // or below its agent's committed seq, so the core refuses it as 'entry-seq-committed'
    // and that path below reads the store and answers 'duplicate'.
    if (node.hasPending(id)) return { id, status: 'duplicate' }
    const superseded = node.supersededEntry(id)
    if (superseded !== undefined) throw new StaleSequenceError(entry.seq, superseded.lastSeq, 'committed')
    checkSignal(signal)
    let results: readonly (Rejection | null)[]
    try {
      results = await node.submit([entry])
    } catch (err) {
      if (err instanceof QueueFullError) throw new MempoolFullError(node.mempoolSize)
      throw new NotReadyError(`the node cannot take entries now: ${(err as Error).message}`)
    }
    const rejected = results[0]
    if (rejected === null || rejected === undefined) return { id, status: 'accepted' }
    const refusal = SUBMIT_REFUSALS[rejected.code]
    switch (refusal) {
      case 'mempool-full':
        throw new MempoolFullError(node.mempoolSize)
      case 'mempool-bytes-full':
        throw new MempoolBytesFullError(encodeEntry(entry).length)
      case 'seq-pending':
        throw new StaleSequenceError(entry.seq, entry.seq, 'pending')
      case 'seq-committed': {
        // 'committed' is a final verdict (the client signs its decision again), so the
        // reads that make it must see one committed state: the agent's seq at or above
        // this one and no such entry. The replica commits before the store writes the
        // blocks, and the store writes a batch before it moves its head: so the verdict
        // is given only when no commit was in flight across the reads (the replica's
        // committed height and the store's head the same before and after). Otherwise
        // 'pending', which nothing treats as final; the client asks again.
        const before = node.committedHeight
        const settledBefore = before === node.store.head.height
        const lastSeq = (await node.store.agentSeq(entry.agent)) ?? -1
        if ((await node.store.entryById(id)) !== undefined) return { id, status: 'duplicate' }
        const settled = settledBefore && node.committedHeight === before && node.store.head.height === before
        if (settled && lastSeq >= entry.seq) throw new StaleSequenceError(entry.seq, lastSeq, 'committed')
        throw new StaleSequenceError(entry.seq, Math.max(lastSeq, entry.seq), 'pending')
      }
      case 'invalid-signature':
        throw new InvalidSignatureError(describeRejection(rejected))
      case 'policy-denied':
        throw new PolicyDeniedError(entry.namespace, toHex(entry.agent))
      case 'governance-denied':
        if (rejected.code !== 'entry-governance') throw new InvalidEntryError(describeRejection(rejected))
        throw new GovernanceDeniedError(rejected.rule, rejected.namespace, describeRejection(rejected))
      case 'invalid-entry':
        throw new InvalidEntryError(describeRejection(rejected))
    }
  }

  async getEntry(id: Hash, _signal: AbortSignal): Promise<EntryLookup | null> {
    const stored = await this.#node.store.entryById(id)
    if (stored !== undefined) return { status: 'committed', ...record(stored) }
    const pending = this.#node.pendingEntry(id)
    if (pending !== undefined) return { status: 'pending', id, entry: pending }
    const superseded = this.#node.supersededEntry(id)
    return superseded === undefined ? null : { status: 'superseded', id, ...superseded }
  }

  getReceipt(id: Hash, _signal: AbortSignal): Promise<Receipt | null> {
    return this.#node.store.receipt(id)
  }

  awaitReceipt(id: Hash, waitMs: number, signal: AbortSignal): Promise<Receipt | null> {
    return this.#receipts.wait(id, waitMs, signal)
  }

  query(query: LogQuery, signal: AbortSignal): Promise<LogPage> {
    return queryLog(this.#node.store, query, signal)
  }

  subscribe(options: SubscribeOptions, signal: AbortSignal): AsyncIterable<LogRecord> {
    const node = this.#node
    const store = node.store
    return (async function* subscription(): AsyncGenerator<LogRecord> {
      let next = options.fromIndex
      // Runs until the consumer aborts; each pass reads one bounded page or waits.
      while (!signal.aborted && !node.stopping) {
        const end = store.head.logSize
        const range = { fromIndex: next, toIndex: end, limit: SUBSCRIBE_PAGE }
        const page = next >= end ? [] : options.namespace === undefined ? await store.entries(range) : await store.entriesByNamespace(options.namespace, range)
        if (page.length === 0) {
          next = Math.max(next, end)
          await node.commits.wait(signal, SUBSCRIBE_POLL_MS)
          continue
        }
        for (const row of page) {
          next = row.index + 1
          yield record(row)
          if (signal.aborted) return
        }
        if (page.length < SUBSCRIBE_PAGE) next = Math.max(next, end)
      }
    })()
  }

  async latestCheckpoint(_signal: AbortSignal): Promise<CommitCertificate | null> {
    return (await this.#node.store.latestCommitCertificate()) ?? null
  }

  async consistencyProof(oldSize: number, newSize: number, _signal: AbortSignal): Promise<Hash[]> {
    const logSize = this.#node.store.head.logSize
    if (newSize > logSize) throw new RangeUnavailableError(`log size ${newSize} is above this node's committed log size ${logSize}`)
    return this.#node.store.consistencyProof(oldSize, newSize)
  }

  async exportBlocks(fromHeight: number, toHeight: number, signal: AbortSignal): Promise<BlockExport> {
    const node = this.#node
    const store = node.store
    const height = store.head.height
    if (toHeight > height) throw new RangeUnavailableError(`height ${toHeight} is above this node's committed height ${height}`)
    let start = null
    if (fromHeight > 1) {
      const previous = await store.blockAt(fromHeight - 1)
      const accumulator = await store.accumulatorAt(fromHeight - 1)
      if (previous === undefined || accumulator === undefined) throw new RangeUnavailableError(`height ${fromHeight - 1} is not stored`)
      start = { header: previous.header, accumulator }
    }
    const records = (async function* exportRecords(): AsyncGenerator<Uint8Array> {
      for (let h = fromHeight; h <= toHeight; h++) {
        if (signal.aborted) return
        const block = await store.blockAt(h)
        if (block === undefined) throw new RangeUnavailableError(`height ${h} is not stored`)
        yield encodeChainItem(await chainItemOf(store, block))
      }
    })()
    return { header: { format: EXPORT_FORMAT, chainId: node.genesis.chainId, genesis: genesisHash(node.genesis), from: fromHeight, start }, records }
  }

  health(): NodeHealth {
    const node = this.#node
    const head = node.running ? node.head : { height: 0, logSize: 0 }
    // Behind what a quorum is known to have committed: catching up, whatever else it does.
    const lagHeights = node.syncLagHeights
    const behind = lagHeights > 0 || node.certifiedHeight - head.height > SYNCING_GAP_HEIGHTS
    const status = node.stopping ? 'stopping' : !node.running || behind ? 'syncing' : 'ok'
    return {
      status,
      chainId: node.genesis.chainId,
      height: head.height,
      lagHeights,
      logSize: head.logSize,
      round: node.round,
      peers: node.peers.length,
      mempoolEntries: node.mempoolSize,
    }
  }
}
