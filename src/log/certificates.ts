// Certificates: a quorum of validator signatures over one statement, with a signer
// bitmap. Three statements are certified:
//   QuorumCertificate (QC):  "I vote for block B at round r, height h"     (kind 'vote')
//   TimeoutCertificate (TC): "round r timed out; my highest QC round is q"  (kind 'timeout')
//   CommitCertificate (CC):  "block B at height h is committed, and the log
//                             after it has size s and root R"              (a checkpoint note:
//                             each signature is a C2SP note signature over the checkpoint
//                             text of checkpoint.ts, so a CC is also a signed note)
import type { CborValue } from '../codec/cbor.ts'
import { readArray, readBytes, readMap, readUint } from '../codec/schema.ts'
import { domainMessage } from '../crypto/domain.ts'
import { SIGNATURE_BYTES, verifySignature } from '../crypto/ed25519.ts'
import { HASH_BYTES } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'
import { commitNoteMessage } from './checkpoint.ts'
import type { Hash } from './entry.ts'
import { signersOf } from './signer-bitmap.ts'
import type { ValidatorSet } from './validator-set.ts'

export interface Signatures {
  /** Bit i set: validator i signed. */
  readonly signers: Uint8Array
  /** One signature per set bit, in ascending signer order. */
  readonly sigs: readonly Uint8Array[]
}

export interface VoteData {
  readonly round: number
  readonly height: number
  readonly block: Hash
}

export interface QuorumCertificate extends VoteData, Signatures {}

export interface CommitData {
  readonly height: number
  readonly block: Hash
  readonly logSize: number
  readonly logRoot: Hash
}

export interface CommitCertificate extends CommitData, Signatures {}

export interface TimeoutCertificate extends Signatures {
  readonly round: number
  /** Per signer, in signer order: the round of the highest QC that signer had seen. */
  readonly highQcRounds: readonly number[]
}

export function voteDataToCbor(v: VoteData): CborValue {
  return { round: v.round, height: v.height, block: v.block }
}

export function commitDataToCbor(c: CommitData): CborValue {
  return { height: c.height, block: c.block, logSize: c.logSize, logRoot: c.logRoot }
}

export function timeoutDataToCbor(round: number, highQcRound: number): CborValue {
  return { round, highQcRound }
}

export function qcToCbor(qc: QuorumCertificate): CborValue {
  return { round: qc.round, height: qc.height, block: qc.block, signers: qc.signers, sigs: qc.sigs as readonly Uint8Array[] }
}

export function ccToCbor(cc: CommitCertificate): CborValue {
  return { ...(commitDataToCbor(cc) as object), signers: cc.signers, sigs: cc.sigs as readonly Uint8Array[] }
}

export function tcToCbor(tc: TimeoutCertificate): CborValue {
  return { round: tc.round, highQcRounds: tc.highQcRounds, signers: tc.signers, sigs: tc.sigs as readonly Uint8Array[] }
}

function readSignatures(m: { readonly [k: string]: CborValue }, what: string): Signatures {
  return {
    signers: readBytes(m.signers, `${what}.signers`, undefined, Math.ceil(LIMITS.validatorsMax / 8)),
    sigs: readArray(m.sigs, `${what}.sigs`, LIMITS.validatorsMax).map((s, i) => readBytes(s, `${what}.sigs[${i}]`, SIGNATURE_BYTES)),
  }
}

export function qcFromCbor(value: CborValue, what = 'qc'): QuorumCertificate {
  const m = readMap(value, what, ['round', 'height', 'block', 'signers', 'sigs'])
  return {
    round: readUint(m.round, `${what}.round`),
    height: readUint(m.height, `${what}.height`),
    block: readBytes(m.block, `${what}.block`, HASH_BYTES),
    ...readSignatures(m, what),
  }
}

export function ccFromCbor(value: CborValue, what = 'cc'): CommitCertificate {
  const m = readMap(value, what, ['height', 'block', 'logSize', 'logRoot', 'signers', 'sigs'])
  return {
    height: readUint(m.height, `${what}.height`),
    block: readBytes(m.block, `${what}.block`, HASH_BYTES),
    logSize: readUint(m.logSize, `${what}.logSize`),
    logRoot: readBytes(m.logRoot, `${what}.logRoot`, HASH_BYTES),
    ...readSignatures(m, what),
  }
}

export function tcFromCbor(value: CborValue, what = 'tc'): TimeoutCertificate {
  const m = readMap(value, what, ['round', 'highQcRounds', 'signers', 'sigs'])
  return {
    round: readUint(m.round, `${what}.round`),
    highQcRounds: readArray(m.highQcRounds, `${what}.highQcRounds`, LIMITS.validatorsMax).map((r, i) => readUint(r, `${what}.highQcRounds[${i}]`)),
    ...readSignatures(m, what),
  }
}

/**
 * Checks a quorum of signatures over one statement per signer. Returns null when valid,
 * otherwise the reason. `messageOf(signer, position)` gives the bytes that signer signed
 * (the same for QCs and CCs; per-signer for TCs).
 */
export function checkQuorumSignatures(
  set: ValidatorSet,
  sigs: Signatures,
  messageOf: (signer: number, position: number) => Uint8Array,
): string | null {
  const signers = signersOf(sigs.signers, set.n)
  if (signers === null) return `signer bitmap is malformed for ${set.n} validators`
  if (signers.length < set.quorum) return `${signers.length} signers is below the quorum of ${set.quorum}`
  if (sigs.sigs.length !== signers.length) return `${sigs.sigs.length} signatures for ${signers.length} signers`
  for (let p = 0; p < signers.length; p++) {
    const signer = signers[p]!
    if (!verifySignature(set.key(signer), messageOf(signer, p), sigs.sigs[p]!)) {
      return `signature of validator ${signer} does not verify`
    }
  }
  return null
}

export function checkQc(set: ValidatorSet, chainId: string, qc: QuorumCertificate): string | null {
  const message = domainMessage('vote', chainId, voteDataToCbor(qc))
  return checkQuorumSignatures(set, qc, () => message)
}

/** A CC's signatures are note signatures over its checkpoint text (docs/formats.md section 7). */
export function checkCc(set: ValidatorSet, chainId: string, cc: CommitCertificate): string | null {
  const message = commitNoteMessage(chainId, cc)
  return checkQuorumSignatures(set, cc, () => message)
}

export function checkTc(set: ValidatorSet, chainId: string, tc: TimeoutCertificate): string | null {
  if (tc.highQcRounds.length !== tc.sigs.length) return `${tc.highQcRounds.length} high-QC rounds for ${tc.sigs.length} signatures`
  for (const r of tc.highQcRounds) if (r >= tc.round) return `high-QC round ${r} is not below the timeout round ${tc.round}`
  return checkQuorumSignatures(set, tc, (_signer, p) => domainMessage('timeout', chainId, timeoutDataToCbor(tc.round, tc.highQcRounds[p]!)))
}

/** The highest QC round among a TC's signers: the QC a proposal after this TC must extend at least. */
export function tcHighQcRound(tc: TimeoutCertificate): number {
  let max = 0
  for (const r of tc.highQcRounds) if (r > max) max = r
  return max
}
