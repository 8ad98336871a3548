// The sidecar protocol's contract (docs/protocol.md, "Sidecar replication"): frames between
// validators on streams of their own, apart from the consensus stream, so that a 64 KiB
// blob never waits in front of a vote (nor a vote's queue drops a blob). Each stream
// carries one frame, and, for a request, the one frame that answers it. The libp2p
// implementation is in sidecar-exchange.ts; what the frames mean is node/runtime's.

/** The sidecar stream protocol: one frame each way at most, unsigned-varint length
 * prefixed, each at most NODE_LIMITS.sidecarFrameBytesMax. */
export const SIDECAR_PROTOCOL = '/synod/sidecar/1'

/** Answers one inbound frame from validator `from`: the frame to send back, or null for
 * none. Must not throw for anything a peer sends. */
export type SidecarServer = (from: number, frame: Uint8Array) => Promise<Uint8Array | null>

export interface SidecarWire {
  /** Writes one frame to validator `to` on a stream of its own; no answer is read.
   * Rejects when the stream cannot be opened or written before `signal` aborts. */
  send(to: number, frame: Uint8Array, signal: AbortSignal): Promise<void>
  /** Writes one frame and resolves with the one frame the peer answers; rejects when it
   * answers nothing, breaks the framing, or `signal` aborts first. */
  request(to: number, frame: Uint8Array, signal: AbortSignal): Promise<Uint8Array>
  /** Who answers inbound frames (until set, they are read and dropped). */
  serve(server: SidecarServer): void
}
