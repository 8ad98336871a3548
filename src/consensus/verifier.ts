// Signature and certificate checks with caches, so that each entry and each
// certificate is verified once per replica however often it is seen (proposal, sync,
// timeout, entry batch). Caches are bounded and forget oldest-first.
import { bytesEqual } from '../codec/cbor.ts'
import { sha256, toHex } from '../crypto/hash.ts'
import { verifyDomain } from '../crypto/domain.ts'
import { ED25519, type SignatureScheme } from '../crypto/signature-scheme.ts'
import { commitNoteMessage } from '../log/checkpoint.ts'
import { genesisQc, isGenesisQc } from '../log/block.ts'
import {
  checkCc, checkQc, checkTc, timeoutDataToCbor, voteDataToCbor,
  type CertificateProblem, type CommitCertificate, type QuorumCertificate, type TimeoutCertificate,
} from '../log/certificates.ts'
import { encodeEntry, entryId, entryLeaf, verifyEntrySignature, type Entry } from '../log/entry.ts'
import { genesisEpoch, wouldReconfigure, type Epoch } from '../log/epochs.ts'
import { policyAllows, type Genesis } from '../log/genesis.ts'
import { mayBeReserved, readPolicyPayload } from '../governance/policy-payload.ts'
import type { ValidatorSet } from '../log/validator-set.ts'
import { isRejection, type CertificateKind, type Rejection } from './rejections.ts'
import type { TimeoutMessage, VoteMessage } from './types.ts'
import { skipEntrySignaturesRefusal } from './unsafe-bench.ts'

/** An entry that passed every stateless check, with what later steps need. */
export interface CheckedEntry {
  readonly entry: Entry
  readonly idHex: string
  readonly agentHex: string
  readonly leaf: Uint8Array
  readonly bytes: number
}

const utf8 = new TextEncoder()

/** Proposal signatures remembered as verified (a few rounds' worth). */
const PROPOSALS_CACHED_MAX = 256

type CertificateLike = { signers: Uint8Array, sigs: readonly Uint8Array[], round?: number, height?: number, block?: Uint8Array }

/** The cache key of a certificate: it covers the signed statement AND the exact
 * signatures, so a copy of a valid certificate with a forged signature is a different
 * key and is checked in full. */
function certificateDigest(kind: string, cert: CertificateLike, extra = ''): string {
  let byObject = digests.get(kind)
  if (byObject === undefined) {
    byObject = new WeakMap()
    digests.set(kind, byObject)
  }
  let digest = byObject.get(cert)
  if (digest === undefined) {
    digest = computeDigest(kind, cert, extra)
    byObject.set(cert, digest)
  }
  return digest
}

/** Digests by certificate object, per kind: one certificate is looked up by every
 * message that carries it (proposal, sync-info, timeout), and in the simulator, where
 * receivers share the sender's objects, by every replica. Certificates are never
 * mutated (readonly fields; a changed one is a new object). */
const digests = new Map<string, WeakMap<CertificateLike, string>>()

function computeDigest(kind: string, cert: CertificateLike, extra: string): string {
  const parts = [kind, String(cert.round ?? ''), String(cert.height ?? ''), cert.block === undefined ? '' : toHex(cert.block), extra, toHex(cert.signers)]
  return toHex(sha256(utf8.encode(parts.join('|') + '|' + cert.sigs.map(toHex).join(''))))
}

function ccExtra(cc: CommitCertificate): string {
  return `${cc.height}/${toHex(cc.block)}/${cc.logSize}/${toHex(cc.logRoot)}`
}

/** What the verifier remembers of an entry it found valid: ~460 bytes with its key, whatever its size, not the
 * entry (a later copy of it, e.g. decoded from a proposal, gets its CheckedEntry from
 * these and its own object). */
interface VerifiedEntry {
  readonly leaf: Uint8Array
  readonly bytes: number
}

/** A Map used as a bounded FIFO cache. */
class BoundedCache<V> {
  readonly #max: number
  readonly #map = new Map<string, V>()
  constructor(max: number) {
    this.#max = max
  }
  get(key: string): V | undefined {
    return this.#map.get(key)
  }
  set(key: string, value: V): void {
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next().value as string
      this.#map.delete(oldest)
    }
    this.#map.set(key, value)
  }
}

/** How a Verifier checks signatures beyond its caches. */
export interface VerifierOptions {
  /** UNSAFE, benchmark chains only (unsafe-bench.ts): entry signatures are not verified. */
  readonly unsafeSkipEntrySignatures?: boolean
  /** Whether an entry that would be an effective reconfiguration is refused
   * (`entry-reconfiguration-unsupported`): true unless false is given
   * (ReplicaOptions.reconfigurations). */
  readonly refuseReconfigurations?: boolean
  /** The scheme every signature is checked with: ED25519 unless given (a simulation's
   * stand-in, signature-scheme.ts). */
  readonly signatures?: SignatureScheme
}

export interface VerifierCounters {
  /** Signature verifications performed (each certificate counts its signers). */
  signatures: number
  /** Entry signatures not verified: entry-signature checks off (unsafe-bench.ts). */
  entrySignaturesSkipped: number
  entryCacheHits: number
  certificateCacheHits: number
}

export class Verifier {
  readonly #genesis: Genesis
  readonly #genesisQc: QuorumCertificate
  /** The epoch the replica is in: the default set of every check, and the epoch whose
   * effective reconfiguration an entry would be. */
  #epoch: Epoch
  /** Every epoch entered, by number: votes and timeouts name theirs. */
  readonly #epochs = new Map<number, Epoch>()
  /** Each later epoch's root block (hex), whose QC counts as its round 0. */
  readonly #roots = new Map<number, string>()
  /** The tag of each epoch's set in the certificate cache: a certificate valid for one
   * set says nothing of another. Epoch 0's is empty. */
  readonly #setTags = new WeakMap<Epoch, string>()
  /** entry id (hex) -> what checking it found. Holds no entry: under a flood of large
   * entries from fresh keys, caching the entries themselves (payload, encoding) kept
   * hundreds of MB alive long after they had committed. */
  readonly #entries: BoundedCache<VerifiedEntry>
  /** certificate digest -> true (only valid certificates are cached). */
  readonly #certificates: BoundedCache<true>
  readonly #byObject = new WeakMap<Entry, CheckedEntry>()
  /** `proposer|block|sig` -> true (only valid proposal signatures are cached). */
  readonly #proposals = new BoundedCache<true>(PROPOSALS_CACHED_MAX)
  readonly counters: VerifierCounters = { signatures: 0, entrySignaturesSkipped: 0, entryCacheHits: 0, certificateCacheHits: 0 }
  /** Entry-signature checks off: benchmark chains only (unsafe-bench.ts). */
  readonly #skipEntrySignatures: boolean
  readonly #scheme: SignatureScheme
  /** Whether effective reconfigurations are refused (VerifierOptions.refuseReconfigurations). */
  readonly refusesReconfigurations: boolean

  constructor(genesis: Genesis, set: ValidatorSet, entriesMax: number, certificatesMax: number, options: VerifierOptions = {}) {
    const skipEntrySignatures = options.unsafeSkipEntrySignatures === true
    if (skipEntrySignatures) {
      const refusal = skipEntrySignaturesRefusal(genesis.chainId)
      if (refusal !== null) throw new RangeError(refusal)
    }
    this.#skipEntrySignatures = skipEntrySignatures
    this.refusesReconfigurations = options.refuseReconfigurations !== false
    this.#scheme = options.signatures ?? ED25519
    this.#genesis = genesis
    this.#genesisQc = genesisQc(genesis)
    this.#epoch = genesisEpoch(genesis, set)
    this.#epochs.set(0, this.#epoch)
    this.#setTags.set(this.#epoch, '')
    this.#entries = new BoundedCache(entriesMax)
    this.#certificates = new BoundedCache(certificatesMax)
  }

  /** The epoch the replica is in (enterEpoch). */
  get epoch(): Epoch {
    return this.#epoch
  }

  /** An epoch entered before (or the current one), by number. */
  knownEpoch(number: number): Epoch | undefined {
    return this.#epochs.get(number)
  }

  /** The replica enters `epoch` (the next one: epochs only go forward): the default set
   * of every check from now on. The sets of earlier epochs stay known (a QC of the epoch
   * before certifies the new epoch's root; stale messages name theirs). `restart`: a
   * replica restored in a later epoch enters it (or the one after, at its reconfiguration
   * block) from the genesis at once; the sets in between stay unknown (a certificate is
   * checked against its block's epoch, which the tree holds; messages naming them are
   * stale). */
  enterEpoch(epoch: Epoch, root?: Uint8Array, restart = false): void {
    // Its root block: a timeout whose high QC certifies it signed that QC's round as 0.
    if (root !== undefined) this.#roots.set(epoch.number, toHex(root))
    if (epoch === this.#epoch) return
    // The replica's own epoch again (the constructor enters the head's): nothing changes.
    if (epoch.number === this.#epoch.number && bytesEqual(epoch.setHash, this.#epoch.setHash)) return
    if (epoch.number !== this.#epoch.number + 1 && !(restart && epoch.number > this.#epoch.number)) throw new RangeError(`the verifier is in epoch ${this.#epoch.number}, it cannot enter epoch ${epoch.number}`)
    this.#epochs.set(epoch.number, epoch)
    this.#setTags.set(epoch, `@${epoch.number}/${toHex(epoch.setHash)}`)
    this.#epoch = epoch
  }

  /** The round a timeout of `epoch` signed for its high QC: 0 for the epoch's root QC. */
  #timeoutQcRound(epoch: number, qc: QuorumCertificate): number {
    const root = this.#roots.get(epoch)
    return root !== undefined && root === toHex(qc.block) ? 0 : qc.round
  }

  #tag(epoch: Epoch): string {
    let tag = this.#setTags.get(epoch)
    if (tag === undefined) {
      // An epoch object not entered here (a block's position computed elsewhere): tagged by its set.
      tag = `@${epoch.number}/${toHex(epoch.setHash)}`
      this.#setTags.set(epoch, tag)
    }
    return tag
  }

  /** The scheme this verifier checks signatures with. */
  get signatures(): SignatureScheme {
    return this.#scheme
  }

  get genesisQc(): QuorumCertificate {
    return this.#genesisQc
  }

  /** Exactly the genesis QC (block.ts isGenesisQc: also its all-zero signer bitmap and no signatures). */
  isGenesisQc(qc: QuorumCertificate): boolean {
    return isGenesisQc(qc, this.#genesisQc)
  }

  /** Checks an entry's signature, payload bound and write policy. Returns the checked
   * entry or the reason it is invalid. The signature is verified once per entry id. */
  entry(entry: Entry): CheckedEntry | Rejection {
    // The same object is checked again as it moves (submit, block, pool, commit): an
    // identity cache skips even the encoding and hashing.
    const same = this.#byObject.get(entry)
    if (same !== undefined) {
      this.counters.entryCacheHits++
      return same
    }
    const checked = this.#entry(entry)
    if (!isRejection(checked)) this.#byObject.set(entry, checked)
    return checked
  }

  /**
   * Records entries whose signatures the caller has verified with the same rule as
   * entry() (verifyEntrySignature over this chain's id), e.g. on worker threads while the
   * replica is busy, so that checking them later costs no Ed25519 verification. Every
   * other check of entry() still runs here, and an entry that fails one is not recorded.
   * Pass only entries whose signature verified: one whose signature did not is simply
   * left out, and entry() then verifies and rejects it itself.
   */
  entriesVerified(entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (this.#byObject.has(entry)) continue
      const checked = this.#entry(entry, true)
      if (!isRejection(checked)) this.#byObject.set(entry, checked)
    }
  }

  #entry(entry: Entry, signatureVerified = false): CheckedEntry | Rejection {
    const encoded = encodeEntry(entry)
    const idHex = toHex(entryId(entry))
    const cached = this.#entries.get(idHex)
    if (cached !== undefined) {
      this.counters.entryCacheHits++
      return { entry, idHex, agentHex: toHex(entry.agent), leaf: cached.leaf, bytes: cached.bytes }
    }
    const payloadBytes = utf8.encode(entry.payload).length
    const params = this.#genesis.params
    if (payloadBytes > params.payloadBytesMax) return { code: 'entry-payload-too-large', bytes: payloadBytes, limit: params.payloadBytesMax }
    if (!policyAllows(this.#genesis.policy, entry.namespace, entry.agent)) return { code: 'entry-policy-denied', namespace: entry.namespace }
    // A malformed policy entry is invalid whatever the state (docs/formats.md section 13, rule 1).
    if (this.#genesis.governance !== undefined && mayBeReserved(entry.payload)) {
      const read = readPolicyPayload(entry)
      if (read.type === 'malformed') return { code: 'entry-governance', rule: 'policy-malformed', namespace: entry.namespace, detail: read.problem }
    }
    if (this.#skipEntrySignatures && !signatureVerified) this.counters.entrySignaturesSkipped++
    else if (!signatureVerified) {
      this.counters.signatures++
      if (!verifyEntrySignature(entry, this.#genesis.chainId, this.#scheme)) return { code: 'entry-bad-signature' }
    }
    // An approved reconfiguration would end the epoch, and this replica cannot follow a
    // chain into the next one yet: refused at the door, so no leader proposes it.
    if (this.refusesReconfigurations && wouldReconfigure(entry, this.#genesis.chainId, this.#epoch, this.#scheme)) return { code: 'entry-reconfiguration-unsupported', epoch: this.#epoch.number + 1 }
    const checked: CheckedEntry = { entry, idHex, agentHex: toHex(entry.agent), leaf: entryLeaf(entry), bytes: encoded.length }
    this.#entries.set(idHex, { leaf: checked.leaf, bytes: checked.bytes })
    return checked
  }

  /** A QC signed by `epoch`'s set (the epoch of the block it certifies; the current one
   * unless given): the genesis QC is valid by definition (no signers); any other needs a
   * quorum. */
  qc(qc: QuorumCertificate, epoch: Epoch = this.#epoch): Rejection | null {
    if (qc.round === 0 || qc.height === 0) {
      return this.isGenesisQc(qc) ? null : { code: 'qc-not-genesis' }
    }
    return this.#cached('q', 'QC', qc, epoch, () => checkQc(epoch.set, this.#genesis.chainId, qc, this.#scheme))
  }

  /** A TC of `epoch` (the current one unless given): its signatures are over that epoch's
   * timeout bodies, by its set. */
  tc(tc: TimeoutCertificate, epoch: Epoch = this.#epoch): Rejection | null {
    if (tc.round === 0) return { code: 'tc-round-zero' }
    return this.#cached('t', 'TC', tc, epoch, () => checkTc(epoch.set, this.#genesis.chainId, tc, this.#scheme, epoch.number), tc.highQcRounds.join(','))
  }

  /** A CC by `epoch`'s set (its block's epoch; the current one unless given). */
  cc(cc: CommitCertificate, epoch: Epoch = this.#epoch): Rejection | null {
    if (cc.height === 0) return { code: 'cc-height-zero' }
    return this.#cached('c', 'CC', cc, epoch, () => checkCc(epoch.set, this.#genesis.chainId, cc, this.#scheme), ccExtra(cc))
  }

  /**
   * Records a certificate this replica aggregated itself (aggregators.ts) as valid, so
   * that seeing it again (in its own proposal, a sync-info, a timeout) costs no
   * verification. Sound because an aggregated certificate is valid by construction: each
   * of its signatures was verified on arrival (vote(), timeout()) or made by this
   * replica, over exactly the statement the certificate names. Only for certificates
   * from this replica's own aggregators: never for one that came in a message.
   */
  formed(cert: { readonly kind: 'qc', readonly qc: QuorumCertificate } | { readonly kind: 'cc', readonly cc: CommitCertificate } | { readonly kind: 'tc', readonly tc: TimeoutCertificate }): void {
    // Aggregated from messages of the current epoch (the replica's aggregators hold no other).
    const tag = this.#tag(this.#epoch)
    if (cert.kind === 'qc') this.#certificates.set(certificateDigest('q', cert.qc) + tag, true)
    else if (cert.kind === 'cc') this.#certificates.set(certificateDigest('c', cert.cc, ccExtra(cert.cc)) + tag, true)
    else this.#certificates.set(certificateDigest('t', cert.tc, cert.tc.highQcRounds.join(',')) + tag, true)
  }

  /** A proposal's signature by `proposer` over the block hash, verified once per
   * (block, signature): the node checks it before it queues the proposal, and the
   * replica checks it again when the proposal is delivered. */
  proposal(proposer: number, block: Uint8Array, sig: Uint8Array, epoch: Epoch = this.#epoch): boolean {
    const set = epoch.set
    if (proposer >= set.n) return false
    const key = `${proposer}|${toHex(block)}|${toHex(sig)}${this.#tag(epoch)}`
    if (this.#proposals.get(key) !== undefined) {
      this.counters.certificateCacheHits++
      return true
    }
    this.counters.signatures++
    if (!verifyDomain(set.key(proposer), 'proposal', this.#genesis.chainId, { block }, sig, this.#scheme)) return false
    this.#proposals.set(key, true)
    return true
  }

  /** Records this replica's own signed proposal as verified. */
  signedProposal(proposer: number, block: Uint8Array, sig: Uint8Array): void {
    this.#proposals.set(`${proposer}|${toHex(block)}|${toHex(sig)}${this.#tag(this.#epoch)}`, true)
  }

  /** The set a vote or timeout names by its `epoch` (absent: 0). */
  #setOf(m: { readonly epoch?: number }): ValidatorSet | Rejection {
    const number = m.epoch ?? 0
    const epoch = this.#epochs.get(number)
    return epoch === undefined ? { code: 'epoch-unknown', epoch: number } : epoch.set
  }

  /** A single vote, by the set of the epoch it names: voter index in range, signature
   * (and the commit signature if present). */
  vote(vote: VoteMessage): Rejection | null {
    const set = this.#setOf(vote)
    if (isRejection(set)) return set
    if (vote.voter >= set.n) return { code: 'voter-unknown', voter: vote.voter }
    const key = set.key(vote.voter)
    const chainId = this.#genesis.chainId
    this.counters.signatures++
    if (!verifyDomain(key, 'vote', chainId, voteDataToCbor(vote), vote.sig, this.#scheme)) return { code: 'vote-bad-signature', voter: vote.voter }
    if (vote.commit !== null) {
      this.counters.signatures++
      if (!this.#scheme.verify(key, commitNoteMessage(chainId, vote.commit), vote.commit.sig)) return { code: 'commit-bad-signature', voter: vote.voter }
    }
    return null
  }

  /** A single timeout, by the set of the epoch it names, over that epoch's body. */
  timeout(t: TimeoutMessage): Rejection | null {
    const set = this.#setOf(t)
    if (isRejection(set)) return set
    if (t.voter >= set.n) return { code: 'voter-unknown', voter: t.voter }
    const highQcRound = this.#timeoutQcRound(t.epoch ?? 0, t.highQc)
    if (highQcRound >= t.round) return { code: 'timeout-high-qc-not-below', highQcRound, round: t.round }
    this.counters.signatures++
    if (!verifyDomain(set.key(t.voter), 'timeout', this.#genesis.chainId, timeoutDataToCbor(t.round, highQcRound, t.epoch ?? 0), t.sig, this.#scheme)) {
      return { code: 'timeout-bad-signature', voter: t.voter }
    }
    return null
  }

  #cached(kind: string, certificate: CertificateKind, cert: CertificateLike, epoch: Epoch, check: () => CertificateProblem | null, extra = ''): Rejection | null {
    const digest = certificateDigest(kind, cert, extra) + this.#tag(epoch)
    if (this.#certificates.get(digest) !== undefined) {
      this.counters.certificateCacheHits++
      return null
    }
    const problem = check()
    if (problem !== null) return { ...problem, certificate }
    this.counters.signatures += cert.sigs.length
    this.#certificates.set(digest, true)
    return null
  }
}
