// The Merkle tree over the committed log, hashed exactly as RFC 9162 section 2.1
// (the same tree as RFC 6962), so that an auditor can check Synod's inclusion and
// consistency proofs with any Certificate Transparency / tlog library.
//
//   leaf hash  = SHA-256(0x00 || leaf bytes)
//   node hash  = SHA-256(0x01 || left || right)
//   empty tree = SHA-256("")
//   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
//
// Sizes and indexes are JavaScript numbers, so they must be safe integers (< 2^53).
// JavaScript's bitwise operators truncate to 32 bits, so every "shift" below is a
// division by two: a log past 2^32 entries must not silently wrap.
//
// Trust boundary: the generators (inclusionProof, consistencyProof) run on data the
// node holds and throw on a violated precondition; the verifiers (verifyInclusion,
// verifyConsistency) take untrusted input and return false instead of throwing.
//
// What the verifiers do NOT check: that a size belongs to a root. RFC 9162 binds the
// two in the signed tree head; in Synod the commit certificate signs (log size, log
// root) together. Proof verification alone can accept another size whose proof has
// the same shape (for example, index 0's proof in a tree of 4 also verifies as a tree
// of 3 against the same root), so callers must take size and root from one certified
// checkpoint.
import { sha256, HASH_BYTES } from '../crypto/hash.ts'
import { bytesEqual } from '../codec/cbor.ts'
import { LIMITS } from '../limits.ts'

const LEAF_PREFIX = 0x00
const NODE_PREFIX = 0x01

/** Root of the empty tree: SHA-256 of the empty string (RFC 9162 section 2.1.1).
 * Shared: read it, never write into it (typed arrays cannot be frozen). */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0))

/** Hash of one log leaf: SHA-256(0x00 || leafBytes). The prefix keeps a leaf from
 * ever being mistaken for an interior node (second-preimage resistance). */
export function leafHash(leafBytes: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + leafBytes.length)
  input[0] = LEAF_PREFIX
  input.set(leafBytes, 1)
  return sha256(input)
}

/** Hash of an interior node: SHA-256(0x01 || left || right). Takes any byte lengths,
 * as RFC 6962's HashChildren does; the verifiers check that proof hashes are 32 bytes. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length)
  input[0] = NODE_PREFIX
  input.set(left, 1)
  input.set(right, 1 + left.length)
  return sha256(input)
}

/** Root of a list of leaf hashes (for example a block's entries root). O(n) hashes,
 * O(log n) memory: it runs the accumulator over the list. */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Uint8Array {
  const accumulator = new MerkleAccumulator()
  for (const hash of leafHashes) accumulator.append(hash)
  return accumulator.root()
}

/** The persisted form of a MerkleAccumulator: the log size and the roots of its
 * perfect subtrees, largest (leftmost) first, one per set bit of size. */
export interface MerkleAccumulatorState {
  size: number
  frontier: Uint8Array[]
}

/**
 * An append-only Merkle accumulator that keeps only the frontier (the compact range
 * [0, size)): the roots of the perfect subtrees that the binary digits of size cut
 * the log into. For size 6 = 0b110 that is MTH(D[0:4]) and MTH(D[4:6]). At most 53
 * hashes for any safe-integer size, so a node's memory does not grow with the log.
 * append is amortised O(1) and at worst O(log n) hashes; root is O(log n) hashes.
 */
export class MerkleAccumulator {
  #size = 0
  #frontier: Uint8Array[] = []

  /** Restores an accumulator from toState(), rejecting a state that no sequence of
   * appends could have produced (so corrupt storage fails loudly, not silently). */
  static fromState(state: MerkleAccumulatorState): MerkleAccumulator {
    const { size, frontier } = state
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new Error(`accumulator size ${String(size)} is not a safe non-negative integer`)
    }
    const expected = popCount(size)
    if (!Array.isArray(frontier) || frontier.length !== expected) {
      throw new Error(`accumulator of size ${size} needs ${expected} frontier hashes, got ${Array.isArray(frontier) ? frontier.length : 'none'}`)
    }
    for (let i = 0; i < frontier.length; i++) {
      assertHash(frontier[i], `frontier hash ${i}`)
    }
    const accumulator = new MerkleAccumulator()
    accumulator.#size = size
    accumulator.#frontier = frontier.map(copyBytes)
    return accumulator
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size
  }

  /** Appends one leaf hash (from leafHash, not raw leaf bytes). */
  append(hash: Uint8Array): void {
    assertHash(hash, 'appended leaf hash')
    if (this.#size >= Number.MAX_SAFE_INTEGER) {
      throw new Error(`accumulator is full at size ${this.#size}`)
    }
    // Adding one to size carries through its trailing one bits; each carry merges
    // the two equal-sized perfect subtrees at the end of the frontier into one.
    let merged = copyBytes(hash)
    let carry = this.#size
    while (carry % 2 === 1) {
      const left = this.#frontier.pop()
      if (left === undefined) throw new Error(`accumulator frontier is shorter than size ${this.#size} requires`)
      merged = nodeHash(left, merged)
      carry = (carry - 1) / 2
    }
    this.#frontier.push(merged)
    this.#size += 1
  }

  /** The RFC 9162 root of all leaves appended so far. Folding the frontier from the
   * right reproduces MTH's split at the largest power of two. */
  root(): Uint8Array {
    const last = this.#frontier.length - 1
    if (last < 0) return copyBytes(EMPTY_ROOT)
    let root = this.#frontier[last]!
    for (let i = last - 1; i >= 0; i--) root = nodeHash(this.#frontier[i]!, root)
    return copyBytes(root)
  }

  /** A copy of the state, safe to persist; mutating it does not affect this object. */
  toState(): MerkleAccumulatorState {
    return { size: this.#size, frontier: this.#frontier.map(copyBytes) }
  }

  clone(): MerkleAccumulator {
    return MerkleAccumulator.fromState(this.toState())
  }

  /** Whether this accumulator holds exactly `state` (its size and frontier bytes). */
  hasState(state: MerkleAccumulatorState): boolean {
    if (state.size !== this.#size || state.frontier.length !== this.#frontier.length) return false
    for (let i = 0; i < this.#frontier.length; i++) if (!bytesEqual(state.frontier[i]!, this.#frontier[i]!)) return false
    return true
  }
}

/**
 * The inclusion proof PATH(index, D[size]) of RFC 9162 section 2.1.3.1: sibling
 * hashes from the leaf up to the root. getLeafHash(i) must return the hash of leaf i
 * for every i < size (a node reads them from storage).
 *
 * Complexity: without stored interior nodes every leaf in [0, size) must be hashed
 * once, so O(size) leaf reads and hashes per proof, O(log size) memory besides the
 * proof. A node that also stores perfect-subtree roots could answer in O(log size);
 * that is a storage concern left to the caller.
 */
export function inclusionProof(index: number, size: number, getLeafHash: (i: number) => Uint8Array): Uint8Array[] {
  assertSize(size, 'tree size')
  assertSize(index, 'leaf index')
  if (index >= size) throw new Error(`leaf index ${index} is not below tree size ${size}`)
  return inclusionProofRanges(index, size).map((r) => rangeRoot(r.start, r.end, getLeafHash))
}

/**
 * The consistency proof PROOF(oldSize, D[newSize]) of RFC 9162 section 2.1.4.1.
 * oldSize == newSize gives the empty proof (as in the RFC). oldSize == 0 also gives
 * the empty proof: the empty tree is a prefix of every tree, and verifyConsistency
 * accepts it only with EMPTY_ROOT as the old root. Complexity as inclusionProof:
 * O(newSize) leaf reads and hashes, O(log newSize) memory besides the proof.
 */
export function consistencyProof(oldSize: number, newSize: number, getLeafHash: (i: number) => Uint8Array): Uint8Array[] {
  assertSize(oldSize, 'old tree size')
  assertSize(newSize, 'new tree size')
  if (oldSize > newSize) throw new Error(`old tree size ${oldSize} is above new tree size ${newSize}`)
  if (oldSize === 0) return []
  return consistencyProofRanges(oldSize, newSize).map((r) => rangeRoot(r.start, r.end, getLeafHash))
}

/**
 * Verifies an inclusion proof exactly as RFC 9162 section 2.1.3.2. Returns false on
 * any malformed input: index >= size, a non-32-byte hash, a proof longer than
 * LIMITS.merkleProofHashesMax (checked before any hashing) or of the wrong length.
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSize(index) || !isSize(size)) return false
  if (index >= size) return false
  if (!isHashList(proof)) return false
  if (!isHash(leaf) || !isHash(root)) return false
  let fn = index
  let sn = size - 1
  let r = leaf
  for (const p of proof) {
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r)
      if (fn % 2 === 0) {
        // fn is the last node of its level with no right sibling: climb until it
        // becomes a right child (or the root of the left edge).
        while (fn % 2 === 0 && fn !== 0) {
          fn = fn / 2
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = nodeHash(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && bytesEqual(r, root)
}

/**
 * Verifies a consistency proof exactly as RFC 9162 section 2.1.4.2, which covers
 * 0 < oldSize < newSize. The other cases, decided without the RFC's loop:
 *  - oldSize == newSize: consistent iff the proof is empty and the roots are equal;
 *  - oldSize == 0: consistent iff the proof is empty and oldRoot is EMPTY_ROOT (a
 *    stricter rule than transparency-dev/merkle, which ignores the old root there);
 *  - oldSize > newSize: never.
 * Returns false, never throws, on malformed input (see verifyInclusion).
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isSize(oldSize) || !isSize(newSize)) return false
  if (oldSize > newSize) return false
  if (!isHashList(proof)) return false
  if (!isHash(oldRoot) || !isHash(newRoot)) return false
  if (oldSize === 0) {
    if (proof.length !== 0 || !bytesEqual(oldRoot, EMPTY_ROOT)) return false
    return newSize !== 0 || bytesEqual(newRoot, EMPTY_ROOT)
  }
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot)

  // Step 1: an empty proof proves nothing.
  if (proof.length === 0) return false
  // Step 2: a power-of-two old tree is a node of the new tree; its root starts the path.
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : proof
  // Step 3.
  let fn = oldSize - 1
  let sn = newSize - 1
  // Step 4: skip the levels where the old tree's last node is a right child whose
  // sibling is inside the old tree already.
  while (fn % 2 === 1) {
    fn = (fn - 1) / 2
    sn = Math.floor(sn / 2)
  }
  // Step 5.
  let fr = path[0]!
  let sr = path[0]!
  // Step 6.
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!
    if (sn === 0) return false
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr)
      sr = nodeHash(c, sr)
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = fn / 2
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      sr = nodeHash(sr, c)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  // Step 7.
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot)
}

/** MTH(D[start:end]) from leaf hashes: O(end - start) hashes, recursion depth
 * O(log(end - start)). */
function rangeRoot(start: number, end: number, getLeafHash: (i: number) => Uint8Array): Uint8Array {
  const width = end - start
  if (width < 1) throw new Error(`empty leaf range [${start}, ${end})`)
  if (width === 1) {
    const hash = getLeafHash(start)
    assertHash(hash, `leaf hash ${start}`)
    return hash
  }
  const split = start + splitPoint(width)
  return nodeHash(rangeRoot(start, split, getLeafHash), rangeRoot(split, end, getLeafHash))
}

/** The largest power of two strictly below width (width >= 2): where MTH splits. */
/** The largest power of two strictly below width (RFC 9162's k). */
export function splitPoint(width: number): number {
  if (width < 2) throw new Error(`cannot split a subtree of width ${width}`)
  let split = 1
  while (split * 2 < width) split *= 2
  return split
}

function popCount(value: number): number {
  let count = 0
  for (let rest = value; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2
  return count
}

function isPowerOfTwo(value: number): boolean {
  return value > 0 && popCount(value) === 1
}

function isSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0
}

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_BYTES
}

/** Bounds the proof before any hashing, so a hostile proof cannot buy CPU time. */
function isHashList(proof: readonly Uint8Array[]): boolean {
  if (!Array.isArray(proof)) return false
  if (proof.length > LIMITS.merkleProofHashesMax) return false
  return proof.every(isHash)
}

/** A plain, unshared copy: Buffer.prototype.slice would return a view instead. */
function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

function assertSize(value: number, what: string): void {
  if (!isSize(value)) throw new Error(`${what} ${String(value)} is not a safe non-negative integer`)
}

function assertHash(value: Uint8Array | undefined, what: string): void {
  if (!(value instanceof Uint8Array)) throw new Error(`${what} is not a Uint8Array`)
  if (value.length !== HASH_BYTES) throw new Error(`${what} is ${value.length} bytes, not ${HASH_BYTES}`)
}

/** A half-open range [start, end) of leaf indexes whose subtree root is one proof hash. */
export interface LeafRange {
  readonly start: number
  readonly end: number
}

/**
 * The shape of PATH(index, D[size]) (RFC 9162 section 2.1.3.1): the leaf range of each
 * proof hash, in proof order (bottom-up). Inputs are validated by the caller
 * (0 <= index < size). Shared by inclusionProof here and by stores that keep subtree
 * roots, so the shape of a proof is defined once.
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  const topDown: LeafRange[] = []
  let start = 0
  let width = size
  let offset = index
  while (width > 1) {
    const split = splitPoint(width)
    if (offset < split) {
      topDown.push({ start: start + split, end: start + width })
      width = split
    } else {
      topDown.push({ start, end: start + split })
      start += split
      offset -= split
      width -= split
    }
  }
  return topDown.reverse()
}

/**
 * The shape of PROOF(oldSize, D[newSize]) (RFC 9162 section 2.1.4.1), in proof order.
 * Inputs are validated by the caller (0 <= oldSize <= newSize); oldSize 0 or equal
 * sizes give no ranges. SUBPROOF appends one subtree root after recursing, so walking
 * from the root down collects the ranges in reverse order.
 */
export function consistencyProofRanges(oldSize: number, newSize: number): LeafRange[] {
  if (oldSize === 0) return []
  const topDown: LeafRange[] = []
  let start = 0
  let oldWidth = oldSize
  let newWidth = newSize
  let oldRootIsKnown = true // the RFC's b: the old root needs no proof hash of its own
  while (oldWidth !== newWidth) {
    const split = splitPoint(newWidth)
    if (oldWidth <= split) {
      // The old tree lies in the left subtree; the right one is new.
      topDown.push({ start: start + split, end: start + newWidth })
      newWidth = split
    } else {
      // The left subtree is complete in both trees; recurse into the right one.
      topDown.push({ start, end: start + split })
      start += split
      oldWidth -= split
      newWidth -= split
      oldRootIsKnown = false
    }
  }
  if (!oldRootIsKnown) topDown.push({ start, end: start + newWidth })
  return topDown.reverse()
}
