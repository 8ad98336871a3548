// Commit certificates as C2SP checkpoints (c2sp.org/tlog-checkpoint) in the signed-note
// format. A validator's commit signature IS an Ed25519 note signature over the checkpoint
// text below, so a CC and the signed note are two encodings of the same signatures:
// any signed-note verifier holding the validators' note keys checks a Synod checkpoint,
// and nothing of Synod is needed to do so.
//
//   synod/<chainId>                          origin
//   <logSize>                                tree size, decimal, no leading zero
//   <base64(logRoot)>                        RFC 6962 root of the log
//   synod/v1 commit <height> <hex(block)>    one extension line: the committed block
//
// The extension line binds the block the CC certifies, so the statement signed is the
// whole CommitData. Every validator's key name is the origin (tlog-checkpoint: the log's
// key name SHOULD match the origin); key IDs tell the validators apart.
import { fromBase64, toBase64 } from '../codec/base64.ts'
import { CodecError } from '../codec/errors.ts'
import { fromHex, HASH_BYTES, toHex } from '../crypto/hash.ts'
import type { CommitCertificate, CommitData } from './certificates.ts'
import type { Hash } from './entry.ts'
import { ed25519NoteVerifier, formatNote, NOTE_SIG_ED25519, noteKeyId, openNote, parseNote, type NoteSignature, type NoteVerifier } from './note.ts'
import { signersOf } from './signer-bitmap.ts'
import type { ValidatorSet } from './validator-set.ts'

export const ORIGIN_PREFIX = 'synod/'
const COMMIT_EXTENSION = 'synod/v1 commit'
const utf8 = new TextEncoder()

/** The checkpoint origin of a chain. */
export function checkpointOrigin(chainId: string): string {
  return ORIGIN_PREFIX + chainId
}

export interface Checkpoint {
  readonly origin: string
  readonly size: number
  readonly rootHash: Hash
  /** Extension lines, without their newlines (each non-empty). */
  readonly extensions: readonly string[]
}

export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes('\n')) throw new RangeError('a checkpoint origin is one non-empty line')
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new RangeError('a checkpoint size is a non-negative integer')
  if (c.rootHash.length !== HASH_BYTES) throw new RangeError(`a checkpoint root is ${HASH_BYTES} bytes`)
  for (const e of c.extensions) if (e.length === 0 || e.includes('\n')) throw new RangeError('an extension line is one non-empty line')
  return [c.origin, String(c.size), toBase64(c.rootHash), ...c.extensions].map((l) => `${l}\n`).join('')
}

/** Parses a checkpoint text strictly (tlog-checkpoint "Note text"); throws CodecError. */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new CodecError('a checkpoint text ends with a newline')
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3) throw new CodecError('a checkpoint has an origin, a size and a root line')
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]]
  if (origin.length === 0) throw new CodecError('a checkpoint origin is non-empty')
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw new CodecError('a checkpoint size is decimal with no leading zero')
  const size = Number(sizeText)
  if (!Number.isSafeInteger(size)) throw new CodecError('a checkpoint size is at most 2^53 - 1')
  const rootHash = fromBase64(rootText)
  if (rootHash.length !== HASH_BYTES) throw new CodecError(`a checkpoint root is ${HASH_BYTES} bytes`)
  for (const e of extensions) if (e.length === 0) throw new CodecError('a checkpoint extension line is non-empty')
  return { origin, size, rootHash, extensions }
}

/** The checkpoint text a validator signs for a commit. */
export function commitNoteText(chainId: string, data: CommitData): string {
  return formatCheckpoint({
    origin: checkpointOrigin(chainId),
    size: data.logSize,
    rootHash: data.logRoot,
    extensions: [`${COMMIT_EXTENSION} ${data.height} ${toHex(data.block)}`],
  })
}

/** The bytes a validator's commit signature covers (UTF-8 of commitNoteText). */
export function commitNoteMessage(chainId: string, data: CommitData): Uint8Array {
  return utf8.encode(commitNoteText(chainId, data))
}

/** Reads the CommitData back from a Synod checkpoint text of `chainId`; throws CodecError. */
export function commitDataOfCheckpoint(chainId: string, text: string): CommitData {
  const c = parseCheckpoint(text)
  if (c.origin !== checkpointOrigin(chainId)) throw new CodecError(`checkpoint origin '${c.origin}' is not ${checkpointOrigin(chainId)}`)
  if (c.extensions.length !== 1) throw new CodecError('a Synod checkpoint has exactly one extension line')
  const m = /^synod\/v1 commit (0|[1-9][0-9]*) ([0-9a-f]{64})$/.exec(c.extensions[0]!)
  if (m === null) throw new CodecError('the extension line is "synod/v1 commit <height> <block hash hex>"')
  const height = Number(m[1])
  if (!Number.isSafeInteger(height)) throw new CodecError('a height is at most 2^53 - 1')
  const data = { height, block: fromHex(m[2]!), logSize: c.size, logRoot: c.rootHash }
  // One text per statement: what parses must format back to the same bytes.
  if (commitNoteText(chainId, data) !== text) throw new CodecError('the checkpoint text is not in its one canonical form')
  return data
}

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
