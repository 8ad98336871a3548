// The answers of a node's HTTP API (docs/api.md) as the SDK decodes them: well-formed in
// form, unverified in content until the client checks it.
import { type Entry } from '../src/log/entry.ts'
import { type Receipt } from '../src/log/receipt.ts'
import { type NodeError, type NodeResponseError } from './errors.ts'

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** A committed entry as a node reports it (unverified until the client checks it). */
export interface RawRecord {
  readonly id: string
  readonly entry: Entry
  readonly height: number
  readonly index: number
}

export type ReceiptAnswer =
  | { readonly status: 'certified', readonly receipt: Receipt }
  /** Known to the node but not yet covered by a commit certificate. */
  | { readonly status: 'pending', readonly early?: boolean }
  /** `early`: a batch long poll ended before its wait because another of its ids
   * settled; this one may settle soon (ask again at once). */
  | { readonly status: 'unknown', readonly early?: boolean }
  /** The node says the entry can never commit: `lastSeq`, its agent's committed seq,
   * passed the entry's seq (HTTP 410 seq-superseded). One node's word: the client needs
   * f+1 of them. `error` is that answer, for the error the client may throw. */
  | { readonly status: 'superseded', readonly seq: number, readonly lastSeq: number, readonly error: NodeResponseError }

export interface SubmitAnswer {
  readonly id: string
  readonly status: 'accepted' | 'duplicate'
}

/** One entry's answer in a batch submit: what the single submit would answer or throw. */
export type BatchSubmitAnswer = { readonly ok: true, readonly answer: SubmitAnswer } | { readonly ok: false, readonly error: NodeError }

/** One id's answer in a batch receipt request, or the error the single request would throw. */
export type BatchReceiptAnswer = ReceiptAnswer | NodeError

export interface QueryParams {
  readonly namespace?: string
  readonly agent?: string
  readonly fromHeight?: number
  readonly toHeight?: number
  readonly cursor?: string
  readonly limit?: number
}

export interface NodeHealthAnswer {
  readonly status: string
  readonly chainId: string
  readonly height: number
  readonly logSize: number
}

