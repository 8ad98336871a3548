// Commit certificates as C2SP checkpoints (c2sp.org/tlog-checkpoint) in the signed-note
// format. A validator's commit signature IS an Ed25519 note signature over the checkpoint
// text of checkpoint.ts, so a CC and the signed note are two encodings of the same
// signatures: any signed-note verifier holding the validators' note keys checks a Synod
// checkpoint, and nothing of Synod is needed to do so. Every validator's key name is the
// origin (tlog-checkpoint: the log's key name SHOULD match the origin); key IDs tell the
// validators apart.
import type { CommitCertificate, CommitData } from './certificates.ts'
import { checkpointOrigin, commitDataOfCheckpoint, commitNoteText } from './checkpoint.ts'
import { ed25519NoteVerifier, formatNote, NOTE_SIG_ED25519, noteKeyId, openNote, parseNote, type NoteSignature, type NoteVerifier } from './note.ts'
import { signersOf } from './signer-bitmap.ts'
import type { ValidatorSet } from './validator-set.ts'

export { checkpointOrigin, commitDataOfCheckpoint, commitNoteMessage, commitNoteText, formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.ts'

/** Validator i's note key: name = the chain's origin, Ed25519 type 0x01. */
export function validatorNoteVerifier(chainId: string, publicKey: Uint8Array): NoteVerifier {
  return ed25519NoteVerifier(checkpointOrigin(chainId), publicKey)
}

export function validatorNoteVerifiers(chainId: string, set: ValidatorSet): NoteVerifier[] {
  return Array.from({ length: set.n }, (_, i) => validatorNoteVerifier(chainId, set.key(i)))
}

/** The signed note of a commit certificate: its text and one line per signer, in
 * validator order. Throws when the signer bitmap is malformed for the set. */
export function checkpointNoteOfCc(chainId: string, set: ValidatorSet, cc: CommitCertificate): string {
  const signers = signersOf(cc.signers, set.n)
  if (signers === null || signers.length !== cc.sigs.length) throw new RangeError('the commit certificate\'s signers do not match its signatures')
  const name = checkpointOrigin(chainId)
  const lines: NoteSignature[] = signers.map((v, p) => ({ name, keyId: noteKeyId(name, NOTE_SIG_ED25519, set.key(v)), signature: cc.sigs[p]! }))
  return formatNote(commitNoteText(chainId, cc), lines)
}

/**
 * Verifies a checkpoint note with the validators' note keys alone: at least a quorum of
 * distinct validators signed it (other signature lines, such as witness cosignatures,
 * are ignored). Returns the commit it states, or null. Throws CodecError on a
 * malformed note or a text that is not a Synod checkpoint of this chain.
 */
export function verifyCheckpointNote(chainId: string, set: ValidatorSet, note: string | Uint8Array): CommitData | null {
  const parsed = parseNote(note)
  const data = commitDataOfCheckpoint(chainId, parsed.text)
  const opened = openNote(parsed, validatorNoteVerifiers(chainId, set), set.quorum)
  return opened === null ? null : data
}
