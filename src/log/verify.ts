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
import { genesisHash, policyAllows, validatorSetOf, type Genesis } from './genesis.ts'
import { describeGovernanceProblem, GovernanceState } from '../governance/state.ts'
import { MerkleAccumulator, verifyInclusion, type MerkleAccumulatorState } from './merkle.ts'
import { leaderElectionFor, type LeaderElection } from './leader-election.ts'
import type { Receipt } from './receipt.ts'
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

/** Whether the entry may be in this chain at all: payload bound and write policy. */
function checkEntryRules(entry: Entry, genesis: Genesis): string | null {
  const payloadBytes = new TextEncoder().encode(entry.payload).length
  if (payloadBytes > genesis.params.payloadBytesMax) return `payload of ${payloadBytes} bytes is over the chain's limit of ${genesis.params.payloadBytesMax}`
  if (!policyAllows(genesis.policy, entry.namespace, entry.agent)) return `agent ${toHex(entry.agent)} may not write to namespace '${entry.namespace}'`
  return null
}

/**
 * Verifies a receipt offline: the entry's signature and the chain's rules for it, its
 * inclusion in the log at the checkpoint's size, and the checkpoint's quorum of
 * validator signatures. Needs nothing but the genesis.
 */
export function verifyReceipt(receipt: Receipt, genesis: Genesis, set: ValidatorSet = validatorSetOf(genesis)): Verdict {
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
  /** The commit certificate for this block, when the exporter has one. */
  readonly cc?: CommitCertificate | null
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
   * the verifier fails with `bad-start`. */
  readonly governance?: GovernanceState
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
  /** The governance state after #prev; null when the chain has none. */
  #governance: GovernanceState | null
  readonly #agentSeqs: Map<string, number>
  #failure: Failure | null = null
  #certifiedHeight: number
  #blocks = 0
  #entries = 0

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
    this.#governance = start === undefined ? GovernanceState.initial(genesis) : (start.governance ?? null)
    if (genesis.governance !== undefined && start !== undefined && (start.governance === undefined || start.governance.height !== first.height)) {
      this.#failure = { code: 'bad-start', reason: `the chain has governance: a start at height ${first.height} needs the governance state after it`, height: first.height }
    }
    let accumulator: MerkleAccumulator
    try {
      accumulator = MerkleAccumulator.fromState(start?.accumulator ?? { size: 0, frontier: [] })
    } catch (err) {
      accumulator = new MerkleAccumulator()
      this.#failure = { code: 'bad-start', reason: `the starting accumulator is malformed: ${(err as Error).message}`, height: first.height }
    }
    this.#accumulator = accumulator
    if (this.#failure === null && genesis.governance === undefined && start?.governance !== undefined) {
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
      leaders: this.#leaders,
      qcProblem: (qc) => {
        if (this.#prev.height === 0) {
          return isGenesisQc(qc, this.#genesisQc) ? null : 'the QC of block 1 must be exactly the genesis QC (round 0, height 0, signers ceil(n/8) zero bytes, no signatures)'
        }
        const problem = checkQc(this.#set, chainId, qc, this.#scheme)
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
        case 'round-not-increasing': return fail('round-not-increasing', `round ${h.round} is not above the parent's round ${this.#prev.round}`, at)
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
    if (cc !== undefined && cc !== null) {
      if (cc.height !== height || !bytesEqual(cc.block, hash)) return fail('cc-mismatch', 'the commit certificate is for another block', at)
      if (cc.logSize !== h.logSize || !bytesEqual(cc.logRoot, h.logRoot)) return fail('cc-mismatch', 'the commit certificate signs another log size or root', at)
      const problem = checkCc(this.#set, chainId, cc, this.#scheme)
      if (problem !== null) return fail('bad-commit-certificate', describeCertificateProblem(problem), at)
      this.#certifiedHeight = height
    }
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
