// Commit justification: when an honest replica commits, the run already holds the proof
// that the last block B it commits is committed (docs/protocol.md, the two-chain rule):
//   - a valid CC for B, or for a block that descends from B; or
//   - a child C of B in the next round (C.round = B.round + 1) that is certified: a valid
//     QC for C, or a quorum of valid votes for C (a leader commits from the votes it
//     gathered before any QC of them leaves it).
// The proof is looked for among every certificate, header and vote that reached an honest
// replica (its events) or left one (its actions) up to the end of the step that commits,
// in the whole run: a sound test of the commit rule (whoever holds the proof, it exists
// before the commit), not of what this one replica knew. Certificates are judged by the
// auditor's checks (AuditorChecks), votes by their signature, all lazily: only when a
// commit needs them, then cached. A commit without proof is 'acted-on-invalid' evidence,
// check 'commit-unjustified'.
import { verifyDomain } from '../../src/crypto/domain.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type Block, type BlockHeader } from '../../src/log/block.ts'
import { voteDataToCbor, type CommitCertificate, type QuorumCertificate } from '../../src/log/certificates.ts'
import { validatorSetOf, type Genesis } from '../../src/log/genesis.ts'
import { ED25519, type SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import type { ValidatorSet } from '../../src/log/validator-set.ts'
import type { Action, Event, Message, VoteMessage } from '../../src/consensus/types.ts'
import type { AuditorChecks } from './auditor-checks.ts'

/** Distinct certificate objects kept per block: a forger can send many for one block; the
 * first few include the real one whenever it was seen that early, and more cost memory only. */
const PER_BLOCK_MAX = 8

interface HeaderLink {
  readonly parentHex: string
  readonly height: number
  readonly round: number
}

function pushBounded<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else if (list.length < PER_BLOCK_MAX && !list.includes(value)) list.push(value)
}

export class CommitJustification {
  readonly #genesis: Genesis
  readonly #set: ValidatorSet
  readonly #scheme: SignatureScheme
  readonly #checks: AuditorChecks
  /** Hex hash -> parent, height and round, for every header seen. */
  readonly #headers = new Map<string, HeaderLink>()
  /** Hex parent hash -> hex hashes of its children seen. */
  readonly #children = new Map<string, Set<string>>()
  readonly #qcs = new Map<string, QuorumCertificate[]>()
  readonly #ccs = new Map<string, CommitCertificate[]>()
  /** Hex block hash -> voter -> its votes for that block seen. */
  readonly #votes = new Map<string, Map<number, VoteMessage[]>>()
  readonly #voteVerdicts = new Map<string, boolean>()
  readonly #headerHashes = new WeakMap<BlockHeader, string>()

  constructor(genesis: Genesis, checks: AuditorChecks, signatures: SignatureScheme = ED25519) {
    this.#genesis = genesis
    this.#set = validatorSetOf(genesis)
    this.#checks = checks
    this.#scheme = signatures
  }

  /** Notes what an event brings to an honest replica. */
  sawEvent(event: Event): void {
    if (event.type === 'message' || event.type === 'range-arriving') this.#message(event.message)
  }

  /** Notes what an honest replica's executed action holds. */
  sawAction(a: Action): void {
    switch (a.type) {
      case 'persist-block': return this.#block(a.block)
      case 'persist-safety-state':
        this.#qc(a.state.highQc)
        if (a.state.lastVote !== null) this.#vote(a.state.lastVote)
        return
      case 'send':
      case 'broadcast': return this.#message(a.message)
      case 'commit':
        for (const b of a.blocks) this.#block(b)
        if (a.qc !== null) this.#qc(a.qc)
        if (a.cc !== null) this.#cc(a.cc)
        return
      case 'store-commit-certificate': return this.#cc(a.cc)
      default: return
    }
  }

  #message(m: Message): void {
    switch (m.type) {
      case 'proposal':
        this.#block(m.block)
        if (m.cc !== null) this.#cc(m.cc)
        return
      case 'vote': return this.#vote(m)
      case 'timeout': return this.#qc(m.highQc)
      case 'sync-info':
        this.#qc(m.highQc)
        if (m.highCc !== null) this.#cc(m.highCc)
        return
      case 'block-response':
        for (const b of m.blocks) this.#block(b)
        return
      case 'range-response':
        for (const b of m.blocks) this.#block(b)
        for (const h of m.links) this.#header(h)
        if (m.cc !== null) this.#cc(m.cc)
        return
      case 'range-empty':
        if (m.cc !== null) this.#cc(m.cc)
        return
      default: return
    }
  }

  #block(b: Block): void {
    this.#header(b.header)
  }

  #header(h: BlockHeader): void {
    let hashHex = this.#headerHashes.get(h)
    if (hashHex !== undefined) return
    hashHex = toHex(blockHash(h))
    this.#headerHashes.set(h, hashHex)
    this.#qc(h.justify)
    if (this.#headers.has(hashHex)) return
    const parentHex = toHex(h.parent)
    this.#headers.set(hashHex, { parentHex, height: h.height, round: h.round })
    let children = this.#children.get(parentHex)
    if (children === undefined) {
      children = new Set()
      this.#children.set(parentHex, children)
    }
    children.add(hashHex)
  }

  #qc(qc: QuorumCertificate): void {
    pushBounded(this.#qcs, toHex(qc.block), qc)
  }

  #cc(cc: CommitCertificate): void {
    pushBounded(this.#ccs, toHex(cc.block), cc)
  }

  #vote(v: VoteMessage): void {
    const hashHex = toHex(v.block)
    let byVoter = this.#votes.get(hashHex)
    if (byVoter === undefined) {
      byVoter = new Map()
      this.#votes.set(hashHex, byVoter)
    }
    const list = byVoter.get(v.voter)
    if (list === undefined) byVoter.set(v.voter, [v])
    else if (list.length < PER_BLOCK_MAX && !list.includes(v)) list.push(v)
  }

  /** Why committing `header` (hash `hashHex`) is not justified yet, or null when it is. */
  unjustified(header: BlockHeader, hashHex: string): string | null {
    // Cheapest first: a CC for the block itself, a certified child, then (sync by height
    // ranges) a CC for a descendant.
    for (const cc of this.#ccs.get(hashHex) ?? []) {
      if (cc.height === header.height && cc.logSize === header.logSize && this.#checks.cc(cc).failed === null) return null
    }
    for (const childHex of this.#children.get(hashHex) ?? []) {
      const child = this.#headers.get(childHex)!
      if (child.round === header.round + 1 && this.#certified(childHex, child)) return null
    }
    if (this.#descendantCertified(header, hashHex)) return null
    return `no valid commit certificate for height ${header.height} or a descendant, and no certified child in round ${header.round + 1}`
  }

  #descendantCertified(header: BlockHeader, hashHex: string): boolean {
    for (const [blockHex, ccs] of this.#ccs) {
      const cc = ccs.find((c) => c.height > header.height && this.#checks.cc(c).failed === null)
      if (cc === undefined) continue
      // Walk down from the certified block to the height of the one committed.
      let at = blockHex
      let link = this.#headers.get(at)
      while (link !== undefined && link.height > header.height) {
        at = link.parentHex
        link = this.#headers.get(at)
      }
      if (at === hashHex) return true
    }
    return false
  }

  #certified(blockHex: string, link: HeaderLink): boolean {
    for (const qc of this.#qcs.get(blockHex) ?? []) {
      if (qc.round === link.round && qc.height === link.height && this.#checks.qc(qc).failed === null) return true
    }
    const byVoter = this.#votes.get(blockHex)
    if (byVoter === undefined || byVoter.size < this.#set.quorum) return false
    let valid = 0
    for (const [voter, votes] of byVoter) {
      if (votes.some((v) => v.round === link.round && v.height === link.height && this.#voteValid(voter, v))) valid++
      if (valid >= this.#set.quorum) return true
    }
    return false
  }

  #voteValid(voter: number, v: VoteMessage): boolean {
    if (voter < 0 || voter >= this.#set.n) return false
    const key = `${voter}|${v.round}|${v.height}|${toHex(v.block)}|${toHex(v.sig)}`
    let ok = this.#voteVerdicts.get(key)
    if (ok === undefined) {
      ok = verifyDomain(this.#set.key(voter), 'vote', this.#genesis.chainId, voteDataToCbor({ round: v.round, height: v.height, block: v.block }), v.sig, this.#scheme)
      this.#voteVerdicts.set(key, ok)
    }
    return ok
  }
}
