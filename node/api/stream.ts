// Streaming a pull-based source to a slow or vanishing HTTP client with bounded memory.
//
// The pump pulls one item, writes it, and pulls the next only when the socket has room:
// when write() reports a full buffer it waits for 'drain'. So the memory a stream holds
// is one socket buffer plus one item, and the backend, being pull-based, is simply not
// asked while the client lags. A client whose buffer stays full for slowClientMs is cut
// off (an SSE client resumes with Last-Event-ID, an exporter from the next height).
import type { Writable } from 'node:stream'
import type { StreamCloseReason } from '../metrics/metrics.ts'

export interface PumpOptions {
  /** Aborts when the client goes away or the server closes. */
  readonly signal: AbortSignal
  /** Written every heartbeatMs while the socket has room (null: no heartbeat). */
  readonly heartbeat: string | null
  readonly heartbeatMs: number
  readonly slowClientMs: number
}

export interface PumpResult {
  /** 'done': the source ended; 'client-gone': the signal aborted or the socket closed;
   * 'slow-client': the socket stayed full too long; 'error': the source threw. */
  readonly reason: Exclude<StreamCloseReason, 'server-closing'>
  readonly error?: unknown
}

const ABORTED: unique symbol = Symbol('aborted')

/** Resolves with the promise's outcome, or ABORTED as soon as the signal aborts (the
 * promise's later outcome is then ignored, a rejection included). */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) {
    promise.catch(() => {})
    return Promise.resolve(ABORTED)
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(ABORTED)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value) },
      (err: unknown) => { signal.removeEventListener('abort', onAbort); reject(err) },
    )
  })
}

function waitDrain(out: Writable, timeoutMs: number, signal: AbortSignal): Promise<'drained' | 'client-gone' | 'slow-client'> {
  return new Promise((resolve) => {
    const finish = (result: 'drained' | 'client-gone' | 'slow-client'): void => {
      clearTimeout(timer)
      out.off('drain', onDrain)
      out.off('close', onGone)
      out.off('error', onGone)
      signal.removeEventListener('abort', onGone)
      resolve(result)
    }
    const onDrain = (): void => finish('drained')
    const onGone = (): void => finish('client-gone')
    const timer = setTimeout(() => finish('slow-client'), timeoutMs)
    out.on('drain', onDrain)
    out.on('close', onGone)
    out.on('error', onGone)
    signal.addEventListener('abort', onGone, { once: true })
    if (out.destroyed || signal.aborted) finish('client-gone')
  })
}

/**
 * Writes every item of the source to `out`, formatted, until the source ends, the
 * client goes or lags too long. Never throws; never ends or
 * destroys `out` (the caller decides how to close). Always releases the source.
 */
export async function pumpToClient<T>(
  source: AsyncIterator<T>,
  out: Writable,
  format: (item: T) => string | Uint8Array,
  options: PumpOptions,
): Promise<PumpResult> {
  const { signal } = options
  const heartbeat = options.heartbeat
  const timer = heartbeat === null ? null : setInterval(() => {
    if (!out.destroyed && !out.writableNeedDrain) out.write(heartbeat)
  }, options.heartbeatMs)
  try {
    for (;;) {
      if (signal.aborted || out.destroyed) return { reason: 'client-gone' }
      const next = await raceAbort(source.next(), signal)
      if (next === ABORTED) return { reason: 'client-gone' }
      if (next.done === true) return { reason: 'done' }
      if (out.destroyed) return { reason: 'client-gone' }
      if (!out.write(format(next.value))) {
        const drained = await waitDrain(out, options.slowClientMs, signal)
        if (drained !== 'drained') return { reason: drained }
      }
    }
  } catch (error) {
    return { reason: 'error', error }
  } finally {
    if (timer !== null) clearInterval(timer)
    // Not awaited: a source stuck in a pending next() finishes that first; the signal
    // (aborted by the caller after this returns) tells it to stop.
    try {
      Promise.resolve(source.return?.()).catch(() => {})
    } catch {
      // a source whose return() throws synchronously has nothing left to release
    }
  }
}

/** One server-sent event. `data` must not contain a newline (JSON.stringify output
 * never does); `id` is what the client sends back as Last-Event-ID. */
export function sseEvent(event: string, data: string, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`
}
