// Reads: one decision by id, waiting for a receipt, queries across pages and nodes, and
// the log size. Each answer is verified here before it is returned. Browser-safe.
import { checkRecord, decisionOf } from './records.ts'
import { CommitTimeoutError, EntryNotFoundError, InvalidEntryError, InvalidProofError, MalformedResponseError, NoQuorumReachableError } from './errors.ts'
import { SDK_LIMITS } from './limits.ts'
import type { NodeApi, RawRecord } from './node-api.ts'
import { Attempt, type NodePool } from './node-pool.ts'
import type { QueryOptions, ReadOptions } from './options.ts'
import { ReceiptWaits } from './receipt-waits.ts'
import { supersededError, type Receipts, type SupersededAnswer } from './receipts.ts'
import type { CommittedDecision, Decision, NamespaceSchemas } from './types.ts'
import { anySignal, isAbortOf, sleep } from './util.ts'

export interface ReadDependencies {
  readonly pool: NodePool
  readonly receipts: Receipts
  readonly schemas: NamespaceSchemas | undefined
}

/** See SynodClient.get. */
export async function getDecision(deps: ReadDependencies, id: string, options: ReadOptions): Promise<CommittedDecision> {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new InvalidEntryError(`'${id}' is not an entry id (64 lower-case hex characters)`)
  const { pool } = deps
  const attempt = new Attempt()
  const signal = anySignal([options.signal], pool.settings.requestTimeoutMs * 2)
  let found
  try {
    found = await deps.receipts.round(id, null, attempt, signal, options.signal)
  } catch (err) {
    if (isAbortOf(err, options.signal)) throw err
    throw new NoQuorumReachableError(`get ${id}`, attempt.list())
  }
  if (found.receipt !== null) return decisionOf(deps.schemas, found.receipt.entry, found.receipt.index, null, found.receipt) as CommittedDecision
  if (found.superseded.length >= pool.agreeing) throw supersededError(id, found.superseded)
  if (found.pending > 0) throw new EntryNotFoundError(id, true, attempt.list())
  if (found.unknown > 0) throw new EntryNotFoundError(id, false, attempt.list())
  throw new NoQuorumReachableError(`get ${id}`, attempt.list())
}

/** See SynodClient.awaitReceipt. */
export async function awaitDecision(deps: ReadDependencies, id: string, options: ReadOptions & { timeoutMs?: number }): Promise<CommittedDecision> {
  const { pool } = deps
  const timeoutMs = options.timeoutMs ?? pool.settings.commitTimeoutMs
  const deadline = anySignal([options.signal], timeoutMs)
  const attempt = new Attempt()
  const done = new AbortController()
  const background = anySignal([deadline, done.signal])
  const verdicts = new Map<string, SupersededAnswer>()
  const waits: ReceiptWaits = new ReceiptWaits(attempt, background, options.signal, (node) => deps.receipts.poll(node, id, null, attempt, background, options.signal, (answer) => {
    verdicts.set(node.url, answer)
    waits.finish(node.url)
  }))
  try {
    // One long poll per node (polling for nodes that do not support waiting).
    for (const node of pool.ordered(attempt.faulty)) waits.start(node)
    for (;;) {
      const receipt = await waits.next(pool.settings.resubmitMs)
      if (receipt === null && verdicts.size >= pool.agreeing) throw supersededError(id, [...verdicts.values()])
      if (receipt !== null) return decisionOf(deps.schemas, receipt.entry, receipt.index, null, receipt) as CommittedDecision
      if (attempt.faulty.size >= pool.nodes.length) throw new NoQuorumReachableError(`receipt of ${id}`, attempt.list())
      deadline.throwIfAborted()
      for (const node of pool.ordered(attempt.faulty)) waits.start(node)
    }
  } catch (err) {
    if (isAbortOf(err, options.signal)) throw err
    if (deadline.aborted) throw new CommitTimeoutError(id, timeoutMs, [], attempt.list())
    throw err
  } finally {
    done.abort()
  }
}

/** Where a query stands: what it delivered, and from where it resumes on another node. */
interface QueryProgress {
  yielded: number
  lastIndex: number
  lastHeight: number | undefined
}

/** See SynodClient.query. */
export async function* queryDecisions(deps: ReadDependencies, options: QueryOptions): AsyncGenerator<Decision> {
  const { pool } = deps
  const limit = options.limit ?? Infinity
  const attempt = new Attempt()
  const progress: QueryProgress = { yielded: 0, lastIndex: -1, lastHeight: options.fromHeight }
  let failures = 0
  while (progress.yielded < limit) {
    const candidates = pool.ordered(attempt.faulty)
    if (candidates.length === 0) throw new NoQuorumReachableError('query', attempt.list())
    const node = candidates[failures % candidates.length]!
    try {
      yield* queryNode(deps, node, options, progress, limit)
      return
    } catch (err) {
      pool.noteError(attempt, err, options.signal)
      failures += 1
      if (failures > pool.nodes.length * 3) throw new NoQuorumReachableError('query', attempt.list())
      await sleep(pool.backoffMs(failures), options.signal)
    }
  }
}

/** The query's pages from one node, from where `progress` stands, until the last page
 * or the limit; throws on the node's first failure (the caller resumes elsewhere). */
async function* queryNode(deps: ReadDependencies, node: NodeApi, options: QueryOptions, progress: QueryProgress, limit: number): AsyncGenerator<Decision> {
  const verify = options.verify ?? 'signature'
  let cursor: string | undefined
  for (;;) {
    const page = await node.query({
      namespace: options.namespace,
      agent: options.agent,
      fromHeight: progress.lastHeight,
      toHeight: options.toHeight,
      cursor,
      limit: SDK_LIMITS.queryPageLimit,
    }, anySignal([options.signal], deps.pool.settings.requestTimeoutMs))
    for (const raw of page.items) {
      if (raw.index <= progress.lastIndex) continue // already delivered (resumed on another node)
      checkQueried(deps, node.url, raw, options)
      const receipt = verify === 'receipt' ? await deps.receipts.forRecord(node.url, raw, options.signal) : null
      progress.lastIndex = raw.index
      progress.lastHeight = raw.height
      progress.yielded += 1
      yield decisionOf(deps.schemas, raw.entry, raw.index, raw.height, receipt)
      if (progress.yielded >= limit) return
    }
    if (page.nextCursor === null) return
    cursor = page.nextCursor
  }
}

/** A queried record's form, and that it honours the query's filters. */
function checkQueried(deps: ReadDependencies, node: string, raw: RawRecord, options: QueryOptions): void {
  checkRecord(deps.pool.genesis, node, raw, options.namespace, options.agent)
  if (options.fromHeight !== undefined && raw.height < options.fromHeight) throw new InvalidProofError(node, 'filter-ignored', `record ${raw.index} is at height ${raw.height}, below fromHeight ${options.fromHeight}`)
  if (options.toHeight !== undefined && raw.height > options.toHeight) throw new InvalidProofError(node, 'filter-ignored', `record ${raw.index} is at height ${raw.height}, above toHeight ${options.toHeight}`)
}

/** The log size to start a subscription at: the smallest any of f+1 nodes reports
 * (a node lying high would make the client skip entries; lying low only costs time). */
export async function logSizeOf(pool: NodePool, attempt: Attempt, signal: AbortSignal | undefined): Promise<number> {
  const sizes: number[] = []
  for (const node of pool.ordered(attempt.faulty)) {
    try {
      const health = await node.health(anySignal([signal], pool.settings.requestTimeoutMs))
      if (health.chainId !== pool.genesis.chainId) {
        pool.fault(attempt, new MalformedResponseError(node.url, `serves chain '${health.chainId}', not '${pool.genesis.chainId}'`))
        continue
      }
      sizes.push(health.logSize)
      if (sizes.length >= pool.agreeing) break
    } catch (err) {
      pool.noteError(attempt, err, signal)
    }
  }
  if (sizes.length === 0) throw new NoQuorumReachableError('subscribe: log size', attempt.list())
  return Math.min(...sizes)
}
