// The capped commit (docs/protocol.md, "Epochs and reconfiguration"): after an epoch's
// reconfiguration block, its suffix blocks are certified and may complete two-chains, but
// nothing above the reconfiguration block enters the committed chain, whether the commit
// comes from the two-chain rule or from a commit certificate for a suffix block.
import { describe, expect, it } from 'vitest'
import { BlockTree, type BlockNode } from '../../src/consensus/block-tree.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type Block } from '../../src/log/block.ts'
import type { QuorumCertificate } from '../../src/log/certificates.ts'
import { genesisPosition, nextEpoch, type EpochPosition } from '../../src/log/epochs.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { child, entry, genesisBlock, genesisQc, makeGenesis } from './fixtures.ts'

const n = 4
const { genesis } = makeGenesis(n)
const epoch0 = genesisPosition(genesis).epoch
const epoch1 = nextEpoch({ epoch: 1, expires: 100, validators: genesis.validators, approvals: { signers: new Uint8Array(1), sigs: [] } }, 2)

function qcOf(block: Block): QuorumCertificate {
  // The tree trusts the QCs it is given (the replica verified them): no signatures needed here.
  return { round: block.header.round, height: block.header.height, block: blockHash(block.header), signers: new Uint8Array(1), sigs: [] }
}

function nodeOf(block: Block, parent: BlockNode, position: EpochPosition, suffix: boolean): BlockNode {
  const hash = blockHash(block.header)
  return {
    block, header: block.header, hash, hashHex: toHex(hash), parentHex: parent.hashHex, log: new MerkleAccumulator(), governance: null,
    agentSeqs: new Map(), entryIds: new Set(), position, suffix, qc: null, children: [],
  }
}

/** Genesis <- B1 (the reconfiguration block, round 1) <- S2 (suffix, round 3) <- S3 (suffix, round 4). */
function tree() {
  const g = genesisBlock(genesis)
  const gh = blockHash(g.header)
  const head: BlockNode = {
    block: g, header: g.header, hash: gh, hashHex: toHex(gh), parentHex: toHex(g.header.parent), log: new MerkleAccumulator(), governance: null,
    agentSeqs: new Map(), entryIds: new Set(), position: { epoch: epoch0, ending: null }, suffix: false, qc: null, children: [],
  }
  const t = new BlockTree(head, genesisQc(genesis), new Map())
  const ended: EpochPosition = { epoch: epoch0, ending: { height: 1, next: epoch1 } }
  const b1 = child(g, genesisQc(genesis), 1, [entry(1)], new MerkleAccumulator(), n)
  const s2 = child(b1, qcOf(b1), 3, [], new MerkleAccumulator(), n)
  const s3 = child(s2, qcOf(s2), 4, [], new MerkleAccumulator(), n)
  const n1 = nodeOf(b1, head, ended, false)
  t.insert(n1)
  const n2 = nodeOf(s2, n1, ended, true)
  t.insert(n2)
  const n3 = nodeOf(s3, n2, ended, true)
  t.insert(n3)
  return { t, blocks: [b1, s2, s3], nodes: [n1, n2, n3] }
}

describe('the capped commit', () => {
  it('a two-chain in the suffix commits the reconfiguration block and nothing above it', () => {
    const { t, blocks: [b1, s2, s3], nodes: [n1, n2, n3] } = tree()
    expect(t.certify(qcOf(b1!)).nodes).toEqual([])
    expect(t.certify(qcOf(s2!)).nodes).toEqual([]) // round 3 does not follow round 1
    const result = t.certify(qcOf(s3!)) // round 4 follows S2's round 3: S2 is committed, capped to B1
    expect(result.nodes.map((x) => x.header.height)).toEqual([1])
    expect(t.head).toBe(n1)
    // The suffix stays in the tree: its blocks prove the boundary (links).
    expect(t.get(n2!.hashHex)).toBe(n2)
    expect(t.get(n3!.hashHex)).toBe(n3)
  })

  it('a commit certificate for a suffix block commits up to the reconfiguration block only, once', () => {
    const { t, nodes: [n1, , n3] } = tree()
    expect(t.commitTarget(n3!)).toBe(n1)
    expect(t.commitTo(n3!).nodes.map((x) => x.header.height)).toEqual([1])
    expect(t.head).toBe(n1)
    expect(t.commitTo(n3!).nodes).toEqual([])
    expect(t.head).toBe(n1)
  })
})
