// The auditor: streams an export (a file or a node's /v1/export) through the chain
// verifier, in bounded memory, and reports the first failure or the verified totals.
import { toHex } from '../src/crypto/hash.ts'
import { chainItemFromCbor, exportHeaderFromCbor, RecordFramingError, RecordReader, type ExportHeader } from '../src/log/export.ts'
import { genesisHash, type Genesis } from '../src/log/genesis.ts'
import { ChainVerifier, type ChainItem, type ChainReport, type Failure } from '../src/log/verify.ts'
import { decodeCanonical } from '../src/codec/cbor.ts'
import { bytesEqual } from '../src/codec/cbor.ts'
import { DecisionAuditor, type DecisionAudit } from './decisions.ts'
import { SealedAuditor, type SealedAudit } from './sealed.ts'

export interface AuditProgress {
  readonly height: number
  readonly entries: number
  readonly bytes: number
}

export interface AuditReport extends ChainReport {
  readonly genesis: string
  readonly durationMs: number
  readonly entriesPerSec: number
  /** Decision states (docs/formats.md section 12) over the blocks that verified. */
  readonly decisions: DecisionAudit
  /** Sealed entries and which are erased (docs/formats.md section 14), over the blocks that verified. */
  readonly sealed: SealedAudit
}

/** One export record's entries as checked off the main thread: 32 bytes of leaf hash and
 * one byte (1 = valid signature) per entry, or null when the record does not decode. */
export interface RecordCheck {
  readonly leaves: Uint8Array
  readonly valid: Uint8Array
}

/** Checks export records' entries in parallel. Injected, so that the pipeline needs no
 * threads of its own: on Node, node/workers/signature-pool.ts (supplied by the CLI). */
export interface RecordChecker {
  /** Workers: the pipeline keeps a few blocks in flight per worker. */
  readonly size: number
  records(chainId: string, records: readonly Uint8Array[]): Promise<readonly (RecordCheck | null)[]>
}

export interface AuditOptions {
  readonly genesis: Genesis
  /** Last height to verify; blocks after it are not read. */
  readonly toHeight?: number
  readonly allowUncertifiedTail?: boolean
  readonly onProgress?: (p: AuditProgress) => void
  readonly signal?: AbortSignal
  /** Verify entry signatures on these worker threads (blocks still verified in order). */
  readonly pool?: RecordChecker
}

/** Blocks whose signatures may be in flight on the pool at once: keeps every worker busy
 * while bounding memory to a few blocks per worker. */
const BLOCKS_IN_FLIGHT_PER_WORKER = 4

/** What is read off the verified blocks besides the chain: decisions and sealed entries. */
interface LogAuditors {
  readonly decisions: DecisionAuditor
  readonly sealed: SealedAuditor
}

function failed(verifier: ChainVerifier, failure: Failure, start: number, genesis: Genesis, auditors: LogAuditors): AuditReport {
  const report = verifier.finish({ allowUncertifiedTail: true })
  return finishReport({ ...report, ok: false, failure }, start, genesis, auditors)
}

function finishReport(report: ChainReport, start: number, genesis: Genesis, auditors: LogAuditors): AuditReport {
  const durationMs = Date.now() - start
  return {
    ...report, genesis: toHex(genesisHash(genesis)), durationMs, entriesPerSec: Math.round(report.entries / Math.max(durationMs / 1000, 0.001)),
    decisions: auditors.decisions.report(),
    sealed: auditors.sealed.report(),
  }
}

/** Null when the header's `from` and `start` agree (from >= 1; start null iff from = 1;
 * else the header at height from - 1), else why not. */
function exportStartProblem(header: ExportHeader): string | null {
  if (header.from < 1) return `the export starts at height ${header.from}: the first exported height is at least 1 (height 0 is implied by the genesis)`
  if (header.from === 1) return header.start === null ? null : 'an export from height 1 must have start null (it is verified from the genesis)'
  if (header.start === null) return `the export starts at height ${header.from} without the header and log frontier at height ${header.from - 1}`
  if (header.start.header.height !== header.from - 1) return `the export starts at height ${header.from} but its start header is at height ${header.start.header.height}, not ${header.from - 1}`
  return null
}

/** Audits an export given as a stream of byte chunks. An export from height 1 is
 * verified from the genesis; a partial one from the header and log frontier it starts
 * with, which the first block's QC certifies (per-agent order is then checked only
 * within the range). */
export async function runAudit(source: AsyncIterable<Uint8Array>, options: AuditOptions): Promise<AuditReport> {
  const { genesis } = options
  const start = Date.now()
  const reader = new RecordReader()
  let verifier = new ChainVerifier(genesis)
  const decisions: LogAuditors = { decisions: new DecisionAuditor(), sealed: new SealedAuditor(genesis.policy) }
  /** The verifier's verdict on a block; a block it accepts goes on to the decision and erasure ledgers. */
  const judged = (item: ChainItem, push: () => Failure | null): Failure | null => {
    // The governance in force for the block (the state after its parent), for the erasures.
    const inForce = verifier.governance
    const failure = push()
    if (failure === null) {
      decisions.decisions.accept(item)
      decisions.sealed.accept(item, inForce)
    }
    return failure
  }
  let header = null
  let bytes = 0
  let lastProgress = 0
  let done = false
  let blockRecords = 0
  const inFlight: { item: ChainItem, results: Promise<readonly (RecordCheck | null)[]> }[] = []
  const drainOne = async (): Promise<Failure | null> => {
    const head = inFlight.shift()!
    const result = (await head.results)[0] ?? null
    // A worker that could not decode bytes the main thread decoded: do the work here.
    if (result === null) return judged(head.item, () => verifier.push(head.item))
    const count = result.valid.length
    return judged(head.item, () => verifier.push(head.item, {
      signaturesValid: Array.from(result.valid, (v) => v === 1),
      leaves: Array.from({ length: count }, (_, i) => result.leaves.subarray(32 * i, 32 * i + 32)),
    }))
  }
  /** A problem found while reading: blocks before it still in flight are judged first,
   * so the report names the first failure in height order. */
  const failAfterInFlight = async (make: (nextHeight: number) => Failure): Promise<AuditReport> => {
    while (inFlight.length > 0) {
      const earlier = await drainOne()
      if (earlier !== null) return failed(verifier, earlier, start, genesis, decisions)
    }
    return failed(verifier, make(verifier.finish({ allowUncertifiedTail: true }).height + 1), start, genesis, decisions)
  }
  for await (const chunk of source) {
    options.signal?.throwIfAborted()
    bytes += chunk.length
    reader.push(chunk)
    for (;;) {
      let raw
      try {
        raw = reader.nextBytes()
      } catch (err) {
        if (!(err instanceof RecordFramingError)) throw err
        return failAfterInFlight((height) => ({ code: err.code, reason: err.message, height }))
      }
      if (raw === null) break
      try {
        const value = decodeCanonical(raw, raw.length)
        if (header === null) {
          header = exportHeaderFromCbor(value)
          if (header.chainId !== genesis.chainId) return failed(verifier, { code: 'wrong-chain', reason: `the export is of chain '${header.chainId}', the genesis of '${genesis.chainId}'` }, start, genesis, decisions)
          if (!bytesEqual(header.genesis, genesisHash(genesis))) return failed(verifier, { code: 'wrong-genesis', reason: 'the export names another genesis hash' }, start, genesis, decisions)
          const startProblem = exportStartProblem(header)
          if (startProblem !== null) return failed(verifier, { code: 'bad-export-header', reason: startProblem }, start, genesis, decisions)
          if (header.from > 1) {
            // A partial export carries no policies: on a chain with governance its rules
            // are not re-checked from a mid-chain start, and the report says so.
            const partial = header.start === null ? undefined : genesis.governance === undefined ? header.start : { ...header.start, governance: 'unknown' as const }
            verifier = new ChainVerifier(genesis, partial)
            if (header.start !== null) {
              decisions.decisions.startAfter(header.start.header)
              decisions.sealed.startAfter(header.start.header)
            }
            if (verifier.failure !== null) return failed(verifier, verifier.failure, start, genesis, decisions)
          }
          continue
        }
        const item = chainItemFromCbor(value)
        blockRecords += 1
        if (options.toHeight !== undefined && item.block.header.height > options.toHeight) {
          done = true
          break
        }
        if (options.pool === undefined) {
          const failure = judged(item, () => verifier.push(item))
          if (failure !== null) return failed(verifier, failure, start, genesis, decisions)
        } else {
          // slice(): post only this record's bytes, not the whole chunk buffer it views.
          const results = options.pool.records(genesis.chainId, [raw.slice()])
          // Observed now: an audit that fails returns with later blocks still in flight, and
          // closing the pool then rejects them; drainOne's await still sees any rejection.
          results.catch(() => {})
          inFlight.push({ item, results })
          while (inFlight.length > BLOCKS_IN_FLIGHT_PER_WORKER * options.pool.size) {
            const failure = await drainOne()
            if (failure !== null) return failed(verifier, failure, start, genesis, decisions)
          }
        }
      } catch (err) {
        return failAfterInFlight((height) => ({ code: 'malformed-record', reason: (err as Error).message, height }))
      }
    }
    if (options.onProgress !== undefined && Date.now() - lastProgress > 100) {
      lastProgress = Date.now()
      const r = verifier.finish({ allowUncertifiedTail: true })
      options.onProgress({ height: r.height, entries: r.entries, bytes })
    }
    if (done) break
  }
  if (header === null) return failed(verifier, { code: 'empty-export', reason: 'the export has no header record' }, start, genesis, decisions)
  if (!done && reader.pendingBytes > 0) {
    return failAfterInFlight(() => ({ code: 'truncated-export', reason: `the export ends inside a record (${reader.pendingBytes} bytes left over)` }))
  }
  while (inFlight.length > 0) {
    const failure = await drainOne()
    if (failure !== null) return failed(verifier, failure, start, genesis, decisions)
  }
  if (blockRecords === 0) return failed(verifier, { code: 'no-blocks', reason: 'the export has a header but no block: it proves nothing' }, start, genesis, decisions)
  return finishReport(verifier.finish({ allowUncertifiedTail: options.allowUncertifiedTail ?? false }), start, genesis, decisions)
}

