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
  const head: BlockNode = { block: g, header: g.header, hash: gh, hashHex: toHex(gh), parentHex: toHex(g.header.parent), log: new MerkleAccumulator(), governance: null, agentSeqs: new Map(), entryIds: new Set(), qc: null, children: [] }
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
