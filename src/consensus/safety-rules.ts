// Safety rules (Jolteon / DiemBFT-v4 two-chain). This module alone signs votes and
// timeouts. Each signing returns the new SafetyState; the replica emits it as a
// 'persist-safety-state' action BEFORE the message, so after a crash a replica never
// signs two votes in one round, nor a vote in a round it timed out in.
//
// Rules (r = round of the block, q = round of its justify QC):
//  vote:    r > lastVotedRound, and either r = q + 1, or the block carries a TC for
//           round r - 1 and q >= the highest QC round in that TC.
//  timeout: r >= lastVotedRound, r = highQc.round + 1 or r = highTc.round + 1, and
//           highQc.round >= oneChainRound (a timeout never understates what we saw).
//  Both raise lastVotedRound to r: after a timeout for r, no vote in r.
//  A vote for B whose round is its parent P's round + 1 also signs P's CommitData:
//  a quorum of those is exactly the two-chain commit condition for P. That signature is
//  a C2SP note signature over P's checkpoint text (src/log/checkpoint-note.ts), so the
//  commit certificate it joins is also a signed checkpoint note, with no extra round.
//  Epochs (docs/protocol.md, "Safety at the boundary" 3): the state is of one epoch and
//  signs for it only; a later epoch starts a fresh state (startEpoch) whose high QC is the
//  QC of the epoch's root (the reconfiguration block before it), counted as round 0. A
//  vote for an epoch's first block (justify = that QC) has q = 0 and no commit half (its
//  parent is of the epoch before, whose set alone certifies its commits).
import { assert } from '../assert.ts'
import { bytesEqual } from '../codec/cbor.ts'
import { signDomain } from '../crypto/domain.ts'
import { ED25519, type SignatureScheme } from '../crypto/signature-scheme.ts'
import { commitNoteMessage } from '../log/checkpoint.ts'
import type { BlockHeader } from '../log/block.ts'
import {
  tcHighQcRound, timeoutDataToCbor, voteDataToCbor,
  type QuorumCertificate, type TimeoutCertificate,
} from '../log/certificates.ts'
import type { Hash } from '../log/entry.ts'
import type { Rejection } from './rejections.ts'
import type { SafetyState, TimeoutMessage, VoteMessage } from './types.ts'

export type Signed<T> =
  | { readonly ok: true, readonly message: T, /** null when nothing changed (a repeat) */ readonly persist: SafetyState | null }
  | { readonly ok: false, readonly reason: Rejection }

export function initialSafetyState(genesisQc: QuorumCertificate): SafetyState {
  return {
    lastVotedRound: 0,
    preferredRound: 0,
    oneChainRound: 0,
    highestTimeoutRound: 0,
    lastVote: null,
    lastTimeout: null,
    highQc: genesisQc,
    highTc: null,
  }
}

export interface SafetyRulesOptions {
  readonly chainId: string
  readonly validatorIndex: number
  readonly seed: Uint8Array
  /** The scheme votes and timeouts are signed with: ED25519 unless given (a simulation's stand-in). */
  readonly signatures?: SignatureScheme
}

export class SafetyRules {
  readonly #chainId: string
  #index: number
  readonly #seed: Uint8Array
  readonly #scheme: SignatureScheme
  #state: SafetyState

  constructor(options: SafetyRulesOptions, state: SafetyState) {
    this.#chainId = options.chainId
    this.#index = options.validatorIndex
    this.#seed = options.seed
    this.#scheme = options.signatures ?? ED25519
    assertSafetyState(state)
    this.#state = state
  }

  /** Signs from now on as validator `index` of the set of the epoch it signs for (a set
   * change moves a validator's position; docs/protocol.md, "The replica at the boundary"
   * step 6). */
  signAs(index: number): void {
    this.#index = index
  }

  get state(): SafetyState {
    return this.#state
  }

  /** The epoch this state is of (0 when it names none). */
  get epoch(): number {
    return this.#state.epoch ?? 0
  }

  /** Whether `qc` certifies the root of this state's epoch (then it counts as round 0). */
  #isRoot(qc: QuorumCertificate): boolean {
    const root = this.#state.epochRoot
    return root !== undefined && bytesEqual(qc.block, root)
  }

  /** The round `qc` counts as in this state's epoch. */
  #qcRound(qc: QuorumCertificate): number {
    return this.#isRoot(qc) ? 0 : qc.round
  }

  /**
   * Starts the fresh state of `epoch` (later than this state's: epochs only go forward;
   * a joining validator may skip some), rooted at `rootQc`, the QC of the reconfiguration
   * block the epoch's first block extends: nothing voted, locked or timed out, high QC
   * `rootQc` (round 0 of the epoch), no high TC. The caller persists it before anything
   * of the epoch is signed; from then on nothing of an earlier epoch is.
   */
  startEpoch(epoch: number, rootQc: QuorumCertificate): { readonly ok: true, readonly persist: SafetyState } | { readonly ok: false, readonly reason: Rejection } {
    const current = this.epoch
    if (!Number.isSafeInteger(epoch) || epoch <= current) return { ok: false, reason: { code: 'epoch-not-after', epoch, current } }
    this.#state = {
      lastVotedRound: 0, preferredRound: 0, oneChainRound: 0, highestTimeoutRound: 0, lastVote: null, lastTimeout: null,
      highQc: rootQc, highTc: null, epoch, epochRoot: rootQc.block,
    }
    assertSafetyState(this.#state)
    return { ok: true, persist: this.#state }
  }

  /**
   * Signs a vote for `header` (hash `hash`), whose parent is `parent`. `tc` is the
   * proposal's TC for round-1, if any. `highQc`/`highTc` are the replica's current
   * ones, recorded in the persisted state.
   */
  signVote(
    header: BlockHeader, hash: Hash, parent: BlockHeader, parentHash: Hash, tc: TimeoutCertificate | null,
    highQc: QuorumCertificate, highTc: TimeoutCertificate | null,
  ): Signed<VoteMessage> {
    const s = this.#state
    const round = header.round
    const epoch = header.epoch ?? 0
    if (epoch !== this.epoch) return { ok: false, reason: { code: 'sign-epoch-not-current', epoch, current: this.epoch } }
    const last = s.lastVote
    if (last !== null && last.round === round && bytesEqual(last.block, hash)) return { ok: true, message: last, persist: null }
    if (round <= s.lastVotedRound) return { ok: false, reason: { code: 'vote-round-not-above-last-voted', round, lastVoted: s.lastVotedRound } }
    if (!bytesEqual(header.justify.block, parentHash)) return { ok: false, reason: { code: 'vote-justify-not-parent' } }
    // An epoch's first block: its parent is the root, of the epoch before (the block rule
    // checked that the parent ended that epoch); one of another epoch that is not this
    // state's root is not a block of this state's chain.
    const first = (parent.epoch ?? 0) !== epoch
    if (first && !this.#isRoot(header.justify)) return { ok: false, reason: { code: 'vote-justify-not-parent' } }
    const q = this.#qcRound(header.justify)
    const viaQc = round === q + 1
    const viaTc = tc !== null && round === tc.round + 1 && q >= tcHighQcRound(tc)
    if (!viaQc && !viaTc) {
      return { ok: false, reason: { code: 'vote-round-unjustified', round, qcRound: q } }
    }
    // The block was validated against its parent: its QC certifies the parent, below it.
    assert(q < round, 'a voted block\'s justify round is below its round')
    assert(first || parent.round === q, 'a voted block\'s justify QC is for its parent\'s round')
    const sig = signDomain(this.#seed, 'vote', this.#chainId, voteDataToCbor({ round, height: header.height, block: hash }), this.#scheme)
    let commit: VoteMessage['commit'] = null
    if (!first && round === parent.round + 1 && parent.height > 0) {
      const data = { height: parent.height, block: parentHash, logSize: parent.logSize, logRoot: parent.logRoot }
      commit = { ...data, sig: this.#scheme.sign(this.#seed, commitNoteMessage(this.#chainId, data)) }
    }
    // The voted block's epoch names the set the vote counts in (absent in epoch 0).
    const vote: VoteMessage = { type: 'vote', ...(epoch === 0 ? {} : { epoch }), voter: this.#index, round, height: header.height, block: hash, sig, commit }
    this.#state = {
      ...s,
      lastVotedRound: round,
      // The first block's parent is of the epoch before: its lock is none of this epoch's.
      preferredRound: first ? s.preferredRound : Math.max(s.preferredRound, this.#qcRound(parent.justify)),
      oneChainRound: Math.max(s.oneChainRound, q),
      lastVote: vote,
      highQc: this.#qcRound(highQc) >= this.#qcRound(s.highQc) ? highQc : s.highQc,
      highTc: newerTc(highTc, s.highTc),
    }
    assert(this.#state.lastVotedRound > s.lastVotedRound, 'a vote raises the last voted round')
    assertSafetyState(this.#state)
    return { ok: true, message: vote, persist: this.#state }
  }

  /** Signs (or repeats) the timeout for `round` of `epoch` (0 unless given; from epoch 1
   * on the signed body names it, docs/formats.md section 15.3). */
  signTimeout(round: number, highQc: QuorumCertificate, highTc: TimeoutCertificate | null, epoch = 0): Signed<TimeoutMessage> {
    const s = this.#state
    if (epoch !== this.epoch) return { ok: false, reason: { code: 'sign-epoch-not-current', epoch, current: this.epoch } }
    const last = s.lastTimeout
    if (last !== null && last.round === round) return { ok: true, message: last, persist: null }
    if (round < s.lastVotedRound) return { ok: false, reason: { code: 'timeout-round-below-last-voted', round, lastVoted: s.lastVotedRound } }
    if (round <= s.highestTimeoutRound) return { ok: false, reason: { code: 'timeout-round-not-above-highest', round, highestTimeout: s.highestTimeoutRound } }
    const tcRound = highTc === null ? -1 : highTc.round
    // The epoch's root QC counts as its round 0, in the checks and in the signed body.
    const highQcRound = this.#qcRound(highQc)
    if (round !== highQcRound + 1 && round !== tcRound + 1) {
      return { ok: false, reason: { code: 'timeout-round-not-following', round, highQcRound, highTcRound: tcRound } }
    }
    if (highQcRound < s.oneChainRound) return { ok: false, reason: { code: 'timeout-high-qc-below-observed', highQcRound, observed: s.oneChainRound } }
    const sig = signDomain(this.#seed, 'timeout', this.#chainId, timeoutDataToCbor(round, highQcRound, epoch), this.#scheme)
    const timeout: TimeoutMessage = { type: 'timeout', ...(epoch === 0 ? {} : { epoch }), voter: this.#index, round, highQc, highTc, sig }
    this.#state = {
      ...s,
      lastVotedRound: Math.max(s.lastVotedRound, round),
      highestTimeoutRound: round,
      lastTimeout: timeout,
      highQc: highQcRound >= this.#qcRound(s.highQc) ? highQc : s.highQc,
      highTc: newerTc(highTc, s.highTc),
    }
    assert(this.#state.highestTimeoutRound > s.highestTimeoutRound, 'a timeout raises the highest timeout round')
    assert(this.#state.lastVotedRound >= s.lastVotedRound, 'a timeout never lowers the last voted round')
    assertSafetyState(this.#state)
    return { ok: true, message: timeout, persist: this.#state }
  }
}

/** What holds of every safety state this module makes (and of a restored one: a state
 * that breaks these was not written by it). No vote and no timeout above the last voted
 * round, so that raising it is what forbids a second vote in a round. */
function assertSafetyState(s: SafetyState): void {
  assert(Number.isSafeInteger(s.lastVotedRound) && s.lastVotedRound >= 0, 'the last voted round is a round')
  assert(s.highestTimeoutRound <= s.lastVotedRound, 'the highest timeout round is at most the last voted round')
  assert(s.oneChainRound <= s.lastVotedRound, 'the observed QC round is at most the last voted round')
  assert(s.preferredRound <= s.oneChainRound, 'the preferred round is at most the observed QC round')
  assert(s.lastVote === null || s.lastVote.round <= s.lastVotedRound, 'the last vote is at most the last voted round')
  assert(s.lastTimeout === null || s.lastTimeout.round === s.highestTimeoutRound, 'the last timeout is for the highest timeout round')
  assert(s.epoch === undefined || (Number.isSafeInteger(s.epoch) && s.epoch >= 1 && s.epochRoot !== undefined), 'a state of a later epoch names it (at least 1) and its root')
  assert(s.lastVote === null || (s.lastVote.epoch ?? 0) === (s.epoch ?? 0), 'the last vote is of the state\'s epoch')
  assert(s.lastTimeout === null || (s.lastTimeout.epoch ?? 0) === (s.epoch ?? 0), 'the last timeout is of the state\'s epoch')
}

function newerTc(a: TimeoutCertificate | null, b: TimeoutCertificate | null): TimeoutCertificate | null {
  if (a === null) return b
  if (b === null) return a
  return a.round >= b.round ? a : b
}
