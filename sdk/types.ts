// The SDK's public data types. Type-only use of zod: the browser bundle carries no zod
// unless the application brings its schemas.
import type { z } from 'zod'
import type { Entry } from '../src/log/entry.ts'
import type { Receipt } from '../src/log/receipt.ts'

/** Payload schemas per namespace (exact namespace match). The same schema validates
 * commit() input, types reads, and defines the MCP tool input for that namespace. */
export type NamespaceSchemas = { readonly [namespace: string]: z.ZodType }

/** JSON data, what an entry payload holds when no schema types it. */
export type JsonData = string | number | boolean | null | JsonData[] | { [key: string]: JsonData }

/** What commit() takes for namespace N: the schema's input type, else any JSON. */
export type PayloadInput<S extends NamespaceSchemas, N extends string> = N extends keyof S ? z.input<S[N]> : JsonData

/** What reads yield for namespace N: the schema's output type, else unknown JSON. */
export type PayloadOutput<S extends NamespaceSchemas, N extends string> = N extends keyof S ? z.output<S[N]> : unknown

interface DecisionBase {
  /** Entry id: SHA-256 of the signed entry, 64 hex characters (computed by the SDK). */
  readonly id: string
  /** Agent public key, hex. */
  readonly agent: string
  readonly namespace: string
  readonly seq: number
  /** The payload's JSON text exactly as signed. */
  readonly payloadText: string
  /** Referenced entry ids, hex. */
  readonly refs: readonly string[]
  readonly idempotencyKey: string
  /** Position in the log (0-based leaf index). */
  readonly index: number
  /** Height of the block holding it, when the node reported it (receipts do not carry it). */
  readonly height: number | null
  /** The signed entry itself. */
  readonly entry: Entry
  /** A receipt the SDK verified against the genesis, or null when only the signature was
   * checked (query/subscribe with verify: 'signature'). */
  readonly receipt: Receipt | null
}

/**
 * A committed decision, checked by the SDK. The payload is parsed JSON, validated by the
 * namespace's schema when there is one. A committed payload that fails the schema (written
 * by another agent, or under an older schema) is still a committed fact: it is delivered
 * with `payloadError` set and `payload` as the raw parsed JSON. Narrow on
 * `payloadError === null` to get the typed payload.
 */
export type Decision<P = unknown> = DecisionBase & (
  | { readonly payloadError: null, readonly payload: P }
  | { readonly payloadError: string, readonly payload: unknown }
)

/** What commit() and get() resolve with: a decision with a verified receipt. */
export type CommittedDecision<P = unknown> = Decision<P> & { readonly receipt: Receipt }

/** How much a read checks before it yields an item. */
export type VerifyLevel =
  /** Entry signature, genesis rules (payload limit, write policy), id recomputed, and the
   * query's filters honoured. Proves the agent signed it; not that it is committed. */
  | 'signature'
  /** All of 'signature', plus a receipt fetched from any node and verified against the
   * genesis (quorum certificate, inclusion proof) at the same log index: proves the item
   * is committed exactly there. One extra request per item. */
  | 'receipt'
