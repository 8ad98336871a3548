// The transport contract the validator runtime depends on: send bytes to one validator,
// receive inspected messages from validators. Every message travels on one direct stream
// per peer and direction (no gossip, no relays: docs/protocol.md, "Dissemination"), so a
// received message's sender is the validator whose connection it came on. The libp2p
// implementation is in libp2p-transport.ts; tests may supply others.
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import type { SidecarWire } from './sidecar-wire.ts'

/** The consensus stream protocol: one long-lived stream per peer and direction, frames
 * with an unsigned-varint length prefix, each frame one encoded consensus message. */
export const CONSENSUS_PROTOCOL = '/synod/consensus/1'

/**
 * A transport's verdict on received bytes, from the owner's `inspect` function:
 *  - accept: deliver it;
 *  - ignore: drop it silently (stale, duplicate, harmless);
 *  - reject: provably invalid (malformed, not ours): drop it and penalise the sender.
 */
export type Inspection<M> =
  | { readonly verdict: 'accept', readonly message: M }
  | { readonly verdict: 'ignore', readonly reason: string }
  | { readonly verdict: 'reject', readonly cause: PenaltyCause, readonly reason: string }

/** Why a peer is penalised: a closed set the metrics count by (a label each) whatever the
 * wording of `reason`, which is for logs only. */
export type PenaltyCause =
  | 'malformed' // does not decode or breaks a field bound
  | 'oversized' // over a byte limit
  | 'bad-signature' // a signature or certificate does not verify
  | 'unknown-sender' // names a validator the chain does not have
  | 'invalid' // well-formed and signed but breaks a protocol rule

/** Decodes and checks bytes from validator `from`; must not throw and must be fast. */
export type Inspect<M> = (bytes: Uint8Array, from: number) => Inspection<M>

export interface Received<M> {
  /** Validator directory index of the sender: the peer of the connection it came on. */
  readonly from: number
  readonly message: M
  /** Encoded size, for accounting. */
  readonly bytes: number
}

export type TransportEvent =
  | { readonly type: 'peer-connected', readonly peer: number }
  | { readonly type: 'peer-disconnected', readonly peer: number }
  | { readonly type: 'penalty', readonly peer: number, readonly cause: PenaltyCause, readonly reason: string }
  | { readonly type: 'peer-cooloff', readonly peer: number, readonly untilMs: number }
  | { readonly type: 'send-failed', readonly peer: number, readonly reason: string }

/** Counters since the transport started (frames are messages: one frame each). */
export interface TransportStats {
  sentFrames: number
  sentBytes: number
  sendDropped: number
  receivedFrames: number
  receivedBytes: number
  receiveDropped: number
  rejected: number
  ignored: number
}

export function emptyTransportStats(): TransportStats {
  return { sentFrames: 0, sentBytes: 0, sendDropped: 0, receivedFrames: 0, receivedBytes: 0, receiveDropped: 0, rejected: 0, ignored: 0 }
}

export interface Transport<M> {
  readonly selfIndex: number
  start(): Promise<void>
  stop(): Promise<void>
  /** Queues bytes for validator `to` (older queued frames may be dropped to make room);
   * false if the transport is stopped or refused these bytes. */
  send(to: number, bytes: Uint8Array): boolean
  /** Received, accepted messages, fairly interleaved across peers. One reader. */
  readonly received: AsyncIterable<Received<M>>
  /** Takes one received message without waiting. */
  poll(): Received<M> | undefined
  /** Validator indexes with an open connection. */
  connectedPeers(): number[]
  /** Multiaddrs this node listens on (with /p2p/<peer id>). */
  listenAddresses(): string[]
  /** Counts a provably invalid message against a peer (the owner found it invalid
   * after delivery); enough points cut the peer off for a cool-off. */
  penalise(peer: number, cause: PenaltyCause, reason: string): void
  /** Adds the validators a committed reconfiguration named at the next directory indexes
   * (accepted and dialled); a transport without it (the simulator's) keeps its set. */
  addValidators?(validators: readonly ValidatorInfo[]): Promise<void>
  /** Replaces the dial addresses of a validator (tests start on port 0). */
  setPeerAddresses(index: number, addresses: readonly string[]): Promise<void>
  readonly stats: Readonly<TransportStats>
  /** The sidecar protocol's streams (sidecar-wire.ts), on the same connections; a
   * transport without it (the simulator's) leaves sidecars unreplicated. */
  readonly sidecars?: SidecarWire
}
