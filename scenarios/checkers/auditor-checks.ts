// The auditor's rules applied to single objects as honest replicas act on them, with the
// verdicts cached by object, in the checker and independent of any replica: blocks by the
// shared block rule (checkBlockAfterParent, src/log/block-rule.ts) against their parent,
// two of its rules also written apart (secondOpinion, below), certificates by checkQc / checkTc / checkCc (src/log/certificates.ts), entries by their
// signature and the chain's entry rules (src/log/entry.ts, src/log/verify.ts). Nothing
// here goes through the consensus core's Verifier, so a replica whose verifier caches a
// failure as a success is judged by what the object is, not by what it remembered.
//
// A block is judged against the chain below it as this module knows it: every block
// that passed (reached through its parent hash back to the genesis block), with the log
// after it and the last seq of every agent along its chain. Blocks reach it in the order
// honest replicas accept them, so the parent of a block an honest replica accepts has
// been judged before, unless the replica accepted a block whose parent it never accepted.
import { bytesEqual, encodeCanonical } from '../../src/codec/cbor.ts'
import { verifyDomain } from '../../src/crypto/domain.ts'
import { sha256, toHex } from '../../src/crypto/hash.ts'
import { checkBlockAfterParent } from '../../src/log/block-rule.ts'
import { blockHash, genesisBlock, genesisQc, isGenesisQc, type Block, type BlockHeader } from '../../src/log/block.ts'
import {
  ccToCbor, checkCc, checkQc, checkTc, describeCertificateProblem, qcToCbor, tcToCbor,
  type CertificateProblem, type CommitCertificate, type QuorumCertificate, type TimeoutCertificate,
} from '../../src/log/certificates.ts'
import { encodeEntry, entryId, entryLeaf, verifyEntrySignature, type Entry } from '../../src/log/entry.ts'
import { validatorSetOf, type Genesis } from '../../src/log/genesis.ts'
import { leaderElectionFor, type LeaderElection } from '../../src/log/leader-election.ts'
import { merkleRoot, MerkleAccumulator } from '../../src/log/merkle.ts'
import type { ValidatorSet } from '../../src/log/validator-set.ts'
import { checkEntryRules } from '../../src/log/verify.ts'
import { ED25519, type SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import { GovernanceState } from '../../src/governance/state.ts'
import { genesisPosition, type EpochPosition } from '../../src/log/epochs.ts'

/** A check's outcome: null when the object passes, else the failed check's code and why. */
export type Failed = { readonly check: string, readonly detail: string } | null

/** A block that passed, as the base for judging its children. */
interface ChainPoint {
  readonly header: BlockHeader
  readonly hash: Uint8Array
  readonly log: MerkleAccumulator
  /** Hex agent key -> its last seq along the chain up to and including this block. */
  readonly seqs: ReadonlyMap<string, number>
  /** The governance state after this block; null when the chain has none. */
  readonly governance: GovernanceState | null
  /** Where the chain is after this block (its epoch: docs/formats.md section 15). */
  readonly position: EpochPosition
}

export type CertificateKind = 'qc' | 'tc' | 'cc'
type Certificate = QuorumCertificate | TimeoutCertificate | CommitCertificate

export interface JudgedBlock {
  /** Hex block hash (of the header). */
  readonly hashHex: string
  readonly failed: Failed
}

function certificateFailed(p: CertificateProblem | null): Failed {
  return p === null ? null : { check: p.code, detail: describeCertificateProblem(p) }
}

export class AuditorChecks {
  readonly #genesis: Genesis
  readonly #set: ValidatorSet
  readonly #leaders: LeaderElection
  readonly #scheme: SignatureScheme
  readonly #genesisQc: QuorumCertificate
  /** Hex block hash -> the block's point, for blocks that passed. */
  readonly #points = new Map<string, ChainPoint>()
  /** Verdicts by content digest: a block's key is its hash and its entries' Merkle root
   * (two objects with one header and different entries are two blocks); a certificate's
   * is the hash of its canonical encoding; an entry's is its id. One entry per object
   * seen in the run: a run holds a few thousand. */
  readonly #blocks = new Map<string, Failed>()
  readonly #certificates = new Map<string, Failed>()
  readonly #entries = new Map<string, Failed>()
  /** Proposal signatures, by proposer, block hash and signature. */
  readonly #proposals = new Map<string, Failed>()
  /** Hex hashes of blocks that failed (to tell a child of one from a child of nothing seen). */
  readonly #failedHashes = new Set<string>()
  /** The same verdicts by object identity (the simulator hands one object to every
   * receiver), so that a repeat costs no hashing at all. */
  readonly #byObject = new WeakMap<object, { readonly key: string, readonly failed: Failed }>()
  /** How many objects were judged afresh (not from a cache), for the cost report. */
  judged = 0

  constructor(genesis: Genesis, leaders: LeaderElection = leaderElectionFor(genesis), signatures: SignatureScheme = ED25519) {
    this.#genesis = genesis
    this.#set = validatorSetOf(genesis)
    this.#leaders = leaders
    this.#scheme = signatures
    this.#genesisQc = genesisQc(genesis)
    const g = genesisBlock(genesis)
    const hash = blockHash(g.header)
    this.#points.set(toHex(hash), { header: g.header, hash, log: new MerkleAccumulator(), seqs: new Map(), governance: GovernanceState.initial(this.#genesis), position: genesisPosition(genesis) })
  }

  /** The header of a block that passed, by hex hash. */
  header(hashHex: string): BlockHeader | undefined {
    return this.#points.get(hashHex)?.header
  }

  /** A QC: exactly the genesis QC at height 0, else a quorum of valid vote signatures. */
  qc(qc: QuorumCertificate): { readonly id: string, readonly failed: Failed } {
    return this.#certificate('qc', qc)
  }

  tc(tc: TimeoutCertificate): { readonly id: string, readonly failed: Failed } {
    return this.#certificate('tc', tc)
  }

  cc(cc: CommitCertificate): { readonly id: string, readonly failed: Failed } {
    return this.#certificate('cc', cc)
  }

  #certificate(kind: CertificateKind, cert: Certificate): { readonly id: string, readonly failed: Failed } {
    const seen = this.#byObject.get(cert)
    if (seen !== undefined) return { id: seen.key, failed: seen.failed }
    const encoded = kind === 'qc' ? qcToCbor(cert as QuorumCertificate) : kind === 'tc' ? tcToCbor(cert as TimeoutCertificate) : ccToCbor(cert as CommitCertificate)
    const key = `${kind}:${toHex(sha256(encodeCanonical(encoded)))}`
    let failed = this.#certificates.get(key)
    if (failed === undefined) {
      failed = this.#judgeCertificate(kind, cert)
      this.#certificates.set(key, failed)
      this.judged++
    }
    this.#byObject.set(cert, { key, failed })
    return { id: key, failed }
  }

  #judgeCertificate(kind: CertificateKind, cert: Certificate): Failed {
    const chainId = this.#genesis.chainId
    switch (kind) {
      case 'qc': {
        const qc = cert as QuorumCertificate
        if (qc.height === 0) return isGenesisQc(qc, this.#genesisQc) ? null : { check: 'not-genesis-qc', detail: 'a QC for height 0 must be exactly the genesis QC' }
        return certificateFailed(checkQc(this.#set, chainId, qc, this.#scheme))
      }
      case 'tc': return certificateFailed(checkTc(this.#set, chainId, cert as TimeoutCertificate, this.#scheme))
      case 'cc': return certificateFailed(checkCc(this.#set, chainId, cert as CommitCertificate, this.#scheme))
    }
  }

  /** An entry on its own: its signature, then the chain's payload bound and write policy. */
  entry(entry: Entry): { readonly id: string, readonly failed: Failed } {
    const seen = this.#byObject.get(entry)
    if (seen !== undefined) return { id: seen.key, failed: seen.failed }
    const key = toHex(entryId(entry))
    let failed = this.#entries.get(key)
    if (failed === undefined) {
      failed = this.#judgeEntry(entry)
      this.#entries.set(key, failed)
      this.judged++
    }
    this.#byObject.set(entry, { key, failed })
    return { id: key, failed }
  }

  #judgeEntry(entry: Entry): Failed {
    if (!verifyEntrySignature(entry, this.#genesis.chainId, this.#scheme)) return { check: 'bad-entry-signature', detail: 'the entry signature does not verify' }
    const rule = checkEntryRules(entry, this.#genesis)
    return rule === null ? null : { check: 'entry-not-allowed', detail: rule }
  }

  /** A proposal's signature: the block's proposer signed (kind 'proposal') its hash. Not
   * part of the chain an auditor sees, but what makes the block the leader's: a replica
   * votes only for a block its round's leader signed. */
  proposal(block: Block, sig: Uint8Array): { readonly hashHex: string, readonly failed: Failed } {
    const hashHex = this.block(block).hashHex
    const proposer = block.header.proposer
    const key = `${proposer}|${hashHex}|${toHex(sig)}`
    let failed = this.#proposals.get(key)
    if (failed === undefined) {
      const valid = proposer < this.#set.n && verifyDomain(this.#set.key(proposer), 'proposal', this.#genesis.chainId, { block: blockHash(block.header) }, sig, this.#scheme)
      failed = valid ? null : { check: 'proposal-bad-signature', detail: `the proposal's signature by validator ${proposer} does not verify` }
      this.#proposals.set(key, failed)
      this.judged++
    }
    return { hashHex, failed }
  }

  /** A block against its parent by the block rule; the parent must have passed before. */
  block(block: Block): JudgedBlock {
    const seen = this.#byObject.get(block)
    if (seen !== undefined) return { hashHex: seen.key.slice(0, 64), failed: seen.failed }
    const hashHex = toHex(blockHash(block.header))
    const key = `${hashHex}${toHex(merkleRoot(block.entries.map((e) => entryLeaf(e))))}`
    let failed = this.#blocks.get(key)
    if (failed === undefined) {
      const parentHex = toHex(block.header.parent)
      const parent = this.#points.get(parentHex)
      if (parent === undefined) {
        // Not cached: the parent may pass later (then this block is judged again).
        const parentFailed = this.#failedHashes.has(parentHex)
        return { hashHex, failed: { check: parentFailed ? 'parent-invalid' : 'parent-unseen', detail: `its parent ${parentHex.slice(0, 16)} ${parentFailed ? 'failed the block rule' : 'was never accepted by an honest replica'}` } }
      }
      failed = this.#judgeBlock(block, parent, hashHex)
      this.#blocks.set(key, failed)
      if (failed !== null) this.#failedHashes.add(hashHex)
      this.judged++
    }
    this.#byObject.set(block, { key, failed })
    return { hashHex, failed }
  }

  #judgeBlock(block: Block, parent: ChainPoint, hashHex: string): Failed {
    let qcCheck = ''
    const result = checkBlockAfterParent<{ leaf: Uint8Array, agentHex: string }, { check: string, detail: string }>({
      genesis: this.#genesis,
      // Judged like a validator's tree (suffix blocks allowed), from the parent's epoch position.
      epochs: { parent: parent.position, suffixAllowed: true, boundaryCertified: true },
      signatures: this.#scheme,
      leadersOf: () => this.#leaders,
      qcProblem: (qc) => {
        if (parent.header.height === 0) {
          if (isGenesisQc(qc, this.#genesisQc)) return null
          qcCheck = 'not-genesis-qc'
          return 'the QC of block 1 must be exactly the genesis QC'
        }
        const judged = this.qc(qc).failed
        if (judged === null) return null
        qcCheck = judged.check
        return judged.detail
      },
      entryBytes: (entry) => encodeEntry(entry).length,
      judgeEntry: (entry) => {
        const judged = this.entry(entry).failed
        return judged === null ? { leaf: entryLeaf(entry), agentHex: toHex(entry.agent) } : { problem: judged }
      },
      lastSeq: (agentHex) => parent.seqs.get(agentHex),
    }, parent, block)
    if (!result.ok) {
      switch (result.code) {
        case 'bad-qc': return { check: `bad-qc/${qcCheck}`, detail: result.problem }
        case 'entry': return { check: `entry/${result.problem.check}`, detail: `entry ${result.position}: ${result.problem.detail}` }
        default: {
          const { ok: _ok, code, ...values } = result
          return { check: code, detail: JSON.stringify(values) }
        }
      }
    }
    const second = secondOpinion(block, parent)
    if (second !== null) return second
    if (!this.#points.has(hashHex)) {
      const seqs = new Map(parent.seqs)
      for (const [agent, seq] of result.agentSeqs) seqs.set(agent, seq)
      this.#points.set(hashHex, { header: block.header, hash: result.hash, log: result.log, seqs, governance: result.governance, position: result.position })
    }
    return null
  }
}

/**
 * Two rules of the block rule checked again here, written apart from src/log/block-rule.ts:
 * the justify QC names the parent (its hash, height and round), and each entry's seq is
 * above its agent's last one along the chain (no entry twice). The checks above judge by
 * the shared rule, so a weakened copy of it there would weaken them too; these two are the
 * ones whose weakening a Byzantine leader can use without a quorum (a block on one block
 * certified by a QC for its sibling; an entry committed twice). Null when both hold.
 */
function secondOpinion(block: Block, parent: ChainPoint): Failed {
  const h = block.header
  const qc = h.justify
  if (!bytesEqual(qc.block, parent.hash) || qc.height !== parent.header.height || qc.round !== parent.header.round) {
    return { check: 'justify-not-parent', detail: `the justify QC certifies height ${qc.height} round ${qc.round} block ${toHex(qc.block).slice(0, 16)}, not the parent` }
  }
  const seen = new Map<string, number>()
  for (let i = 0; i < block.entries.length; i++) {
    const e = block.entries[i]!
    const agent = toHex(e.agent)
    const last = seen.get(agent) ?? parent.seqs.get(agent)
    if (last !== undefined && e.seq <= last) return { check: 'seq-repeated', detail: `entry ${i}: agent ${agent.slice(0, 8)} seq ${e.seq} after ${last}` }
    seen.set(agent, e.seq)
  }
  return null
}
