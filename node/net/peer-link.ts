// One other validator as this transport sees it: its bounded send queue and outbound
// stream, its dialing state, and its penalty points.
import type { PeerId, Stream } from '@libp2p/interface'
import { NODE_LIMITS } from '../limits.ts'
import { BoundedQueue } from '../util/bounded-queue.ts'

export interface PeerLink {
  readonly index: number
  readonly peerId: PeerId
  readonly queue: BoundedQueue<Uint8Array>
  stream: Stream | null
  pumping: boolean
  dialing: boolean
  redialDelayMs: number
  nextDialMs: number
  penalty: number
  lastPenaltyMs: number
  cooloffUntilMs: number
}

export function newPeerLink(index: number, peerId: PeerId): PeerLink {
  return {
    index,
    peerId,
    queue: new BoundedQueue<Uint8Array>(
      { itemsMax: NODE_LIMITS.sendQueueMessagesMax, sizeMax: NODE_LIMITS.sendQueueBytesMax, overflow: 'drop-oldest' },
      (b) => b.length,
    ),
    stream: null,
    pumping: false,
    dialing: false,
    redialDelayMs: NODE_LIMITS.redialDelayMsMin,
    nextDialMs: 0,
    penalty: 0,
    lastPenaltyMs: 0,
    cooloffUntilMs: 0,
  }
}
