// What the validator node reports for metrics and logs, and the listeners it reports
// to. The protocol never sees these.
import type { Logger } from 'pino'
import type { Rejection } from '../../src/consensus/rejections.ts'
import type { Hash } from '../../src/log/entry.ts'
import type { PenaltyCause } from '../net/transport.ts'

/** What the node reports for metrics and logs (the protocol never sees these). */
export type NodeEvent =
  | { readonly type: 'commit', readonly height: number, readonly hash: Hash, readonly entries: number, readonly logSize: number, readonly blockLatencyMs: number | null, readonly entryLatenciesMs: readonly number[], readonly entryIds: readonly string[], readonly supersededIds: readonly string[] }
  /** A commit certificate is stored: receipts exist for every entry at or below `height`. */
  | { readonly type: 'certified', readonly height: number }
  | { readonly type: 'round', readonly round: number, readonly byTimeout: boolean }
  | { readonly type: 'round-timeout', readonly round: number }
  | { readonly type: 'peers', readonly count: number }
  /** A message refused by the core (`rejection`) or by the transport's checks (null);
   * `cause` is what metrics count it as, `reason` the text for logs. */
  | { readonly type: 'rejected', readonly from: number, readonly messageType: string, readonly cause: PenaltyCause, readonly reason: string, readonly rejection: Rejection | null }
  | { readonly type: 'mempool', readonly entries: number }
  | { readonly type: 'fatal', readonly error: Error }

export type EmitNodeEvent = (event: NodeEvent) => void

/** The node's event listeners; one that throws is logged and the others still hear. */
export class NodeEventListeners {
  readonly #listeners = new Set<(event: NodeEvent) => void>()
  readonly #logger: Logger

  constructor(logger: Logger) {
    this.#logger = logger
  }

  add(listener: (event: NodeEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  emit(event: NodeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event)
      } catch (err) {
        this.#logger.error({ err }, 'node event listener failed')
      }
    }
  }
}
