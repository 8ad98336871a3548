// The validator and the auditor apply one block rule (src/log/block-rule.ts) with the
// same injected leader election: they accept and refuse the same blocks, in the same order.
import { describe, expect, it } from 'vitest'
import { BlockTree, type BlockNode } from '../../src/consensus/block-tree.ts'
import { validateBlock, type ValidationContext } from '../../src/consensus/block-validation.ts'
import { describe as describeRejection, isRejection } from '../../src/consensus/rejections.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type Block } from '../../src/log/block.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { leaderElectionFor, type LeaderElection } from '../../src/log/leader-election.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { ChainVerifier } from '../../src/log/verify.ts'
import { child, entry, genesisBlock, genesisQc, makeGenesis, qcFor } from '../consensus/fixtures.ts'

const n = 4

function coreContext(genesis: Genesis, leaders: LeaderElection): { ctx: ValidationContext, head: BlockNode } {
  const g = genesisBlock(genesis)
  const gh = blockHash(g.header)
  const head: BlockNode = { block: g, header: g.header, hash: gh, hashHex: toHex(gh), parentHex: toHex(g.header.parent), log: new MerkleAccumulator(), governance: null, agentSeqs: new Map(), entryIds: new Set(), qc: null, children: [] }
  const tree = new BlockTree(head, genesisQc(genesis), new Map())
  return { ctx: { genesis, tree, verifier: new Verifier(genesis, validatorSetOf(genesis), 100, 100), leaders }, head }
}

function judge(genesis: Genesis, leaders: LeaderElection, block: Block): { core: string | null, auditor: string | null } {
  const { ctx, head } = coreContext(genesis, leaders)
  const node = validateBlock(ctx, head, block)
  const failure = new ChainVerifier(genesis, undefined, leaders).push({ block })
  // The core's rejection, rendered as its message.
  return { core: isRejection(node) ? describeRejection(node) : null, auditor: failure?.code ?? null }
}

describe('one rule for a block', () => {
  const { genesis } = makeGenesis(n)
  const block1 = child(genesisBlock(genesis), genesisQc(genesis), 1, [entry(1), entry(2)], new MerkleAccumulator(), n)

  it('both accept a valid block under the chain\'s election (round-robin)', () => {
    expect(judge(genesis, leaderElectionFor(genesis), block1)).toEqual({ core: null, auditor: null })
  })

  it('both follow the injected election, not a hard-coded round-robin', () => {
    const validator2Leads: LeaderElection = { leaderOf: () => 2 }
    expect(judge(genesis, validator2Leads, block1)).toEqual({ core: 'validator 1 is not the leader of round 1', auditor: 'wrong-proposer' })
    const byTwo = { ...block1, header: { ...block1.header, proposer: 2 } }
    expect(judge(genesis, validator2Leads, byTwo)).toEqual({ core: null, auditor: null })
  })

  it('regression: the core checked the block byte limit after the entries, the auditor before: both now check it first', () => {
    const small = makeGenesis(n, { blockBytesMax: 64 }).genesis
    const good = entry(1)
    const forged = { ...entry(2), payload: '{"seq":3}' } // its signature no longer verifies
    const block = child(genesisBlock(small), genesisQc(small), 1, [forged, good], new MerkleAccumulator(), n)
    expect(judge(small, leaderElectionFor(small), block)).toEqual({ core: 'entries exceed the chain\'s block limit of 64 bytes', auditor: 'block-bytes-max' })
  })

  it('both name the same first bad entry, by position', () => {
    const forged = { ...entry(2), payload: '{"seq":3}' }
    const block = child(genesisBlock(genesis), genesisQc(genesis), 1, [entry(1), forged], new MerkleAccumulator(), n)
    const { core, auditor } = judge(genesis, leaderElectionFor(genesis), block)
    expect(core).toMatch(/^entry 1: /)
    expect(auditor).toBe('bad-entry-signature')
  })
})

describe('the justify QC certifies the parent, not a sibling of it', () => {
  const { genesis, seeds } = makeGenesis(n)
  const leaders = leaderElectionFor(genesis)
  const g = genesisBlock(genesis)
  const quorum = [0, 1, 2]

  // Two children of genesis at height 1 (rounds 1 and 2, and an equivocating round 1),
  // both in the tree; a block on the first carrying a valid QC for the other.
  function treeWith(...blocks: Block[]): { ctx: ValidationContext, nodes: BlockNode[] } {
    const { ctx, head } = coreContext(genesis, leaders)
    const nodes = blocks.map((b) => {
      const node = validateBlock(ctx, head, b)
      if (isRejection(node)) throw new Error(describeRejection(node))
      ctx.tree.insert(node)
      return node
    })
    return { ctx, nodes }
  }

  for (const [label, siblingRound, siblingEntries] of [['a later round', 2, [entry(1)]], ['the same round (equivocation)', 1, [entry(2)]]] as const) {
    it(`regression (injected bug block-justify-any-block): a valid QC for a sibling at ${label} is refused as block-justify-not-parent`, () => {
      const parent = child(g, genesisQc(genesis), 1, [entry(1)], new MerkleAccumulator(), n)
      const sibling = child(g, genesisQc(genesis), siblingRound, [...siblingEntries], new MerkleAccumulator(), n)
      const { ctx, nodes } = treeWith(parent, sibling)
      const qcForSibling = qcFor(sibling.header, seeds, quorum, n)
      const log = MerkleAccumulator.fromState(nodes[0]!.log.toState())
      const block = child(parent, qcForSibling, 3, [], log, n)
      const result = validateBlock(ctx, nodes[0]!, block)
      expect(isRejection(result) ? result.code : null).toBe('block-justify-not-parent')
      // The same block with the parent's own QC is valid: only the QC differs.
      const valid = child(parent, qcFor(parent.header, seeds, quorum, n), 3, [], MerkleAccumulator.fromState(nodes[0]!.log.toState()), n)
      expect(isRejection(validateBlock(ctx, nodes[0]!, valid))).toBe(false)
    })
  }
})
