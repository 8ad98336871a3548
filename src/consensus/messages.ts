// Wire encoding of consensus messages: canonical CBOR maps with a 'type' field and
// exactly the fields of that type (absent optional values are null). Decoding is
// strict: unknown or missing fields, wrong types, oversize arrays and non-canonical
// bytes are CodecErrors. Decoding checks FORM only; the replica checks signatures.
import { decodeCanonical, encodeCanonical, encodeCanonicalArrayOf, encodeCanonicalMapWith, type CborValue } from '../codec/cbor.ts'
import { CodecError } from '../codec/errors.ts'
import { readArray, readBytes, readMap, readText, readUint, type CborMap } from '../codec/schema.ts'
import { SIGNATURE_BYTES } from '../crypto/ed25519.ts'
import { HASH_BYTES } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'
import { blockFromCbor, blockToCbor, encodeBlock, headerFromCbor, headerToCbor } from '../log/block.ts'
import {
  ccFromCbor, ccToCbor, qcFromCbor, qcToCbor, tcFromCbor, tcToCbor,
  type CommitCertificate, type QuorumCertificate, type TimeoutCertificate,
} from '../log/certificates.ts'
import { encodeEntry, entryFromCbor, entryToCbor } from '../log/entry.ts'
import type {
  CommitVote, Message, MessageType, SafetyState, TimeoutMessage, VoteMessage,
} from './types.ts'

/** Most blocks in one sync response (a decoder bound; the replica asks for fewer). */
export const SYNC_BLOCKS_WIRE_MAX = 256
/** Most ancestors asked for in one block request. */
export const BLOCK_REQUEST_COUNT_MAX = SYNC_BLOCKS_WIRE_MAX
/** Widest height range in one range request. */
export const RANGE_REQUEST_HEIGHTS_MAX = SYNC_BLOCKS_WIRE_MAX
/** Most headers (`links`) linking a range response's last block to the block its commit
 * certificate is for. Certificates are stored for most heights, so a few suffice;
 * 32 headers with full QCs of LIMITS.validatorsMax signers stay under 1 MiB. */
export const SYNC_LINKS_MAX = 32

const FIELDS: { readonly [T in MessageType]: readonly string[] } = {
  'proposal': ['type', 'block', 'sig', 'tc', 'cc'],
  'vote': ['type', 'voter', 'round', 'height', 'block', 'sig', 'commit'],
  'timeout': ['type', 'voter', 'round', 'highQc', 'highTc', 'sig'],
  'sync-info': ['type', 'highQc', 'highTc', 'highCc'],
  'entries': ['type', 'entries'],
  'block-request': ['type', 'block', 'count'],
  'block-response': ['type', 'blocks'],
  'range-request': ['type', 'fromHeight', 'toHeight'],
  'range-response': ['type', 'blocks', 'links', 'cc'],
  'range-empty': ['type', 'fromHeight', 'height', 'cc'],
  'status-request': ['type'],
}

/** Fields present only when they carry something (absent, the message encodes as it did
 * before they existed). */
const OPTIONAL_FIELDS: { readonly [T in MessageType]?: readonly string[] } = {
  'vote': ['epoch'],
  'timeout': ['epoch'],
  'sync-info': ['epoch', 'links'],
}

/** The `epoch` member of a message of epoch `epoch`: none for epoch 0. */
function epochField(epoch: number | undefined): { epoch?: number } {
  return epoch === undefined || epoch === 0 ? {} : { epoch }
}

/** A message's `epoch` field when present: at least 1 (epoch 0 is written by leaving it out). */
function readEpoch(m: CborMap, what: string): { epoch?: number } {
  if (!Object.hasOwn(m, 'epoch')) return {}
  const epoch = readUint(m.epoch, `${what}.epoch`)
  if (epoch === 0) throw new CodecError(`${what}.epoch: epoch 0 is written by leaving the field out`)
  return { epoch }
}

/** The fields to read of a message: its type's, and those of its optional ones it has. */
function withOptional(value: CborValue, fields: readonly string[], optional: readonly string[] | undefined): readonly string[] {
  if (optional === undefined) return fields
  const present = optional.filter((f) => Object.hasOwn(value as CborMap, f))
  return present.length === 0 ? fields : [...fields, ...present]
}

const orNull = <T>(value: T | null, to: (v: T) => CborValue): CborValue => (value === null ? null : to(value))

function commitVoteToCbor(c: CommitVote): CborValue {
  return { height: c.height, block: c.block, logSize: c.logSize, logRoot: c.logRoot, sig: c.sig }
}

export function voteToCbor(m: VoteMessage): CborValue {
  return { type: 'vote', ...epochField(m.epoch), voter: m.voter, round: m.round, height: m.height, block: m.block, sig: m.sig, commit: orNull(m.commit, commitVoteToCbor) }
}

export function timeoutToCbor(m: TimeoutMessage): CborValue {
  return { type: 'timeout', ...epochField(m.epoch), voter: m.voter, round: m.round, highQc: qcToCbor(m.highQc), highTc: orNull(m.highTc, tcToCbor), sig: m.sig }
}

export function messageToCbor(m: Message): CborValue {
  switch (m.type) {
    case 'proposal':
      return { type: m.type, block: blockToCbor(m.block), sig: m.sig, tc: orNull(m.tc, tcToCbor), cc: orNull(m.cc, ccToCbor) }
    case 'vote':
      return voteToCbor(m)
    case 'timeout':
      return timeoutToCbor(m)
    case 'sync-info': {
      // `links` only with a boundary certificate's links: a sync-info without is encoded as before.
      const links = m.links ?? []
      return { type: m.type, ...epochField(m.epoch), highQc: qcToCbor(m.highQc), highTc: orNull(m.highTc, tcToCbor), highCc: orNull(m.highCc, ccToCbor), ...(links.length === 0 ? {} : { links: links.map(headerToCbor) }) }
    }
    case 'entries':
      return { type: m.type, entries: m.entries.map(entryToCbor) }
    case 'block-request':
      return { type: m.type, block: m.block, count: m.count }
    case 'block-response':
      return { type: m.type, blocks: m.blocks.map(blockToCbor) }
    case 'range-request':
      return { type: m.type, fromHeight: m.fromHeight, toHeight: m.toHeight }
    case 'range-response':
      return { type: m.type, blocks: m.blocks.map(blockToCbor), links: m.links.map(headerToCbor), cc: orNull(m.cc, ccToCbor) }
    case 'range-empty':
      return { type: m.type, fromHeight: m.fromHeight, height: m.height, cc: orNull(m.cc, ccToCbor) }
    case 'status-request':
      return { type: m.type }
  }
}

/** encodeCanonical(messageToCbor(m)); messages that carry blocks or entries are put
 * together from their encodings (kept per entry object) instead of encoded whole. */
export function encodeMessage(m: Message): Uint8Array {
  switch (m.type) {
    case 'proposal':
      return encodeCanonicalMapWith({ type: m.type, sig: m.sig, tc: orNull(m.tc, tcToCbor), cc: orNull(m.cc, ccToCbor) }, 'block', encodeBlock(m.block))
    case 'entries':
      return encodeCanonicalMapWith({ type: m.type }, 'entries', encodeCanonicalArrayOf(m.entries.map((e) => encodeEntry(e))))
    case 'block-response':
      return encodeCanonicalMapWith({ type: m.type }, 'blocks', encodeCanonicalArrayOf(m.blocks.map(encodeBlock)))
    case 'range-response':
      return encodeCanonicalMapWith({ type: m.type, links: m.links.map(headerToCbor), cc: orNull(m.cc, ccToCbor) }, 'blocks', encodeCanonicalArrayOf(m.blocks.map(encodeBlock)))
    default:
      return encodeCanonical(messageToCbor(m))
  }
}

const nullable = <T>(value: CborValue | undefined, read: (v: CborValue) => T): T | null => (value === null ? null : read(value as CborValue))

function readQc(v: CborValue | undefined, what: string): QuorumCertificate {
  return qcFromCbor(v as CborValue, what)
}
function readTc(v: CborValue | undefined, what: string): TimeoutCertificate | null {
  return nullable(v, (x) => tcFromCbor(x, what))
}
function readCc(v: CborValue | undefined, what: string): CommitCertificate | null {
  return nullable(v, (x) => ccFromCbor(x, what))
}

function readCommitVote(v: CborValue, what: string): CommitVote {
  const m = readMap(v, what, ['height', 'block', 'logSize', 'logRoot', 'sig'])
  return {
    height: readUint(m.height, `${what}.height`),
    block: readBytes(m.block, `${what}.block`, HASH_BYTES),
    logSize: readUint(m.logSize, `${what}.logSize`),
    logRoot: readBytes(m.logRoot, `${what}.logRoot`, HASH_BYTES),
    sig: readBytes(m.sig, `${what}.sig`, SIGNATURE_BYTES),
  }
}

function readVote(m: CborMap): VoteMessage {
  if (m.type !== 'vote') throw new CodecError('vote: type is not \'vote\'')
  return {
    type: 'vote',
    ...readEpoch(m, 'vote'),
    voter: readUint(m.voter, 'vote.voter', LIMITS.validatorsMax - 1),
    round: readUint(m.round, 'vote.round'),
    height: readUint(m.height, 'vote.height'),
    block: readBytes(m.block, 'vote.block', HASH_BYTES),
    sig: readBytes(m.sig, 'vote.sig', SIGNATURE_BYTES),
    commit: nullable(m.commit, (x) => readCommitVote(x, 'vote.commit')),
  }
}

function readTimeout(m: CborMap): TimeoutMessage {
  if (m.type !== 'timeout') throw new CodecError('timeout: type is not \'timeout\'')
  return {
    type: 'timeout',
    ...readEpoch(m, 'timeout'),
    voter: readUint(m.voter, 'timeout.voter', LIMITS.validatorsMax - 1),
    round: readUint(m.round, 'timeout.round'),
    highQc: readQc(m.highQc, 'timeout.highQc'),
    highTc: readTc(m.highTc, 'timeout.highTc'),
    sig: readBytes(m.sig, 'timeout.sig', SIGNATURE_BYTES),
  }
}

function typeOf(value: CborValue): MessageType {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) {
    throw new CodecError('message: expected a map')
  }
  const type = readText((value as CborMap).type, 'message.type', 32)
  if (!Object.hasOwn(FIELDS, type)) throw new CodecError(`message.type: unknown type '${type}'`)
  return type as MessageType
}

/** Reads a message from its decoded form, checking every field. Throws CodecError. */
export function messageFromCbor(value: CborValue, payloadBytesMax?: number): Message {
  const type = typeOf(value)
  const m = readMap(value, type, withOptional(value, FIELDS[type], OPTIONAL_FIELDS[type]))
  switch (type) {
    case 'proposal':
      return {
        type,
        block: blockFromCbor(m.block as CborValue, payloadBytesMax),
        sig: readBytes(m.sig, 'proposal.sig', SIGNATURE_BYTES),
        tc: readTc(m.tc, 'proposal.tc'),
        cc: readCc(m.cc, 'proposal.cc'),
      }
    case 'vote':
      return readVote(m)
    case 'timeout':
      return readTimeout(m)
    case 'sync-info': {
      const info = { type, ...readEpoch(m, 'sync-info'), highQc: readQc(m.highQc, 'sync-info.highQc'), highTc: readTc(m.highTc, 'sync-info.highTc'), highCc: readCc(m.highCc, 'sync-info.highCc') }
      if (!Object.hasOwn(m, 'links')) return info
      const links = readArray(m.links, 'sync-info.links', SYNC_LINKS_MAX).map((h) => headerFromCbor(h))
      if (links.length === 0) throw new CodecError('sync-info.links: a sync-info without links is written by leaving the field out')
      if (info.highCc === null) throw new CodecError('sync-info.links: links without a commit certificate')
      return { ...info, links }
    }
    case 'entries':
      return { type, entries: readArray(m.entries, 'entries.entries', LIMITS.blockEntriesMax).map((e) => entryFromCbor(e, payloadBytesMax)) }
    case 'block-request':
      return { type, block: readBytes(m.block, 'block-request.block', HASH_BYTES), count: positive(readUint(m.count, 'block-request.count', BLOCK_REQUEST_COUNT_MAX), 'block-request.count') }
    case 'block-response':
      return { type, blocks: readArray(m.blocks, 'block-response.blocks', SYNC_BLOCKS_WIRE_MAX).map((b) => blockFromCbor(b, payloadBytesMax)) }
    case 'range-request': {
      const fromHeight = positive(readUint(m.fromHeight, 'range-request.fromHeight'), 'range-request.fromHeight')
      const toHeight = readUint(m.toHeight, 'range-request.toHeight')
      if (toHeight < fromHeight) throw new CodecError(`range-request: toHeight ${toHeight} is below fromHeight ${fromHeight}`)
      if (toHeight - fromHeight + 1 > RANGE_REQUEST_HEIGHTS_MAX) throw new CodecError(`range-request: ${toHeight - fromHeight + 1} heights is over the limit of ${RANGE_REQUEST_HEIGHTS_MAX}`)
      return { type, fromHeight, toHeight }
    }
    case 'range-response': {
      const blocks = readArray(m.blocks, 'range-response.blocks', SYNC_BLOCKS_WIRE_MAX).map((b) => blockFromCbor(b, payloadBytesMax))
      if (blocks.length === 0) throw new CodecError('range-response.blocks: must hold at least one block')
      const links = readArray(m.links, 'range-response.links', SYNC_LINKS_MAX).map((h) => headerFromCbor(h))
      const cc = readCc(m.cc, 'range-response.cc')
      if (cc === null && links.length > 0) throw new CodecError('range-response.links: linking headers without a commit certificate')
      return { type, blocks, links, cc }
    }
    case 'range-empty': {
      const fromHeight = positive(readUint(m.fromHeight, 'range-empty.fromHeight'), 'range-empty.fromHeight')
      const height = readUint(m.height, 'range-empty.height')
      if (height >= fromHeight) throw new CodecError(`range-empty: height ${height} is not below fromHeight ${fromHeight}`)
      return { type, fromHeight, height, cc: readCc(m.cc, 'range-empty.cc') }
    }
    case 'status-request':
      return { type }
  }
}

function positive(value: number, what: string): number {
  if (value === 0) throw new CodecError(`${what}: must be at least 1`)
  return value
}

/** Decodes one message from bytes (at most LIMITS.messageBytesMax). Throws CodecError. */
export function decodeMessage(bytes: Uint8Array, payloadBytesMax?: number): Message {
  return messageFromCbor(decodeCanonical(bytes, LIMITS.messageBytesMax), payloadBytesMax)
}

// --- The persisted safety state: the driver stores these bytes. ---

export function encodeSafetyState(s: SafetyState): Uint8Array {
  // `epoch` and `epochRoot` only from epoch 1 on: an epoch-0 state encodes as before.
  const epoch = s.epoch ?? 0
  return encodeCanonical({
    ...(epoch === 0 ? {} : { epoch, epochRoot: s.epochRoot ?? new Uint8Array(HASH_BYTES) }),
    lastVotedRound: s.lastVotedRound,
    preferredRound: s.preferredRound,
    oneChainRound: s.oneChainRound,
    highestTimeoutRound: s.highestTimeoutRound,
    lastVote: orNull(s.lastVote, voteToCbor),
    lastTimeout: orNull(s.lastTimeout, timeoutToCbor),
    highQc: qcToCbor(s.highQc),
    highTc: orNull(s.highTc, tcToCbor),
  })
}

const SAFETY_FIELDS = ['lastVotedRound', 'preferredRound', 'oneChainRound', 'highestTimeoutRound', 'lastVote', 'lastTimeout', 'highQc', 'highTc']

export function decodeSafetyState(bytes: Uint8Array): SafetyState {
  const value = decodeCanonical(bytes)
  const ofEpoch = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.hasOwn(value, 'epoch')
  const m = readMap(value, 'safety', ofEpoch ? [...SAFETY_FIELDS, 'epoch', 'epochRoot'] : SAFETY_FIELDS)
  const epoch = readEpoch(m, 'safety')
  return {
    ...epoch,
    ...(epoch.epoch === undefined ? {} : { epochRoot: readBytes(m.epochRoot, 'safety.epochRoot', HASH_BYTES) }),
    lastVotedRound: readUint(m.lastVotedRound, 'safety.lastVotedRound'),
    preferredRound: readUint(m.preferredRound, 'safety.preferredRound'),
    oneChainRound: readUint(m.oneChainRound, 'safety.oneChainRound'),
    highestTimeoutRound: readUint(m.highestTimeoutRound, 'safety.highestTimeoutRound'),
    lastVote: nullable(m.lastVote, (v) => readVote(readMap(v, 'vote', withOptional(v, FIELDS.vote, OPTIONAL_FIELDS.vote)))),
    lastTimeout: nullable(m.lastTimeout, (v) => readTimeout(readMap(v, 'timeout', withOptional(v, FIELDS.timeout, OPTIONAL_FIELDS.timeout)))),
    highQc: readQc(m.highQc, 'safety.highQc'),
    highTc: readTc(m.highTc, 'safety.highTc'),
  }
}
