// Merkle proofs from stored subtree hashes. Besides each leaf hash the store keeps the
// root of every perfect, aligned subtree as it completes (node (level, k) covers leaves
// [k*2^level, (k+1)*2^level)), about one extra hash per leaf. Any range root that RFC
// 9162's recursion asks for is then a fold of O(log n) stored nodes, so an inclusion
// or consistency proof costs O(log^2 n) reads at worst instead of the O(n) leaf hashes
// that src/log/merkle.ts's generators need. The results are byte-identical to those
// generators (the tests cross-check them).
import { consistencyProofRanges, inclusionProofRanges, nodeHash, splitPoint, type LeafRange, type MerkleAccumulatorState } from '../../src/log/merkle.ts'

export interface SubtreeNode {
  readonly level: number
  readonly k: number
  readonly hash: Uint8Array
}

/** Reads the stored root of perfect subtree (level, k); level 0 is a leaf hash. */
export type GetSubtree = (level: number, k: number) => Promise<Uint8Array>

/**
 * Appends leaf hashes to an accumulator state (as MerkleAccumulator.append does) and
 * returns the new state with every subtree node completed on the way, leaves included.
 */
export function appendLeaves(state: MerkleAccumulatorState, leafHashes: readonly Uint8Array[]): { state: MerkleAccumulatorState, nodes: SubtreeNode[] } {
  const frontier: Uint8Array[] = state.frontier.map((h) => new Uint8Array(h))
  let size = state.size
  const nodes: SubtreeNode[] = []
  for (const leaf of leafHashes) {
    if (leaf.length !== 32) throw new Error(`leaf hash ${size} is ${leaf.length} bytes, not 32`)
    let merged: Uint8Array = new Uint8Array(leaf)
    nodes.push({ level: 0, k: size, hash: merged })
    let carry = size
    let level = 0
    // One iteration per trailing one bit of size: at most 53.
    while (carry % 2 === 1) {
      const left = frontier.pop()
      if (left === undefined) throw new Error(`frontier is shorter than size ${size} requires`)
      merged = nodeHash(left, merged)
      level++
      carry = (carry - 1) / 2
      nodes.push({ level, k: (size + 1) / 2 ** level - 1, hash: merged })
    }
    frontier.push(merged)
    size++
  }
  return { state: { size, frontier }, nodes }
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && 2 ** Math.round(Math.log2(value)) === value
}

/** MTH(D[start:end]) from stored subtrees. start is aligned as RFC 9162's recursion
 * guarantees: a multiple of the largest power of two that fits in the range. */
export async function rangeRoot(start: number, end: number, get: GetSubtree): Promise<Uint8Array> {
  const width = end - start
  if (!(width >= 1)) throw new Error(`empty leaf range [${start}, ${end})`)
  if (isPowerOfTwo(width) && start % width === 0) return get(Math.round(Math.log2(width)), start / width)
  const split = splitPoint(width)
  const left = await rangeRoot(start, start + split, get)
  const right = await rangeRoot(start + split, end, get)
  return nodeHash(left, right)
}

function checkSize(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} ${value} is not a safe non-negative integer`)
}

/** RFC 9162 PATH(index, D[size]), as src/log/merkle.ts inclusionProof. */
export async function inclusionProof(index: number, size: number, get: GetSubtree): Promise<Uint8Array[]> {
  checkSize(index, 'leaf index')
  checkSize(size, 'tree size')
  if (index >= size) throw new RangeError(`leaf index ${index} is not below tree size ${size}`)
  return rootsOf(inclusionProofRanges(index, size), get)
}

/** RFC 9162 PROOF(oldSize, D[newSize]), as src/log/merkle.ts consistencyProof. */
export async function consistencyProof(oldSize: number, newSize: number, get: GetSubtree): Promise<Uint8Array[]> {
  checkSize(oldSize, 'old tree size')
  checkSize(newSize, 'new tree size')
  if (oldSize > newSize) throw new RangeError(`old tree size ${oldSize} is above new tree size ${newSize}`)
  if (oldSize === 0 || oldSize === newSize) return []
  return rootsOf(consistencyProofRanges(oldSize, newSize), get)
}

async function rootsOf(ranges: readonly LeafRange[], get: GetSubtree): Promise<Uint8Array[]> {
  const roots: Uint8Array[] = []
  for (const r of ranges) roots.push(await rangeRoot(r.start, r.end, get))
  return roots
}
