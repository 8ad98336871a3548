// The send path: each peer's queued frames are written, in order, to one outbound
// stream of the consensus protocol, dialled when there is none. A failed write drops
// the stream and retries a few times with a short delay; the maintenance tick restarts
// a queue that is still stalled after that.
import type { Libp2p } from 'libp2p'
import type { Stream } from '@libp2p/interface'
import * as lp from 'it-length-prefixed'
import { LIMITS } from '../../src/limits.ts'
import { NODE_LIMITS } from '../limits.ts'
import { TransportError } from './errors.ts'
import type { PeerLink } from './peer-link.ts'
import { CONSENSUS_PROTOCOL, type TransportEvent, type TransportStats } from './transport.ts'

/** Send attempts in one pump run before it waits for the next maintenance tick. */
const PUMP_ATTEMPTS_MAX = 3

export interface LinkSenderDependencies {
  readonly stats: TransportStats
  readonly onEvent: (event: TransportEvent) => void
  /** The libp2p node once started (null before). */
  readonly node: () => Libp2p | null
  readonly stopped: () => boolean
}

export class LinkSender {
  readonly #d: LinkSenderDependencies

  constructor(dependencies: LinkSenderDependencies) {
    this.#d = dependencies
  }

  /** Writes the link's queue until it is empty, the transport stops, or the attempts
   * run out. The caller checks `link.pumping` first: one pump per link. */
  async pump(link: PeerLink): Promise<void> {
    link.pumping = true
    try {
      let attempts = 0
      while (!this.#d.stopped() && link.queue.length > 0 && attempts < PUMP_ATTEMPTS_MAX) {
        try {
          const stream = await this.#streamTo(link)
          const frame = link.queue.peek()
          if (frame === undefined) break
          const writable = stream.send(lp.encode.single(frame, { maxDataLength: LIMITS.messageBytesMax }))
          link.queue.shift()
          this.#d.stats.sentFrames++
          this.#d.stats.sentBytes += frame.length
          if (!writable) await stream.onDrain({ signal: AbortSignal.timeout(NODE_LIMITS.dialTimeoutMs) })
        } catch (err) {
          attempts++
          const stream = link.stream
          link.stream = null
          if (stream !== null && stream.status === 'open') stream.abort(err as Error)
          this.#d.onEvent({ type: 'send-failed', peer: link.index, reason: (err as Error).message })
          if (attempts < PUMP_ATTEMPTS_MAX) await sleep(NODE_LIMITS.redialDelayMsMin * attempts)
        }
      }
    } finally {
      link.pumping = false
    }
  }

  async #streamTo(link: PeerLink): Promise<Stream> {
    const current = link.stream
    if (current !== null && current.status === 'open' && current.writeStatus === 'writable') return current
    link.stream = null
    const node = this.#d.node()
    if (node === null) throw new TransportError('not-started', 'the transport is not started')
    const stream = await node.dialProtocol(link.peerId, CONSENSUS_PROTOCOL, { signal: AbortSignal.timeout(NODE_LIMITS.dialTimeoutMs) })
    // We never read on our outbound stream; the peer never writes on it.
    link.stream = stream
    stream.addEventListener('close', () => {
      if (link.stream === stream) link.stream = null
    })
    return stream
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
