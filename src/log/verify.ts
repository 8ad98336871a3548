// The auditor's core: re-verify a receipt, or a whole chain, against nothing but the
// genesis. Each check reports the first failure with where it is and why, as data
// (a Failure), so an auditor sees "height 812, entry 3: signature does not verify".
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { ED25519, type SignatureScheme } from '../crypto/signature-scheme.ts'
import { blockHash, genesisBlock, genesisQc, isGenesisQc, type Block, type BlockHeader } from './block.ts'
import { checkBlockAfterParent, type JudgedEntry } from './block-rule.ts'
import { checkCc, checkQc, describeCertificateProblem, type CommitCertificate, type QuorumCertificate } from './certificates.ts'
import { encodeEntry, entryLeaf, verifyEntrySignature, type Entry } from './entry.ts'
import {
  checkReconfiguration, describeReconfigurationProblem, genesisEpoch, genesisPosition, nextEpoch, readReconfigurationPayload, suffixLinksProblem,
  type Epoch, type EpochPosition,
} from './epochs.ts'
import { genesisHash, policyAllows, validatorSetOf, type Genesis } from './genesis.ts'
import { describeGovernanceProblem, GovernanceState } from '../governance/state.ts'
import { MerkleAccumulator, verifyInclusion, type MerkleAccumulatorState } from './merkle.ts'
import { leaderElectionFor, RoundRobinLeaderElection, type LeaderElection } from './leader-election.ts'
import type { EpochChange, Receipt, ReceiptBody } from './receipt.ts'
import type { ValidatorSet } from './validator-set.ts'

/** An entry the auditor found valid on its own: its agent and leaf hash. */
type AuditedEntry = JudgedEntry

export interface Failure {
  readonly code: string
  readonly reason: string
  /** Block height where verification failed, when it is about a block. */
  readonly height?: number
  /** Entry position inside the block, when it is about an entry. */
  readonly position?: number
}

export type Verdict = { readonly ok: true } | ({ readonly ok: false } & Failure)

const OK: Verdict = { ok: true }

function fail(code: string, reason: string, where: { height?: number, position?: number } = {}): Verdict {
  return { ok: false, code, reason, ...where }
}

/** Whether the entry may be in this chain at all: payload bound and write policy (null:
 * it may). Exported for the simulator's conduct checker, which judges what honest
 * replicas forward by the auditor's rules. */
export function checkEntryRules(entry: Entry, genesis: Genesis): string | null {
  const payloadBytes = new TextEncoder().encode(entry.payload).length
  if (payloadBytes > genesis.params.payloadBytesMax) return `payload of ${payloadBytes} bytes is over the chain's limit of ${genesis.params.payloadBytesMax}`
  if (!policyAllows(genesis.policy, entry.namespace, entry.agent)) return `agent ${toHex(entry.agent)} may not write to namespace '${entry.namespace}'`
  return null
}

/**
 * Verifies a receipt offline: the epoch changes it carries (each a receipt of a
 * reconfiguration entry, from the genesis set on: docs/formats.md section 15.5), the
 * entry's signature and the chain's rules for it, its inclusion in the log at the
 * checkpoint's size, and the checkpoint's quorum of signatures of the epoch's validators.
 * Needs nothing but the genesis; `set` is the genesis set when the caller has it built.
 */
export function verifyReceipt(receipt: Receipt, genesis: Genesis, set: ValidatorSet = validatorSetOf(genesis)): Verdict {
  const changes = receipt.epochs ?? []
  if (changes.length === 0) return verifyReceiptIn(receipt, genesis, set)
  const chain = verifyEpochChanges(changes, genesis, set)
  if (!chain.ok) return fail('bad-epoch-change', `epoch change ${chain.position + 1}: ${chain.reason}`, { position: chain.position })
  const epoch = chain.epochs[chain.epochs.length - 1]!
  const verdict = verifyReceiptIn(receipt, genesis, epoch.set)
  if (!verdict.ok) return verdict
  if (receipt.checkpoint.height < epoch.firstHeight) {
    return fail('checkpoint-before-epoch', `the checkpoint at height ${receipt.checkpoint.height} is below the first block of epoch ${epoch.number}, at height ${epoch.firstHeight}`)
  }
  return OK
}

/** What verifying a list of epoch changes found: the epochs from 0 to the last one (each
 * with its set and first height), or the first change that fails and why. */
export type EpochChainVerdict =
  | { readonly ok: true, readonly epochs: readonly Epoch[] }
  | { readonly ok: false, readonly position: number, readonly code: string, readonly reason: string }

/**
 * Follows the epoch changes from the genesis (docs/formats.md section 15.5): change i
 * must be a receipt, valid for the set of epoch i-1, of a reconfiguration entry to
 * epoch i approved by a quorum of that set, in the block its boundary starts with, whose
 * checkpoint certifies that block or a suffix block chained to it (the boundary
 * certificate), above the previous change's boundary. A light client's sync: one receipt
 * and one quorum check per epoch.
 */
export function verifyEpochChanges(changes: readonly EpochChange[], genesis: Genesis, set: ValidatorSet = validatorSetOf(genesis)): EpochChainVerdict {
  const epochs: Epoch[] = [genesisEpoch(genesis, set)]
  let boundary = 0
  for (let position = 0; position < changes.length; position++) {
    const change = changes[position]!
    const current = epochs[epochs.length - 1]!
    const failed = (code: string, reason: string): EpochChainVerdict => ({ ok: false, position, code, reason })
    const verdict = verifyReceiptIn(change, genesis, current.set)
    if (!verdict.ok) return failed(verdict.code, `its receipt under epoch ${current.number}: ${verdict.reason}`)
    const read = readReconfigurationPayload(change.entry)
    if (read.type === 'none') return failed('not-a-reconfiguration', 'its entry is not a reconfiguration')
    if (read.type === 'malformed') return failed('reconfiguration-malformed', `its entry is a malformed reconfiguration: ${read.problem}`)
    const problem = checkReconfiguration(read.reconfiguration, genesis.chainId, current, null)
    if (problem !== null) return failed(problem.code, describeReconfigurationProblem(problem))
    const problem2 = boundaryProblem(change, current.number)
    if (problem2 !== null) return failed('bad-boundary', problem2)
    const height = change.boundary[0]!.height
    if (height > read.reconfiguration.expires) {
      return failed('reconfiguration-expired', describeReconfigurationProblem({ code: 'reconfiguration-expired', height, expires: read.reconfiguration.expires }))
    }
    if (height <= boundary) return failed('boundary-not-increasing', `its reconfiguration block at height ${height} is not above the previous one, at height ${boundary}`)
    boundary = height
    epochs.push(nextEpoch(read.reconfiguration, height + 1))
  }
  return { ok: true, epochs }
}

/**
 * Why an epoch change's boundary does not prove that its entry's block ended epoch
 * `epoch` (section 15.3), or null: the first header is the block holding the entry (its
 * index among that block's leaves) in epoch `epoch`; each next header is its empty child
 * in the same epoch (a suffix block); the checkpoint certifies the last header and states
 * the log after the first (suffix blocks add nothing to it).
 */
function boundaryProblem(change: EpochChange, epoch: number): string | null {
  const headers = change.boundary
  const first = headers[0]!
  if ((first.epoch ?? 0) !== epoch) return `the reconfiguration block names epoch ${first.epoch ?? 0}, not ${epoch}`
  if (change.index < first.logSize - first.entryCount || change.index >= first.logSize) {
    return `the entry's index ${change.index} is not among the leaves of the block at height ${first.height} (${first.logSize - first.entryCount} to ${first.logSize - 1})`
  }
  for (let i = 1; i < headers.length; i++) {
    const h = headers[i]!
    const before = headers[i - 1]!
    if (h.height !== before.height + 1 || !bytesEqual(h.parent, blockHash(before))) return `suffix header ${i} is not the child of the header before it`
    if ((h.epoch ?? 0) !== epoch || h.entryCount !== 0) return `suffix header ${i} is not an empty block of epoch ${epoch}`
  }
  const last = headers[headers.length - 1]!
  const cc = change.checkpoint
  if (cc.height !== last.height || !bytesEqual(cc.block, blockHash(last))) return 'the checkpoint certifies another block than the last header of the boundary'
  if (cc.logSize !== first.logSize || !bytesEqual(cc.logRoot, first.logRoot)) return 'the checkpoint states another log than the reconfiguration block\'s'
  return null
}

/** Sections 8's checks of one receipt against one set (its epoch's). */
function verifyReceiptIn(receipt: ReceiptBody, genesis: Genesis, set: ValidatorSet): Verdict {
  const { entry, checkpoint } = receipt
  if (!verifyEntrySignature(entry, genesis.chainId)) return fail('bad-entry-signature', 'the entry signature does not verify')
  const rule = checkEntryRules(entry, genesis)
  if (rule !== null) return fail('entry-not-allowed', rule)
  if (receipt.index >= checkpoint.logSize) {
    return fail('index-out-of-range', `leaf index ${receipt.index} is not below the checkpoint's log size ${checkpoint.logSize}`)
  }
  const leaf = entryLeaf(entry)
  if (!verifyInclusion(leaf, receipt.index, checkpoint.logSize, receipt.proof, checkpoint.logRoot)) {
    return fail('bad-inclusion-proof', `the inclusion proof of leaf ${receipt.index} does not lead to the checkpoint's log root`)
  }
  const quorum = checkCc(set, genesis.chainId, checkpoint)
  if (quorum !== null) return fail('bad-commit-certificate', `commit certificate at height ${checkpoint.height}: ${describeCertificateProblem(quorum)}`)
  return OK
}

export interface ChainItem {
  readonly block: Block
  /** The commit certificate for this block, when the exporter has one; for a
   * reconfiguration block with `links`, the certificate of the last link. */
  readonly cc?: CommitCertificate | null
  /** Only for a reconfiguration block whose boundary certificate is for a suffix block
   * (docs/formats.md section 15.3): the suffix headers from its child to that block. */
  readonly links?: readonly BlockHeader[]
}

/** Where a partial verification starts: the header at height from-1 and the log's
 * accumulator after it. The frontier is checked against that header's log root, and the
 * header itself against the QC in the next block, so neither needs to be trusted. */
export interface ChainStart {
  readonly header: BlockHeader
  readonly accumulator: MerkleAccumulatorState
  /** The last committed seq of each agent before the start (hex key -> seq). Without it,
   * per-agent order is only checked within the verified range. */
  readonly agentSeqs?: ReadonlyMap<string, number>
  /** The governance state after the start header (docs/formats.md section 13). Required
   * when the genesis has governance: without it the policies in force are unknown, and
   * the verifier fails with `bad-start`; `'unknown'` says so on purpose (a partial
   * export carries no policies): the governance rules are then not checked, and the
   * report says so (`governance: 'not-checked'`). */
  readonly governance?: GovernanceState | 'unknown'
  /** The epoch changes at or below the start header (docs/formats.md section 15.4), when
   * the start is past the genesis epoch: verified like a receipt's, they give the set the
   * first block is checked against. */
  readonly epochChanges?: readonly EpochChange[]
}

/** An epoch a verified chain entered: its number, first height and size. */
export interface EpochSummary {
  readonly epoch: number
  readonly firstHeight: number
  readonly validators: number
}

/** Per-entry work for one block done outside the verifier, from the same bytes. */
export interface PrecomputedEntries {
  readonly signaturesValid: readonly boolean[]
  readonly leaves: readonly Uint8Array[]
}

export interface ChainReport {
  readonly ok: boolean
  readonly failure: Failure | null
  /** Last height that passed every check. */
  readonly height: number
  /** Highest height proven committed by a commit certificate. */
  readonly certifiedHeight: number
  readonly blocks: number
  readonly entries: number
  readonly logSize: number
  readonly logRoot: Uint8Array
  /** The epoch of the last verified block, and every epoch the verified range was in. */
  readonly epoch: number
  readonly epochs: readonly EpochSummary[]
  /** Reconfiguration claims that changed nothing (malformed, wrong epoch, not approved,
   * after the epoch's effective one): ordinary entries, counted for the audit report. */
  readonly inertReconfigurations: number
  /** The governance rules (docs/formats.md section 13): 'checked' on every verified
   * block, 'none' on a chain without governance, 'not-checked' from a start whose
   * governance state is unknown (a partial export). */
  readonly governance: 'checked' | 'none' | 'not-checked'
}

/**
 * Incremental chain verification in bounded memory: it keeps the previous header, the
 * accumulator's frontier (O(log n) hashes) and one sequence number per agent, never the
 * chain. push() each block in height order; finish() checks that the chain ends on a
 * certified block and returns the report.
 *
 * Checks per block, in this order (docs/formats.md section 9; the first failure is
 * reported with its code): height and parent link, increasing rounds, the round's leader
 * as proposer, the QC for the parent (exactly the genesis QC at height 1, else a quorum
 * of valid signatures from the genesis set), entry count, the genesis blockEntriesMax and
 * blockBytesMax, then each entry in order (signature, payload limit and write policy,
 * the governance rules when the chain has governance (section 13), per-agent sequence strictly increasing, so no entry appears twice), then the entries
 * root, the log size and root after the block, and the commit certificate when present.
 */
export class ChainVerifier {
  readonly #genesis: Genesis
  readonly #set: ValidatorSet
  readonly #genesisQc: QuorumCertificate
  readonly #leaders: LeaderElection
  readonly #scheme: SignatureScheme
  #prev: BlockHeader
  #prevHash: Uint8Array
  #accumulator: MerkleAccumulator
  /** The governance state after #prev; null when the chain has none (or it is unknown). */
  #governance: GovernanceState | null
  readonly #governanceMode: ChainReport['governance']
  readonly #agentSeqs: Map<string, number>
  #failure: Failure | null = null
  #certifiedHeight: number
  #blocks = 0
  #entries = 0
  /** Where the chain is after the previous block (its epoch, and that epoch's
   * reconfiguration block once seen). */
  #position: EpochPosition
  /** Whether the previous block came with its commit certificate (the boundary
   * certificate, when it is a reconfiguration block). */
  #prevCertified = false
  readonly #epochLeaders = new Map<number, LeaderElection>()
  readonly #epochs: EpochSummary[] = []
  #inertReconfigurations = 0

  /** `leaders` is the chain's election (leaderElectionFor(genesis) unless given);
   * `signatures` the scheme (ED25519 unless given: only a simulation passes its stand-in). */
  constructor(genesis: Genesis, start?: ChainStart, leaders: LeaderElection = leaderElectionFor(genesis), signatures: SignatureScheme = ED25519) {
    this.#genesis = genesis
    this.#scheme = signatures
    this.#set = validatorSetOf(genesis)
    this.#leaders = leaders
    this.#genesisQc = genesisQc(genesis)
    const first = start?.header ?? genesisBlock(genesis).header
    this.#prev = first
    this.#prevHash = blockHash(first)
    this.#certifiedHeight = first.height
    this.#agentSeqs = new Map(start?.agentSeqs ?? [])
    const startGovernance = start?.governance
    this.#governanceMode = genesis.governance === undefined ? 'none' : startGovernance === 'unknown' ? 'not-checked' : 'checked'
    this.#governance = start === undefined ? GovernanceState.initial(genesis) : (startGovernance === 'unknown' ? null : startGovernance ?? null)
    if (this.#governanceMode === 'checked' && start !== undefined && (startGovernance === undefined || startGovernance === 'unknown' || startGovernance.height !== first.height)) {
      this.#failure = { code: 'bad-start', reason: `the chain has governance: a start at height ${first.height} needs the governance state after it`, height: first.height }
    }
    this.#position = genesisPosition(genesis, this.#set)
    const changes = start?.epochChanges ?? []
    if (changes.length === 0 && (first.epoch ?? 0) !== 0) {
      this.#failure = { code: 'bad-start', reason: `the start header names epoch ${first.epoch}, and no epoch changes lead there`, height: first.height }
    } else if (changes.length > 0) {
      const position = this.#startPosition(changes, first)
      if (typeof position === 'string') this.#failure = { code: 'bad-start', reason: position, height: first.height }
      else {
        this.#position = position
        // The start header is trusted through the next block's QC; at a boundary it is
        // the reconfiguration block, and the last change's checkpoint is its certificate.
        this.#prevCertified = position.ending !== null
      }
    }
    this.#epochs.push({ epoch: this.#position.epoch.number, firstHeight: this.#position.epoch.firstHeight, validators: this.#position.epoch.set.n })
    let accumulator: MerkleAccumulator
    try {
      accumulator = MerkleAccumulator.fromState(start?.accumulator ?? { size: 0, frontier: [] })
    } catch (err) {
      accumulator = new MerkleAccumulator()
      this.#failure = { code: 'bad-start', reason: `the starting accumulator is malformed: ${(err as Error).message}`, height: first.height }
    }
    this.#accumulator = accumulator
    if (this.#failure === null && genesis.governance === undefined && startGovernance !== undefined && startGovernance !== 'unknown') {
      this.#failure = { code: 'bad-start', reason: 'a governance state is given for a chain without governance', height: first.height }
    }
    if (this.#failure === null && (accumulator.size !== first.logSize || !bytesEqual(accumulator.root(), first.logRoot))) {
      this.#failure = { code: 'bad-start', reason: `the starting accumulator does not match the log root of height ${first.height}`, height: first.height }
    }
  }

  get failure(): Failure | null {
    return this.#failure
  }

  /** The governance state after the last verified block; null when the chain has none. */
  get governance(): GovernanceState | null {
    return this.#governance
  }

  /** The position at a partial export's start header, from the epoch changes at or below
   * it, or why they do not fit. */
  #startPosition(changes: readonly EpochChange[], header: BlockHeader): EpochPosition | string {
    const chain = verifyEpochChanges(changes, this.#genesis, this.#set)
    if (!chain.ok) return `epoch change ${chain.position + 1}: ${chain.reason}`
    const last = chain.epochs[chain.epochs.length - 1]!
    const boundary = last.firstHeight - 1
    const headerEpoch = header.epoch ?? 0
    if (header.height === boundary) {
      const before = chain.epochs[chain.epochs.length - 2]!
      if (headerEpoch !== before.number) return `the start header at the boundary of epoch ${last.number} names epoch ${headerEpoch}, not ${before.number}`
      return { epoch: before, ending: { height: boundary, next: last } }
    }
    if (header.height < boundary) return `the start header at height ${header.height} is below the last epoch change's boundary, at height ${boundary}`
    if (headerEpoch !== last.number) return `the start header names epoch ${headerEpoch}, not ${last.number}`
    return { epoch: last, ending: null }
  }

  /** Why a record's links do not make its CC a boundary certificate for its block, or
   * null: the block is its epoch's reconfiguration block, a CC comes with them, and they
   * are empty suffix blocks of the same epoch, each the child of the one before, the first
   * the block's child. */
  #linksProblem(links: readonly BlockHeader[], hash: Uint8Array, header: BlockHeader, epoch: number, reconfiguration: boolean, cc: CommitCertificate | null): string | null {
    if (!reconfiguration) return 'only a reconfiguration block comes with links (its boundary certificate is for a suffix block)'
    if (cc === null) return 'links come with the certificate of the last of them'
    return suffixLinksProblem(links, hash, header, epoch)
  }

  #leadersOf(epoch: Epoch): LeaderElection {
    if (epoch.number === 0) return this.#leaders
    let leaders = this.#epochLeaders.get(epoch.number)
    if (leaders === undefined) {
      leaders = new RoundRobinLeaderElection(epoch.set.n)
      this.#epochLeaders.set(epoch.number, leaders)
    }
    return leaders
  }

  /**
   * Verifies the next block; returns the failure (and stops verifying) on the first problem.
   * `precomputed`, when given, holds work already done elsewhere for this block's entries
   * (e.g. by a pool of workers, from the same bytes): each signature's validity and each
   * leaf hash, one per entry. Otherwise both are computed here.
   */
  push(item: ChainItem, precomputed?: PrecomputedEntries): Failure | null {
    if (this.#failure !== null) return this.#failure
    const count = item.block.entries.length
    if (precomputed !== undefined && (precomputed.signaturesValid.length !== count || precomputed.leaves.length !== count)) {
      throw new RangeError(`precomputed results for ${precomputed.signaturesValid.length} signatures and ${precomputed.leaves.length} leaves, for ${count} entries`)
    }
    const verdict = this.#check(item, precomputed)
    if (!verdict.ok) {
      const { ok: _ok, ...failure } = verdict
      this.#failure = failure
      return this.#failure
    }
    return null
  }

  #check(item: ChainItem, precomputed: PrecomputedEntries | undefined): Verdict {
    const { block, cc } = item
    const h = block.header
    const height = this.#prev.height + 1
    const at = { height }
    const genesis = this.#genesis
    const chainId = genesis.chainId
    const parent = { header: this.#prev, hash: this.#prevHash, log: this.#accumulator, governance: this.#governance }
    const result = checkBlockAfterParent<AuditedEntry, Verdict>({
      genesis,
      // A committed chain has no suffix blocks: the block after a reconfiguration block
      // is its next epoch's first, and the export must carry the boundary certificate.
      epochs: { parent: this.#position, suffixAllowed: false, boundaryCertified: this.#prevCertified },
      signatures: this.#scheme,
      leadersOf: (epoch) => this.#leadersOf(epoch),
      qcProblem: (qc, set) => {
        if (this.#prev.height === 0) {
          return isGenesisQc(qc, this.#genesisQc) ? null : 'the QC of block 1 must be exactly the genesis QC (round 0, height 0, signers ceil(n/8) zero bytes, no signatures)'
        }
        const problem = checkQc(set, chainId, qc, this.#scheme)
        return problem === null ? null : `QC for height ${height - 1}: ${describeCertificateProblem(problem)}`
      },
      entryBytes: (entry) => encodeEntry(entry).length,
      judgeEntry: (entry, position) => {
        const where = { height, position }
        const signatureValid = precomputed === undefined ? verifyEntrySignature(entry, chainId, this.#scheme) : precomputed.signaturesValid[position]
        if (!signatureValid) return { problem: fail('bad-entry-signature', 'the entry signature does not verify', where) }
        const rule = checkEntryRules(entry, genesis)
        if (rule !== null) return { problem: fail('entry-not-allowed', rule, where) }
        // Each entry is encoded and hashed once: the leaf hash serves the entries root and the log.
        return { agentHex: toHex(entry.agent), leaf: precomputed?.leaves[position] ?? entryLeaf(entry) }
      },
      lastSeq: (agentHex) => this.#agentSeqs.get(agentHex),
    }, parent, block)
    if (!result.ok) {
      switch (result.code) {
        case 'height-gap': return fail('height-gap', `expected height ${height}, got ${h.height}`, at)
        case 'parent-mismatch': return fail('parent-mismatch', `the parent hash is not the hash of block ${height - 1}`, at)
        case 'round-not-increasing': return fail('round-not-increasing', `round ${h.round} is not above ${(h.epoch ?? 0) !== this.#position.epoch.number ? 'round 0 of its epoch' : `the parent's round ${this.#prev.round}`}`, at)
        case 'epoch-mismatch': return fail('epoch-mismatch', `the header names epoch ${result.epoch}, the chain is in epoch ${result.expected} here`, at)
        case 'missing-boundary-certificate': return fail('missing-boundary-certificate', `the first block of epoch ${result.epoch} follows the reconfiguration block at height ${result.boundary}, which came without its commit certificate`, at)
        case 'suffix-not-empty': return fail('suffix-not-empty', `a block after the epoch's reconfiguration block carries ${result.entries} entries`, at)
        case 'wrong-proposer': return fail('wrong-proposer', `validator ${h.proposer} is not the leader of round ${h.round}`, at)
        case 'qc-mismatch': return fail('qc-mismatch', `the QC certifies another block than the parent (height ${result.qcHeight}, round ${result.qcRound})`, at)
        case 'bad-qc': return fail('bad-qc', result.problem, at)
        case 'entry-count': return fail('entry-count', `header says ${h.entryCount} entries, the block has ${block.entries.length}`, at)
        case 'block-entries-max': return fail('block-entries-max', `${h.entryCount} entries is over the chain's limit of ${result.max}`, at)
        case 'block-bytes-max': return fail('block-bytes-max', `the entries' encodings total ${result.bytes} bytes, over the chain's limit of ${result.max}`, at)
        case 'entry': return result.problem
        case 'governance': return fail(result.problem.rule, describeGovernanceProblem(result.problem), { height, position: result.position })
        case 'seq-not-increasing': return fail('seq-not-increasing', `agent ${result.agentHex.slice(0, 16)}… seq ${result.seq} is not above its previous seq ${result.last} (duplicate or reordered entry)`, { height, position: result.position })
        case 'entries-root': return fail('entries-root', 'the entries root does not match the entries', at)
        case 'log-size': return fail('log-size', `header says log size ${h.logSize}, the entries make ${result.actual}`, at)
        case 'log-root': return fail('log-root', `the log root does not match the log of size ${h.logSize}`, at)
      }
    }
    // The verifier's state moves only once the block passed (the rule worked on a copy of the log).
    const { hash, log: accumulator, agentSeqs: seqs, governance } = result
    const links = item.links ?? []
    if (links.length > 0) {
      const problem = this.#linksProblem(links, hash, h, result.epoch.number, result.position.ending?.height === height, cc ?? null)
      if (problem !== null) return fail('bad-boundary-links', problem, at)
    }
    if (cc !== undefined && cc !== null) {
      // With links, the certificate is for the last of them (a suffix block of this one).
      const target = links.length === 0 ? { height, hash } : { height: links[links.length - 1]!.height, hash: blockHash(links[links.length - 1]!) }
      if (cc.height !== target.height || !bytesEqual(cc.block, target.hash)) return fail('cc-mismatch', 'the commit certificate is for another block', at)
      if (cc.logSize !== h.logSize || !bytesEqual(cc.logRoot, h.logRoot)) return fail('cc-mismatch', 'the commit certificate signs another log size or root', at)
      const problem = checkCc(result.epoch.set, chainId, cc, this.#scheme)
      if (problem !== null) return fail('bad-commit-certificate', describeCertificateProblem(problem), at)
      this.#certifiedHeight = height
    }
    if (result.epoch.number !== this.#position.epoch.number) {
      this.#epochs.push({ epoch: result.epoch.number, firstHeight: height, validators: result.epoch.set.n })
    }
    this.#position = result.position
    this.#prevCertified = cc !== undefined && cc !== null
    this.#inertReconfigurations += result.inertReconfigurations.length
    this.#accumulator = accumulator
    this.#governance = governance
    for (const [agent, seq] of seqs) this.#agentSeqs.set(agent, seq)
    this.#prev = h
    this.#prevHash = hash
    this.#blocks += 1
    this.#entries += block.entries.length
    return OK
  }

  /** The report. With `allowUncertifiedTail` false (the default), blocks after the last
   * commit certificate are a failure: nothing proves they were committed. */
  finish(options: { allowUncertifiedTail?: boolean } = {}): ChainReport {
    if (this.#failure === null && !options.allowUncertifiedTail && this.#certifiedHeight < this.#prev.height) {
      this.#failure = {
        code: 'uncertified-tail',
        reason: `blocks ${this.#certifiedHeight + 1} to ${this.#prev.height} have no commit certificate at or after them`,
        height: this.#certifiedHeight + 1,
      }
    }
    return {
      ok: this.#failure === null,
      failure: this.#failure,
      height: this.#prev.height,
      certifiedHeight: this.#certifiedHeight,
      blocks: this.#blocks,
      entries: this.#entries,
      logSize: this.#accumulator.size,
      logRoot: this.#accumulator.root(),
      epoch: this.#position.epoch.number,
      epochs: [...this.#epochs],
      inertReconfigurations: this.#inertReconfigurations,
      governance: this.#governanceMode,
    }
  }
}

/** Streams a chain through a ChainVerifier; stops at the first failure. */
export async function verifyChain(
  items: AsyncIterable<ChainItem> | Iterable<ChainItem>,
  genesis: Genesis,
  options: { start?: ChainStart, allowUncertifiedTail?: boolean } = {},
): Promise<ChainReport> {
  const verifier = new ChainVerifier(genesis, options.start)
  for await (const item of items) {
    if (verifier.push(item) !== null) break
  }
  return verifier.finish({ allowUncertifiedTail: options.allowUncertifiedTail ?? false })
}

/** The genesis hash as hex, for reports. */
export function genesisId(genesis: Genesis): string {
  return toHex(genesisHash(genesis))
}
