// Serving peers' sync requests off the loop: each answer is read from the store while
// the loop goes on, a few at a time (beyond that a request is dropped; the peer asks
// again).
import type { Logger } from 'pino'
import { syncResponseBytesMax } from '../../src/consensus/replica-limits.ts'
import type { Message } from '../../src/consensus/types.ts'
import type { Store } from '../store/store.ts'
import { answerSyncRequest } from './sync-server.ts'

/** Serve-sync answers computed at once, beyond which requests wait their turn. */
const SYNC_SERVES_MAX = 4

export type SyncRequest = Parameters<typeof answerSyncRequest>[0]

export interface SyncServesDependencies {
  readonly store: Store
  readonly logger: Logger
  readonly blockBytesMax: number
  readonly send: (to: number, message: Message) => void
  readonly stopping: () => boolean
}

export class SyncServes {
  readonly #d: SyncServesDependencies
  #serving = 0

  constructor(dependencies: SyncServesDependencies) {
    this.#d = dependencies
  }

  serve(to: number, request: SyncRequest): void {
    if (this.#serving >= SYNC_SERVES_MAX) {
      this.#d.logger.debug({ to, type: request.type }, 'sync request dropped: too many in progress')
      return
    }
    this.#serving++
    answerSyncRequest(request, this.#d.store, syncResponseBytesMax(this.#d.blockBytesMax)).then(
      (response) => { if (response !== null && !this.#d.stopping()) this.#d.send(to, response) },
      (err: unknown) => this.#d.logger.warn({ err, to }, 'sync request failed'),
    ).finally(() => { this.#serving-- })
  }
}
