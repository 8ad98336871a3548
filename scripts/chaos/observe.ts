// What the chaos run reads from each validator once the cluster is idle: its head and
// health, its default export (GET /v1/export with no parameters: what `synod audit --node
// URL` reads with no flags) audited by the project's auditor, the log that export holds
// (entry id and idempotency key at each index), and afterwards the error lines of its
// node.log.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { runAudit } from '../../audit/run-audit.ts'
import { getHead, getJson, type HeadInfo } from '../../devnet/http-client.ts'
import { decodeCanonical } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId } from '../../src/log/entry.ts'
import { chainItemFromCbor, RecordReader } from '../../src/log/export.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { ChaosNode } from './chaos-cluster.ts'
import { CHAOS_LIMITS } from './limits.ts'

export interface AuditOutcome {
  readonly ok: boolean
  readonly height: number
  readonly certifiedHeight: number
  readonly entries: number
  readonly failure: { readonly code: string, readonly reason: string, readonly height?: number } | null
}

/** The log as one validator's export holds it: position i is log index i. */
export interface ExportedLog {
  readonly ids: readonly string[]
  readonly keys: readonly string[]
  /** Height of the export's last block. */
  readonly lastHeight: number
}

export interface NodeObservation {
  readonly node: number
  readonly head: HeadInfo | null
  readonly healthStatus: string | null
  readonly mempoolEntries: number | null
  /** Why the export could not be read (HTTP status, too large, a broken stream). */
  readonly exportError: string | null
  readonly audit: AuditOutcome | null
  readonly log: ExportedLog | null
}

export interface ErrorLines {
  readonly node: number
  readonly count: number
  /** The first few: level, message and the error's type and message. */
  readonly examples: readonly string[]
  /** Why node.log could not be read, or null. */
  readonly readError: string | null
}

export interface Health {
  readonly status: string
  readonly height: number
  readonly mempoolEntries: number
}

export async function getHealth(url: string): Promise<Health | null> {
  const answer = await getJson(`${url}/healthz`, 2_000).catch(() => null)
  const b = answer?.body as Partial<Health> | null | undefined
  if (b == null || typeof b.status !== 'string' || typeof b.height !== 'number' || typeof b.mempoolEntries !== 'number') return null
  return { status: b.status, height: b.height, mempoolEntries: b.mempoolEntries }
}

/** The node's default export, whole, in memory (bounded by exportBytesMax). */
async function readDefaultExport(url: string): Promise<Uint8Array[]> {
  const res = await fetch(`${url}/v1/export`, { signal: AbortSignal.timeout(CHAOS_LIMITS.exportMsMax) })
  if (res.status !== 200 || res.body === null) throw new Error(`GET /v1/export answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  const chunks: Uint8Array[] = []
  let bytes = 0
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    bytes += chunk.length
    if (bytes > CHAOS_LIMITS.exportBytesMax) throw new Error(`the export is over ${CHAOS_LIMITS.exportBytesMax} bytes`)
    chunks.push(chunk)
  }
  return chunks
}

async function* replay(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield chunk
}

/** The entries an export holds, in log order (the header record comes first). Only
 * called on an export the auditor passed or failed late: a record that does not decode
 * ends the list there. */
function exportedLog(chunks: readonly Uint8Array[]): ExportedLog {
  const reader = new RecordReader()
  for (const chunk of chunks) reader.push(chunk)
  const ids: string[] = []
  const keys: string[] = []
  let lastHeight = 0
  let header = true
  // One record per pass; bounded by the export's length.
  for (let raw = reader.nextBytes(); raw !== null; raw = reader.nextBytes()) {
    if (header) {
      header = false
      continue
    }
    const item = chainItemFromCbor(decodeCanonical(raw, raw.length))
    lastHeight = item.block.header.height
    for (const entry of item.block.entries) {
      ids.push(toHex(entryId(entry)))
      keys.push(entry.idempotencyKey)
    }
  }
  return { ids, keys, lastHeight }
}

export async function observeNode(node: ChaosNode, genesis: Genesis): Promise<NodeObservation> {
  const head = await getHead(node.url)
  const health = await getHealth(node.url)
  let exportError: string | null = null
  let audit: AuditOutcome | null = null
  let log: ExportedLog | null = null
  try {
    const chunks = await readDefaultExport(node.url)
    const report = await runAudit(replay(chunks), { genesis })
    audit = { ok: report.ok, height: report.height, certifiedHeight: report.certifiedHeight, entries: report.entries, failure: report.failure }
    try {
      log = exportedLog(chunks)
    } catch (err) {
      exportError = `the export's records do not decode: ${(err as Error).message}`
    }
  } catch (err) {
    exportError = (err as Error).message
  }
  return { node: node.index, head, healthStatus: health?.status ?? null, mempoolEntries: health?.mempoolEntries ?? null, exportError, audit, log }
}

/** Where an entry stands on one validator: 'pending' (in its mempool), 'committed',
 * 'certified', 'unknown', or 'unreachable'. */
export async function entryStatus(url: string, idHex: string): Promise<string> {
  const answer = await getJson(`${url}/v1/entries/${idHex}`, 2_000).catch(() => null)
  if (answer === null) return 'unreachable'
  if (answer.status === 404) return 'unknown'
  const status = (answer.body as { status?: unknown } | null)?.status
  return typeof status === 'string' ? status : `http-${answer.status}`
}

/** Lines of the validator's node.log (pino JSON) at error level or above. Read after the
 * validator stopped, so its last lines are flushed. */
export async function errorLines(node: ChaosNode): Promise<ErrorLines> {
  const file = join(node.process.files.dataDir, 'node.log')
  let text: string
  try {
    const size = (await stat(file)).size
    if (size > CHAOS_LIMITS.logBytesMax) return { node: node.index, count: 0, examples: [], readError: `node.log is ${size} bytes, over ${CHAOS_LIMITS.logBytesMax}` }
    text = await readFile(file, 'utf8')
  } catch (err) {
    return { node: node.index, count: 0, examples: [], readError: (err as Error).message }
  }
  let count = 0
  const examples: string[] = []
  for (const line of text.split('\n')) {
    for (const record of logRecords(line)) {
      if (typeof record.level !== 'number' || record.level < CHAOS_LIMITS.errorLogLevel) continue
      count++
      if (examples.length < CHAOS_LIMITS.examplesMax) examples.push(describeRecord(record))
    }
  }
  return { node: node.index, count, examples, readError: null }
}

interface LogRecord {
  readonly level?: unknown
  readonly msg?: unknown
  readonly err?: unknown
}

/** The pino records on one line of node.log. A SIGKILL can cut a line, and the restarted
 * validator's first record then follows it on the same line: that record still counts. */
function logRecords(line: string): LogRecord[] {
  if (!line.startsWith('{')) return []
  try {
    return [JSON.parse(line) as LogRecord]
  } catch {
    const records: LogRecord[] = []
    for (const piece of line.split('{"level":').slice(1)) {
      try {
        records.push(JSON.parse(`{"level":${piece}`) as LogRecord)
      } catch {
        // the cut record itself
      }
    }
    return records
  }
}

function describeRecord(record: LogRecord): string {
  const err = record.err as { type?: unknown, message?: unknown } | undefined
  const cause = err !== null && typeof err === 'object' ? `: ${String(err.type)}: ${String(err.message).slice(0, 200)}` : ''
  return `level ${String(record.level)} '${String(record.msg)}'${cause}`
}
