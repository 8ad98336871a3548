// The checkpoint text of a commit (c2sp.org/tlog-checkpoint), the message a validator's
// commit signature covers (docs/formats.md section 11.2):
//
//   synod/<chainId>                          origin
//   <logSize>                                tree size, decimal, no leading zero
//   <base64(logRoot)>                        RFC 6962 root of the log
//   synod/v1 commit <height> <hex(block)>    one extension line: the committed block
//
// The extension line binds the block the CC certifies, so the statement signed is the
// whole CommitData. Kept apart from checkpoint-note.ts (CC <-> signed note) because
// certificates.ts needs the message, and checkpoint-note.ts needs certificates.ts.
import { fromBase64, toBase64 } from '../codec/base64.ts'
import { CodecError } from '../codec/errors.ts'
import { fromHex, HASH_BYTES, toHex } from '../crypto/hash.ts'
import type { Hash } from './entry.ts'

/** CommitData of certificates.ts, spelled out here so that the import arrow points one
 * way (certificates.ts -> checkpoint.ts). */
export interface CommitStatement {
  readonly height: number
  readonly block: Hash
  readonly logSize: number
  readonly logRoot: Hash
}

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
export function commitNoteText(chainId: string, data: CommitStatement): string {
  return formatCheckpoint({
    origin: checkpointOrigin(chainId),
    size: data.logSize,
    rootHash: data.logRoot,
    extensions: [`${COMMIT_EXTENSION} ${data.height} ${toHex(data.block)}`],
  })
}

/** The bytes a validator's commit signature covers (UTF-8 of commitNoteText). */
export function commitNoteMessage(chainId: string, data: CommitStatement): Uint8Array {
  return utf8.encode(commitNoteText(chainId, data))
}

/** Reads the CommitData back from a Synod checkpoint text of `chainId`; throws CodecError. */
export function commitDataOfCheckpoint(chainId: string, text: string): CommitStatement {
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

