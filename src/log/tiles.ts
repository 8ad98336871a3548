// The C2SP tlog-tiles read API (c2sp.org/tlog-tiles) over Synod's log. Synod's tree is
// already the RFC 6962 tree tiles need (merkle.ts), and its leaves are the entries'
// canonical encodings CBOR(entry), so the tiles are that tree and nothing else: level-0
// tile hashes are the log's leaf hashes H(0x00 || CBOR(entry)), and an entry bundle
// holds the CBOR(entry) bytes those hash. A tile client then computes exactly the root
// that the commit certificate signs.
//
// Tile n at level l, with i from 0 to width-1, holds
//   MTH(D[(n*256 + i) * 256^l : (n*256 + i + 1) * 256^l])
// i.e. the root of the perfect subtree at tree level 8l with index n*256 + i.
import { CodecError } from '../codec/errors.ts'
import { HASH_BYTES } from '../crypto/hash.ts'
import { leafHash, nodeHash, splitPoint } from './merkle.ts'

export const TILE_WIDTH = 256
/** Tree levels per tile level: 256 = 2^8 hashes per full tile. */
export const TILE_HEIGHT = 8
/** tlog-tiles: L is 0..63. */
export const TILE_LEVEL_MAX = 63
/** Largest entry a bundle can hold: its length prefix is a big-endian uint16. */
export const BUNDLE_ENTRY_BYTES_MAX = 0xffff

export interface TileAddress {
  /** Tile level 0..63, or 'entries' for an entry bundle (whose leaves are level 0's). */
  readonly level: number | 'entries'
  readonly index: number
  /** 1..255 for a partial tile, 256 for a full one. */
  readonly width: number
}

/** N as zero-padded 3-digit path elements, all but the last prefixed with 'x':
 * 1234067 -> x001/x234/067, 5 -> 005. */
export function encodeTileIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('a tile index is a non-negative integer')
  const groups: string[] = []
  let rest = index
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'))
    rest = Math.floor(rest / 1000)
  } while (rest > 0)
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/')
}

/** The path below the log prefix: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]. */
export function tilePath(t: TileAddress): string {
  checkWidth(t.width)
  const level = t.level === 'entries' ? 'entries' : String(checkLevel(t.level))
  return `tile/${level}/${encodeTileIndex(t.index)}${t.width < TILE_WIDTH ? `.p/${t.width}` : ''}`
}

/** Parses the path after "tile/" strictly (the one encoding tilePath gives); throws CodecError. */
export function parseTilePath(path: string): TileAddress {
  const m = /^(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/.exec(path)
  if (m === null) throw new CodecError('a tile path is <L>/<N>[.p/<W>] with N in x-prefixed 3-digit groups')
  const level = m[1] === 'entries' ? 'entries' : Number(m[1])
  if (level !== 'entries' && level > TILE_LEVEL_MAX) throw new CodecError(`a tile level is at most ${TILE_LEVEL_MAX}`)
  const groups = m[2]!.split('/').map((g) => g.replace('x', ''))
  // No leading zero group: N = 5 is 005, never x000/005.
  if (groups.length > 1 && groups[0] === '000') throw new CodecError('a tile index has no leading zero group')
  if (groups.length > 6) throw new CodecError('a tile index is at most 2^53 - 1')
  const index = groups.reduce((n, g) => n * 1000 + Number(g), 0)
  if (!Number.isSafeInteger(index)) throw new CodecError('a tile index is at most 2^53 - 1')
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3])
  if (m[3] !== undefined && width >= TILE_WIDTH) throw new CodecError('a partial tile is 1..255 wide')
  return { level, index, width }
}

/**
 * The width of tile (level, index) in the tree of `size` leaves: 256 when full, the
 * partial width floor(size / 256^level) mod 256 for the rightmost one, null when the
 * tree has no such tile (empty tiles are never served).
 */
export function tileWidthAt(level: number, index: number, size: number): number | null {
  checkLevel(level)
  const span = TILE_WIDTH ** level
  const hashes = Math.floor(size / span) // complete level-l hashes in the tree
  const full = Math.floor(hashes / TILE_WIDTH)
  if (index < full) return TILE_WIDTH
  if (index === full && hashes % TILE_WIDTH > 0) return hashes % TILE_WIDTH
  return null
}

/** The (tree level, subtree index) of each hash of a tile: perfect subtrees the node's
 * Merkle index stores (node/store/merkle-index.ts), so serving a tile is reads only. */
export function tileSubtrees(level: number, index: number, width: number): { treeLevel: number, k: number }[] {
  checkLevel(level)
  checkWidth(width)
  return Array.from({ length: width }, (_, i) => ({ treeLevel: TILE_HEIGHT * level, k: index * TILE_WIDTH + i }))
}

/** Tile contents from subtree roots: width * 32 bytes. */
export function encodeTile(hashes: readonly Uint8Array[]): Uint8Array {
  checkWidth(hashes.length)
  const out = new Uint8Array(hashes.length * HASH_BYTES)
  hashes.forEach((h, i) => {
    if (h.length !== HASH_BYTES) throw new RangeError(`tile hash ${i} is not ${HASH_BYTES} bytes`)
    out.set(h, i * HASH_BYTES)
  })
  return out
}

export function decodeTile(bytes: Uint8Array, width: number): Uint8Array[] {
  checkWidth(width)
  if (bytes.length !== width * HASH_BYTES) throw new CodecError(`a tile of width ${width} is ${width * HASH_BYTES} bytes, got ${bytes.length}`)
  return Array.from({ length: width }, (_, i) => bytes.slice(i * HASH_BYTES, (i + 1) * HASH_BYTES))
}

/** An entry bundle: each entry as a big-endian uint16 length and its bytes. */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  checkWidth(entries.length)
  let total = 0
  for (const e of entries) {
    if (e.length > BUNDLE_ENTRY_BYTES_MAX) throw new RangeError(`an entry of ${e.length} bytes does not fit a bundle's 16-bit length`)
    total += 2 + e.length
  }
  const out = new Uint8Array(total)
  let o = 0
  for (const e of entries) {
    out[o] = e.length >> 8
    out[o + 1] = e.length & 0xff
    out.set(e, o + 2)
    o += 2 + e.length
  }
  return out
}

export function decodeEntryBundle(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let o = 0
  while (o < bytes.length) {
    if (o + 2 > bytes.length) throw new CodecError('an entry bundle ends inside a length')
    const length = (bytes[o]! << 8) | bytes[o + 1]!
    if (o + 2 + length > bytes.length) throw new CodecError('an entry bundle ends inside an entry')
    out.push(bytes.slice(o + 2, o + 2 + length))
    o += 2 + length
    if (out.length > TILE_WIDTH) throw new CodecError(`an entry bundle holds at most ${TILE_WIDTH} entries`)
  }
  if (out.length === 0) throw new CodecError('an entry bundle holds at least one entry')
  return out
}

/** Reads tile (level, index) of the given width: the tile's hashes, as a client got them. */
export type TileReader = (level: number, index: number, width: number) => readonly Uint8Array[]

/**
 * The RFC 6962 root of the tree of `size` leaves computed from its tiles alone, as a
 * tile client does to check a checkpoint. Each tile is asked for at the width the tree
 * has for it (full, or the rightmost partial one).
 */
export function rootFromTiles(size: number, readTile: TileReader): Uint8Array | null {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('a tree size is a non-negative integer')
  if (size === 0) return null
  const cache = new Map<string, readonly Uint8Array[]>()
  const subtree = (treeLevel: number, k: number): Uint8Array => {
    if (treeLevel % TILE_HEIGHT !== 0) return nodeHash(subtree(treeLevel - 1, 2 * k), subtree(treeLevel - 1, 2 * k + 1))
    const level = treeLevel / TILE_HEIGHT
    const index = Math.floor(k / TILE_WIDTH)
    const width = tileWidthAt(level, index, size)
    if (width === null) throw new RangeError(`tile ${level}/${index} is outside a tree of ${size}`)
    const key = `${level}/${index}`
    let tile = cache.get(key)
    if (tile === undefined) {
      tile = readTile(level, index, width)
      if (tile.length !== width) throw new RangeError(`tile ${key} has ${tile.length} hashes, not ${width}`)
      cache.set(key, tile)
    }
    return tile[k % TILE_WIDTH]!
  }
  const range = (start: number, end: number): Uint8Array => {
    const width = end - start
    if (isPowerOfTwo(width) && start % width === 0) return subtree(Math.log2(width), start / width)
    const split = splitPoint(width)
    return nodeHash(range(start, start + split), range(start + split, end))
  }
  return range(0, size)
}

/** Level-0 tile hashes of a bundle's entries: H(0x00 || entry). */
export function bundleLeafHashes(entries: readonly Uint8Array[]): Uint8Array[] {
  return entries.map(leafHash)
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && 2 ** Math.round(Math.log2(value)) === value
}

function checkLevel(level: number): number {
  if (!Number.isSafeInteger(level) || level < 0 || level > TILE_LEVEL_MAX) throw new RangeError(`a tile level is 0..${TILE_LEVEL_MAX}`)
  return level
}

function checkWidth(width: number): void {
  if (!Number.isSafeInteger(width) || width < 1 || width > TILE_WIDTH) throw new RangeError(`a tile is 1..${TILE_WIDTH} wide`)
}
