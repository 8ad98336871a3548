// Checkpoints as C2SP signed notes, and witness cosignatures on a receipt's checkpoint
// (docs/formats.md section 11, docs/sdk.md "Witnesses"). Offline functions: the note
// and proofs may come from any node or mirror, since nothing here trusts where they came
// from, only the genesis validators' keys and the witness keys the caller names.
//
// A receipt is witnessed by k witnesses when k of them cosigned a checkpoint that a
// quorum of validators signed and that the receipt's own checkpoint is a prefix of
// (an RFC 6962 consistency proof between the two sizes). Witnesses cosign now and then,
// far less often than blocks commit, so the cosigned checkpoint is usually a later one.
import { fromHex } from '../src/crypto/hash.ts'
import { bytesEqual } from '../src/codec/cbor.ts'
import { CodecError } from '../src/codec/errors.ts'
import { verifyCheckpointNote } from '../src/log/checkpoint-note.ts'
import { cosignatureVerifier } from '../src/log/cosignature.ts'
import type { CommitData } from '../src/log/certificates.ts'
import { validatorSetOf, type Genesis } from '../src/log/genesis.ts'
import { verifyConsistency } from '../src/log/merkle.ts'
import { NOTE_SIG_COSIGNATURE_V1, openNote, parseVerifierKey, type NoteVerifier } from '../src/log/note.ts'
import { describeKnownEpochsProblem, KnownEpochs } from '../src/log/known-epochs.ts'
import type { EpochChange, Receipt } from '../src/log/receipt.ts'
import { verifyEpochChanges, verifyReceipt } from '../src/log/verify.ts'
import type { FetchLike } from './node-api.ts'

export type WitnessVerdict =
  | { readonly ok: true, readonly checkpoint: CommitData, readonly witnesses: readonly string[] }
  | { readonly ok: false, readonly code: WitnessFailure, readonly reason: string }

export type WitnessFailure =
  | 'bad-receipt' | 'bad-checkpoint-note' | 'too-few-cosignatures' | 'cosigned-checkpoint-older' | 'inconsistent-checkpoints'

/** Witness keys from verifier-key strings `<name>+<key id>+base64(0x04 || key)`. */
export function witnessKeys(vkeys: readonly string[]): NoteVerifier[] {
  return vkeys.map((v) => {
    const key = parseVerifierKey(v)
    if (key.type !== NOTE_SIG_COSIGNATURE_V1 || key.publicKey.length !== 32) throw new CodecError(`'${key.name}' is not a cosignature/v1 Ed25519 key`)
    return cosignatureVerifier(key.name, key.publicKey)
  })
}

/** Verifies a checkpoint note with the genesis validators' note keys alone (a quorum of
 * them); returns what it states, or null. Throws CodecError when it is not a checkpoint
 * note of this chain. */
export function verifyCheckpointNoteWithGenesis(note: string, genesis: Genesis): CommitData | null {
  return verifyCheckpointNote(genesis.chainId, validatorSetOf(genesis), note)
}

export interface WitnessedReceiptOptions {
  /** A checkpoint note carrying the validators' lines and witness cosignatures
   * (GET /witness/cosigned, or a witness's monitoring endpoint). */
  readonly cosignedNote: string
  /** Consistency proof from the receipt's checkpoint size to the cosigned one's
   * (GET /v1/consistency); empty when the sizes are equal. */
  readonly consistencyProof: readonly Uint8Array[]
  readonly witnesses: readonly NoteVerifier[]
  /** How many distinct witnesses must have cosigned (k >= 1). */
  readonly witnessesRequired: number
  /** The epoch changes up to the cosigned checkpoint's epoch (docs/formats.md section
   * 15.5), when the chain has reconfigured since the genesis: its note is signed by that
   * epoch's validators. */
  readonly cosignedEpochs?: readonly EpochChange[]
}

/** verifyReceipt, and k witness cosignatures on a checkpoint the receipt's is a prefix of. */
export function verifyWitnessedReceipt(receipt: Receipt, genesis: Genesis, options: WitnessedReceiptOptions): WitnessVerdict {
  const verdict = verifyReceipt(receipt, genesis)
  if (!verdict.ok) return { ok: false, code: 'bad-receipt', reason: `${verdict.code}: ${verdict.reason}` }
  const changes = options.cosignedEpochs ?? []
  const chain = verifyEpochChanges(changes, genesis)
  if (!chain.ok) return { ok: false, code: 'bad-checkpoint-note', reason: `the cosigned checkpoint's epoch change ${chain.position + 1}: ${chain.reason}` }
  const epoch = chain.epochs[chain.epochs.length - 1]!
  let checkpoint: CommitData | null
  try {
    checkpoint = verifyCheckpointNote(genesis.chainId, epoch.set, options.cosignedNote)
  } catch (err) {
    if (!(err instanceof CodecError)) throw err
    return { ok: false, code: 'bad-checkpoint-note', reason: err.message }
  }
  if (checkpoint === null) return { ok: false, code: 'bad-checkpoint-note', reason: `the cosigned checkpoint does not carry valid signatures of a quorum of epoch ${epoch.number}'s validators` }
  if (checkpoint.height < epoch.firstHeight) return { ok: false, code: 'bad-checkpoint-note', reason: `the cosigned checkpoint at height ${checkpoint.height} is below the first block of its epoch ${epoch.number}` }
  // The receipt's epochs and the note's must tell one history, and neither checkpoint be
  // of an epoch the other shows had ended (src/log/known-epochs.ts).
  const known = new KnownEpochs(genesis)
  for (let pass = 0; pass < 2; pass++) {
    const problem = known.observe(receipt) ?? known.observeCheckpoint(changes, checkpoint)
    if (problem !== null) return { ok: false, code: 'bad-checkpoint-note', reason: describeKnownEpochsProblem(problem) }
  }
  const k = options.witnessesRequired
  if (!Number.isSafeInteger(k) || k < 1 || k > options.witnesses.length) throw new RangeError(`witnessesRequired is 1..${options.witnesses.length}`)
  const opened = openNote(options.cosignedNote, options.witnesses, k)
  if (opened === null) return { ok: false, code: 'too-few-cosignatures', reason: `fewer than ${k} of the witnesses validly cosigned the checkpoint (or one's cosignature fails)` }
  const own = receipt.checkpoint
  if (own.logSize > checkpoint.logSize) {
    return { ok: false, code: 'cosigned-checkpoint-older', reason: `the cosigned checkpoint has size ${checkpoint.logSize}, below the receipt's ${own.logSize}` }
  }
  const consistent = own.logSize === checkpoint.logSize
    ? options.consistencyProof.length === 0 && bytesEqual(own.logRoot, checkpoint.logRoot)
    : verifyConsistency(own.logSize, checkpoint.logSize, own.logRoot, checkpoint.logRoot, options.consistencyProof)
  if (!consistent) return { ok: false, code: 'inconsistent-checkpoints', reason: `the receipt's checkpoint (size ${own.logSize}) is not a prefix of the cosigned one (size ${checkpoint.logSize})` }
  return { ok: true, checkpoint, witnesses: opened.verified.map((w) => w.name) }
}

/**
 * Fetches from a node what verifyWitnessedReceipt needs for `receipt`: its newest
 * cosigned checkpoint and the consistency proof to it. Nothing fetched is trusted; pass
 * the result to verifyWitnessedReceipt. Null when the node holds no cosignature.
 */
export async function fetchWitnessEvidence(baseUrl: string, receipt: Receipt, fetchImpl: FetchLike = globalThis.fetch): Promise<{ cosignedNote: string, consistencyProof: Uint8Array[] } | null> {
  const base = baseUrl.replace(/\/+$/, '')
  const res = await fetchImpl(`${base}/witness/cosigned`)
  if (res.status === 404) return null
  if (!res.ok) throw new Error(`GET /witness/cosigned answered ${res.status}`)
  const cosignedNote = await res.text()
  const size = Number(/^[^\n]*\n(0|[1-9][0-9]*)\n/.exec(cosignedNote)?.[1] ?? NaN)
  if (!Number.isSafeInteger(size)) throw new CodecError('the cosigned checkpoint has no size line')
  if (size <= receipt.checkpoint.logSize) return { cosignedNote, consistencyProof: [] }
  const proofRes = await fetchImpl(`${base}/v1/consistency?from=${receipt.checkpoint.logSize}&to=${size}`)
  if (!proofRes.ok) throw new Error(`GET /v1/consistency answered ${proofRes.status}`)
  const body = await proofRes.json() as { proof?: unknown }
  if (!Array.isArray(body.proof) || !body.proof.every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))) throw new CodecError('the consistency proof is not a list of hashes')
  return { cosignedNote, consistencyProof: (body.proof as string[]).map(fromHex) }
}
