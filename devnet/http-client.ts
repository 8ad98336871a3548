// A minimal HTTP client for the devnet's workload and checks (the SDK is the real
// client). Every call has a timeout; every answer is size-checked before parsing.
import { entryToCbor, type Entry } from '../src/log/entry.ts'
import { toJson } from '../src/log/json.ts'

/** Time allowed for one request. */
const REQUEST_TIMEOUT_MS = 10_000
/** Largest answer body the devnet reads (heads, entries, receipts are small). */
const BODY_BYTES_MAX = 1024 * 1024

export interface HttpAnswer {
  readonly status: number
  readonly body: unknown
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text()
  if (text.length > BODY_BYTES_MAX) throw new Error(`answer of ${text.length} bytes is over ${BODY_BYTES_MAX}`)
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export async function postEntry(baseUrl: string, entry: Entry, signal?: AbortSignal): Promise<HttpAnswer> {
  const response = await fetch(`${baseUrl}/v1/entries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(toJson(entryToCbor(entry))),
    signal: signal === undefined ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
  })
  return { status: response.status, body: await readBody(response) }
}

export async function getJson(url: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<HttpAnswer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
  return { status: response.status, body: await readBody(response) }
}

export interface HeadInfo {
  readonly height: number
  readonly hash: string
  readonly logSize: number
}

export async function getHead(baseUrl: string, timeoutMs = 2_000): Promise<HeadInfo | null> {
  try {
    const answer = await getJson(`${baseUrl}/v1/head`, timeoutMs)
    const b = answer.body as Partial<HeadInfo> | null
    if (answer.status !== 200 || b === null || typeof b.height !== 'number' || typeof b.hash !== 'string' || typeof b.logSize !== 'number') return null
    return { height: b.height, hash: b.hash, logSize: b.logSize }
  } catch {
    return null
  }
}

/**
 * Reads a server-sent-events stream (GET /v1/subscribe) and calls `onEntry` with each
 * entry event's id and log index, until `signal` aborts or the stream ends.
 */
export async function subscribeEntries(baseUrl: string, fromIndex: number, signal: AbortSignal, onEntry: (id: string, index: number) => void): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/subscribe?from=${fromIndex}`, { signal, headers: { accept: 'text/event-stream' } })
  if (response.status !== 200 || response.body === null) throw new Error(`subscribe answered ${response.status}`)
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    if (buffer.length > BODY_BYTES_MAX) throw new Error('an event is over the size limit')
    // Events end with a blank line; each pass takes one complete event.
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const event = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let name = 'message'
      let data = ''
      for (const line of event.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim()
        else if (line.startsWith('data:')) data += line.slice(5).trim()
      }
      if (name !== 'entry' || data === '') continue
      const record = JSON.parse(data) as { id?: unknown, index?: unknown }
      if (typeof record.id === 'string' && typeof record.index === 'number') onEntry(record.id, record.index)
    }
  }
}

/** The hash of the committed block at `height` on a node, or null. */
export async function getBlockHash(baseUrl: string, height: number, timeoutMs = 2_000): Promise<string | null> {
  try {
    const answer = await getJson(`${baseUrl}/v1/blocks/${height}`, timeoutMs)
    const b = answer.body as { hash?: unknown } | null
    return answer.status === 200 && b !== null && typeof b.hash === 'string' ? b.hash : null
  } catch {
    return null
  }
}
