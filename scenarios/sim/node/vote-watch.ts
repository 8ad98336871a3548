// Watches the votes honest nodes put on the wire: a node that votes for two blocks in
// one round broke persist-before-send (it voted, crashed before its safety state was
// durable, and voted again after the restart). Every simulated node is honest, so any
// such pair is a runtime bug, whether or not it led to a fork.
import { toHex } from '../../../src/crypto/hash.ts'
import { decodeMessage } from '../../../src/consensus/messages.ts'

/** Votes are a few hundred bytes; larger direct frames (sync responses) are not decoded. */
const VOTE_FRAME_BYTES_MAX = 2048

export class VoteWatch {
  readonly #payloadBytesMax: number
  /** `${voter}:${round}` -> hex block hash voted for. */
  readonly #votes = new Map<string, string>()
  readonly violations: string[] = []

  constructor(payloadBytesMax: number) {
    this.#payloadBytesMax = payloadBytesMax
  }

  /** A direct frame sent by node `from` (before any loss: what it said counts). */
  observe(from: number, bytes: Uint8Array, atMs: number): void {
    if (bytes.length > VOTE_FRAME_BYTES_MAX) return
    let message
    try {
      message = decodeMessage(bytes, this.#payloadBytesMax)
    } catch {
      return // the receiver's inspect rejects it; not a vote
    }
    if (message.type !== 'vote') return
    const key = `${message.voter}:${message.round}`
    const block = toHex(message.block)
    const earlier = this.#votes.get(key)
    if (earlier === undefined) this.#votes.set(key, block)
    else if (earlier !== block) this.violations.push(`double vote: node ${from} voted for ${earlier.slice(0, 12)} and ${block.slice(0, 12)} in round ${message.round} (at ${atMs} ms)`)
  }
}
