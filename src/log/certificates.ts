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
import { SIGNATURE_BYTES } from '../crypto/ed25519.ts'
import { ED25519, type SignatureScheme } from '../crypto/signature-scheme.ts'
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

/** A timeout's signed body; from epoch 1 on it names its epoch (docs/formats.md section
 * 15.3), so that no timeout of one epoch joins a TC of another. Epoch 0's is unchanged. */
export function timeoutDataToCbor(round: number, highQcRound: number, epoch = 0): CborValue {
  return epoch === 0 ? { round, highQcRound } : { round, highQcRound, epoch }
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
 * Why a certificate's quorum check failed, with the values that broke it: a closed union,
 * so that callers act on the code (the consensus core's rejections carry it, its drivers
 * map it through their tables) and the text comes from one function,
 * describeCertificateProblem(). The chain id is part of every signed statement, so a
 * certificate from another chain fails as 'certificate-bad-signature'.
 */
export type CertificateProblem =
  /** The signer bitmap is not ceil(n/8) bytes long. */
  | { readonly code: 'certificate-bitmap-length', readonly have: number, readonly need: number, readonly n: number }
  /** A bit past the last validator is set. */
  | { readonly code: 'certificate-signer-out-of-set', readonly index: number, readonly n: number }
  | { readonly code: 'certificate-quorum-short', readonly have: number, readonly need: number }
  /** Not one signature per signer. */
  | { readonly code: 'certificate-signature-count', readonly sigs: number, readonly signers: number }
  | { readonly code: 'certificate-bad-signature', readonly signer: number }
  /** A TC without one high-QC round per signature. */
  | { readonly code: 'certificate-high-qc-round-count', readonly rounds: number, readonly sigs: number }
  /** A TC signer's high-QC round at or above the round that timed out. */
  | { readonly code: 'certificate-high-qc-round-not-below', readonly highQcRound: number, readonly round: number }

export type CertificateProblemCode = CertificateProblem['code']

type ProblemDescribers = { readonly [C in CertificateProblemCode]: (p: Extract<CertificateProblem, { readonly code: C }>) => string }

const DESCRIBE_PROBLEM: ProblemDescribers = {
  'certificate-bitmap-length': (p) => `signer bitmap is malformed for ${p.n} validators: ${p.have} bytes, not ${p.need}`,
  'certificate-signer-out-of-set': (p) => `signer bitmap is malformed for ${p.n} validators: bit ${p.index} is set`,
  'certificate-quorum-short': (p) => `${p.have} signers is below the quorum of ${p.need}`,
  'certificate-signature-count': (p) => `${p.sigs} signatures for ${p.signers} signers`,
  'certificate-bad-signature': (p) => `signature of validator ${p.signer} does not verify`,
  'certificate-high-qc-round-count': (p) => `${p.rounds} high-QC rounds for ${p.sigs} signatures`,
  'certificate-high-qc-round-not-below': (p) => `high-QC round ${p.highQcRound} is not below the timeout round ${p.round}`,
}

/** The problem as a sentence, with its values (auditor reports, logs, API messages). */
export function describeCertificateProblem(problem: CertificateProblem): string {
  const render = DESCRIBE_PROBLEM[problem.code] as (p: CertificateProblem) => string
  return render(problem)
}

/** Every certificate problem code, from the exhaustive table (for tests and tables). */
export const CERTIFICATE_PROBLEM_CODES = Object.keys(DESCRIBE_PROBLEM) as readonly CertificateProblemCode[]

/** The signers a bitmap names for n validators, or what is wrong with it. */
function bitmapSigners(bitmap: Uint8Array, n: number): number[] | CertificateProblem {
  const need = Math.ceil(n / 8)
  if (bitmap.length !== need) return { code: 'certificate-bitmap-length', have: bitmap.length, need, n }
  const signers = signersOf(bitmap, n)
  if (signers !== null) return signers
  // signersOf refuses a right-length bitmap only for a bit at or past n: name the first.
  let index = n
  while (index < bitmap.length * 8 && (bitmap[index >> 3]! & (1 << (index & 7))) === 0) index++
  return { code: 'certificate-signer-out-of-set', index, n }
}

/**
 * Checks a quorum of signatures over one statement per signer. Returns null when valid,
 * otherwise the problem. `messageOf(signer, position)` gives the bytes that signer signed
 * (the same for QCs and CCs; per-signer for TCs).
 */
export function checkQuorumSignatures(
  set: ValidatorSet,
  sigs: Signatures,
  messageOf: (signer: number, position: number) => Uint8Array,
  scheme: SignatureScheme = ED25519,
): CertificateProblem | null {
  const signers = bitmapSigners(sigs.signers, set.n)
  if (!Array.isArray(signers)) return signers
  if (signers.length < set.quorum) return { code: 'certificate-quorum-short', have: signers.length, need: set.quorum }
  if (sigs.sigs.length !== signers.length) return { code: 'certificate-signature-count', sigs: sigs.sigs.length, signers: signers.length }
  for (let p = 0; p < signers.length; p++) {
    const signer = signers[p]!
    if (!scheme.verify(set.key(signer), messageOf(signer, p), sigs.sigs[p]!)) {
      return { code: 'certificate-bad-signature', signer }
    }
  }
  return null
}

export function checkQc(set: ValidatorSet, chainId: string, qc: QuorumCertificate, scheme: SignatureScheme = ED25519): CertificateProblem | null {
  const message = domainMessage('vote', chainId, voteDataToCbor(qc))
  return checkQuorumSignatures(set, qc, () => message, scheme)
}

/** A CC's signatures are note signatures over its checkpoint text (docs/formats.md section 7). */
export function checkCc(set: ValidatorSet, chainId: string, cc: CommitCertificate, scheme: SignatureScheme = ED25519): CertificateProblem | null {
  const message = commitNoteMessage(chainId, cc)
  return checkQuorumSignatures(set, cc, () => message, scheme)
}

/** A TC of `epoch` (0 unless given), whose signatures are over that epoch's timeout bodies. */
export function checkTc(set: ValidatorSet, chainId: string, tc: TimeoutCertificate, scheme: SignatureScheme = ED25519, epoch = 0): CertificateProblem | null {
  if (tc.highQcRounds.length !== tc.sigs.length) return { code: 'certificate-high-qc-round-count', rounds: tc.highQcRounds.length, sigs: tc.sigs.length }
  for (const r of tc.highQcRounds) if (r >= tc.round) return { code: 'certificate-high-qc-round-not-below', highQcRound: r, round: tc.round }
  return checkQuorumSignatures(set, tc, (_signer, p) => domainMessage('timeout', chainId, timeoutDataToCbor(tc.round, tc.highQcRounds[p]!, epoch)), scheme)
}

/** The highest QC round among a TC's signers: the QC a proposal after this TC must extend at least. */
export function tcHighQcRound(tc: TimeoutCertificate): number {
  let max = 0
  for (const r of tc.highQcRounds) if (r > max) max = r
  return max
}
