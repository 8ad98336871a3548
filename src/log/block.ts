// Blocks: a header that hash-chains to its parent and carries the QC that certifies the
// parent, plus the entries it orders. The header commits to the entries (entriesRoot)
// and to the whole log after them (logSize, logRoot), so a certified header alone
// pins the log's contents at that height.
import { bytesEqual, decodeCanonical, encodeCanonical, encodeCanonicalArrayOf, encodeCanonicalMapWith, type CborValue } from '../codec/cbor.ts'
import { CodecError } from '../codec/errors.ts'
import { readArray, readBytes, readMap, readUint } from '../codec/schema.ts'
import { HASH_BYTES, sha256 } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'
import { qcFromCbor, qcToCbor, type QuorumCertificate } from './certificates.ts'
import { encodeEntry, entryFromCbor, entryLeaf, entryToCbor, type Entry, type Hash } from './entry.ts'
import { genesisHash, type Genesis } from './genesis.ts'
import { EMPTY_ROOT, merkleRoot } from './merkle.ts'

export interface BlockHeader {
  readonly height: number
  readonly round: number
  /** Hash of the parent block's header; for height 0, the genesis hash. */
  readonly parent: Hash
  /** RFC 9162 Merkle root of this block's entries. */
  readonly entriesRoot: Hash
  readonly entryCount: number
  /** Log size and root after this block's entries are appended. */
  readonly logSize: number
  readonly logRoot: Hash
  /** Index of the proposing validator in the genesis. */
  readonly proposer: number
  /** QC for the parent block (for height 0, an empty QC). */
  readonly justify: QuorumCertificate
  /** The block's epoch (docs/formats.md section 15.3); absent (undefined) in epoch 0, so
   * that a header of a chain that never reconfigured is encoded as before. */
  readonly epoch?: number
}

export interface Block {
  readonly header: BlockHeader
  readonly entries: readonly Entry[]
}

const HEADER_FIELDS = ['height', 'round', 'parent', 'entriesRoot', 'entryCount', 'logSize', 'logRoot', 'proposer', 'justify'] as const
const HEADER_FIELDS_WITH_EPOCH = [...HEADER_FIELDS, 'epoch'] as const

export function headerToCbor(h: BlockHeader): CborValue {
  const epoch = h.epoch ?? 0
  return {
    ...(epoch === 0 ? {} : { epoch }),
    height: h.height,
    round: h.round,
    parent: h.parent,
    entriesRoot: h.entriesRoot,
    entryCount: h.entryCount,
    logSize: h.logSize,
    logRoot: h.logRoot,
    proposer: h.proposer,
    justify: qcToCbor(h.justify),
  }
}

export function headerFromCbor(value: CborValue): BlockHeader {
  // Epoch 0 has no `epoch` field; a later epoch has it, at least 1 (one encoding each).
  const hasEpoch = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.hasOwn(value, 'epoch')
  const m = readMap(value, 'header', hasEpoch ? HEADER_FIELDS_WITH_EPOCH : HEADER_FIELDS)
  const epoch = hasEpoch ? readUint(m.epoch, 'header.epoch') : 0
  if (hasEpoch && epoch === 0) throw new CodecError('header.epoch: epoch 0 is written by leaving the field out')
  return {
    ...(epoch === 0 ? {} : { epoch }),
    height: readUint(m.height, 'header.height'),
    round: readUint(m.round, 'header.round'),
    parent: readBytes(m.parent, 'header.parent', HASH_BYTES),
    entriesRoot: readBytes(m.entriesRoot, 'header.entriesRoot', HASH_BYTES),
    entryCount: readUint(m.entryCount, 'header.entryCount', LIMITS.blockEntriesMax),
    logSize: readUint(m.logSize, 'header.logSize'),
    logRoot: readBytes(m.logRoot, 'header.logRoot', HASH_BYTES),
    proposer: readUint(m.proposer, 'header.proposer', LIMITS.validatorsMax - 1),
    justify: qcFromCbor(m.justify as CborValue, 'header.justify'),
  }
}

/** Block hashes by header object, as entry.ts keeps an entry's id: one header is hashed
 * by the proposal check, the block rule, the tree and the sync code, and (in the
 * simulator, where receivers share the sender's objects) by every replica. Headers are
 * never mutated (readonly; a changed header is a new object). */
const headerHashes = new WeakMap<BlockHeader, Hash>()
/** The same for the header's canonical encoding: serving sync measures every block it
 * sends by it (encodedBlockLength). Shared bytes, never written to. */
const headerEncodings = new WeakMap<BlockHeader, Uint8Array>()

function encodedHeader(header: BlockHeader): Uint8Array {
  let bytes = headerEncodings.get(header)
  if (bytes === undefined) {
    bytes = encodeCanonical(headerToCbor(header))
    headerEncodings.set(header, bytes)
  }
  return bytes
}

/** The block hash: SHA-256 of the header's canonical encoding. */
export function blockHash(header: BlockHeader): Hash {
  let hash = headerHashes.get(header)
  if (hash === undefined) {
    hash = sha256(encodedHeader(header))
    headerHashes.set(header, hash)
  }
  return hash
}

export function blockToCbor(b: Block): CborValue {
  return { header: headerToCbor(b.header), entries: b.entries.map(entryToCbor) }
}

export function blockFromCbor(value: CborValue, payloadBytesMax?: number): Block {
  const m = readMap(value, 'block', ['header', 'entries'])
  return {
    header: headerFromCbor(m.header as CborValue),
    entries: readArray(m.entries, 'block.entries', LIMITS.blockEntriesMax).map((e) => entryFromCbor(e, payloadBytesMax)),
  }
}

/** encodeCanonical(blockToCbor(b)), from the entries' encodings (kept per entry object):
 * a block is encoded for every message and store record that carries it. */
export function encodeBlock(b: Block): Uint8Array {
  return encodeCanonicalMapWith({ header: headerToCbor(b.header) }, 'entries', encodeCanonicalArrayOf(b.entries.map((e) => encodeEntry(e))))
}

/** Bytes of a CBOR item's head (shortest form) for a length or count of `n`. */
function headBytes(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x100000000 ? 5 : 9
}

/** encodeBlock(b).length without encoding the block: from its entries' encodings (kept
 * per entry object) and its header's. Serving sync budgets responses by it. */
export function encodedBlockLength(b: Block): number {
  let entries = 0
  for (const e of b.entries) entries += encodeEntry(e).length
  const header = encodedHeader(b.header).length
  // A map of two pairs: "entries" -> an array of the entries, "header" -> the header.
  return headBytes(2) + headBytes(7) + 7 + headBytes(b.entries.length) + entries + headBytes(6) + 6 + header
}

export function decodeBlock(bytes: Uint8Array, payloadBytesMax?: number): Block {
  return blockFromCbor(decodeCanonical(bytes), payloadBytesMax)
}

/** RFC 9162 root over a block's entries (the leaves are the entries' canonical encodings). */
export function entriesRootOf(entries: readonly Entry[]): Hash {
  return merkleRoot(entries.map(entryLeaf))
}

/** The empty QC that justifies the genesis block and certifies nothing before it. */
export function emptyQc(n: number): QuorumCertificate {
  return { round: 0, height: 0, block: new Uint8Array(HASH_BYTES), signers: new Uint8Array(Math.ceil(n / 8)), sigs: [] }
}

/** The height-0 block: no entries, empty log, parent = the genesis hash. Every chain starts here. */
export function genesisBlock(g: Genesis): Block {
  return {
    header: {
      height: 0,
      round: 0,
      parent: genesisHash(g),
      entriesRoot: EMPTY_ROOT,
      entryCount: 0,
      logSize: 0,
      logRoot: EMPTY_ROOT,
      proposer: 0,
      justify: emptyQc(g.validators.length),
    },
    entries: [],
  }
}

/** The genesis block's hash per genesis object (a genesis is an immutable value, as a
 * header is): each replica, verifier and checker builds the genesis QC, and a flooding
 * behaviour one per junk timeout, each time encoding and hashing the genesis and its
 * block (about 2% of a simulated run). Handed out as a copy. */
const genesisBlockHashes = new WeakMap<Genesis, Hash>()

/** The QC that certifies the genesis block: round 0, no signers (valid by definition). */
export function genesisQc(g: Genesis): QuorumCertificate {
  let hash = genesisBlockHashes.get(g)
  if (hash === undefined) {
    hash = blockHash(genesisBlock(g).header)
    genesisBlockHashes.set(g, hash)
  }
  return { ...emptyQc(g.validators.length), block: hash.slice() }
}

/** Whether `qc` is exactly `expected` (the chain's genesis QC): round 0, height 0, the
 * height-0 block's hash, a signer bitmap of ceil(n/8) zero bytes and no signatures. The
 * one rule for every verifier (consensus, chain verification): any other bytes in a QC
 * that claims to be the genesis QC would give one block two encodings. */
export function isGenesisQc(qc: QuorumCertificate, expected: QuorumCertificate): boolean {
  return qc.round === 0 && qc.height === 0 && bytesEqual(qc.block, expected.block)
    && bytesEqual(qc.signers, expected.signers) && qc.sigs.length === 0
}
