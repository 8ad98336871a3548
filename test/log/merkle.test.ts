// Known-answer tests for src/log/merkle.ts against published RFC 6962 / RFC 9162
// vectors, then property tests against the RFC's recursive definitions.
//
// Every hex value below is copied from public source; none was computed here:
//  [TD-C] transparency-dev/merkle, testonly/constants.go
//         (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1): LeafInputs, NodeHashes,
//         RootHashes, CompactTrees, EmptyRootHash.
//  [TD-V] transparency-dev/merkle, proof/verify_test.go
//         (commit 02194e9afb6c1d95b5381350007963aa70fff472): inclusionProofs,
//         consistencyProofs, roots, leaves, and the corruption probes.
//  [TD-H] transparency-dev/merkle, rfc6962/rfc6962_test.go
//         (commit 78493b07ef9b552e3379abf9e23d4da26fbe797c): TestRFC6962Hasher.
//  [TD-P] transparency-dev/merkle, proof/proof_test.go
//         (commit 02a3e2029520f515596d5238c54fb0ac9e19bff4): TestInclusion and
//         TestConsistency give proofs as node ids (level, index); we translate them
//         with NodeHashes from [TD-C], for the cases inside the 8-leaf tree.
//  [CT]   google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc
//         (commit 0e901cacd1388fa16f78b184612f6cd16e5ceec1): kInputs, kSHA256Roots,
//         kSHA256Paths, kSHA256Proofs: the same values as [TD-V], which confirms them.
//
// Replay a property failure with FC_SEED=<seed printed below>.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { LIMITS } from '../../src/limits.ts'
import {
  EMPTY_ROOT,
  MerkleAccumulator,
  consistencyProof,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/merkle.ts'

const seed = process.env.FC_SEED === undefined ? 0x5e0d : Number(process.env.FC_SEED)
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED ${process.env.FC_SEED} is not an integer`)
console.log(`merkle property tests: fast-check seed ${seed} (replay with FC_SEED=${seed})`)
const fcOptions = { seed, numRuns: 200 }

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

// [TD-C] LeafInputs (= [CT] kInputs, [TD-V] leaves).
const LEAF_INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex)

// [TD-C] NodeHashes: level, then index within the level.
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
]

// [TD-C] EmptyRootHash and RootHashes, indexed by tree size 0..8 (= [CT] kSHA256Roots).
const EMPTY_ROOT_HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
const ROOT_HASHES = [
  EMPTY_ROOT_HEX,
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
]

/** Node id (level, index) of [TD-C]/[TD-P] as a hex hash. */
const id = (level: number, index: number): string => NODE_HASHES[level]![index]!
/** [TD-P]'s rehash: two consecutive ids (j, i) in a proof become one node hash(i, j). */
const rehash = (first: string, second: string): string => toHex(nodeHash(fromHex(second), fromHex(first)))

// [TD-V] inclusionProofs with leaf numbers 1-based as published (= [CT] kSHA256Paths).
const INCLUSION_VECTORS: ReadonlyArray<{ leaf: number, size: number, proof: string[] }> = [
  { leaf: 1, size: 1, proof: [] },
  {
    leaf: 1, size: 8, proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leaf: 6, size: 8, proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leaf: 3, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leaf: 2, size: 5, proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
]

// [TD-V] consistencyProofs (the first four = [CT] kSHA256Proofs).
const CONSISTENCY_VECTORS: ReadonlyArray<{ size1: number, size2: number, proof: string[] }> = [
  { size1: 1, size2: 1, proof: [] },
  {
    size1: 1, size2: 8, proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    size1: 6, size2: 8, proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    size1: 2, size2: 5, proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    size1: 6, size2: 7, proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
]

// [TD-P] TestInclusion cases whose size is at most 8, as (size, index) -> node ids.
const INCLUSION_NODE_VECTORS: ReadonlyArray<{ size: number, index: number, proof: string[] }> = [
  { size: 1, index: 0, proof: [] },
  { size: 2, index: 0, proof: [id(0, 1)] },
  { size: 2, index: 1, proof: [id(0, 0)] },
  { size: 3, index: 1, proof: [id(0, 0), id(0, 2)] },
  { size: 7, index: 0, proof: [id(0, 1), id(1, 1), rehash(id(0, 6), id(1, 2))] },
  { size: 7, index: 1, proof: [id(0, 0), id(1, 1), rehash(id(0, 6), id(1, 2))] },
  { size: 7, index: 2, proof: [id(0, 3), id(1, 0), rehash(id(0, 6), id(1, 2))] },
  { size: 7, index: 3, proof: [id(0, 2), id(1, 0), rehash(id(0, 6), id(1, 2))] },
  { size: 7, index: 4, proof: [id(0, 5), id(0, 6), id(2, 0)] },
  { size: 7, index: 5, proof: [id(0, 4), id(0, 6), id(2, 0)] },
  { size: 7, index: 6, proof: [id(1, 2), id(2, 0)] },
  { size: 4, index: 2, proof: [id(0, 3), id(1, 0)] },
  { size: 5, index: 3, proof: [id(0, 2), id(1, 0), id(0, 4)] },
  { size: 6, index: 3, proof: [id(0, 2), id(1, 0), id(1, 2)] },
  { size: 6, index: 4, proof: [id(0, 5), id(2, 0)] },
]

// [TD-P] TestConsistency cases whose sizes are at most 8.
const CONSISTENCY_NODE_VECTORS: ReadonlyArray<{ size1: number, size2: number, proof: string[] }> = [
  { size1: 1, size2: 2, proof: [id(0, 1)] },
  { size1: 1, size2: 4, proof: [id(0, 1), id(1, 1)] },
  { size1: 1, size2: 6, proof: [id(0, 1), id(1, 1), id(1, 2)] },
  { size1: 2, size2: 3, proof: [id(0, 2)] },
  { size1: 2, size2: 8, proof: [id(1, 1), id(2, 1)] },
  { size1: 3, size2: 7, proof: [id(0, 2), id(0, 3), id(1, 0), rehash(id(0, 6), id(1, 2))] },
  { size1: 4, size2: 7, proof: [rehash(id(0, 6), id(1, 2))] },
  { size1: 5, size2: 7, proof: [id(0, 4), id(0, 5), id(0, 6), id(2, 0)] },
  { size1: 6, size2: 7, proof: [id(1, 2), id(0, 6), id(2, 0)] },
  { size1: 7, size2: 8, proof: [id(0, 6), id(0, 7), id(1, 2), id(2, 0)] },
  ...[1, 2, 3, 4, 5, 7, 8].map((size) => ({ size1: size, size2: size, proof: [] })),
  { size1: 2, size2: 4, proof: [id(1, 1)] },
  { size1: 3, size2: 5, proof: [id(0, 2), id(0, 3), id(1, 0), id(0, 4)] },
  { size1: 3, size2: 6, proof: [id(0, 2), id(0, 3), id(1, 0), id(1, 2)] },
  { size1: 4, size2: 6, proof: [id(1, 2)] },
  { size1: 1, size2: 7, proof: [id(0, 1), id(1, 1), rehash(id(0, 6), id(1, 2))] },
]

// [TD-C] CompactTrees: the frontier after each size 0..8.
const COMPACT_TREES: string[][] = [
  [],
  [id(0, 0)],
  [id(1, 0)],
  [id(1, 0), id(0, 2)],
  [id(2, 0)],
  [id(2, 0), id(0, 4)],
  [id(2, 0), id(1, 2)],
  [id(2, 0), id(1, 2), id(0, 6)],
  [id(3, 0)],
]

const LEAF_HASHES = LEAF_INPUTS.map(leafHash)
const getVectorLeaf = (i: number): Uint8Array => LEAF_HASHES[i]!
const hexes = (hashes: readonly Uint8Array[]): string[] => hashes.map(toHex)
const bytesOf = (hexList: readonly string[]): Uint8Array[] => hexList.map(fromHex)

/** [TD-V] sha256SomeHash: a 32-byte hash that is in no tree here. */
const SOME_HASH = fromHex('abacaba000000000000000000000000000000000000000000060061e00123456')

function flipBit(proof: readonly Uint8Array[], element: number, bit: number): Uint8Array[] {
  const copy = proof.map((hash) => new Uint8Array(hash))
  copy[element]![bit >> 3]! ^= 1 << (bit & 7)
  return copy
}

describe('RFC 6962 hashing ([TD-H], [TD-C])', () => {
  it('hashes the empty tree, leaves and nodes as published', () => {
    expect(toHex(EMPTY_ROOT)).toBe(EMPTY_ROOT_HEX)
    expect(toHex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d')
    expect(toHex(leafHash(ascii('L123456')))).toBe('395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56')
    expect(toHex(nodeHash(ascii('N123'), ascii('N456')))).toBe('aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb')
  })

  it('reproduces every published node hash of the 8-leaf tree', () => {
    expect(hexes(LEAF_HASHES)).toEqual(NODE_HASHES[0])
    for (let level = 1; level < NODE_HASHES.length; level++) {
      NODE_HASHES[level]!.forEach((expected, index) => {
        const left = fromHex(NODE_HASHES[level - 1]![2 * index]!)
        const right = fromHex(NODE_HASHES[level - 1]![2 * index + 1]!)
        expect(toHex(nodeHash(left, right))).toBe(expected)
      })
    }
  })

  it('merkleRoot gives the published root for every size 0..8', () => {
    for (let size = 0; size <= 8; size++) {
      expect(toHex(merkleRoot(LEAF_HASHES.slice(0, size)))).toBe(ROOT_HASHES[size])
    }
  })
})

describe('MerkleAccumulator against [TD-C]', () => {
  it('has the published root and compact range after each append', () => {
    const accumulator = new MerkleAccumulator()
    expect(toHex(accumulator.root())).toBe(ROOT_HASHES[0])
    expect(accumulator.toState()).toEqual({ size: 0, frontier: [] })
    LEAF_HASHES.forEach((hash, i) => {
      accumulator.append(hash)
      expect(accumulator.size).toBe(i + 1)
      expect(toHex(accumulator.root())).toBe(ROOT_HASHES[i + 1])
      expect(hexes(accumulator.toState().frontier)).toEqual(COMPACT_TREES[i + 1])
    })
  })

  it('restores each published compact range and continues to the published roots', () => {
    for (let size = 0; size <= 8; size++) {
      const restored = MerkleAccumulator.fromState({ size, frontier: bytesOf(COMPACT_TREES[size]!) })
      expect(toHex(restored.root())).toBe(ROOT_HASHES[size])
      for (let next = size; next < 8; next++) {
        restored.append(LEAF_HASHES[next]!)
        expect(toHex(restored.root())).toBe(ROOT_HASHES[next + 1])
      }
    }
  })

  it('rejects a state that no sequence of appends produces', () => {
    const two = bytesOf(COMPACT_TREES[3]!)
    expect(() => MerkleAccumulator.fromState({ size: -1, frontier: [] })).toThrow(/size -1/)
    expect(() => MerkleAccumulator.fromState({ size: 1.5, frontier: [] })).toThrow(/size 1.5/)
    expect(() => MerkleAccumulator.fromState({ size: 4, frontier: two })).toThrow(/size 4 needs 1 frontier hashes, got 2/)
    expect(() => MerkleAccumulator.fromState({ size: 3, frontier: [two[0]!, new Uint8Array(31)] })).toThrow(/frontier hash 1 is 31 bytes/)
    expect(() => new MerkleAccumulator().append(new Uint8Array(33))).toThrow(/33 bytes/)
  })

  it('keeps O(log n) state at the largest safe size and refuses to overflow it', () => {
    const size = Number.MAX_SAFE_INTEGER // 2^53 - 1: 53 perfect subtrees
    const frontier = Array.from({ length: 53 }, (_, i) => leafHash(Uint8Array.of(i)))
    const accumulator = MerkleAccumulator.fromState({ size, frontier })
    expect(accumulator.root()).toHaveLength(32)
    expect(() => accumulator.append(LEAF_HASHES[0]!)).toThrow(/full at size 9007199254740991/)
    // One below the maximum: appending carries through all 52 subtrees into one.
    const almost = MerkleAccumulator.fromState({ size: size - 1, frontier: frontier.slice(0, 52) })
    almost.append(LEAF_HASHES[0]!)
    expect(almost.toState().frontier).toHaveLength(53)
  })
})

describe('inclusion proofs against [TD-V], [CT] and [TD-P]', () => {
  it('generates the published proofs', () => {
    for (const { leaf, size, proof } of INCLUSION_VECTORS) {
      expect(hexes(inclusionProof(leaf - 1, size, getVectorLeaf)), `leaf ${leaf} size ${size}`).toEqual(proof)
    }
    for (const { index, size, proof } of INCLUSION_NODE_VECTORS) {
      expect(hexes(inclusionProof(index, size, getVectorLeaf)), `index ${index} size ${size}`).toEqual(proof)
    }
  })

  it('refuses the published invalid parameters', () => {
    for (const [size, index] of [[0, 0], [0, 1], [1, 2], [0, 3], [7, 8]] as const) {
      expect(() => inclusionProof(index, size, getVectorLeaf)).toThrow(`leaf index ${index} is not below tree size ${size}`)
    }
    expect(() => inclusionProof(-1, 3, getVectorLeaf)).toThrow(/leaf index -1/)
    expect(() => inclusionProof(0, 2, () => new Uint8Array(3))).toThrow(/leaf hash 1 is 3 bytes/)
  })

  it('verifies the published proofs and rejects the published corruptions', () => {
    for (const { leaf, size, proof: proofHex } of INCLUSION_VECTORS) {
      const index = leaf - 1
      const proof = bytesOf(proofHex)
      const root = fromHex(ROOT_HASHES[size]!)
      const hash = LEAF_HASHES[index]!
      expect(verifyInclusion(hash, index, size, proof, root)).toBe(true)
      // [TD-V] corruptInclusionProof.
      const probes: Array<[string, Uint8Array, number, number, Uint8Array[], Uint8Array]> = [
        ['index - 1', hash, index - 1, size, proof, root],
        ['index + 1', hash, index + 1, size, proof, root],
        ['index ^ 2', hash, index ^ 2, size, proof, root],
        ['size * 2', hash, index, size * 2, proof, root],
        ['size / 2', hash, index, Math.floor(size / 2), proof, root],
        ['wrong leaf', ascii('WrongLeaf'), index, size, proof, root],
        ['empty root', hash, index, size, proof, EMPTY_ROOT],
        ['random root', hash, index, size, proof, SOME_HASH],
        ['trailing garbage', hash, index, size, [...proof, new Uint8Array(0)], root],
        ['trailing root', hash, index, size, [...proof, root], root],
        ['preceding garbage', hash, index, size, [new Uint8Array(0), ...proof], root],
        ['preceding root', hash, index, size, [root, ...proof], root],
      ]
      proof.forEach((_, i) => probes.push([`proof[${i}] bit 3`, hash, index, size, flipBit(proof, i, 3), root]))
      if (proof.length > 0) probes.push(['removed component', hash, index, size, proof.slice(0, -1), root])
      if (proof.length > 1) probes.push(['inserted component', hash, index, size, [proof[0]!, SOME_HASH, ...proof.slice(1)], root])
      for (const [what, probeLeaf, probeIndex, probeSize, probeProof, probeRoot] of probes) {
        expect(verifyInclusion(probeLeaf, probeIndex, probeSize, probeProof, probeRoot), `leaf ${leaf} size ${size}: ${what}`).toBe(false)
      }
    }
  })

  it('handles a single-entry tree as [TD-V] TestVerifyInclusionSingleEntry', () => {
    const hash = leafHash(ascii('data'))
    const empty = new Uint8Array(0)
    expect(verifyInclusion(hash, 0, 1, [], hash)).toBe(true)
    expect(verifyInclusion(empty, 0, 1, [], hash)).toBe(false)
    expect(verifyInclusion(hash, 0, 1, [], empty)).toBe(false)
    expect(verifyInclusion(empty, 0, 1, [], empty)).toBe(false)
  })

  it('rejects impossible positions as [TD-V] TestVerifyInclusion', () => {
    for (const [index, size] of [[0, 0], [0, 1], [1, 0], [2, 1]] as const) {
      expect(verifyInclusion(SOME_HASH, index, size, [], new Uint8Array(0))).toBe(false)
      expect(verifyInclusion(new Uint8Array(0), index, size, [], EMPTY_ROOT)).toBe(false)
      expect(verifyInclusion(SOME_HASH, index, size, [], EMPTY_ROOT)).toBe(false)
    }
  })

  it('rejects a proof longer than LIMITS.merkleProofHashesMax and non-integer positions', () => {
    const long = Array.from({ length: LIMITS.merkleProofHashesMax + 1 }, () => SOME_HASH)
    expect(verifyInclusion(SOME_HASH, 0, Number.MAX_SAFE_INTEGER, long, SOME_HASH)).toBe(false)
    const root = fromHex(ROOT_HASHES[8]!)
    const proof = bytesOf(INCLUSION_VECTORS[1]!.proof)
    expect(verifyInclusion(LEAF_HASHES[0]!, 0.5, 8, proof, root)).toBe(false)
    expect(verifyInclusion(LEAF_HASHES[0]!, 0, 8.5, proof, root)).toBe(false)
    expect(verifyInclusion(LEAF_HASHES[0]!, 0, 2 ** 53, proof, root)).toBe(false)
  })

  // Regression pin for the caveat documented in merkle.ts: the verifier cannot tell
  // sizes apart whose proofs have the same shape, so size must come certified with root.
  it('accepts index 0 of the size-4 tree as size 3 too: size must be bound to the root', () => {
    const proof = inclusionProof(0, 4, getVectorLeaf)
    expect(hexes(proof)).toEqual([id(0, 1), id(1, 1)])
    expect(verifyInclusion(LEAF_HASHES[0]!, 0, 3, proof, fromHex(ROOT_HASHES[4]!))).toBe(true)
  })
})

describe('consistency proofs against [TD-V], [CT] and [TD-P]', () => {
  it('generates the published proofs', () => {
    for (const { size1, size2, proof } of [...CONSISTENCY_VECTORS, ...CONSISTENCY_NODE_VECTORS]) {
      expect(hexes(consistencyProof(size1, size2, getVectorLeaf)), `${size1} -> ${size2}`).toEqual(proof)
    }
  })

  it('refuses the published invalid parameters', () => {
    expect(() => consistencyProof(5, 0, getVectorLeaf)).toThrow('old tree size 5 is above new tree size 0')
    expect(() => consistencyProof(9, 8, getVectorLeaf)).toThrow('old tree size 9 is above new tree size 8')
    expect(() => consistencyProof(1, 2 ** 53, getVectorLeaf)).toThrow(/new tree size 9007199254740992/)
  })

  it('verifies the published proofs and rejects the published corruptions', () => {
    for (const { size1, size2, proof: proofHex } of CONSISTENCY_VECTORS) {
      const proof = bytesOf(proofHex)
      const root1 = fromHex(ROOT_HASHES[size1]!)
      const root2 = fromHex(ROOT_HASHES[size2]!)
      expect(verifyConsistency(size1, size2, root1, root2, proof)).toBe(true)
      if (proof.length === 0) continue // [TD-V] probes only non-trivial proofs
      const wrongRoot = ascii('WrongRoot')
      // [TD-V] corruptConsistencyProof.
      const probes: Array<[string, number, number, Uint8Array, Uint8Array, Uint8Array[]]> = [
        ['size1 - 1', size1 - 1, size2, root1, root2, proof],
        ['size1 + 1', size1 + 1, size2, root1, root2, proof],
        ['size1 ^ 2', size1 ^ 2, size2, root1, root2, proof],
        ['size2 * 2', size1, size2 * 2, root1, root2, proof],
        ['size2 / 2', size1, Math.floor(size2 / 2), root1, root2, proof],
        ['wrong root1', size1, size2, wrongRoot, root2, proof],
        ['wrong root2', size1, size2, root1, wrongRoot, proof],
        ['swapped roots', size1, size2, root2, root1, proof],
        ['empty proof', size1, size2, root1, root2, []],
        ['trailing garbage', size1, size2, root1, root2, [...proof, new Uint8Array(0)]],
        ['trailing root1', size1, size2, root1, root2, [...proof, root1]],
        ['trailing root2', size1, size2, root1, root2, [...proof, root2]],
        ['preceding garbage', size1, size2, root1, root2, [new Uint8Array(0), ...proof]],
        ['preceding root1', size1, size2, root1, root2, [root1, ...proof]],
        ['preceding root2', size1, size2, root1, root2, [root2, ...proof]],
        ['preceding proof[0]', size1, size2, root1, root2, [proof[0]!, ...proof]],
        ['truncated proof', size1, size2, root1, root2, proof.slice(0, -1)],
      ]
      proof.forEach((_, i) => probes.push([`proof[${i}] bit 4`, size1, size2, root1, root2, flipBit(proof, i, 4)]))
      for (const [what, s1, s2, r1, r2, p] of probes) {
        expect(verifyConsistency(s1, s2, r1, r2, p), `${size1} -> ${size2}: ${what}`).toBe(false)
      }
    }
  })

  // [TD-V] TestVerifyConsistency's edge table, with one documented difference: its
  // "don't care" roots are not 32-byte hashes, and for size 0 transparency-dev ignores
  // the old root, where Synod requires EMPTY_ROOT (the only root a size-0 tree has).
  it('decides the edge cases: equal sizes, size 0, time travel, empty proofs', () => {
    const a = fromHex(ROOT_HASHES[3]!)
    const b = fromHex(ROOT_HASHES[5]!)
    // Consistent without a proof.
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(true)
    expect(verifyConsistency(0, 1, EMPTY_ROOT, b, [])).toBe(true)
    expect(verifyConsistency(1, 1, b, b, [])).toBe(true)
    // Equal sizes with different roots.
    expect(verifyConsistency(1, 1, a, b, [])).toBe(false)
    expect(verifyConsistency(1, 1, EMPTY_ROOT, b, [])).toBe(false)
    // Size 0 with a root other than the empty tree's (transparency-dev accepts these).
    expect(verifyConsistency(0, 0, a, a, [])).toBe(false)
    expect(verifyConsistency(0, 1, a, b, [])).toBe(false)
    expect(verifyConsistency(0, 0, EMPTY_ROOT, b, [])).toBe(false)
    // Time travel to the past.
    expect(verifyConsistency(1, 0, a, b, [])).toBe(false)
    expect(verifyConsistency(2, 1, a, b, [])).toBe(false)
    // Empty proof for different sizes.
    expect(verifyConsistency(1, 2, a, b, [])).toBe(false)
    // Roots match but the proof is not empty.
    expect(verifyConsistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false)
    expect(verifyConsistency(0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false)
    expect(verifyConsistency(1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])).toBe(false)
    // Generation agrees with verification at size 0.
    expect(consistencyProof(0, 8, getVectorLeaf)).toEqual([])
    // Malformed numbers and oversize proofs.
    const long = Array.from({ length: LIMITS.merkleProofHashesMax + 1 }, () => SOME_HASH)
    expect(verifyConsistency(3, 2 ** 52, a, b, long)).toBe(false)
    expect(verifyConsistency(-1, 3, a, b, [])).toBe(false)
    expect(verifyConsistency(1.5, 3, a, b, [SOME_HASH])).toBe(false)
  })
})

// ----- Property tests against the RFC's recursive definitions -----

/** MTH(D[n]) straight from RFC 9162 section 2.1.1, independent of the accumulator. */
function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT
  if (leaves.length === 1) return leaves[0]!
  const k = largestPowerOfTwoBelow(leaves.length)
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)))
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** Which side each sibling in PATH(m, D[n]) sits on, bottom-up, from the recursive
 * definition in RFC 9162 section 2.1.3.1: the verifier folds exactly these. */
function inclusionShape(m: number, n: number): string {
  if (n <= 1) return ''
  const k = largestPowerOfTwoBelow(n)
  return m < k ? inclusionShape(m, k) + 'R' : inclusionShape(m - k, n - k) + 'L'
}

/** The shape of PROOF(m, D[n]) from SUBPROOF in RFC 9162 section 2.1.4.1: whether the
 * old root is implied ('=') or sent as the first hash ('s'), then per later hash
 * whether it is a subtree common to both trees ('C', left) or new ('N', right). */
function consistencyShape(m: number, n: number, complete = true): string {
  if (m === n) return complete ? '=' : 's'
  const k = largestPowerOfTwoBelow(n)
  return m <= k ? consistencyShape(m, k, complete) + 'N' : consistencyShape(m - k, n - k, false) + 'C'
}

/** Distinct leaves: a random salt, then the index in 4 bytes. Distinct leaves keep an
 * accidental hash equality from making a wrong position verify. */
function makeLeaves(size: number, salt: Uint8Array): Uint8Array[] {
  return Array.from({ length: size }, (_, i) => {
    const bytes = new Uint8Array(salt.length + 4)
    bytes.set(salt)
    new DataView(bytes.buffer).setUint32(salt.length, i)
    return leafHash(bytes)
  })
}

/** A size near the given one, or anywhere: the ways a size gets confused. */
const sizeChange = fc.oneof(
  fc.integer({ min: -4, max: 4 }).map((delta) => (size: number) => size + delta),
  fc.constant((size: number) => size * 2),
  fc.constant((size: number) => Math.floor(size / 2)),
  fc.integer({ min: 0, max: 1000 }).map((other) => () => other),
)

const treeArb = (minSize: number) => fc.record({
  size: fc.integer({ min: minSize, max: 300 }),
  salt: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  pick: fc.nat(),
})

describe('property: inclusion proofs', () => {
  it('every generated proof verifies against the root and has the RFC shape', () => {
    fc.assert(fc.property(treeArb(1), ({ size, salt, pick }) => {
      const leaves = makeLeaves(size, salt)
      const index = pick % size
      const proof = inclusionProof(index, size, (i) => leaves[i]!)
      expect(proof).toHaveLength(inclusionShape(index, size).length)
      expect(verifyInclusion(leaves[index]!, index, size, proof, merkleRoot(leaves))).toBe(true)
    }), fcOptions)
  })

  it('flipping any bit of any proof hash breaks verification', () => {
    fc.assert(fc.property(treeArb(2), fc.nat(), fc.integer({ min: 0, max: 255 }), ({ size, salt, pick }, element, bit) => {
      const leaves = makeLeaves(size, salt)
      const index = pick % size
      const proof = inclusionProof(index, size, (i) => leaves[i]!)
      const bad = flipBit(proof, element % proof.length, bit)
      expect(verifyInclusion(leaves[index]!, index, size, bad, merkleRoot(leaves))).toBe(false)
    }), fcOptions)
  })

  it('another index never verifies; another size verifies exactly when the proof shape is the same', () => {
    fc.assert(fc.property(treeArb(1), fc.nat(), sizeChange, ({ size, salt, pick }, otherPick, changeSize) => {
      const leaves = makeLeaves(size, salt)
      const index = pick % size
      const proof = inclusionProof(index, size, (i) => leaves[i]!)
      const root = merkleRoot(leaves)
      const otherIndex = otherPick % (size + 2)
      if (otherIndex !== index) {
        expect(verifyInclusion(leaves[index]!, otherIndex, size, proof, root)).toBe(false)
      }
      const otherSize = changeSize(size)
      const sameShape = index < otherSize && inclusionShape(index, otherSize) === inclusionShape(index, size)
      expect(verifyInclusion(leaves[index]!, index, otherSize, proof, root)).toBe(sameShape)
    }), fcOptions)
  })

  it('the verifier folds by the RFC shape for sizes up to 2^53 - 1 (no 32-bit wrap)', () => {
    const bigSize = fc.oneof(fc.maxSafeNat(), fc.integer({ min: -8, max: 8 }).map((d) => 2 ** 32 + d))
    fc.assert(fc.property(bigSize, fc.maxSafeNat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (sizeRaw, pick, salt) => {
      const size = Math.max(1, sizeRaw)
      const index = pick % size
      const shape = inclusionShape(index, size)
      const proof = makeLeaves(shape.length, salt)
      let root = SOME_HASH
      for (let i = 0; i < shape.length; i++) {
        root = shape[i] === 'R' ? nodeHash(root, proof[i]!) : nodeHash(proof[i]!, root)
      }
      expect(verifyInclusion(SOME_HASH, index, size, proof, root)).toBe(true)
      if (proof.length > 0) expect(verifyInclusion(SOME_HASH, index, size, flipBit(proof, 0, 0), root)).toBe(false)
    }), fcOptions)
  })
})

describe('property: consistency proofs', () => {
  const pairArb = fc.record({
    newSize: fc.integer({ min: 1, max: 300 }),
    salt: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    pick: fc.nat(),
  })

  it('every generated proof verifies and has the RFC shape', () => {
    fc.assert(fc.property(pairArb, ({ newSize, salt, pick }) => {
      const leaves = makeLeaves(newSize, salt)
      const oldSize = pick % (newSize + 1)
      const proof = consistencyProof(oldSize, newSize, (i) => leaves[i]!)
      if (oldSize === 0 || oldSize === newSize) {
        expect(proof).toEqual([])
      } else {
        const shape = consistencyShape(oldSize, newSize)
        expect(proof).toHaveLength(shape.startsWith('s') ? shape.length : shape.length - 1)
      }
      const oldRoot = merkleRoot(leaves.slice(0, oldSize))
      expect(verifyConsistency(oldSize, newSize, oldRoot, merkleRoot(leaves), proof)).toBe(true)
    }), fcOptions)
  })

  it('flipping any bit of any proof hash, or swapping the roots, breaks verification', () => {
    fc.assert(fc.property(pairArb, fc.nat(), fc.integer({ min: 0, max: 255 }), ({ newSize, salt, pick }, element, bit) => {
      fc.pre(newSize >= 2)
      const leaves = makeLeaves(newSize, salt)
      const oldSize = 1 + (pick % (newSize - 1))
      const proof = consistencyProof(oldSize, newSize, (i) => leaves[i]!)
      const oldRoot = merkleRoot(leaves.slice(0, oldSize))
      const newRoot = merkleRoot(leaves)
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, flipBit(proof, element % proof.length, bit))).toBe(false)
      expect(verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof)).toBe(false)
    }), fcOptions)
  })

  it('other sizes verify exactly when the proof shape is the same', () => {
    fc.assert(fc.property(pairArb, sizeChange, sizeChange, ({ newSize, salt, pick }, changeOld, changeNew) => {
      fc.pre(newSize >= 2)
      const leaves = makeLeaves(newSize, salt)
      const oldSize = 1 + (pick % (newSize - 1))
      const proof = consistencyProof(oldSize, newSize, (i) => leaves[i]!)
      const oldRoot = merkleRoot(leaves.slice(0, oldSize))
      const newRoot = merkleRoot(leaves)
      const [otherOld, otherNew] = [changeOld(oldSize), changeNew(newSize)]
      const sameShape = otherOld > 0 && otherOld < otherNew &&
        consistencyShape(otherOld, otherNew) === consistencyShape(oldSize, newSize)
      expect(verifyConsistency(otherOld, otherNew, oldRoot, newRoot, proof)).toBe(sameShape)
    }), fcOptions)
  })

  it('the verifier folds by the RFC shape for sizes up to 2^53 - 1 (no 32-bit wrap)', () => {
    const bigSize = fc.oneof(fc.maxSafeNat(), fc.integer({ min: -8, max: 8 }).map((d) => 2 ** 32 + d))
    fc.assert(fc.property(bigSize, fc.maxSafeNat(), fc.uint8Array({ minLength: 1, maxLength: 8 }), (sizeRaw, pick, salt) => {
      const newSize = Math.max(2, sizeRaw)
      const oldSize = 1 + (pick % (newSize - 1))
      const shape = consistencyShape(oldSize, newSize)
      const hashes = makeLeaves(shape.length, salt)
      // '=' means the old root is a node of the new tree and is not sent.
      const proof = shape[0] === '=' ? hashes.slice(1) : hashes
      let oldRoot = hashes[0]!
      let newRoot = hashes[0]!
      for (let i = 1; i < shape.length; i++) {
        if (shape[i] === 'C') {
          oldRoot = nodeHash(hashes[i]!, oldRoot)
          newRoot = nodeHash(hashes[i]!, newRoot)
        } else {
          newRoot = nodeHash(newRoot, hashes[i]!)
        }
      }
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)).toBe(true)
      expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, flipBit(proof, proof.length - 1, 7))).toBe(false)
    }), fcOptions)
  })
})

describe('property: accumulator', () => {
  const leavesArb = fc.array(fc.uint8Array({ maxLength: 16 }), { maxLength: 200 }).map((data) => data.map(leafHash))

  it('has the root of the RFC definition and the same root as merkleRoot', () => {
    fc.assert(fc.property(leavesArb, fc.nat(), (leaves, pick) => {
      const accumulator = new MerkleAccumulator()
      const checkAt = pick % (leaves.length + 1)
      leaves.forEach((hash, i) => {
        if (i === checkAt) expect(toHex(accumulator.root())).toBe(toHex(referenceRoot(leaves.slice(0, i))))
        accumulator.append(hash)
      })
      expect(accumulator.size).toBe(leaves.length)
      expect(toHex(accumulator.root())).toBe(toHex(referenceRoot(leaves)))
      expect(toHex(merkleRoot(leaves))).toBe(toHex(referenceRoot(leaves)))
    }), fcOptions)
  })

  it('round-trips through toState/fromState and clone, and copies are independent', () => {
    fc.assert(fc.property(leavesArb, fc.nat(), (leaves, pick) => {
      const split = pick % (leaves.length + 1)
      const original = new MerkleAccumulator()
      for (const hash of leaves.slice(0, split)) original.append(hash)
      const state = original.toState()
      // A persisted copy: plain data, no shared buffers.
      const restored = MerkleAccumulator.fromState({ size: state.size, frontier: state.frontier.map((h) => Uint8Array.from(h)) })
      expect(restored.toState()).toEqual(state)
      const rootAtSplit = toHex(original.root())
      const clone = original.clone()
      state.frontier.forEach((hash) => hash.fill(0)) // mutating the state must not reach the original
      for (const hash of leaves.slice(split)) {
        restored.append(hash)
        clone.append(hash)
      }
      expect(toHex(original.root())).toBe(rootAtSplit)
      expect(original.size).toBe(split)
      expect(toHex(restored.root())).toBe(toHex(merkleRoot(leaves)))
      expect(toHex(clone.root())).toBe(toHex(merkleRoot(leaves)))
    }), fcOptions)
  })
})
