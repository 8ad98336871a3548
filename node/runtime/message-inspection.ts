// Network input checks, run inside the transport before delivery: a message is decoded,
// and proposals and entry batches are verified, so that a peer's invalid ones take no
// room in the mailbox and its sender is penalised.
import { describe as describeRejection, isRejection, type Rejection } from '../../src/consensus/rejections.ts'
import { decodeMessage } from '../../src/consensus/messages.ts'
import type { Replica } from '../../src/consensus/replica.ts'
import type { Message } from '../../src/consensus/types.ts'
import { blockHash } from '../../src/log/block.ts'
import { isLeaderOf } from '../../src/log/leader-election.ts'
import type { Inspection } from '../net/transport.ts'
import { penaltyCauseOf } from './rejection-causes.ts'

/** The transport's verdict on one message's bytes; `replica` is null before start,
 * `headHeight` the store's committed head. */
export function inspectMessage(bytes: Uint8Array, payloadBytesMax: number, replica: Replica | null, headHeight: () => number): Inspection<Message> {
  let message: Message
  try {
    message = decodeMessage(bytes, payloadBytesMax)
  } catch (err) {
    return { verdict: 'reject', cause: 'malformed', reason: (err as Error).message }
  }
  if (replica === null) return { verdict: 'ignore', reason: 'not started' }
  // Proposals and entry batches are checked before they are queued, so that a peer's
  // invalid ones take no room in the mailbox (the checks are cached: the replica does
  // not verify them again).
  if (message.type === 'proposal' && (message.block.header.epoch ?? 0) === replica.epoch.number) {
    // Of the replica's epoch only: one of another epoch is the replica's to judge (held
    // back when of the next, which a replica behind the boundary reaches by sync; stale
    // when of one it left), against that epoch's set and election, not this one's.
    const h = message.block.header
    if (!isLeaderOf(replica.leaders, h.proposer, h.round)) return rejectWith({ code: 'proposer-not-leader', proposer: h.proposer, round: h.round })
    // Cached by the replica's verifier: delivered, the proposal is not verified again.
    if (!replica.verifier.proposal(h.proposer, blockHash(h), message.sig)) {
      return rejectWith({ code: 'proposal-bad-signature', proposer: h.proposer })
    }
    if (h.height <= headHeight()) return { verdict: 'ignore', reason: 'proposal below the committed head' }
  } else if (message.type === 'entries') {
    // The replica's verifier caches verified entries by id: no entry is checked twice.
    for (const entry of message.entries) {
      const checked = replica.verifier.entry(entry)
      if (isRejection(checked)) return rejectWith(checked)
    }
  }
  return { verdict: 'accept', message }
}

/** The transport's verdict on a message the core's checks refuse. */
function rejectWith(rejection: Rejection): Inspection<Message> {
  return { verdict: 'reject', cause: penaltyCauseOf(rejection), reason: describeRejection(rejection) }
}
