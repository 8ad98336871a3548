// commit(): sign a decision, get it into at least one node in this client's seq order
// (phase 1, here), then spread it and wait for a verified receipt (phase 2,
// commit-wait.ts); sign it again with a fresh seq when f+1 nodes say a later seq of the
// agent committed first. Browser-safe.
import { CodecError } from '../src/codec/errors.ts'
import { fromHex, toHex } from '../src/crypto/hash.ts'
import { entryFromCbor, entryId, entryToCbor, type Entry } from '../src/log/entry.ts'
import { policyAllows } from '../src/log/genesis.ts'
import type { SubmitPipeline } from './batching.ts'
import { CommitWait } from './commit-wait.ts'
import { decisionOf, payloadTextOf } from './records.ts'
import {
  ConfigurationError,
  EntryRejectedError,
  InvalidEntryError,
  InvalidProofError,
  NodeResponseError,
  NoQuorumReachableError,
  PolicyRejectedError,
  SeqSupersededError,
} from './errors.ts'
import type { AgentIdentity } from './identity.ts'
import { SDK_LIMITS } from './limits.ts'
import { Attempt, type NodePool } from './node-pool.ts'
import type { CommitOptions } from './options.ts'
import type { Receipts } from './receipts.ts'
import type { SequenceSource } from './sequence.ts'
import type { CommittedDecision, NamespaceSchemas } from './types.ts'
import { anySignal, isAbortOf, sleep } from './util.ts'

export interface CommitterDependencies {
  readonly pool: NodePool
  readonly receipts: Receipts
  /** Every submission of this client, in one queue: each node receives this client's
   * entries in seq order (a node refuses a seq below one it already has), concurrent
   * commits coalesced into batch requests (batching.ts). */
  readonly pipeline: SubmitPipeline
  readonly sequence: SequenceSource
  /** How many nodes commit() submits to. */
  readonly submitTo: number
  readonly schemas: NamespaceSchemas | undefined
}

export class Committer {
  readonly #deps: CommitterDependencies

  constructor(deps: CommitterDependencies) {
    this.#deps = deps
  }

  /** See SynodClient.commit. */
  async commit(identity: AgentIdentity | null, namespace: string, payload: unknown, options: CommitOptions): Promise<CommittedDecision> {
    if (identity === null) throw new ConfigurationError('commit() needs an identity (SynodClientOptions.identity)')
    return this.commitText(identity, namespace, payloadTextOf(this.#deps.schemas, namespace, payload), options)
  }

  /** Commits a payload text as it is, past the namespace's schema: for the reserved
   * shapes the SDK writes itself (a sealed entry's commitments, an erase). */
  async commitText(identity: AgentIdentity | null, namespace: string, payloadText: string, options: CommitOptions): Promise<CommittedDecision> {
    if (identity === null) throw new ConfigurationError('commit() needs an identity (SynodClientOptions.identity)')
    options.signal?.throwIfAborted()
    const { pool } = this.#deps
    const timeoutMs = options.timeoutMs ?? pool.settings.commitTimeoutMs
    // Form checks now, before waiting for this client's earlier commits; signed once per seq.
    const sign = this.#signer(identity, namespace, payloadText, options)
    const deadline = anySignal([options.signal], timeoutMs)
    const attempt = new Attempt()
    for (let resigned = 0; ; resigned++) {
      const accepted = new Set<string>()
      let entry: Entry
      // Phase 1, in seq order with this client's other commits (the seq is drawn and the
      // entry queued in one step, and the pipeline keeps queue order per node): sign, and
      // get the entry into at least one node (resigning only if every answer was 'stale-seq').
      try {
        entry = await this.#firstAcceptance(sign, attempt, accepted, deadline, options.signal)
      } catch (err) {
        if (isAbortOf(err, options.signal)) throw err
        if (deadline.aborted) throw new NoQuorumReachableError(`commit to '${namespace}' within ${timeoutMs} ms`, attempt.list())
        throw err
      }
      // Phase 2: spread to f+1 nodes, poll for a receipt, resubmit now and then.
      const outcome = await new CommitWait(this.#deps, { entry, attempt, accepted, deadline, signal: options.signal }).run(timeoutMs)
      if (outcome.superseded === null) return decisionOf(this.#deps.schemas, outcome.receipt.entry, outcome.receipt.index, null, outcome.receipt) as CommittedDecision
      // A later seq of this agent committed first (each node has its own mempool, and a
      // leader proposes what it has), so this entry can never commit: signing the same
      // decision again with a seq above the committed one cannot commit it twice.
      const { lastSeq, errors } = outcome.superseded
      if (options.resignSuperseded === false || resigned >= SDK_LIMITS.supersededResignMax) {
        throw new SeqSupersededError(toHex(entryId(entry)), entry.seq, lastSeq, errors)
      }
      this.#deps.sequence.observe(lastSeq)
    }
  }

  /** Checks what can be checked before sending (payload, refs, policy, the core's entry
   * reader) and answers a function signing the decision with a given seq. */
  #signer(identity: AgentIdentity, namespace: string, payloadText: string, options: CommitOptions): (seq: number) => Entry {
    const genesis = this.#deps.pool.genesis
    const refs = (options.refs ?? []).map((r, i) => {
      if (r instanceof Uint8Array) return r
      if (typeof r !== 'string' || !/^[0-9a-f]{64}$/.test(r)) throw new InvalidEntryError(`refs[${i}] must be an entry id (64 lower-case hex characters)`)
      return fromHex(r)
    })
    const idempotencyKey = options.idempotencyKey ?? ''
    if (!policyAllows(genesis.policy, namespace, identity.publicKey)) throw new PolicyRejectedError(namespace, identity.publicKeyHex)
    // The core's own reader (namespace form, payload bound, refs count, key length) over
    // the entry as it will be signed: nothing it checks depends on the seq or signature
    // bytes, so a placeholder of each stands in and the decision is signed once per seq.
    try {
      entryFromCbor(entryToCbor({ agent: identity.publicKey, namespace, seq: 1, payload: payloadText, refs, idempotencyKey, sig: new Uint8Array(64) }), genesis.params.payloadBytesMax)
    } catch (err) {
      if (err instanceof CodecError) throw new InvalidEntryError(err.message)
      throw err
    }
    return (seq) => identity.sign({ namespace, seq, payload: payloadText, refs, idempotencyKey }, genesis.chainId)
  }

  async #firstAcceptance(sign: (seq: number) => Entry, attempt: Attempt, accepted: Set<string>, deadline: AbortSignal, signal: AbortSignal | undefined): Promise<Entry> {
    const { pool, sequence } = this.#deps
    let entry = sign(sequence.next())
    let resequenced = 0
    for (let round = 0; ; round++) {
      deadline.throwIfAborted()
      const { permanent, stale } = await this.#submitRound(entry, attempt, accepted, deadline, signal)
      if (accepted.size > 0) return entry
      deadline.throwIfAborted()
      if (stale.length > 0 && permanent.size === 0 && resequenced < SDK_LIMITS.resequenceMax) {
        // No node took this entry, so it is in no mempool: signing the same decision
        // again with a higher seq cannot make it commit twice.
        for (const err of stale) {
          const last = err.details.lastSeq
          if (typeof last === 'number' && Number.isSafeInteger(last)) sequence.observe(last)
        }
        entry = sign(sequence.next())
        resequenced += 1
        continue
      }
      const refusals = [...permanent.values(), ...stale]
      if (refusals.length >= pool.agreeing) {
        const policy = refusals.filter((e) => e.code === 'policy-denied')
        if (policy.length >= pool.agreeing) throw new PolicyRejectedError(entry.namespace, toHex(entry.agent), refusals)
        throw new EntryRejectedError(toHex(entryId(entry)), refusals[0]!.code, refusals)
      }
      // Fewer than f+1 refusals may be lies: those nodes are not asked again for this entry.
      for (const url of permanent.keys()) attempt.faulty.add(url)
      const retryAfter = Math.max(0, ...attempt.list().map((e) => (e instanceof NodeResponseError ? e.retryAfterMs ?? 0 : 0)))
      await sleep(Math.max(Math.min(retryAfter, pool.settings.backoffMaxMs), pool.backoffMs(round)), deadline)
    }
  }

  /** One submission of `entry` to the first submitTo nodes: who accepted it (into
   * `accepted`), who refused it for good, and who said its seq is stale. */
  async #submitRound(entry: Entry, attempt: Attempt, accepted: Set<string>, deadline: AbortSignal, signal: AbortSignal | undefined): Promise<{ permanent: Map<string, NodeResponseError>, stale: NodeResponseError[] }> {
    const { pool, pipeline } = this.#deps
    const permanent = new Map<string, NodeResponseError>()
    const stale: NodeResponseError[] = []
    const targets = pool.submissionOrder(attempt.faulty).slice(0, this.#deps.submitTo)
    if (targets.length === 0) throw new NoQuorumReachableError('commit', attempt.list())
    await Promise.all(targets.map(async (node) => {
      try {
        const answer = await pipeline.submit(node, entry, deadline)
        if (answer.id !== toHex(entryId(entry))) {
          pool.fault(attempt, new InvalidProofError(node.url, 'id-mismatch', `answered id ${answer.id} for an entry whose id is ${toHex(entryId(entry))}`))
          return
        }
        accepted.add(node.url)
      } catch (err) {
        if (isAbortOf(err, deadline) && !signal?.aborted) return
        pool.noteError(attempt, err, signal)
        if (err instanceof NodeResponseError && !err.transient) {
          if (err.code === 'stale-seq') stale.push(err)
          else permanent.set(node.url, err)
        }
      }
    }))
    return { permanent, stale }
  }
}
