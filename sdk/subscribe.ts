// subscribe(): follows the log over one node's stream at a time, each record checked
// (and by default its receipt verified) before it is yielded, resuming on another node
// after the last index delivered. Browser-safe.
import { checkRecord, decisionOf } from './records.ts'
import { InvalidProofError, NoQuorumReachableError } from './errors.ts'
import type { NodeApi } from './node-api.ts'
import { Attempt } from './node-pool.ts'
import type { SubscribeOptions } from './options.ts'
import { logSizeOf, type ReadDependencies } from './read.ts'
import type { Decision } from './types.ts'
import { anySignal, backoffMs, sleep } from './util.ts'

/** See SynodClient.subscribe. */
export async function* subscribeDecisions(deps: ReadDependencies, options: SubscribeOptions): AsyncGenerator<Decision> {
  const { pool } = deps
  const attempt = new Attempt()
  const stop = new AbortController()
  const signal = anySignal([options.signal, stop.signal])
  const position = { next: options.from ?? await logSizeOf(pool, attempt, options.signal) }
  let turn = 0
  let failuresInARow = 0
  try {
    for (;;) {
      signal.throwIfAborted()
      const candidates = pool.ordered(attempt.faulty)
      if (candidates.length === 0) throw new NoQuorumReachableError('subscribe', attempt.list())
      const node = candidates[turn % candidates.length]!
      turn += 1
      let delivered = false
      try {
        for await (const decision of streamFrom(deps, node, options, position, signal)) {
          delivered = true
          failuresInARow = 0
          yield decision
        }
        // The node ended the stream (shutting down): resume elsewhere.
      } catch (err) {
        pool.noteError(attempt, err, signal)
        if (signal.aborted) throw signal.reason
      }
      if (!delivered) failuresInARow += 1
      const wait = failuresInARow === 0 ? pool.settings.reconnectMs : backoffMs(failuresInARow, pool.settings.reconnectMs, pool.settings.backoffMaxMs * 5, pool.random)
      await sleep(wait, signal)
      // A node excluded for faults stays excluded for this subscription; after a full
      // circle of failures every non-faulty node is tried again.
    }
  } finally {
    stop.abort()
  }
}

/** One node's stream from `position.next`, each record checked (and with 'receipt', its
 * receipt verified) before it is yielded; `position` moves past each one delivered. */
async function* streamFrom(deps: ReadDependencies, node: NodeApi, options: SubscribeOptions, position: { next: number }, signal: AbortSignal): AsyncGenerator<Decision> {
  const verify = options.verify ?? 'receipt'
  for await (const raw of node.subscribe(position.next, options.namespace, signal)) {
    if (raw.index < position.next) continue // a replay of what was delivered
    if (options.namespace === undefined && raw.index !== position.next) {
      throw new InvalidProofError(node.url, 'gap', `the stream jumped from log index ${position.next} to ${raw.index}`)
    }
    checkRecord(deps.pool.genesis, node.url, raw, options.namespace, undefined)
    const receipt = verify === 'receipt' ? await deps.receipts.forRecord(node.url, raw, signal) : null
    position.next = raw.index + 1
    yield decisionOf(deps.schemas, raw.entry, raw.index, raw.height, receipt)
  }
}
