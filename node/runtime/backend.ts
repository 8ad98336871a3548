// The HTTP API's view of a validator node (node/api/backend.ts NodeBackend): reads go
// to the chain store, submissions to the node's driver loop. Every answer is bounded:
// pages by NODE_LIMITS.queryPageMax, streams by the consumer's pace.
import { describe as describeRejection, type Rejection, type RejectionCode } from '../../src/consensus/rejections.ts'
import { toHex } from '../../src/crypto/hash.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { encodeEntry, entryId, type Entry, type Hash } from '../../src/log/entry.ts'
import { EXPORT_FORMAT } from '../../src/log/export.ts'
import { genesisHash } from '../../src/log/genesis.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import type {
  BlockExport, EntryLookup, LogPage, LogQuery, LogRecord, NodeBackend, NodeHealth, SubmitResult, SubscribeOptions, TransparencySource,
} from '../api/backend.ts'
import type { NoteVerifier } from '../../src/log/note.ts'
import {
  InvalidCursorError, InvalidEntryError, InvalidSignatureError, MempoolBytesFullError, MempoolFullError, NotReadyError, PolicyDeniedError,
  RangeUnavailableError, StaleSequenceError,
} from '../api/errors.ts'
import { encodeChainItem } from '../../src/log/export.ts'
import { NODE_LIMITS } from '../limits.ts'
import { StoreError } from '../store/errors.ts'
import type { StoredEntry } from '../store/store.ts'
import { QueueFullError, type ValidatorNode } from './validator-node.ts'

/** A node whose certified height is this far above its committed head is catching up
 * (even with no commit certificate above its head heard yet). */
const SYNCING_GAP_HEIGHTS = 8
/** Page size of subscription reads from the store. */
const SUBSCRIBE_PAGE = 256
/** A subscription re-checks the store at least this often, even without a commit signal. */
const SUBSCRIBE_POLL_MS = 5_000
/** Rows a filtered query (namespace and agent) scans for one page before it answers with
 * what it found and a cursor. */
const FILTER_SCAN_MAX = 10_000
const CURSOR = /^[0-9]{1,16}$/

/** One receipt long poll (awaitReceipt). `wakes` counts the events that may have made its
 * receipt available; the waiter re-reads the store once per change of it. */
interface ReceiptWaiter {
  /** Height of the block holding the entry, once known to be committed. */
  height: number | null
  wakes: number
  wake: (() => void) | null
}

function record(stored: StoredEntry): LogRecord {
  return { id: stored.id, entry: stored.entry, height: stored.height, index: stored.index }
}

function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
}

/** How a refused submission is answered (each maps to one error, and so one HTTP
 * status: node/api/errors.ts). Only the entry and mempool codes arise from a submit;
 * the others are listed because the table covers every code (the type checker says so). */
type SubmitRefusal = 'mempool-full' | 'mempool-bytes-full' | 'seq-pending' | 'seq-committed' | 'invalid-signature' | 'policy-denied' | 'invalid-entry'

const SUBMIT_REFUSALS: Readonly<Record<RejectionCode, SubmitRefusal>> = {
  'entry-payload-too-large': 'invalid-entry',
  'entry-policy-denied': 'policy-denied',
  'entry-bad-signature': 'invalid-signature',
  'entry-seq-committed': 'seq-committed',
  'entry-duplicate-seq': 'seq-pending',
  'mempool-full': 'mempool-full',
  'mempool-bytes-full': 'mempool-bytes-full',
  'qc-not-genesis': 'invalid-entry',
  'tc-round-zero': 'invalid-entry',
  'cc-height-zero': 'invalid-entry',
  'certificate-bitmap-length': 'invalid-entry',
  'certificate-signer-out-of-set': 'invalid-entry',
  'certificate-quorum-short': 'invalid-entry',
  'certificate-signature-count': 'invalid-entry',
  'certificate-bad-signature': 'invalid-entry',
  'certificate-high-qc-round-count': 'invalid-entry',
  'certificate-high-qc-round-not-below': 'invalid-entry',
  'certificate-rejected': 'invalid-entry',
  'qc-differs-from-block': 'invalid-entry',
  'cc-differs-from-block': 'invalid-entry',
  'voter-unknown': 'invalid-entry',
  'vote-bad-signature': 'invalid-entry',
  'commit-bad-signature': 'invalid-entry',
  'timeout-high-qc-not-below': 'invalid-entry',
  'timeout-bad-signature': 'invalid-entry',
  'sender-unknown': 'invalid-entry',
  'proposer-not-leader': 'invalid-entry',
  'proposal-bad-signature': 'invalid-entry',
  'proposal-round-unjustified': 'invalid-entry',
  'proposal-qc-below-tc': 'invalid-entry',
  'blocks-not-chained': 'invalid-entry',
  'range-block-not-chained': 'invalid-entry',
  'range-header-not-chained': 'invalid-entry',
  'range-cc-not-for-last': 'invalid-entry',
  'block-height': 'invalid-entry',
  'block-parent-mismatch': 'invalid-entry',
  'block-round-not-above-parent': 'invalid-entry',
  'block-justify-not-parent': 'invalid-entry',
  'block-entry-count-mismatch': 'invalid-entry',
  'block-too-many-entries': 'invalid-entry',
  'block-entry-invalid': 'invalid-entry',
  'block-too-many-bytes': 'invalid-entry',
  'block-entry-seq': 'invalid-entry',
  'block-entries-root-mismatch': 'invalid-entry',
  'block-log-size-mismatch': 'invalid-entry',
  'block-log-root-mismatch': 'invalid-entry',
  'vote-round-not-above-last-voted': 'invalid-entry',
  'vote-justify-not-parent': 'invalid-entry',
  'vote-round-unjustified': 'invalid-entry',
  'timeout-round-below-last-voted': 'invalid-entry',
  'timeout-round-not-above-highest': 'invalid-entry',
  'timeout-round-not-following': 'invalid-entry',
  'timeout-high-qc-below-observed': 'invalid-entry',
}

export class ValidatorBackend implements NodeBackend {
  readonly #node: ValidatorNode
  /** Receipt long polls, by entry id (hex). Woken by the node's events: a commit wakes the
   * waiters of the entries it holds, a commit certificate those whose entry it covers. So
   * each commit costs work in proportion to its entries, not to the number of waiters,
   * and no waiter polls the store. (The server bounds how many wait.) */
  readonly #receiptWaiters = new Map<string, Set<ReceiptWaiter>>()

  /** The C2SP routes' reads (node/api/routes/transparency.ts). */
  readonly transparency: TransparencySource

  constructor(node: ValidatorNode, options: { readonly witnesses?: readonly NoteVerifier[] } = {}) {
    this.#node = node
    const store = (): ValidatorNode['store'] => node.store
    this.transparency = {
      genesis: node.genesis,
      witnesses: options.witnesses ?? [],
      subtreeHashes: (treeLevel, fromK, count) => rangeRead(() => store().subtreeHashes(treeLevel, fromK, count)),
      entryEncodings: (fromIndex, count) => rangeRead(() => store().entryEncodings(fromIndex, count)),
    }
    node.onEvent((event) => {
      if (event.type === 'commit') {
        // Superseded entries can never commit: their waiters answer so at once.
        for (const id of [...event.entryIds, ...event.supersededIds]) {
          const waiters = this.#receiptWaiters.get(id)
          if (waiters !== undefined) for (const w of waiters) this.#wake(w)
        }
      } else if (event.type === 'certified') {
        for (const waiters of this.#receiptWaiters.values()) {
          for (const w of waiters) if (w.height !== null && w.height <= event.height) this.#wake(w)
        }
      }
    })
  }

  #wake(waiter: ReceiptWaiter): void {
    waiter.wakes++
    const wake = waiter.wake
    waiter.wake = null
    wake?.()
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

  async awaitReceipt(id: Hash, waitMs: number, signal: AbortSignal): Promise<Receipt | null> {
    const store = this.#node.store
    const deadline = performance.now() + waitMs
    const key = toHex(id)
    const waiter: ReceiptWaiter = { height: null, wakes: 0, wake: null }
    // Registered before the first read, so an event during a read is not missed: it
    // bumps `wakes` and the loop reads again.
    let set = this.#receiptWaiters.get(key)
    if (set === undefined) this.#receiptWaiters.set(key, set = new Set())
    set.add(waiter)
    try {
      let seen = -1
      for (;;) {
        checkSignal(signal)
        if (waiter.wakes !== seen) {
          seen = waiter.wakes
          const receipt = await store.receipt(id)
          if (receipt !== null) {
            if (this.#node.tracing) this.#node.traceHop('receipt-answer', { entry: key.slice(0, 16) })
            return receipt
          }
          // Final: the server answers 410 seq-superseded (getEntry says so).
          if (this.#node.supersededEntry(id) !== undefined) return null
          if (waiter.height === null) {
            const stored = await store.entryById(id)
            if (stored !== undefined) {
              waiter.height = stored.height
              // A certificate stored before the height was known woke nobody: read again.
              if (this.#node.ccHeight >= stored.height) waiter.wakes++
            }
          }
          continue
        }
        const left = deadline - performance.now()
        if (left <= 0 || this.#node.stopping) return null
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(timer)
            signal.removeEventListener('abort', done)
            waiter.wake = null
            resolve()
          }
          const timer = setTimeout(done, left)
          signal.addEventListener('abort', done, { once: true })
          waiter.wake = done
        })
      }
    } finally {
      set.delete(waiter)
      if (set.size === 0 && this.#receiptWaiters.get(key) === set) this.#receiptWaiters.delete(key)
    }
  }

  async query(query: LogQuery, signal: AbortSignal): Promise<LogPage> {
    const store = this.#node.store
    const head = store.head
    let fromIndex = 0
    if (query.cursor !== undefined) {
      if (!CURSOR.test(query.cursor)) throw new InvalidCursorError(`cursor '${query.cursor}' was not made by this node`)
      fromIndex = Number(query.cursor)
    }
    if (query.fromHeight !== undefined) {
      if (query.fromHeight > head.height) return { items: [], nextCursor: null }
      fromIndex = Math.max(fromIndex, (await store.firstIndexAt(query.fromHeight)) ?? 0)
    }
    let toIndex = head.logSize
    if (query.toHeight !== undefined && query.toHeight < head.height) {
      toIndex = (await store.accumulatorAt(query.toHeight))?.size ?? head.logSize
    }
    const limit = Math.max(1, Math.min(query.limit, NODE_LIMITS.queryPageMax))
    if (fromIndex >= toIndex) return { items: [], nextCursor: null }
    checkSignal(signal)
    let rows: StoredEntry[]
    let scannedTo: number
    if (query.agent !== undefined && query.namespace !== undefined) {
      // Both filters: walk the agent's index and keep the namespace, a bounded number of rows per page.
      rows = []
      let next = fromIndex
      let scanned = 0
      while (rows.length < limit && scanned < FILTER_SCAN_MAX && next < toIndex) {
        const batch = await store.entriesByAgent(query.agent, { fromIndex: next, toIndex, limit: Math.min(NODE_LIMITS.queryPageMax, FILTER_SCAN_MAX - scanned) })
        if (batch.length === 0) {
          next = toIndex
          break
        }
        scanned += batch.length
        for (const row of batch) {
          next = row.index + 1
          if (row.entry.namespace === query.namespace) {
            rows.push(row)
            if (rows.length === limit) break
          }
        }
        checkSignal(signal)
      }
      scannedTo = next
    } else {
      const range = { fromIndex, toIndex, limit }
      rows = query.agent !== undefined
        ? await store.entriesByAgent(query.agent, range)
        : query.namespace !== undefined
          ? await store.entriesByNamespace(query.namespace, range)
          : await store.entries(range)
      scannedTo = rows.length < limit ? toIndex : rows.at(-1)!.index + 1
    }
    return { items: rows.map(record), nextCursor: scannedTo < toIndex ? String(scannedTo) : null }
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
        yield encodeChainItem({ block, cc: (await store.commitCertificate(h)) ?? null })
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

/** A store read of a range: the store's out-of-range becomes the API's
 * RangeUnavailableError (the server checks ranges first, so this is a race with a
 * store behind the checkpoint, never a client's mistake). */
async function rangeRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (err) {
    if (err instanceof StoreError && err.code === 'out-of-range') throw new RangeUnavailableError(err.message)
    throw err
  }
}
