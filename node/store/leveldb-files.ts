// Checks of a LevelDB directory's own files, read before LevelDB opens it. LevelDB trusts
// its files: with CURRENT gone it creates an empty database over the old one (and then
// deletes the table files it no longer knows); a truncated MANIFEST silently forgets
// tables; and as classic-level opens it (no paranoid_checks, no verify_checksums, neither
// is exposed) a flipped byte in a table is read back as data, or trips an assertion in a
// background compaction that aborts the process. So the store check reads CURRENT, the
// MANIFEST (log records, each CRC-checked) and every live table's footer, index and,
// when asked, every block checksum, and names what it finds.
//
// Formats: https://github.com/google/leveldb/blob/main/doc/log_format.md and table_format.md.
import { open, readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32c, unmaskCrc } from './crc32c.ts'
import type { StoreFinding } from './errors.ts'
import { snappyDecompress } from './snappy.ts'
import { readVarint } from './varint.ts'

export type { StoreFinding }

export interface LiveTable {
  readonly number: number
  readonly size: number
  readonly file: string
}

export interface LevelFiles {
  /** False for a directory with no LevelDB files at all (a fresh store). */
  readonly exists: boolean
  readonly tables: readonly LiveTable[]
  readonly findings: readonly StoreFinding[]
  /** The MANIFEST ends inside a record. A crash (power loss) during an append leaves that,
   * and LevelDB then ignores the torn edit (a flush or compaction it redoes), so it is
   * damage only if the rest of the check finds some: then it is the first finding. */
  readonly tornManifest: StoreFinding | null
}

const LOG_BLOCK_BYTES = 32 * 1024
const LOG_HEADER_BYTES = 7
const TABLE_FOOTER_BYTES = 48
const TABLE_MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb] // 0xdb4775248b80fb57, little-endian
const BLOCK_TRAILER_BYTES = 5
/** A table's index block: LevelDB writes a few KiB per 2 MiB table; far above that is damage. */
const INDEX_BLOCK_BYTES_MAX = 64 * 1024 * 1024
/** Bytes read per step when checksumming a table's data blocks. */
const TABLE_READ_CHUNK_BYTES = 4 * 1024 * 1024

function tableName(dir: string, names: ReadonlySet<string>, number: number): string {
  const base = String(number).padStart(6, '0')
  return names.has(`${base}.sst`) ? join(dir, `${base}.sst`) : join(dir, `${base}.ldb`)
}

/** The records of a LevelDB log-format file (the MANIFEST), CRC-checked. */
export function readLogRecords(bytes: Uint8Array, what: string, findings: StoreFinding[]): Uint8Array[] {
  const records: Uint8Array[] = []
  let pending: Uint8Array[] | null = null
  let pos = 0
  while (pos < bytes.length) {
    const blockLeft = LOG_BLOCK_BYTES - (pos % LOG_BLOCK_BYTES)
    if (blockLeft < LOG_HEADER_BYTES) { pos += blockLeft; continue } // zero trailer of a block
    if (pos + LOG_HEADER_BYTES > bytes.length) {
      findings.push({ code: 'manifest-truncated', detail: `${what} ends inside a record header at byte ${pos} of ${bytes.length}` })
      return records
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset + pos, LOG_HEADER_BYTES)
    const stored = view.getUint32(0, true)
    const length = view.getUint16(4, true)
    const type = view.getUint8(6)
    if (type === 0 && length === 0 && stored === 0) { pos += blockLeft; continue } // preallocated zeros
    const start = pos + LOG_HEADER_BYTES
    if (start + length > bytes.length) {
      findings.push({ code: 'manifest-truncated', detail: `${what} ends inside a ${length}-byte record at byte ${pos} of ${bytes.length}` })
      return records
    }
    const data = bytes.subarray(start, start + length)
    if (unmaskCrc(stored) !== crc32c(data, crc32c(Uint8Array.of(type)))) {
      findings.push({ code: 'manifest-checksum', detail: `${what}: the record at byte ${pos} fails its checksum` })
      return records
    }
    pos = start + length
    if (type === 1) records.push(data)
    else if (type === 2) pending = [data]
    else if ((type === 3 || type === 4) && pending !== null) {
      pending.push(data)
      if (type === 4) {
        records.push(Buffer.concat(pending))
        pending = null
      }
    } else {
      findings.push({ code: 'manifest-corrupt', detail: `${what}: record type ${type} at byte ${pos} is out of sequence` })
      return records
    }
  }
  if (pending !== null) findings.push({ code: 'manifest-truncated', detail: `${what} ends inside a fragmented record` })
  return records
}

interface ManifestState {
  readonly live: Map<number, number>
  logNumber: number | null
}

function readLengthPrefixed(bytes: Uint8Array, offset: number): number {
  const { value, next } = readVarint(bytes, offset)
  if (next + value > bytes.length) throw new Error('a length-prefixed field runs past its record')
  return next + value
}

/** Applies one VersionEdit record (db/version_edit.cc) to the live table set. */
function applyVersionEdit(record: Uint8Array, state: ManifestState): void {
  let pos = 0
  const varint = (): number => {
    const r = readVarint(record, pos)
    pos = r.next
    return r.value
  }
  while (pos < record.length) {
    const tag = varint()
    switch (tag) {
      case 1: pos = readLengthPrefixed(record, pos); break // comparator name
      case 2: state.logNumber = varint(); break
      case 3: case 4: case 9: varint(); break // next file, last sequence, previous log
      case 5: varint(); pos = readLengthPrefixed(record, pos); break // compaction pointer
      case 6: varint(); state.live.delete(varint()); break // deleted file: level, number
      case 7: { // new file: level, number, size, smallest, largest
        varint()
        const number = varint()
        const size = varint()
        pos = readLengthPrefixed(record, pos)
        pos = readLengthPrefixed(record, pos)
        state.live.set(number, size)
        break
      }
      default: throw new Error(`unknown tag ${tag}`)
    }
  }
}

/** Reads CURRENT and the MANIFEST it names; finds live tables that are missing or of the wrong size. */
export async function readLevelFiles(dir: string): Promise<LevelFiles> {
  const findings: StoreFinding[] = []
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return { exists: false, tables: [], findings, tornManifest: null }
    throw err
  }
  const nameSet = new Set(names)
  const levelFiles = names.filter((n) => /^(\d+\.(log|ldb|sst)|MANIFEST-\d+|CURRENT)$/.test(n))
  if (levelFiles.length === 0) return { exists: false, tables: [], findings, tornManifest: null }
  if (!nameSet.has('CURRENT')) {
    const tables = names.filter((n) => /\.(ldb|sst)$/.test(n)).length
    // LevelDB writes the first MANIFEST, then CURRENT: a crash between them leaves no data.
    if (tables === 0 && !names.some((n) => n.endsWith('.log'))) return { exists: false, tables: [], findings, tornManifest: null }
    findings.push({ code: 'current-missing', detail: `the CURRENT file is missing beside ${levelFiles.length} LevelDB files (${tables} tables); LevelDB would start an empty database over them and delete them` })
    return { exists: true, tables: [], findings, tornManifest: null }
  }
  const current = (await readFile(join(dir, 'CURRENT'), 'utf8'))
  const manifestName = current.endsWith('\n') ? current.slice(0, -1) : current
  if (!/^MANIFEST-\d+$/.test(manifestName)) {
    findings.push({ code: 'current-corrupt', detail: `CURRENT holds ${JSON.stringify(current.slice(0, 40))}, not a MANIFEST name` })
    return { exists: true, tables: [], findings, tornManifest: null }
  }
  if (!nameSet.has(manifestName)) {
    findings.push({ code: 'manifest-missing', detail: `CURRENT names ${manifestName}, which is missing` })
    return { exists: true, tables: [], findings, tornManifest: null }
  }
  const manifest = new Uint8Array(await readFile(join(dir, manifestName)))
  const records = readLogRecords(manifest, manifestName, findings)
  const tornAt = findings.findIndex((f) => f.code === 'manifest-truncated')
  const tornManifest = tornAt < 0 ? null : findings.splice(tornAt, 1)[0]!
  const state: ManifestState = { live: new Map(), logNumber: null }
  for (const [i, record] of records.entries()) {
    try {
      applyVersionEdit(record, state)
    } catch (err) {
      findings.push({ code: 'manifest-corrupt', detail: `${manifestName}: record ${i} does not parse: ${(err as Error).message}` })
      break
    }
  }
  if (records.length === 0 && findings.length === 0 && tornManifest === null) findings.push({ code: 'manifest-corrupt', detail: `${manifestName} holds no records` })
  // A damaged MANIFEST lists only part of the tables: what follows would only repeat it.
  if (findings.length > 0) return { exists: true, tables: [], findings: tornManifest === null ? findings : [tornManifest, ...findings], tornManifest: null }
  if (records.length === 0) return { exists: true, tables: [], findings: [tornManifest!], tornManifest: null }
  if (state.logNumber !== null && state.logNumber > 0) {
    const log = `${String(state.logNumber).padStart(6, '0')}.log`
    if (!nameSet.has(log)) findings.push({ code: 'log-missing', detail: `the write-ahead log ${log} that ${manifestName} names is missing (the most recent writes are lost)` })
  }
  const tables: LiveTable[] = []
  for (const [number, size] of [...state.live.entries()].sort((a, b) => a[0] - b[0])) {
    const file = tableName(dir, nameSet, number)
    let actual: number
    try {
      actual = (await stat(file)).size
    } catch {
      findings.push({ code: 'table-missing', detail: `table ${number} (${size} bytes), live in ${manifestName}, is missing` })
      continue
    }
    if (actual !== size) findings.push({ code: 'table-size', detail: `table ${file} is ${actual} bytes; ${manifestName} says ${size}` })
    else tables.push({ number, size, file })
  }
  return { exists: true, tables, findings: tornManifest !== null && findings.length > 0 ? [tornManifest, ...findings] : findings, tornManifest: findings.length > 0 ? null : tornManifest }
}

interface BlockHandle { readonly offset: number, readonly size: number }

function readHandle(bytes: Uint8Array, offset: number): { handle: BlockHandle, next: number } {
  const o = readVarint(bytes, offset)
  const s = readVarint(bytes, o.next)
  return { handle: { offset: o.value, size: s.value }, next: s.next }
}

function checkBlock(bytes: Uint8Array, start: number, handle: BlockHandle): string | null {
  const content = bytes.subarray(start, start + handle.size)
  const type = bytes[start + handle.size]!
  const stored = new DataView(bytes.buffer, bytes.byteOffset + start + handle.size + 1, 4).getUint32(0, true)
  if (unmaskCrc(stored) !== crc32c(Uint8Array.of(type), crc32c(content))) return `block at ${handle.offset} (${handle.size} bytes) fails its checksum`
  if (type !== 0 && type !== 1) return `block at ${handle.offset} has compression type ${type}`
  return null
}

/** The data block handles of an index block (table/block.cc: prefix-compressed entries, restart array). */
function indexEntries(block: Uint8Array): BlockHandle[] {
  if (block.length < 4) throw new Error('the index block is shorter than its restart count')
  const restarts = new DataView(block.buffer, block.byteOffset + block.length - 4, 4).getUint32(0, true)
  const end = block.length - 4 * (restarts + 1)
  if (end < 0) throw new Error(`the index block's ${restarts} restarts do not fit in it`)
  const handles: BlockHandle[] = []
  let pos = 0
  while (pos < end) {
    readVarint(block, pos) // shared key bytes
    const nonShared = readVarint(block, readVarint(block, pos).next)
    const valueLength = readVarint(block, nonShared.next)
    const valueStart = valueLength.next + nonShared.value
    if (valueStart + valueLength.value > end) throw new Error(`index entry at ${pos} runs past the block`)
    handles.push(readHandle(block.subarray(valueStart, valueStart + valueLength.value), 0).handle)
    pos = valueStart + valueLength.value
  }
  return handles
}

/**
 * Checks one table: footer, index and metaindex blocks always; every data block's
 * checksum with `dataBlocks` (the whole file is read: about 350 MB/s of CRC here).
 */
export async function checkTable(table: LiveTable, dataBlocks: boolean): Promise<StoreFinding[]> {
  const name = table.file
  const damaged = (detail: string): StoreFinding[] => [{ code: 'table-corrupt', detail: `table ${name}: ${detail}` }]
  if (table.size < TABLE_FOOTER_BYTES) return damaged(`${table.size} bytes is shorter than a table footer`)
  const handle = await open(name, 'r')
  try {
    const read = async (offset: number, length: number): Promise<Uint8Array> => {
      const out = new Uint8Array(length)
      const { bytesRead } = await handle.read(out, 0, length, offset)
      if (bytesRead !== length) throw new Error(`short read at ${offset}`)
      return out
    }
    const footer = await read(table.size - TABLE_FOOTER_BYTES, TABLE_FOOTER_BYTES)
    if (!TABLE_MAGIC.every((b, i) => footer[40 + i] === b)) return damaged('the footer has no table magic number')
    const meta = readHandle(footer, 0)
    const index = readHandle(footer, meta.next).handle
    const blocksEnd = table.size - TABLE_FOOTER_BYTES
    for (const [what, h] of [['metaindex', meta.handle], ['index', index]] as const) {
      if (h.size > INDEX_BLOCK_BYTES_MAX || h.offset + h.size + BLOCK_TRAILER_BYTES > blocksEnd) return damaged(`the ${what} block handle points outside the file`)
    }
    const indexBytes = await read(index.offset, index.size + BLOCK_TRAILER_BYTES)
    const indexProblem = checkBlock(indexBytes, 0, { offset: index.offset, size: index.size })
    if (indexProblem !== null) return damaged(`index ${indexProblem}`)
    const metaBytes = await read(meta.handle.offset, meta.handle.size + BLOCK_TRAILER_BYTES)
    const metaProblem = checkBlock(metaBytes, 0, meta.handle)
    if (metaProblem !== null) return damaged(`metaindex ${metaProblem}`)
    const content = indexBytes.subarray(0, index.size)
    let handles: BlockHandle[]
    try {
      handles = indexEntries(indexBytes[index.size] === 1 ? snappyDecompress(content, INDEX_BLOCK_BYTES_MAX) : content)
    } catch (err) {
      return damaged(`the index block does not parse: ${(err as Error).message}`)
    }
    let expected = 0
    for (const h of handles) {
      if (h.offset !== expected || h.offset + h.size + BLOCK_TRAILER_BYTES > blocksEnd) return damaged(`data block handle (${h.offset}, ${h.size}) does not follow the previous block at ${expected}`)
      expected = h.offset + h.size + BLOCK_TRAILER_BYTES
    }
    if (!dataBlocks) return []
    // Data blocks are contiguous from offset 0: read them in chunks of whole blocks.
    let at = 0
    while (at < handles.length) {
      const first = handles[at]!.offset
      let last = at
      while (last + 1 < handles.length && handles[last + 1]!.offset + handles[last + 1]!.size + BLOCK_TRAILER_BYTES - first <= TABLE_READ_CHUNK_BYTES) last++
      const chunkEnd = handles[last]!.offset + handles[last]!.size + BLOCK_TRAILER_BYTES
      const chunk = await read(first, chunkEnd - first)
      for (let i = at; i <= last; i++) {
        const problem = checkBlock(chunk, handles[i]!.offset - first, handles[i]!)
        if (problem !== null) return damaged(`data ${problem}`)
      }
      at = last + 1
    }
    return []
  } catch (err) {
    return damaged((err as Error).message)
  } finally {
    await handle.close()
  }
}
