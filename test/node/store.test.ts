import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../../src/crypto/hash.ts'
import { MerkleAccumulator, consistencyProof as refConsistency, inclusionProof as refInclusion, leafHash } from '../../src/log/merkle.ts'
import { LevelStore, MemoryStore } from '../../node/store/index.ts'
import { appendLeaves, consistencyProof, inclusionProof, type SubtreeNode } from '../../node/store/merkle-index.ts'
import { storeComplianceSuite } from './store-compliance.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

storeComplianceSuite('MemoryStore', { create: async () => new MemoryStore(), reopen: null })

const paths = new WeakMap<object, string>()
storeComplianceSuite('LevelStore', {
  create: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-store-'))
    dirs.push(dir)
    const store = new LevelStore(dir)
    paths.set(store, dir)
    return store
  },
  reopen: async (store) => {
    const dir = paths.get(store)!
    const again = new LevelStore(dir)
    paths.set(again, dir)
    return again
  },
})

describe('merkle index', () => {
  it('stores every perfect subtree and produces the reference proofs', () => {
    fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 9 }), async (size, chunk) => {
      const leaves = Array.from({ length: size }, (_, i) => leafHash(Uint8Array.of(i, i >> 8)))
      const nodes = new Map<string, Uint8Array>()
      let state = { size: 0, frontier: [] as Uint8Array[] }
      for (let i = 0; i < size; i += chunk) {
        const r = appendLeaves(state, leaves.slice(i, i + chunk))
        state = r.state
        r.nodes.forEach((n: SubtreeNode) => nodes.set(`${n.level}/${n.k}`, n.hash))
      }
      const acc = new MerkleAccumulator()
      leaves.forEach((l) => acc.append(l))
      expect(toHex(MerkleAccumulator.fromState(state).root())).toBe(toHex(acc.root()))
      const get = async (level: number, k: number) => {
        const h = nodes.get(`${level}/${k}`)
        if (h === undefined) throw new Error(`missing ${level}/${k}`)
        return h
      }
      for (let index = 0; index < size; index += 3) {
        expect((await inclusionProof(index, size, get)).map(toHex)).toEqual(refInclusion(index, size, (i) => leaves[i]!).map(toHex))
      }
      for (let old = 0; old <= size; old += 2) {
        expect((await consistencyProof(old, size, get)).map(toHex)).toEqual(refConsistency(old, size, (i) => leaves[i]!).map(toHex))
      }
    }), { numRuns: 60 })
  })
})
