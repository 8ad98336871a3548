// The export format: how a chain travels to an auditor (HTTP export, files).
//
//   export  = record*
//   record  = uvarint(length) || canonical CBOR (length bytes)
//   first record: the header {format: "synod-export/v1", chainId, genesis: genesis hash,
//     from: first height, start: null | {header, accumulator: {size, frontier}}}
//     (start: the header at from-1 and the log's Merkle frontier after it; required when
//     from > 1, so a partial export can be verified without the blocks before it)
//   then one record per block, in height order: {block, cc} (cc is null when the
//   exporter has no commit certificate for that block).
//
// The uvarint is the unsigned varint of multiformats (as it-length-prefixed writes it):
// unsigned LEB128, minimal (no trailing 0x00 byte), at most 9 bytes; every record is at
// most LIMITS.messageBytesMax (8 MiB). The reader rejects anything else.
// Parsing is incremental and sans-IO: feed bytes as they arrive, take records out.
import { decodeCanonical, encodeCanonical, type CborValue } from '../codec/cbor.ts'
import { CodecError } from '../codec/errors.ts'
import { readBytes, readMap, readText, readUint } from '../codec/schema.ts'
import { HASH_BYTES } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'
import { readArray } from '../codec/schema.ts'
import { blockFromCbor, blockToCbor, headerFromCbor, headerToCbor } from './block.ts'
import { ccFromCbor, ccToCbor } from './certificates.ts'
import { epochChangeFromCbor, epochChangeToCbor } from './receipt.ts'
import type { ChainItem, ChainStart } from './verify.ts'

export const EXPORT_FORMAT = 'synod-export/v1'

export interface ExportHeader {
  readonly format: typeof EXPORT_FORMAT
  readonly chainId: string
  readonly genesis: Uint8Array
  readonly from: number
  readonly start: ChainStart | null
}

export function chainItemToCbor(item: ChainItem): CborValue {
  const links = item.links ?? []
  return {
    block: blockToCbor(item.block), cc: item.cc ? ccToCbor(item.cc) : null,
    // A reconfiguration block's boundary proof (docs/formats.md section 15.4): absent otherwise.
    ...(links.length === 0 ? {} : { links: links.map(headerToCbor) }),
  }
}

export function chainItemFromCbor(value: CborValue): ChainItem {
  const withLinks = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.hasOwn(value, 'links')
  const m = readMap(value, 'record', withLinks ? ['block', 'cc', 'links'] : ['block', 'cc'])
  const item: ChainItem = { block: blockFromCbor(m.block as CborValue), cc: m.cc === null ? null : ccFromCbor(m.cc as CborValue, 'record.cc') }
  if (!withLinks) return item
  const links = readArray(m.links, 'record.links', LIMITS.boundaryHeadersMax - 1)
  if (links.length === 0) throw new CodecError('record.links: a record without a boundary proof is written by leaving the field out')
  return { ...item, links: links.map((h) => headerFromCbor(h)) }
}

export function exportHeaderToCbor(h: ExportHeader): CborValue {
  let start: CborValue = null
  if (h.start !== null) {
    const changes = h.start.epochChanges ?? []
    start = {
      header: headerToCbor(h.start.header),
      accumulator: { size: h.start.accumulator.size, frontier: h.start.accumulator.frontier },
      // The epoch changes up to the start (docs/formats.md section 15.4): absent in epoch 0.
      ...(changes.length === 0 ? {} : { epochs: changes.map(epochChangeToCbor) }),
    }
  }
  return { format: h.format, chainId: h.chainId, genesis: h.genesis, from: h.from, start }
}

function startFromCbor(value: CborValue): ChainStart {
  const withEpochs = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array) && Object.hasOwn(value, 'epochs')
  const m = readMap(value, 'export header.start', withEpochs ? ['header', 'accumulator', 'epochs'] : ['header', 'accumulator'])
  const acc = readMap(m.accumulator as CborValue, 'export header.start.accumulator', ['size', 'frontier'])
  const start: ChainStart = {
    header: headerFromCbor(m.header as CborValue),
    accumulator: {
      size: readUint(acc.size, 'export header.start.accumulator.size'),
      frontier: readArray(acc.frontier, 'export header.start.accumulator.frontier', 64).map((h, i) => readBytes(h, `frontier[${i}]`, HASH_BYTES)),
    },
  }
  if (!withEpochs) return start
  const list = readArray(m.epochs, 'export header.start.epochs', LIMITS.epochChangesMax)
  if (list.length === 0) throw new CodecError('export header.start.epochs: a start in epoch 0 is written by leaving the field out')
  return { ...start, epochChanges: list.map((r, i) => epochChangeFromCbor(r, `export header.start.epochs[${i}]`)) }
}

export function exportHeaderFromCbor(value: CborValue): ExportHeader {
  const m = readMap(value, 'export header', ['format', 'chainId', 'genesis', 'from', 'start'])
  const format = readText(m.format, 'export header.format', 64)
  if (format !== EXPORT_FORMAT) throw new CodecError(`export header: unknown format '${format}', expected '${EXPORT_FORMAT}'`)
  return {
    format: EXPORT_FORMAT,
    chainId: readText(m.chainId, 'export header.chainId', LIMITS.chainIdBytesMax),
    genesis: readBytes(m.genesis, 'export header.genesis', HASH_BYTES),
    from: readUint(m.from, 'export header.from'),
    start: m.start === null ? null : startFromCbor(m.start as CborValue),
  }
}

/** The canonical CBOR of one block record (what a node's export yields, unframed). */
export function encodeChainItem(item: ChainItem): Uint8Array {
  return encodeCanonical(chainItemToCbor(item))
}

/** One framed record: uvarint length, then the value's canonical encoding. */
export function frameRecord(value: CborValue): Uint8Array {
  return frameBytes(encodeCanonical(value))
}

/** Frames bytes that already are one canonical encoding (the same bytes frameRecord gives). */
export function frameBytes(body: Uint8Array): Uint8Array {
  if (body.length === 0) throw new CodecError('export: an empty record cannot be framed')
  if (body.length > LIMITS.messageBytesMax) throw new CodecError(`export: a record of ${body.length} bytes is over the limit of ${LIMITS.messageBytesMax}`)
  const prefix: number[] = []
  let n = body.length
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 0x80)
  }
  prefix.push(n)
  const out = new Uint8Array(prefix.length + body.length)
  out.set(prefix)
  out.set(body, prefix.length)
  return out
}

/** The longest length prefix: the multiformats unsigned varint carries at most 63 bits in
 * at most 9 bytes. */
const VARINT_BYTES_MAX = 9

/** A length prefix that breaks the framing rules; `code` is the auditor's failure code. */
export class RecordFramingError extends CodecError {
  readonly code: 'record-length' | 'record-too-large'
  constructor(code: 'record-length' | 'record-too-large', reason: string) {
    super(reason)
    this.code = code
  }
}

/** Incremental parser of framed records with a bound on each record's size. */
export class RecordReader {
  #buffer: Uint8Array = new Uint8Array(0)
  readonly #recordBytesMax: number

  constructor(recordBytesMax: number = LIMITS.messageBytesMax) {
    this.#recordBytesMax = recordBytesMax
  }

  push(chunk: Uint8Array): void {
    if (this.#buffer.length === 0) {
      this.#buffer = chunk
      return
    }
    const joined = new Uint8Array(this.#buffer.length + chunk.length)
    joined.set(this.#buffer)
    joined.set(chunk, this.#buffer.length)
    this.#buffer = joined
  }

  /** The next whole record's decoded value, or null until more bytes arrive. */
  next(): CborValue | null {
    const body = this.nextBytes()
    return body === null ? null : decodeCanonical(body, this.#recordBytesMax)
  }

  /** The next whole record's bytes (undecoded), or null until more bytes arrive. Throws
   * RecordFramingError on a length prefix that is not the minimal unsigned varint of at
   * most 9 bytes, or that announces a record over the limit. */
  nextBytes(): Uint8Array | null {
    const buffer = this.#buffer
    let length = 0
    let scale = 1
    let i = 0
    for (;;) {
      if (i >= buffer.length) return null
      const byte = buffer[i]!
      if (i === VARINT_BYTES_MAX - 1 && (byte & 0x80) !== 0) {
        throw new RecordFramingError('record-length', `the record length prefix is longer than ${VARINT_BYTES_MAX} bytes`)
      }
      // Minimal: a last byte of 0 after continuation bytes adds nothing, so the same
      // length has a shorter encoding (multiformats unsigned-varint forbids it).
      if (i > 0 && byte === 0) throw new RecordFramingError('record-length', `the record length prefix is not minimal (its byte ${i + 1} is 0x00)`)
      length += (byte & 0x7f) * scale
      scale *= 0x80
      i += 1
      if ((byte & 0x80) === 0) break
    }
    if (length > this.#recordBytesMax) throw new RecordFramingError('record-too-large', `record of ${length} bytes is over the limit of ${this.#recordBytesMax}`)
    if (buffer.length < i + length) return null
    const body = buffer.subarray(i, i + length)
    this.#buffer = buffer.subarray(i + length)
    return body
  }

  /** Bytes received but not yet part of a whole record (non-zero at the end = truncated input). */
  get pendingBytes(): number {
    return this.#buffer.length
  }
}
