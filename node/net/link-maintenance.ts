// The maintenance tick: penalty points expire, stalled send queues restart, and every
// validator that is not connected is dialled again, with exponential backoff.
import type { Libp2p } from 'libp2p'
import { NODE_LIMITS } from '../limits.ts'
import type { PeerLink } from './peer-link.ts'

export interface LinkMaintenanceDependencies {
  readonly node: Libp2p
  readonly links: readonly (PeerLink | null)[]
  /** Indexes of the validators with an open connection. */
  readonly connectedPeers: () => readonly number[]
  readonly now: () => number
  readonly pump: (link: PeerLink) => void
}

export function maintainLinks(d: LinkMaintenanceDependencies): void {
  const now = d.now()
  const connected = new Set(d.connectedPeers())
  for (const link of d.links) {
    if (link === null) continue
    if (link.penalty > 0 && now - link.lastPenaltyMs > NODE_LIMITS.peerPenaltyWindowMs) link.penalty = 0
    if (connected.has(link.index)) {
      if (link.queue.length > 0 && !link.pumping) d.pump(link)
      continue
    }
    if (link.dialing || now < link.nextDialMs || link.cooloffUntilMs > now) continue
    redial(d, link)
  }
}

function redial(d: LinkMaintenanceDependencies, link: PeerLink): void {
  link.dialing = true
  d.node.dial(link.peerId, { signal: AbortSignal.timeout(NODE_LIMITS.dialTimeoutMs) }).then(
    () => {
      link.redialDelayMs = NODE_LIMITS.redialDelayMsMin
      if (link.queue.length > 0 && !link.pumping) d.pump(link)
    },
    () => {
      // Exponential backoff with jitter, so restarted validators do not redial in step.
      const jitter = 0.5 + Math.random() / 2
      link.nextDialMs = d.now() + link.redialDelayMs * jitter
      link.redialDelayMs = Math.min(link.redialDelayMs * 2, NODE_LIMITS.redialDelayMsMax)
    },
  ).finally(() => { link.dialing = false })
}
