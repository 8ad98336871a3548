// The single-entry submit path (POST /v1/entries), as functions: the batch route
// (batch.ts) runs exactly these per entry, so every bad-input rule, rate limit and
// backend verdict is the same whether an entry comes alone or in a batch.
import { CodecError } from '../../src/codec/errors.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { encodeEntry, entryFromCbor, type Entry } from '../../src/log/entry.ts'
import { fromJson } from '../../src/log/json.ts'
import type { NodeMetrics } from '../metrics/metrics.ts'
import type { NodeBackend, SubmitResult } from './backend.ts'
import { ApiError } from './errors.ts'
import type { ApiLimits } from './limits.ts'
import type { TokenBuckets } from './rate-limit.ts'

/** Runs one backend call under the server's deadline and the client's presence. */
export type BackendCall = <T>(run: (signal: AbortSignal) => Promise<T>) => Promise<T>

/** Reads the JSON form of one entry (src/log/json.ts) into an Entry, checked by the same
 * strict reader as binary input; a fault is ApiError 400 'malformed-entry'. */
export function parseEntryBody(body: unknown, payloadBytesMax: number): Entry {
  if (body === undefined || body === null) throw new ApiError(400, 'missing-body', 'send the entry as a JSON object')
  try {
    const entry = entryFromCbor(fromJson(body, 'entry'), payloadBytesMax)
    // The strict reader takes JSON strings as they are; a lone surrogate has no UTF-8
    // form and so no canonical encoding: find out here, not deep in the backend.
    encodeEntry(entry)
    return entry
  } catch (err) {
    if (err instanceof CodecError) throw new ApiError(400, 'malformed-entry', err.message)
    throw err
  }
}

export interface EntryAdmissionDependencies {
  readonly backend: NodeBackend
  readonly metrics: NodeMetrics
  readonly limits: ApiLimits
  /** Per-agent budget: checked before the backend runs, charged only on acceptance. */
  readonly agentBuckets: TokenBuckets
}

/** Admits one parsed entry: the agent's rate limit, then the backend. Throws the error
 * the single path answers with (ApiError, or a backend error). */
export async function admitEntry(deps: EntryAdmissionDependencies, entry: Entry, call: BackendCall): Promise<SubmitResult> {
  const agent = toHex(entry.agent)
  const allowed = deps.agentBuckets.check(agent)
  if (!allowed.ok) {
    deps.metrics.httpRateLimited('agent')
    throw new ApiError(429, 'agent-rate-limited', `agent ${agent} is over ${deps.limits.agentRatePerSecond} entries per second`, allowed.retryAfterMs)
  }
  const result = await call((signal) => deps.backend.submitEntry(entry, signal))
  if (result.status === 'accepted') deps.agentBuckets.charge(agent)
  return result
}

/** The HTTP status of a submit result: 202 for a new entry, 200 for a known one. */
export function submitStatus(result: SubmitResult): 200 | 202 {
  return result.status === 'accepted' ? 202 : 200
}
