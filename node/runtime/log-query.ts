// One page of the log for the API's query: by height range, namespace, agent or both,
// resumed by an opaque cursor (the next log index as decimal digits).
import type { LogPage, LogQuery } from '../api/backend.ts'
import { InvalidCursorError } from '../api/errors.ts'
import { NODE_LIMITS } from '../limits.ts'
import type { Store, StoredEntry } from '../store/store.ts'
import { checkSignal, record } from './backend-reads.ts'

/** Rows a filtered query (namespace and agent) scans for one page before it answers with
 * what it found and a cursor. */
const FILTER_SCAN_MAX = 10_000
const CURSOR = /^[0-9]{1,16}$/

export async function queryLog(store: Store, query: LogQuery, signal: AbortSignal): Promise<LogPage> {
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
    ({ rows, scannedTo } = await agentInNamespace(store, query.agent, query.namespace, fromIndex, toIndex, limit, signal))
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

/** Both filters: walk the agent's index and keep the namespace, a bounded number of rows per page. */
async function agentInNamespace(store: Store, agent: Uint8Array, namespace: string, fromIndex: number, toIndex: number, limit: number, signal: AbortSignal): Promise<{ rows: StoredEntry[], scannedTo: number }> {
  const rows: StoredEntry[] = []
  let next = fromIndex
  let scanned = 0
  while (rows.length < limit && scanned < FILTER_SCAN_MAX && next < toIndex) {
    const batch = await store.entriesByAgent(agent, { fromIndex: next, toIndex, limit: Math.min(NODE_LIMITS.queryPageMax, FILTER_SCAN_MAX - scanned) })
    if (batch.length === 0) {
      next = toIndex
      break
    }
    scanned += batch.length
    for (const row of batch) {
      next = row.index + 1
      if (row.entry.namespace === namespace) {
        rows.push(row)
        if (rows.length === limit) break
      }
    }
    checkSignal(signal)
  }
  return { rows, scannedTo: next }
}
