// The tampers: one validation rule each (see tamper.ts). Rates are per step of the
// node, so that a run of a few seconds carries some dozens of each.
import { signDomain } from '../../../src/crypto/domain.ts'
import { toHex } from '../../../src/crypto/hash.ts'
import type { Block, BlockHeader } from '../../../src/log/block.ts'
import { tcHighQcRound, type QuorumCertificate } from '../../../src/log/certificates.ts'
import { merkleRoot } from '../../../src/log/merkle.ts'
import { bitmapOf } from '../../../src/log/signer-bitmap.ts'
import type { Action, Event, ProposalMessage, VoteMessage } from '../../../src/consensus/types.ts'
import {
  blockHashOf, broadcastMade, forged, isForged, madeUp, ownSignatureEverywhere, signersWith, timeoutSig, voteSig,
  type Tamper, type TamperContext,
} from './tamper.ts'

/** Steps on which a certificate tamper sends its forgery. */
const FORGE_RATE = 0.04
/** The certificate rejections (typed problems, src/log/certificates.ts) a forgery must draw. */
const CERT_BAD_SIGNATURE = 'sync-info: certificate-rejected/certificate-bad-signature'
const CERT_OUT_OF_SET = 'sync-info: certificate-rejected/certificate-signer-out-of-set'
const CERT_QUORUM_SHORT = 'sync-info: certificate-rejected/certificate-quorum-short'
const BAD_PROPOSAL = 'proposal: proposal-bad-signature'
const BAD_VOTE = 'vote: vote-bad-signature'
const BAD_COMMIT = 'vote: commit-bad-signature'
const BAD_TIMEOUT = 'timeout: timeout-bad-signature'
const BAD_ENTRY = 'entries: entry-bad-signature'

function highQcOf(ctx: TamperContext): QuorumCertificate | null {
  return ctx.inner.highQc
}

/** A TC for the node's current round with made-up signatures (right shape: its high-QC
 * rounds are below its round). Breaks: the TC's signatures verify. */
export const forgedTc: Tamper = {
  name: 'forged-tc',
  description: 'broadcasts a TC for its current round with made-up signatures',
  expects: [CERT_BAD_SIGNATURE],
  apply(ctx, _event, actions) {
    const qc = highQcOf(ctx)
    if (qc === null || !ctx.rng.chance(FORGE_RATE)) return actions
    const { n, quorum } = ctx.inner.set
    const round = Math.max(ctx.inner.round, qc.round + 1)
    const signers = ctx.rng.shuffle([...Array(n).keys()]).slice(0, quorum).sort((a, b) => a - b)
    const tc = { round, highQcRounds: signers.map(() => qc.round), ...madeUp(ctx.rng, signers, n) }
    return [...actions, broadcastMade(ctx, CERT_BAD_SIGNATURE, { type: 'sync-info', highQc: qc, highTc: tc, highCc: null })]
  },
}

/** Certificates for statements this node signed itself, with its one signature in every
 * signer's slot. Breaks: each signature verifies under its own signer's key. */
export const duplicatedSigners: Tamper = {
  name: 'duplicated-signers',
  description: 'broadcasts QCs and TCs whose quorum of signatures is its own signature repeated',
  expects: [CERT_BAD_SIGNATURE],
  apply(ctx, _event, actions) {
    const qc = highQcOf(ctx)
    if (qc === null || !ctx.rng.chance(FORGE_RATE)) return actions
    const { n, quorum } = ctx.inner.set
    const signers = signersWith(ctx.inner.index, n, quorum)
    const vote = ctx.inner.safetyState.lastVote
    if (vote !== null && ctx.rng.chance(0.5)) {
      const sig = voteSig(ctx, vote.round, vote.height, vote.block)
      const fake: QuorumCertificate = { round: vote.round, height: vote.height, block: vote.block, ...ownSignatureEverywhere(signers, n, sig) }
      return [...actions, broadcastMade(ctx, CERT_BAD_SIGNATURE, { type: 'sync-info', highQc: fake, highTc: null, highCc: null })]
    }
    const round = Math.max(ctx.inner.round, qc.round + 1)
    const sig = timeoutSig(ctx, round, qc.round)
    const tc = { round, highQcRounds: signers.map(() => qc.round), ...ownSignatureEverywhere(signers, n, sig) }
    return [...actions, broadcastMade(ctx, CERT_BAD_SIGNATURE, { type: 'sync-info', highQc: qc, highTc: tc, highCc: null })]
  },
}

/** Its high QC with one more signer bit past the last validator (and a signature for
 * it). Breaks: every signer is in the validator set. Only where n is not a multiple of
 * 8 (the bitmap has spare bits). */
export const outOfSetSigner: Tamper = {
  name: 'out-of-set-signer',
  description: 'broadcasts its high QC with an extra signer outside the validator set',
  expects: [CERT_OUT_OF_SET],
  apply(ctx, _event, actions) {
    const qc = highQcOf(ctx)
    const n = ctx.inner.set.n
    if (qc === null || qc.round === 0 || n % 8 === 0 || !ctx.rng.chance(FORGE_RATE)) return actions
    const signers = qc.signers.slice()
    signers[n >> 3]! |= 1 << (n & 7)
    const fake: QuorumCertificate = { ...qc, signers, sigs: [...qc.sigs, ctx.rng.bytes(64)] }
    return [...actions, broadcastMade(ctx, CERT_OUT_OF_SET, { type: 'sync-info', highQc: fake, highTc: null, highCc: null })]
  },
}

/** Genuine votes it received (as the next leader) for a block, plus its own: a QC of
 * one signer fewer than the quorum. Breaks: a certificate has a quorum of signers. */
export function quorumShort(): Tamper {
  const received = new Map<string, Map<number, VoteMessage>>()
  return {
    name: 'quorum-short',
    description: 'broadcasts QCs of real votes it received, one signer short of the quorum',
    expects: [CERT_QUORUM_SHORT],
    apply(ctx, event, actions) {
      if (event.type !== 'message' || event.message.type !== 'vote') return actions
      const v = event.message
      const key = `${v.round}/${v.height}/${toHex(v.block)}`
      let votes = received.get(key)
      if (votes === undefined) {
        if (received.size >= 64) received.delete(received.keys().next().value as string)
        votes = new Map()
        received.set(key, votes)
      }
      if (v.voter === ctx.inner.index || votes.has(v.voter)) return actions
      votes.set(v.voter, v)
      const { n, quorum } = ctx.inner.set
      if (votes.size !== quorum - 2) return actions
      const sigs = new Map<number, Uint8Array>([...votes].map(([i, x]) => [i, x.sig]))
      sigs.set(ctx.inner.index, voteSig(ctx, v.round, v.height, v.block))
      const order = [...sigs.keys()].sort((a, b) => a - b)
      const qc: QuorumCertificate = { round: v.round, height: v.height, block: v.block, signers: bitmapOf(order, n), sigs: order.map((i) => sigs.get(i)!) }
      return [...actions, broadcastMade(ctx, CERT_QUORUM_SHORT, { type: 'sync-info', highQc: qc, highTc: null, highCc: null })]
    },
  }
}

/** A CC with made-up signatures for an uncommitted block it saw proposed (which may
 * be on a branch that never commits). Breaks: the CC's signatures verify. */
export const ccOffChain: Tamper = {
  name: 'cc-off-chain',
  description: 'broadcasts CCs with made-up signatures for uncommitted blocks it saw proposed',
  expects: [CERT_BAD_SIGNATURE],
  apply(ctx, _event, actions) {
    const qc = highQcOf(ctx)
    if (qc === null || !ctx.rng.chance(FORGE_RATE)) return actions
    const head = ctx.inner.committedHeight
    const candidates = [...ctx.headers.values()].filter((h) => h.height > head)
    if (candidates.length === 0) return actions
    const h = ctx.rng.pick(candidates)
    const { n, quorum } = ctx.inner.set
    const signers = ctx.rng.shuffle([...Array(n).keys()]).slice(0, quorum).sort((a, b) => a - b)
    const cc = { height: h.height, block: blockHashOf(h), logSize: h.logSize, logRoot: h.logRoot, ...madeUp(ctx.rng, signers, n) }
    return [...actions, broadcastMade(ctx, CERT_BAD_SIGNATURE, { type: 'sync-info', highQc: qc, highTc: null, highCc: cc })]
  },
}

/** An empty block's header, proposed by this node, on `parent` with `justify` as its QC. */
export function emptyHeader(ctx: TamperContext, round: number, parent: BlockHeader, justify: QuorumCertificate): BlockHeader {
  return {
    height: parent.height + 1, round, parent: blockHashOf(parent), entriesRoot: merkleRoot([]), entryCount: 0,
    logSize: parent.logSize, logRoot: parent.logRoot, proposer: ctx.inner.index, justify,
  }
}

/** A proposal of `block`, signed by this node. */
export function signedProposal(ctx: TamperContext, block: Block, tc: ProposalMessage['tc']): ProposalMessage {
  const sig = signDomain(ctx.seed, 'proposal', ctx.inner.genesis.chainId, { block: blockHashOf(block.header) }, ctx.signatures)
  return { type: 'proposal', block, sig, tc, cc: null }
}

/** A broadcast proposal of an empty block on `parent` with `justify` as its QC, recorded
 * as a forgery drawing `key`. */
function emptyChild(ctx: TamperContext, key: string, round: number, parent: BlockHeader, justify: QuorumCertificate, tc: ProposalMessage['tc']): Action {
  return broadcastMade(ctx, key, signedProposal(ctx, { header: emptyHeader(ctx, round, parent, justify), entries: [] }, tc))
}

/** The header of `hashHex`: seen in a proposal, or the committed head. */
function headerOf(ctx: TamperContext, hashHex: string): BlockHeader | undefined {
  const head = ctx.inner.committedHead.header
  return ctx.headers.get(hashHex) ?? (toHex(blockHashOf(head)) === hashHex ? head : undefined)
}

function ownProposal(event: Event, actions: readonly Action[]): ProposalMessage | null {
  void event
  for (const a of actions) if (a.type === 'broadcast' && a.message.type === 'proposal' && !isForged(a.message)) return a.message
  return null
}

/** With its own proposal for round r (parent P, justify QC(P)), a second block of round
 * r on P's parent G carrying QC(P): a valid QC, for a sibling of the block it names as
 * parent. Breaks: the justify QC certifies the parent. */
const JUSTIFY_NOT_PARENT = 'proposal: block-justify-not-parent'
export const justifyOther: Tamper = {
  name: 'justify-other',
  description: 'as leader, also proposes a block whose justify QC certifies another block than its parent',
  expects: [JUSTIFY_NOT_PARENT],
  apply(ctx, event, actions) {
    const p = ownProposal(event, actions)
    if (p === null) return actions
    const parent = headerOf(ctx, toHex(p.block.header.parent))
    if (parent === undefined || parent.height === 0) return actions
    const grandparent = headerOf(ctx, toHex(parent.parent))
    if (grandparent === undefined || grandparent.height < ctx.inner.committedHeight) return actions
    return [emptyChild(ctx, JUSTIFY_NOT_PARENT, p.block.header.round, grandparent, p.block.header.justify, p.tc), ...actions]
  },
}

const QC_BELOW_TC = 'proposal: proposal-qc-below-tc'
/**
 * With its own proposal for round r, a second block of round r on an older certified
 * block, with a TC for round r - 1 whose highest QC round is above that block's QC.
 * When its proposal follows a real TC, that TC, and a QC below its highest for a block
 * honest replicas still hold (at or above its committed height). Otherwise (the common
 * case: with round-robin leaders it cannot make the round before its own time out, since
 * withholding that round's votes, which come to it, times out its own round) a TC for
 * r - 1 with made-up signatures whose high-QC rounds are all r - 2, and a QC below r - 2:
 * the replica checks a proposal's round justification before it verifies the TC, so the
 * refusal is still proposal-qc-below-tc (were the order to change, it would be the TC's
 * signature, and the judge would report the kind as never refused). Breaks: a proposal
 * after a TC extends the TC's highest QC.
 */
export const tcHighQcIgnored: Tamper = {
  name: 'tc-high-qc-ignored',
  description: 'as leader, also proposes a block after a TC (real, or else with made-up signatures) extending a QC below the TC\'s highest',
  expects: [QC_BELOW_TC],
  apply(ctx, event, actions) {
    const p = ownProposal(event, actions)
    if (p === null) return actions
    const round = p.block.header.round
    let tc = p.tc
    if (tc === null) {
      if (round < 3) return actions
      const { n, quorum } = ctx.inner.set
      const signers = ctx.rng.shuffle([...Array(n).keys()]).slice(0, quorum).sort((a, b) => a - b)
      tc = { round: round - 1, highQcRounds: signers.map(() => round - 2), ...madeUp(ctx.rng, signers, n) }
    }
    const bound = tcHighQcRound(tc)
    const head = ctx.inner.committedHeight
    for (const child of ctx.headers.values()) {
      const qc = child.justify
      if (qc.round >= bound || (p.tc !== null && qc.height < head)) continue
      const certified = headerOf(ctx, toHex(qc.block))
      if (certified === undefined) continue
      return [emptyChild(ctx, QC_BELOW_TC, round, certified, qc, tc), ...actions]
    }
    return actions
  },
}

/** Every forged message of the tampers before it, sent a second time to the same
 * peers. Breaks: a certificate that failed once fails again (no cached failure). */
export const replayForged: Tamper = {
  name: 'replay-forged',
  description: 'sends every forged message of the tampers before it twice',
  expects: [],
  apply(_ctx, _event, actions) {
    const again = actions.filter((a) => (a.type === 'broadcast' || a.type === 'send') && isForged(a.message))
    return again.length === 0 ? actions : [...actions, ...again]
  },
}

/** A copy of a signature with one bit flipped. */
function flipped(ctx: TamperContext, sig: Uint8Array): Uint8Array {
  const out = sig.slice()
  out[ctx.rng.int(out.length)]! ^= 1 << ctx.rng.int(8)
  return out
}

/** Every other one of its own proposals, votes (or their commit halves), timeouts and
 * relayed entries, each with one signature bit flipped. Breaks: each message's signature
 * verifies under its sender's key. */
export function badSignatures(): Tamper {
  // Per message type, how many it has sent: it tampers with every other one, starting
  // with the first, so that a run in which it leads even once carries a bad proposal.
  const sent = new Map<string, number>()
  const turn = (type: string): boolean => {
    const k = sent.get(type) ?? 0
    sent.set(type, k + 1)
    return k % 2 === 0
  }
  return {
  name: 'bad-signatures',
  description: 'flips a bit of the signature of every other one of its proposals, votes, commit halves, timeouts and relayed entries',
  // A bad commit half is recorded but not judged: it is one of every other vote that
  // carries one, and is refused only when the vote's own signature is good and the next
  // leader takes the vote in (seeds 4101 and 4115 made one each, never looked at).
  expects: [BAD_PROPOSAL, BAD_VOTE, BAD_TIMEOUT, BAD_ENTRY],
  apply(ctx, _event, actions) {
    return actions.map((a) => {
      if ((a.type !== 'broadcast' && a.type !== 'send') || isForged(a.message) || !turn(a.message.type)) return a
      const m = a.message
      switch (m.type) {
        case 'proposal':
          ctx.made(BAD_PROPOSAL)
          return { ...a, message: forged({ ...m, sig: flipped(ctx, m.sig) }) }
        case 'timeout':
          ctx.made(BAD_TIMEOUT)
          return { ...a, message: forged({ ...m, sig: flipped(ctx, m.sig) }) }
        case 'vote': {
          if (m.commit !== null && ctx.rng.chance(0.5)) {
            ctx.made(BAD_COMMIT)
            return { ...a, message: forged({ ...m, commit: { ...m.commit, sig: flipped(ctx, m.commit.sig) } }) }
          }
          ctx.made(BAD_VOTE)
          return { ...a, message: forged({ ...m, sig: flipped(ctx, m.sig) }) }
        }
        // An entry's id covers its signature: the copy is a different entry with the
        // same agent and seq, refused for its signature (or as a duplicate seq).
        case 'entries':
          ctx.made(BAD_ENTRY)
          return { ...a, message: forged({ ...m, entries: m.entries.map((e) => ({ ...e, sig: flipped(ctx, e.sig) })) }) }
        default: return a
      }
    })
  },
  }
}
