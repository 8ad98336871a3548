// Small pieces of the validator backend's reads: a stored entry as the API's record,
// the abort check between reads, and the store's out-of-range as the API's error.
import type { LogRecord } from '../api/backend.ts'
import { RangeUnavailableError } from '../api/errors.ts'
import { StoreError } from '../store/errors.ts'
import type { StoredEntry } from '../store/store.ts'

export function record(stored: StoredEntry): LogRecord {
  return { id: stored.id, entry: stored.entry, height: stored.height, index: stored.index }
}

export function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted')
}

/** A store read of a range: the store's out-of-range becomes the API's
 * RangeUnavailableError (the server checks ranges first, so this is a race with a
 * store behind the checkpoint, never a client's mistake). */
export async function rangeRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (err) {
    if (err instanceof StoreError && err.code === 'out-of-range') throw new RangeUnavailableError(err.message)
    throw err
  }
}
