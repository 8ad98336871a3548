// The receive path: frames read from a validator's inbound streams of the consensus
// protocol, inspected (decoded and checked by the node), and queued per sender in the
// fair inbox. A refused message or a broken frame costs the sender a penalty point.
import type { Connection, Stream } from '@libp2p/interface'
import * as lp from 'it-length-prefixed'
import { LIMITS } from '../../src/limits.ts'
import type { FairInbox } from '../util/fair-inbox.ts'
import { TransportError } from './errors.ts'
import type { Inspect, PenaltyCause, Received, TransportStats } from './transport.ts'
import type { ValidatorDirectory } from './validator-directory.ts'

/** Frame overhead allowance: the varint length prefix and muxer framing. */
const FRAME_SLACK_BYTES = 64 * 1024

export interface FrameReceiverDependencies<M> {
  readonly selfIndex: number
  readonly directory: ValidatorDirectory
  readonly inspect: Inspect<M>
  readonly inbox: FairInbox<Received<M>>
  readonly stats: TransportStats
  readonly penalise: (peer: number, cause: PenaltyCause, reason: string) => void
  readonly stopped: () => boolean
}

export class FrameReceiver<M> {
  readonly #d: FrameReceiverDependencies<M>

  constructor(dependencies: FrameReceiverDependencies<M>) {
    this.#d = dependencies
  }

  async onStream(stream: Stream, connection: Connection): Promise<void> {
    const from = this.#d.directory.indexOf(connection.remotePeer)
    if (from === undefined || from === this.#d.selfIndex) {
      stream.abort(new TransportError('not-a-validator', `peer ${connection.remotePeer.toString()} is not a validator`))
      return
    }
    stream.maxReadBufferLength = LIMITS.messageBytesMax + FRAME_SLACK_BYTES
    try {
      for await (const frame of lp.decode(stream, { maxDataLength: LIMITS.messageBytesMax })) {
        if (this.#d.stopped()) break
        // frame.slice() copies: the message must not alias buffers the muxer may reuse.
        // A rejected message costs the sender a penalty point; the framing is intact, so
        // the stream goes on (a reset would lose the honest frames queued behind it).
        this.#accept(frame.slice(), from)
      }
    } catch (err) {
      if (this.#d.stopped()) return
      // A frame over the length limit is oversized; any other framing error is malformed.
      const cause = (err as Error).name === 'InvalidDataLengthError' || (err as Error).name === 'InvalidDataLengthLengthError' ? 'oversized' : 'malformed'
      this.#d.penalise(from, cause, `bad consensus frame: ${(err as Error).message}`)
      if (stream.status === 'open') stream.abort(err as Error)
    }
  }

  /** Inspects and queues one message. */
  #accept(bytes: Uint8Array, from: number): void {
    const stats = this.#d.stats
    stats.receivedFrames++
    stats.receivedBytes += bytes.length
    const inspection = this.#d.inspect(bytes, from)
    switch (inspection.verdict) {
      case 'accept':
        if (!this.#d.inbox.push(from, { from, message: inspection.message, bytes: bytes.length })) stats.receiveDropped++
        return
      case 'ignore':
        stats.ignored++
        return
      case 'reject':
        this.#d.penalise(from, inspection.cause, inspection.reason)
    }
  }
}
