// What the node does with the transport's events: logs them, reports peer counts and
// penalties, and asks a peer that (re)connects for its newest certificates.
import type { Logger } from 'pino'
import type { Message } from '../../src/consensus/types.ts'
import type { TransportEvent } from '../net/transport.ts'
import type { EmitNodeEvent } from './node-events.ts'

export interface TransportEventsDependencies {
  readonly logger: Logger
  readonly emit: EmitNodeEvent
  readonly send: (to: number, message: Message) => void
  readonly running: () => boolean
  readonly connectedPeers: () => number
}

export class TransportEvents {
  readonly #d: TransportEventsDependencies
  #lastPeers = -1

  constructor(dependencies: TransportEventsDependencies) {
    this.#d = dependencies
  }

  handle(event: TransportEvent): void {
    const logger = this.#d.logger
    switch (event.type) {
      case 'peer-connected':
      case 'peer-disconnected': {
        logger.info({ peer: event.peer }, event.type)
        // A peer that (re)connects is asked for its newest certificates at once: a node
        // that starts behind, or missed the last commit while a link was down, learns the
        // head now instead of at its next status poll (up to statusIntervalMs away on an
        // idle chain; the polls sent before any peer was connected went nowhere).
        if (event.type === 'peer-connected' && this.#d.running()) this.#d.send(event.peer, { type: 'status-request' })
        const count = this.#d.connectedPeers()
        if (count !== this.#lastPeers) {
          this.#lastPeers = count
          this.#d.emit({ type: 'peers', count })
        }
        return
      }
      case 'penalty':
        logger.warn({ peer: event.peer, reason: event.reason }, 'peer penalised')
        this.#d.emit({ type: 'rejected', from: event.peer, messageType: 'network', cause: event.cause, reason: event.reason, rejection: null })
        return
      case 'peer-cooloff':
        logger.warn({ peer: event.peer, untilMs: event.untilMs }, 'peer cut off for misbehaving')
        return
      case 'send-failed':
        logger.debug({ peer: event.peer, reason: event.reason }, 'send failed')
        return
    }
  }
}
