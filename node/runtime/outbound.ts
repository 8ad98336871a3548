// Messages leaving the node: encoded here, handed to the transport. A message that
// cannot be encoded or sent is logged and dropped; the protocol recovers what is lost
// (timeouts, sync), so a send never fails the step that asked for it.
import type { Logger } from 'pino'
import { encodeMessage } from '../../src/consensus/messages.ts'
import type { Message } from '../../src/consensus/types.ts'
import type { Transport } from '../net/transport.ts'

export class Outbound {
  /** This node's directory index (-1 before a joining validator has one). */
  readonly #selfIndex: () => number
  /** The validator directory's size: a broadcast reaches every validator of every epoch
   * the directory names (the replica's rule: those outside the epoch follow the chain). */
  readonly #validators: () => number
  readonly #logger: Logger
  /** The transport once started (null before). */
  readonly #transport: () => Transport<Message> | null

  constructor(selfIndex: () => number, validators: () => number, logger: Logger, transport: () => Transport<Message> | null) {
    this.#selfIndex = selfIndex
    this.#validators = validators
    this.#logger = logger
    this.#transport = transport
  }

  send(to: number, message: Message): void {
    if (to === this.#selfIndex()) return
    try {
      this.#transport()?.send(to, encodeMessage(message))
    } catch (err) {
      this.#logger.warn({ err, to, type: message.type }, 'message not sent')
    }
  }

  /** To every other validator, each its own copy on its direct stream (encoded once).
   * A leader's proposal is the one full broadcast of a block's entries. */
  broadcast(message: Message): void {
    const transport = this.#transport()
    if (transport === null) return
    let bytes: Uint8Array
    try {
      bytes = encodeMessage(message)
    } catch (err) {
      this.#logger.warn({ err, type: message.type }, 'message not encoded')
      return
    }
    const self = this.#selfIndex()
    const validators = this.#validators()
    for (let i = 0; i < validators; i++) {
      if (i === self) continue
      try {
        transport.send(i, bytes)
      } catch (err) {
        this.#logger.warn({ err, to: i, type: message.type }, 'message not sent')
      }
    }
  }
}
