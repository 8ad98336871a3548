import { genesisPosition } from '../../src/log/epochs.ts'
import { AssertionError } from '../../src/assert.ts'
import { describe, expect, it } from 'vitest'
import { describe as describeRejection, isRejection } from '../../src/consensus/rejections.ts'
import { BlockTree, type BlockNode } from '../../src/consensus/block-tree.ts'
import { validateBlock } from '../../src/consensus/block-validation.ts'
import { RoundRobinLeaderElection } from '../../src/consensus/leader-election.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type Block } from '../../src/log/block.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { child, entry, genesisBlock, genesisQc, makeGenesis, qcFor } from './fixtures.ts'

const n = 4
const { genesis, seeds } = makeGenesis(n)

function setup() {
  const g = genesisBlock(genesis)
  const gh = blockHash(g.header)
  const head: BlockNode = { block: g, header: g.header, hash: gh, hashHex: toHex(gh), parentHex: toHex(g.header.parent), log: new MerkleAccumulator(), governance: null, agentSeqs: new Map(), entryIds: new Set(), position: genesisPosition(genesis), suffix: false, qc: null, children: [] }
  const tree = new BlockTree(head, genesisQc(genesis), new Map())
  const ctx = { genesis, tree, verifier: new Verifier(genesis, validatorSetOf(genesis), 100, 100), leaders: new RoundRobinLeaderElection(n) }
  const add = (block: Block): BlockNode => {
    const parent = tree.get(toHex(block.header.parent))!
    const node = validateBlock(ctx, parent, block)
    if (isRejection(node)) throw new Error(describeRejection(node))
    tree.insert(node)
    return node
  }
  return { g, tree, ctx, add }
}

describe('block tree and the two-chain commit rule', () => {
  it('commits a block when its child at the next round is certified', () => {
    const { g, tree, add } = setup()
    const log = new MerkleAccumulator()
    const b1 = child(g, genesisQc(genesis), 1, [entry(1)], log, n)
    add(b1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    expect(tree.certify(qc1).nodes).toEqual([]) // one chain: nothing yet (parent is genesis)
    const b2 = child(b1, qc1, 2, [entry(2)], log, n)
    add(b2)
    const qc2 = qcFor(b2.header, seeds, [1, 2, 3], n)
    const result = tree.certify(qc2)
    expect(result.nodes.map((x) => x.header.height)).toEqual([1])
    expect(tree.head.header.height).toBe(1)
    expect(tree.committedSeq(toHex(b1.entries[0]!.agent))).toBe(1)
  })

  it('does not commit across a round gap, then commits ancestors together', () => {
    const { g, tree, add } = setup()
    const log = new MerkleAccumulator()
    const b1 = child(g, genesisQc(genesis), 1, [], log, n)
    add(b1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const b3 = child(b1, qc1, 3, [], log, n) // round 3: gap after round 1
    add(b3)
    expect(tree.certify(qcFor(b3.header, seeds, [0, 1, 2], n)).nodes).toEqual([])
    const b4 = child(b3, qcFor(b3.header, seeds, [0, 1, 2], n), 4, [], log, n)
    add(b4)
    const result = tree.certify(qcFor(b4.header, seeds, [0, 1, 3], n))
    expect(result.nodes.map((x) => x.header.height)).toEqual([1, 2])
  })

  it('prunes forks that do not extend the new head', () => {
    const { g, tree, add } = setup()
    const log = new MerkleAccumulator()
    const b1 = child(g, genesisQc(genesis), 1, [], log, n)
    add(b1)
    const fork = child(g, genesisQc(genesis), 2, [entry(7)], new MerkleAccumulator(), n)
    add(fork)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const b2 = child(b1, qc1, 2, [], log, n)
    add(b2)
    const result = tree.certify(qcFor(b2.header, seeds, [0, 1, 2], n))
    expect(result.nodes.length).toBe(1)
    expect(result.pruned.map((p) => p.hashHex)).toEqual([toHex(blockHash(fork.header))])
    expect(tree.get(toHex(blockHash(fork.header)))).toBeUndefined()
  })

  it('rejects invalid blocks with a reason', () => {
    const { g, ctx, tree, add } = setup()
    const log = new MerkleAccumulator()
    const b1 = child(g, genesisQc(genesis), 1, [entry(3)], log, n)
    add(b1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const node1 = tree.get(toHex(blockHash(b1.header)))!
    // Re-including the same agent seq (a duplicate entry) is refused.
    const dup = child(b1, qc1, 2, [entry(3)], log.clone(), n)
    expect(validateBlock(ctx, node1, dup)).toMatchObject({ code: 'block-entry-seq', index: 0, seq: 3, last: 3 })
    // A wrong log root.
    const ok = child(b1, qc1, 2, [entry(4)], log.clone(), n)
    expect(validateBlock(ctx, node1, { ...ok, header: { ...ok.header, logRoot: new Uint8Array(32) } })).toEqual({ code: 'block-log-root-mismatch' })
    // A QC below quorum.
    const weak = { ...qc1, ...qcFor(b1.header, seeds, [0, 1], n) }
    expect(validateBlock(ctx, node1, { ...ok, header: { ...ok.header, justify: weak } })).toMatchObject({ code: 'certificate-rejected', problem: { code: 'certificate-quorum-short', certificate: 'QC', have: 2, need: 3 } })
    // Wrong proposer.
    expect(validateBlock(ctx, node1, { ...ok, header: { ...ok.header, proposer: 3 } })).toEqual({ code: 'proposer-not-leader', proposer: 3, round: 2 })
  })
})

describe('block tree queries and bookkeeping', () => {
  const hex = (b: Block): string => toHex(blockHash(b.header))

  it('counts pending blocks and lists them in ascending height, without the head', () => {
    const { g, tree, add } = setup()
    const log = new MerkleAccumulator()
    expect(tree.pendingCount).toBe(0)
    expect(tree.pending()).toEqual([])
    const b1 = child(g, genesisQc(genesis), 1, [], log, n)
    add(b1)
    const b2 = child(b1, qcFor(b1.header, seeds, [0, 1, 2], n), 2, [], log, n)
    add(b2)
    const fork = child(g, genesisQc(genesis), 3, [], new MerkleAccumulator(), n) // height 1, inserted last
    add(fork)
    expect(tree.pendingCount).toBe(3)
    expect(tree.pending().map((x) => x.header.height)).toEqual([1, 1, 2])
    expect(tree.pending().map((x) => x.hashHex)).toContain(hex(fork))
  })

  it('inserting a block twice adds it once', () => {
    const { g, tree, add } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n)
    const node = add(b1)
    tree.insert(node)
    expect(tree.pendingCount).toBe(1)
    expect(tree.head.children).toEqual([node.hashHex])
  })

  it('finds an agent\'s last seq and an entry in the uncommitted chain, below blocks without them', () => {
    const { g, tree, add } = setup()
    const log = new MerkleAccumulator()
    const e1 = entry(1)
    const agent = toHex(e1.agent)
    const b1 = child(g, genesisQc(genesis), 1, [e1], log, n)
    add(b1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const b2 = child(b1, qc1, 2, [], log, n)
    const node2 = add(b2)
    const id1 = [...tree.get(hex(b1))!.entryIds][0]!
    expect(tree.lastSeqInChain(node2, agent)).toBe(1)
    expect(tree.inChain(node2, id1)).toBe(true)
    // A sibling branch does not hold them; the committed log is the fallback (-1: none).
    const fork = add(child(g, genesisQc(genesis), 3, [], new MerkleAccumulator(), n))
    expect(tree.lastSeqInChain(fork, agent)).toBe(-1)
    expect(tree.inChain(fork, id1)).toBe(false)
    expect(tree.committedSeq(agent)).toBe(-1)
    // Once b1 is committed, its seq is the committed one and its entry is no longer pending.
    const b3 = child(b2, qcFor(b2.header, seeds, [0, 1, 2], n), 3, [], log, n)
    const node3 = add(b3)
    expect(tree.certify(qcFor(b2.header, seeds, [0, 1, 2], n)).nodes.map((x) => x.header.height)).toEqual([1])
    expect(tree.committedSeq(agent)).toBe(1)
    expect(tree.lastSeqInChain(node3, agent)).toBe(1)
    expect(tree.inChain(node3, id1)).toBe(false)
  })

  it('tells whether a block descends from another, and stops at the head', () => {
    const { g, tree, add } = setup()
    const log = new MerkleAccumulator()
    const b1 = child(g, genesisQc(genesis), 1, [], log, n)
    const node1 = add(b1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const node2 = add(child(b1, qc1, 2, [], log, n))
    const fork = add(child(g, genesisQc(genesis), 3, [], new MerkleAccumulator(), n))
    expect(tree.extends(node2, node1.hashHex)).toBe(true)
    expect(tree.extends(node2, node2.hashHex)).toBe(true)
    expect(tree.extends(node2, tree.head.hashHex)).toBe(true)
    expect(tree.extends(fork, node1.hashHex)).toBe(false)
    expect(tree.extends(node1, node2.hashHex)).toBe(false)
    expect(tree.extends(node1, toHex(g.header.parent))).toBe(false)
  })

  it('certifying the head\'s own QC again commits nothing', () => {
    const { tree } = setup()
    expect(tree.certify(genesisQc(genesis))).toEqual({ nodes: [], pruned: [] })
    expect(tree.head.header.height).toBe(0)
  })

  it('certifying a child of the head commits nothing, whatever its round', () => {
    const { g, tree, add } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n)
    add(b1)
    expect(tree.certify(qcFor(b1.header, seeds, [0, 1, 2], n))).toEqual({ nodes: [], pruned: [] })
    expect(tree.head.header.height).toBe(0)
  })

  it('raises the high QC only to a higher round, and sets it after a restart that had none', () => {
    const { g, tree, add } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n)
    const node1 = add(b1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    tree.certify(qc1)
    expect(tree.highQc).toBe(qc1)
    expect(tree.highQcNode).toBe(node1)
    const fork = child(g, genesisQc(genesis), 3, [], new MerkleAccumulator(), n)
    const nodeF = add(fork)
    const qcF = qcFor(fork.header, seeds, [0, 1, 2], n)
    tree.certify(qcF)
    expect(tree.highQc).toBe(qcF)
    expect(tree.highQcNode).toBe(nodeF)
    tree.certify(qc1) // lower round: no change
    expect(tree.highQc).toBe(qcF)
    expect(node1.qc).toBe(qc1)

    // A tree restored without any QC for its head.
    const { tree: bare } = setup()
    const restored = new BlockTree({ ...bare.head, qc: null, children: [] }, null, new Map())
    expect(restored.highQc).toBeNull()
    expect(restored.highQcNode).toBe(restored.head)
    const ctx = { genesis, tree: restored, verifier: new Verifier(genesis, validatorSetOf(genesis), 100, 100), leaders: new RoundRobinLeaderElection(n) }
    const node = validateBlock(ctx, restored.head, b1)
    if (isRejection(node)) throw new Error(describeRejection(node))
    restored.insert(node)
    restored.certify(qc1)
    expect(restored.highQc).toBe(qc1)
    expect(restored.highQcNode).toBe(node)
  })

  it('after a commit that prunes the high QC\'s block, the high QC is the highest one left in the tree', () => {
    // genesis <- a1 (round 1) <- a3 (round 3) <- {a4, a5}, and genesis <- x6 (round 6): x6's
    // QC is the high QC until a commit of a1 (by certificate) prunes x6.
    const { g, tree, add } = setup()
    const log = new MerkleAccumulator()
    const a1 = child(g, genesisQc(genesis), 1, [], log, n)
    const nodeA1 = add(a1)
    const qcA1 = qcFor(a1.header, seeds, [0, 1, 2], n)
    const a3 = child(a1, qcA1, 3, [], log, n)
    add(a3)
    const x6 = child(g, genesisQc(genesis), 6, [], new MerkleAccumulator(), n)
    const nodeX6 = add(x6)
    const qcA3 = qcFor(a3.header, seeds, [0, 1, 2], n)
    // a4 (round 4, on a3) is never certified; a1 is committed by certificate without a QC of its own here.
    add(child(a3, qcA3, 4, [], log.clone(), n))
    // a5 (round 5, on a3, inserted after a4 and x6) is certified: the highest QC left.
    const a5 = child(a3, qcA3, 5, [], log.clone(), n)
    const nodeA5 = add(a5)
    const qcA5 = qcFor(a5.header, seeds, [0, 1, 2], n)
    for (const qc of [qcA3, qcFor(x6.header, seeds, [0, 1, 2], n), qcA5]) expect(tree.certify(qc)).toEqual({ nodes: [], pruned: [] })
    expect(tree.highQc!.round).toBe(6)
    const result = tree.commitTo(nodeA1)
    expect(result.nodes).toEqual([nodeA1])
    expect(result.pruned.map((x) => x.hashHex)).toEqual([hex(x6)])
    expect(tree.highQc).toBe(qcA5)
    expect(tree.highQcNode).toBe(nodeA5)
    // A pruned block extends nothing in the tree any more.
    expect(tree.extends(nodeX6, tree.head.hashHex)).toBe(false)
  })

  it('committing the head again commits and prunes nothing', () => {
    const { g, tree, add } = setup()
    add(child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n))
    expect(tree.commitTo(tree.head)).toEqual({ nodes: [], pruned: [] })
    expect(tree.pendingCount).toBe(1)
  })

  it('a commit by certificate before any QC leaves the high QC unset', () => {
    const { tree: bare, g } = setup()
    const restored = new BlockTree({ ...bare.head, qc: null, children: [] }, null, new Map())
    const ctx = { genesis, tree: restored, verifier: new Verifier(genesis, validatorSetOf(genesis), 100, 100), leaders: new RoundRobinLeaderElection(n) }
    const node = validateBlock(ctx, restored.head, child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n))
    if (isRejection(node)) throw new Error(describeRejection(node))
    restored.insert(node)
    expect(restored.commitTo(node).nodes).toEqual([node])
    expect(restored.highQc).toBeNull()
    expect(restored.highQcNode).toBe(node)
  })

  it('refuses a head QC for another block, and blocks or QCs that break the tree\'s shape', () => {
    const { g, tree, add } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n)
    const node1 = add(b1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const head = { ...tree.head, children: [] }
    expect(() => new BlockTree(head, qc1, new Map())).toThrow(AssertionError)
    expect(() => new BlockTree(head, { ...genesisQc(genesis), block: qc1.block }, new Map())).toThrow(AssertionError)
    // insert: the parent must be in the tree, one height below, at a lower round.
    expect(() => tree.insert({ ...node1, hashHex: 'aa', parentHex: 'bb' })).toThrow(AssertionError)
    expect(() => tree.insert({ ...node1, hashHex: 'aa', header: { ...node1.header, height: 2 } })).toThrow(AssertionError)
    expect(() => tree.insert({ ...node1, hashHex: 'aa', header: { ...node1.header, round: 0 } })).toThrow(AssertionError)
    expect(tree.pendingCount).toBe(1)
    // certify: the QC's block is in the tree, at the QC's round and height.
    expect(() => tree.certify({ ...qc1, block: new Uint8Array(32).fill(3) })).toThrow(AssertionError)
    expect(() => tree.certify({ ...qc1, round: 2 })).toThrow(AssertionError)
    expect(() => tree.certify({ ...qc1, height: 2 })).toThrow(AssertionError)
    expect(node1.qc).toBeNull()
  })
})
