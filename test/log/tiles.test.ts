// tlog-tiles addressing and contents: the spec's examples, and tiles built from a tree's
// perfect subtrees fold back to the same RFC 6962 root for many sizes (seeded).
import { describe, expect, it } from 'vitest'
import { sha256 } from '../../src/crypto/hash.ts'
import { leafHash, merkleRoot } from '../../src/log/merkle.ts'
import {
  decodeEntryBundle, encodeEntryBundle, encodeTileIndex, parseTilePath, rootFromTiles, tilePath, tileSubtrees, tileWidthAt, TILE_WIDTH,
} from '../../src/log/tiles.ts'

describe('tile addressing', () => {
  it('encodes indexes in x-prefixed 3-digit groups, as the spec\'s example', () => {
    expect(encodeTileIndex(1234067)).toBe('x001/x234/067')
    expect(encodeTileIndex(0)).toBe('000')
    expect(encodeTileIndex(1000)).toBe('x001/000')
    expect(tilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067')
    expect(tilePath({ level: 2, index: 5, width: 17 })).toBe('tile/2/005.p/17')
    expect(tilePath({ level: 'entries', index: 5, width: 256 })).toBe('tile/entries/005')
  })

  it('parses only the one encoding', () => {
    expect(parseTilePath('0/x001/x234/067')).toEqual({ level: 0, index: 1234067, width: 256 })
    expect(parseTilePath('entries/000.p/1')).toEqual({ level: 'entries', index: 0, width: 1 })
    for (const bad of ['0/5', '0/0005', '00/005', '64/005', '0/x000/005', '0/005.p/0', '0/005.p/256', '0/005.p/01', '0/x005', '0/005/', '-1/005', 'x/005', '0/005.p/']) {
      expect(() => parseTilePath(bad), bad).toThrow()
    }
  })

  it('sizes tiles as the spec\'s 70,000-leaf example', () => {
    const s = 70_000
    expect(tileWidthAt(0, 272, s)).toBe(256)
    expect(tileWidthAt(0, 273, s)).toBe(112)
    expect(tileWidthAt(0, 274, s)).toBeNull()
    expect(tileWidthAt(1, 0, s)).toBe(256)
    expect(tileWidthAt(1, 1, s)).toBe(17)
    expect(tileWidthAt(2, 0, s)).toBe(1)
    expect(tileWidthAt(3, 0, s)).toBeNull()
    expect(tileWidthAt(0, 0, 256)).toBe(256)
    expect(tileWidthAt(1, 0, 256)).toBe(1)
    expect(tileWidthAt(0, 1, 256)).toBeNull()
  })
})

describe('tile contents', () => {
  it('tiles built from perfect subtrees fold to the tree\'s root', () => {
    const seed = Number(process.env.TILES_SEED ?? Date.now() % 100_000)
    console.log(`tiles seed ${seed} (TILES_SEED=${seed} to repeat)`)
    let x = seed
    const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31)
    const leaves = Array.from({ length: 70_000 }, (_, i) => leafHash(sha256(Uint8Array.of(i & 255, i >> 8, i >> 16))))
    const sizes = [1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 70_000, ...Array.from({ length: 6 }, () => 1 + (next() % 70_000))]
    const roots = new Map<string, Uint8Array>()
    const subtreeRoot = (treeLevel: number, k: number): Uint8Array => {
      const key = `${treeLevel}/${k}`
      let root = roots.get(key)
      if (root === undefined) {
        root = merkleRoot(leaves.slice(k * 2 ** treeLevel, (k + 1) * 2 ** treeLevel))
        roots.set(key, root)
      }
      return root
    }
    for (const size of sizes) {
      const read = (level: number, index: number, width: number): Uint8Array[] => {
        expect(tileWidthAt(level, index, size)).toBe(width)
        return tileSubtrees(level, index, width).map(({ treeLevel, k }) => subtreeRoot(treeLevel, k))
      }
      expect(rootFromTiles(size, read), `size ${size}`).toEqual(merkleRoot(leaves.slice(0, size)))
    }
  })

  it('entry bundles are uint16-length-prefixed entries', () => {
    const entries = [new Uint8Array(0), Uint8Array.of(0x61), new Uint8Array(300).fill(5)]
    const bundle = encodeEntryBundle(entries)
    expect(Array.from(bundle.subarray(0, 5))).toEqual([0, 0, 0, 1, 0x61])
    expect(decodeEntryBundle(bundle)).toEqual(entries)
    expect(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1))).toThrow()
    expect(() => decodeEntryBundle(Uint8Array.of(0))).toThrow()
    expect(() => encodeEntryBundle([new Uint8Array(65_536)])).toThrow()
    expect(() => encodeEntryBundle(Array.from({ length: TILE_WIDTH + 1 }, () => new Uint8Array(1)))).toThrow()
  })
})
