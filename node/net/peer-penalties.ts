// Penalty points for peers that send what the checks refuse: enough of them within the
// window cuts the peer off for a cool-off (the connection gater refuses it meanwhile).
import type { PeerId } from '@libp2p/interface'
import { NODE_LIMITS } from '../limits.ts'
import type { PeerLink } from './peer-link.ts'
import type { PenaltyCause, TransportEvent, TransportStats } from './transport.ts'

export interface PeerPenaltiesDependencies {
  readonly links: readonly (PeerLink | null)[]
  readonly stats: TransportStats
  readonly onEvent: (event: TransportEvent) => void
  readonly now: () => number
  /** Closes the connections to a peer that is cut off. */
  readonly hangUp: (peerId: PeerId) => void
}

export class PeerPenalties {
  readonly #d: PeerPenaltiesDependencies

  constructor(dependencies: PeerPenaltiesDependencies) {
    this.#d = dependencies
  }

  penalise(peer: number, cause: PenaltyCause, reason: string): void {
    this.#d.stats.rejected++
    this.#d.onEvent({ type: 'penalty', peer, cause, reason })
    const link = this.#d.links[peer]
    if (link === null || link === undefined) return
    const now = this.#d.now()
    if (now - link.lastPenaltyMs > NODE_LIMITS.peerPenaltyWindowMs) link.penalty = 0
    link.penalty++
    link.lastPenaltyMs = now
    if (link.penalty >= NODE_LIMITS.peerPenaltyMax && link.cooloffUntilMs <= now) {
      link.cooloffUntilMs = now + NODE_LIMITS.peerCooloffMs
      link.penalty = 0
      this.#d.onEvent({ type: 'peer-cooloff', peer, untilMs: link.cooloffUntilMs })
      this.#d.hangUp(link.peerId)
    }
  }
}
