// Conduct: no honest replica acts on anything that fails the auditor's checks. Each
// action an honest replica's step returns, as the simulator executes it, is re-checked
// here with AuditorChecks (the auditor's pure rules, verdicts cached in this checker):
//   persist-block     the block, against its parent (it entered the replica's tree)
//   send vote         the block voted for is one this replica accepted and that passed,
//                     and it received (or made) a proposal of it with a valid signature
//                     of the block's proposer; the vote names its round and height; its
//                     commit half signs the parent's height, hash, log size and root
//   broadcast proposal  the block, its TC and CC
//   broadcast timeout   its high QC and high TC
//   sync-info         high QC, high TC, high CC
//   send entries      each entry (signature, payload bound, write policy)
//   commit            each block (and its hash), the QC and CC of the last one
//   store-commit-certificate  the CC
// and, at the end of the step, that each commit is justified by the two-chain rule or a
// CC (commit-justification.ts).
// A failure is recorded as 'acted-on-invalid' evidence.
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import type { Block, BlockHeader } from '../../src/log/block.ts'
import type { CommitCertificate, QuorumCertificate, TimeoutCertificate } from '../../src/log/certificates.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { leaderElectionFor, type LeaderElection } from '../../src/log/leader-election.ts'
import { ED25519, type SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import type { Action, Event, Message, ProposalMessage, VoteMessage } from '../../src/consensus/types.ts'
import { AuditorChecks, type Failed } from './auditor-checks.ts'
import { CommitJustification } from './commit-justification.ts'
import type { Act, Evidence, ObjectKind } from './run-evidence.ts'

/** Who acted: the instance's name and its replica's round at the time. */
export interface Actor {
  readonly node: string
  readonly round: number
}

type Report = (e: Evidence) => void

export class ConductChecker {
  readonly checks: AuditorChecks
  readonly #justification: CommitJustification
  /** The last block of each commit executed in the current step, judged when it ends. */
  readonly #commits: { actor: Actor, header: BlockHeader, hashHex: string }[] = []
  /** Actions judged, by what the replica did (tests check that the checker saw the run). */
  readonly counts = new Map<Act, number>()
  readonly #report: Report
  /** Per instance (by name): hex hash -> header and verdict of each block it accepted
   * (persisted or committed). Kept across its restarts: a restored replica votes for blocks
   * it accepted in an earlier life. */
  readonly #accepted = new Map<string, Map<string, { header: BlockHeader, failed: Failed }>>()

  /** Per instance (by name): hex hashes of blocks it received or made a validly signed
   * proposal of (true), or only badly signed ones (false). Kept across restarts. */
  readonly #proposals = new Map<string, Map<string, boolean>>()

  constructor(genesis: Genesis, report: Report, leaders: LeaderElection = leaderElectionFor(genesis), signatures: SignatureScheme = ED25519) {
    this.checks = new AuditorChecks(genesis, leaders, signatures)
    this.#justification = new CommitJustification(genesis, this.checks, signatures)
    this.#report = report
  }

  /** An event an honest replica is about to step: a proposal it receives is noted (with
   * whether its signature verifies), for the vote it may cast on it, now or later. */
  received(node: string, event: Event): void {
    this.#justification.sawEvent(event)
    if (event.type !== 'message' || event.message.type !== 'proposal') return
    this.#noteProposal(node, event.message)
  }

  #noteProposal(node: string, m: ProposalMessage): void {
    const { hashHex, failed } = this.checks.proposal(m.block, m.sig)
    let seen = this.#proposals.get(node)
    if (seen === undefined) {
      seen = new Map()
      this.#proposals.set(node, seen)
    }
    if (seen.get(hashHex) !== true) seen.set(hashHex, failed === null)
  }

  /** Judges one action an honest replica's step returned, as it is executed. */
  executed(actor: Actor, a: Action): void {
    this.#justification.sawAction(a)
    switch (a.type) {
      case 'persist-block': return this.#accept(actor, 'accept-block', a.block, a.hash)
      case 'send':
      case 'broadcast': return this.#message(actor, a.message)
      case 'commit': {
        for (let i = 0; i < a.blocks.length; i++) this.#accept(actor, 'commit', a.blocks[i]!, a.hashes[i]!)
        const last = a.blocks[a.blocks.length - 1]
        if (last === undefined) return
        const lastHash = a.hashes[a.hashes.length - 1]!
        this.#commits.push({ actor, header: last.header, hashHex: toHex(lastHash) })
        if (a.qc !== null) {
          this.#qc(actor, 'commit', a.qc)
          if (!bytesEqual(a.qc.block, lastHash) || a.qc.height !== last.header.height) this.#fail(actor, 'commit', 'qc', this.checks.qc(a.qc).id, { check: 'qc-not-for-head', detail: `the commit's QC certifies height ${a.qc.height}, not the last committed block at height ${last.header.height}` })
        }
        if (a.cc !== null) {
          this.#cc(actor, 'commit', a.cc)
          this.#ccMatches(actor, 'commit', a.cc, last.header, lastHash)
        }
        return
      }
      case 'store-commit-certificate':
        this.#count('store-commit-certificate')
        return this.#cc(actor, 'store-commit-certificate', a.cc)
      default: return
    }
  }

  /** The step ended: its commits must be justified by what the run holds now. */
  stepEnded(): void {
    for (const c of this.#commits) {
      const why = this.#justification.unjustified(c.header, c.hashHex)
      if (why !== null) this.#fail(c.actor, 'commit', 'block', c.hashHex, { check: 'commit-unjustified', detail: why })
    }
    this.#commits.length = 0
  }

  #message(actor: Actor, m: Message): void {
    switch (m.type) {
      case 'vote': return this.#vote(actor, m)
      case 'proposal': {
        this.#block(actor, 'propose', m.block)
        const { hashHex, failed } = this.checks.proposal(m.block, m.sig)
        if (failed !== null) this.#fail(actor, 'propose', 'block', hashHex, failed)
        this.#noteProposal(actor.node, m)
        if (m.tc !== null) this.#tc(actor, 'propose', m.tc)
        if (m.cc !== null) this.#cc(actor, 'propose', m.cc)
        return
      }
      case 'timeout':
        this.#qc(actor, 'timeout', m.highQc)
        if (m.highTc !== null) this.#tc(actor, 'timeout', m.highTc)
        return
      case 'sync-info':
        this.#qc(actor, 'sync-info', m.highQc)
        if (m.highTc !== null) this.#tc(actor, 'sync-info', m.highTc)
        if (m.highCc !== null) this.#cc(actor, 'sync-info', m.highCc)
        return
      case 'entries':
        this.#count('forward-entries')
        for (const e of m.entries) {
          const { id, failed } = this.checks.entry(e)
          if (failed !== null) this.#fail(actor, 'forward-entries', 'entry', id, failed)
        }
        return
      default: return
    }
  }

  #acceptedBy(node: string): Map<string, { header: BlockHeader, failed: Failed }> {
    let m = this.#accepted.get(node)
    if (m === undefined) {
      m = new Map()
      this.#accepted.set(node, m)
    }
    return m
  }

  #count(act: Act): void {
    this.counts.set(act, (this.counts.get(act) ?? 0) + 1)
  }

  #accept(actor: Actor, act: Act, block: Block, hash: Uint8Array): void {
    const judged = this.#block(actor, act, block)
    if (toHex(hash) !== judged.hashHex) this.#fail(actor, act, 'block', judged.hashHex, { check: 'hash-mismatch', detail: `the action names hash ${toHex(hash).slice(0, 16)}, the header hashes to ${judged.hashHex.slice(0, 16)}` })
    this.#acceptedBy(actor.node).set(judged.hashHex, { header: block.header, failed: judged.failed })
  }

  #block(actor: Actor, act: Act, block: Block): { hashHex: string, failed: Failed } {
    this.#count(act)
    const judged = this.checks.block(block)
    if (judged.failed !== null) this.#fail(actor, act, 'block', judged.hashHex, judged.failed)
    return judged
  }

  #vote(actor: Actor, v: VoteMessage): void {
    this.#count('vote')
    const hashHex = toHex(v.block)
    const accepted = this.#acceptedBy(actor.node).get(hashHex)
    if (accepted === undefined) return this.#fail(actor, 'vote', 'block', hashHex, { check: 'block-not-accepted', detail: `a vote in round ${v.round} for a block this replica never accepted` })
    if (accepted.failed !== null) return this.#fail(actor, 'vote', 'block', hashHex, accepted.failed)
    const signed = this.#proposals.get(actor.node)?.get(hashHex)
    if (signed !== true) {
      const detail = signed === false ? 'every proposal of it this replica received has a bad signature' : 'this replica never received or made a proposal of it'
      return this.#fail(actor, 'vote', 'block', hashHex, { check: signed === false ? 'proposal-bad-signature' : 'no-proposal', detail })
    }
    const h = accepted.header
    if (v.round !== h.round || v.height !== h.height) {
      return this.#fail(actor, 'vote', 'vote', hashHex, { check: 'vote-data-mismatch', detail: `the vote says round ${v.round} height ${v.height}, the block is round ${h.round} height ${h.height}` })
    }
    if (v.commit === null) return
    const parentHex = toHex(h.parent)
    const parent = this.checks.header(parentHex)
    const c = v.commit
    if (parent === undefined || c.height !== parent.height || toHex(c.block) !== parentHex || c.logSize !== parent.logSize || !bytesEqual(c.logRoot, parent.logRoot)) {
      this.#fail(actor, 'vote', 'vote', hashHex, { check: 'commit-vote-mismatch', detail: `the commit half signs height ${c.height} block ${toHex(c.block).slice(0, 16)} log size ${c.logSize}, not the voted block's parent` })
    }
  }

  #qc(actor: Actor, act: Act, qc: QuorumCertificate): void {
    this.#count(act)
    const { id, failed } = this.checks.qc(qc)
    if (failed !== null) this.#fail(actor, act, 'qc', id, failed)
  }

  #tc(actor: Actor, act: Act, tc: TimeoutCertificate): void {
    const { id, failed } = this.checks.tc(tc)
    if (failed !== null) this.#fail(actor, act, 'tc', id, failed)
  }

  #cc(actor: Actor, act: Act, cc: CommitCertificate): void {
    const { id, failed } = this.checks.cc(cc)
    if (failed !== null) this.#fail(actor, act, 'cc', id, failed)
  }

  /** A CC committed with a block must sign that block's height, hash, log size and root. */
  #ccMatches(actor: Actor, act: Act, cc: CommitCertificate, header: BlockHeader, hash: Uint8Array): void {
    if (cc.height === header.height && bytesEqual(cc.block, hash) && cc.logSize === header.logSize && bytesEqual(cc.logRoot, header.logRoot)) return
    this.#fail(actor, act, 'cc', this.checks.cc(cc).id, { check: 'cc-not-for-block', detail: `the CC signs height ${cc.height} log size ${cc.logSize}, the block is height ${header.height} log size ${header.logSize}` })
  }

  #fail(actor: Actor, act: Act, object: ObjectKind, id: string, failed: NonNullable<Failed>): void {
    this.#report({ code: 'acted-on-invalid', node: actor.node, round: actor.round, act, object, id, check: failed.check, detail: failed.detail })
  }
}
