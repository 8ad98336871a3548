// The client's options (what a caller passes to SynodClient and its operations) and the
// resolved timing settings every part of the client reads. Browser-safe.
import type { AgentIdentity } from './identity.ts'
import type { InvalidProofError, MalformedResponseError } from './errors.ts'
import type { Genesis } from '../src/log/genesis.ts'
import { SDK_DEFAULTS } from './limits.ts'
import type { FetchLike } from './node-api.ts'
import type { SequenceSource } from './sequence.ts'
import type { NamespaceSchemas, VerifyLevel } from './types.ts'

/** A node proved faulty: it served data that does not verify, or malformed answers. */
export type NodeFault = InvalidProofError | MalformedResponseError

export interface SynodClientOptions<S extends NamespaceSchemas = NamespaceSchemas> {
  /** Base URLs of the nodes' HTTP APIs. Give at least f+1 so a censoring minority cannot
   * hold back a commit. */
  readonly nodes: readonly string[]
  /** The chain's genesis: the only thing the client trusts. */
  readonly genesis: Genesis
  /** The agent that signs commits (reads need none). */
  readonly identity?: AgentIdentity
  /** Payload schemas per namespace (zod). */
  readonly schemas?: S
  /** fetch implementation; default the global fetch. */
  readonly fetch?: FetchLike
  /** Where seqs come from; default ClockSequence (see sequence.ts). */
  readonly sequence?: SequenceSource
  /** Called for each node fault (invalid proof, forged receipt, malformed answer). */
  readonly onNodeFault?: (fault: NodeFault) => void
  /** Randomness for jitter and node order, in [0, 1); default Math.random. Tests pass a seeded one. */
  readonly random?: () => number
  /** How many nodes commit() submits to; default f+1 of the genesis (capped to the node list). */
  readonly submitTo?: number
  readonly commitTimeoutMs?: number
  readonly requestTimeoutMs?: number
  readonly backoffBaseMs?: number
  readonly backoffMaxMs?: number
  readonly receiptPollMs?: number
  readonly receiptPollMaxMs?: number
  /** Long-poll wait per receipt request (see SDK_DEFAULTS.receiptWaitMs); 0: poll instead. */
  readonly receiptWaitMs?: number
  readonly receiptRequestTimeoutMs?: number
  /** commit() waits for its receipt on one node first, on every node after this long
   * (see SDK_DEFAULTS.receiptWidenMs); 0 waits on every node at once. */
  readonly receiptWidenMs?: number
  readonly resubmitMs?: number
  readonly faultCooldownMs?: number
  readonly reconnectMs?: number
  /** Coalescing of concurrent commits into batch requests (docs/sdk.md "Batching");
   * default on with SDK_DEFAULTS' bounds. false: one entry per request, one entry in
   * flight at a time (the behaviour before batches). */
  readonly batch?: false | {
    readonly entriesMax?: number
    readonly bytesMax?: number
    readonly lingerMs?: number
    readonly receiptIdsMax?: number
  }
}

export interface CommitOptions {
  /** Ids (hex or bytes) of earlier entries this decision refers to (at most 16). Signed
   * with the entry, but opaque to the log: nothing checks that they name an entry (verify
   * the referenced entry's receipt to rely on it; docs/formats.md section 4). */
  readonly refs?: readonly (string | Uint8Array)[]
  /** A client key (at most 128 bytes) recorded in the entry, to recognise the decision
   * later (e.g. a task id). The log does not deduplicate by it: retries of one commit()
   * reuse the same signed entry, which is what makes them idempotent. */
  readonly idempotencyKey?: string
  /** Deadline for the whole commit; default commitTimeoutMs. */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  /** When f+1 nodes say the signed entry can never commit (a later seq of this agent
   * committed first, e.g. another concurrent commit of this client), sign the same
   * decision again with a fresh seq and go on (default true: safe, the old entry can
   * never commit, so the decision is not committed twice). false: throw
   * SeqSupersededError at once instead. */
  readonly resignSuperseded?: boolean
}

export interface ReadOptions {
  readonly signal?: AbortSignal
}

export interface QueryOptions<N extends string = string> {
  readonly namespace?: N
  /** Agent public key, hex. */
  readonly agent?: string
  readonly fromHeight?: number
  readonly toHeight?: number
  /** Most items yielded in total (default: all). */
  readonly limit?: number
  /** Default 'signature'. */
  readonly verify?: VerifyLevel
  readonly signal?: AbortSignal
}

export interface SubscribeOptions<N extends string = string> {
  readonly namespace?: N
  /** First log index to deliver; default the current end of the log (new decisions only). */
  readonly from?: number
  /** Default 'receipt'. */
  readonly verify?: VerifyLevel
  readonly signal?: AbortSignal
}

/** The client's timing, resolved from its options and SDK_DEFAULTS. */
export interface Settings {
  readonly commitTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly backoffBaseMs: number
  readonly backoffMaxMs: number
  readonly receiptPollMs: number
  readonly receiptPollMaxMs: number
  readonly receiptWaitMs: number
  readonly receiptRequestTimeoutMs: number
  readonly receiptWidenMs: number
  readonly resubmitMs: number
  readonly faultCooldownMs: number
  readonly reconnectMs: number
}

export function settingsOf(options: SynodClientOptions<NamespaceSchemas>): Settings {
  return {
    commitTimeoutMs: options.commitTimeoutMs ?? SDK_DEFAULTS.commitTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? SDK_DEFAULTS.requestTimeoutMs,
    backoffBaseMs: options.backoffBaseMs ?? SDK_DEFAULTS.backoffBaseMs,
    backoffMaxMs: options.backoffMaxMs ?? SDK_DEFAULTS.backoffMaxMs,
    receiptPollMs: options.receiptPollMs ?? SDK_DEFAULTS.receiptPollMs,
    receiptPollMaxMs: options.receiptPollMaxMs ?? SDK_DEFAULTS.receiptPollMaxMs,
    receiptWaitMs: Math.max(0, Math.min(options.receiptWaitMs ?? SDK_DEFAULTS.receiptWaitMs, 10_000)),
    receiptRequestTimeoutMs: options.receiptRequestTimeoutMs ?? SDK_DEFAULTS.receiptRequestTimeoutMs,
    receiptWidenMs: Math.max(0, options.receiptWidenMs ?? SDK_DEFAULTS.receiptWidenMs),
    resubmitMs: options.resubmitMs ?? SDK_DEFAULTS.resubmitMs,
    faultCooldownMs: options.faultCooldownMs ?? SDK_DEFAULTS.faultCooldownMs,
    reconnectMs: options.reconnectMs ?? SDK_DEFAULTS.reconnectMs,
  }
}
