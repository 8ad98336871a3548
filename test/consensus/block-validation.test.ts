// validateBlock: the node it builds for a valid block, and the core's rejection (code
// and values) for each way the shared block rule refuses one.
import { describe, expect, it } from 'vitest'
import { BlockTree, type BlockNode } from '../../src/consensus/block-tree.ts'
import { validateBlock, type ValidationContext } from '../../src/consensus/block-validation.ts'
import { RoundRobinLeaderElection } from '../../src/consensus/leader-election.ts'
import { isRejection } from '../../src/consensus/rejections.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, type Block } from '../../src/log/block.ts'
import { encodeEntry, entryId } from '../../src/log/entry.ts'
import { genesisPosition } from '../../src/log/epochs.ts'
import { validatorSetOf, type Genesis } from '../../src/log/genesis.ts'
import { MerkleAccumulator } from '../../src/log/merkle.ts'
import { child, entry, genesisBlock, genesisQc, makeGenesis, qcFor } from './fixtures.ts'

const n = 4

function setup(params = {}): { genesis: Genesis, seeds: Uint8Array[], ctx: ValidationContext, head: BlockNode, g: Block } {
  const { genesis, seeds } = makeGenesis(n, params)
  const g = genesisBlock(genesis)
  const gh = blockHash(g.header)
  const head: BlockNode = { block: g, header: g.header, hash: gh, hashHex: toHex(gh), parentHex: toHex(g.header.parent), log: new MerkleAccumulator(), governance: null, agentSeqs: new Map(), entryIds: new Set(), position: genesisPosition(genesis), suffix: false, qc: null, children: [] }
  const tree = new BlockTree(head, genesisQc(genesis), new Map())
  const ctx = { genesis, tree, verifier: new Verifier(genesis, validatorSetOf(genesis), 100, 100), leaders: new RoundRobinLeaderElection(n) }
  return { genesis, seeds, ctx, head, g }
}

describe('validateBlock', () => {
  it('builds the node of a valid block: hash, parent, log, the agents\' seqs and the entry ids', () => {
    const { genesis, ctx, head, g } = setup()
    const entries = [entry(1), entry(2)]
    const log = new MerkleAccumulator()
    const b1 = child(g, genesisQc(genesis), 1, entries, log, n)
    const node = validateBlock(ctx, head, b1)
    if (isRejection(node)) throw new Error(node.code)
    const hash = blockHash(b1.header)
    expect(node.block).toBe(b1)
    expect(node.header).toBe(b1.header)
    expect(node.hash).toEqual(hash)
    expect(node.hashHex).toBe(toHex(hash))
    expect(node.parentHex).toBe(head.hashHex)
    expect(node.log.size).toBe(2)
    expect(node.log.root()).toEqual(log.root())
    expect([...node.agentSeqs.values()]).toEqual([2])
    expect([...node.entryIds].sort()).toEqual(entries.map((e) => toHex(entryId(e))).sort())
    expect(node.suffix).toBe(false)
    expect(node.qc).toBeNull()
    expect(node.children).toEqual([])
  })

  it('refuses a block at the wrong height, on another parent, or at a round not above its parent\'s', () => {
    const { genesis, seeds, ctx, head, g } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n)
    expect(validateBlock(ctx, head, { ...b1, header: { ...b1.header, height: 2 } })).toEqual({ code: 'block-height', height: 2, parentHeight: 0 })
    expect(validateBlock(ctx, head, { ...b1, header: { ...b1.header, parent: new Uint8Array(32).fill(5) } })).toEqual({ code: 'block-parent-mismatch' })
    const node1 = validateBlock(ctx, head, b1)
    if (isRejection(node1)) throw new Error(node1.code)
    ctx.tree.insert(node1)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const same = child(b1, qc1, 1, [], new MerkleAccumulator(), n)
    expect(validateBlock(ctx, node1, same)).toEqual({ code: 'block-round-not-above-parent', round: 1, parentRound: 1 })
  })

  it('refuses a block whose justify QC is not for its parent, or is not valid', () => {
    const { genesis, seeds, ctx, head, g } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [], new MerkleAccumulator(), n)
    const other = child(g, genesisQc(genesis), 2, [entry(1)], new MerkleAccumulator(), n)
    expect(validateBlock(ctx, head, { ...b1, header: { ...b1.header, justify: qcFor(other.header, seeds, [0, 1, 2], n) } })).toEqual({ code: 'block-justify-not-parent' })
    const node1 = validateBlock(ctx, head, b1)
    if (isRejection(node1)) throw new Error(node1.code)
    const qc1 = qcFor(b1.header, seeds, [0, 1, 2], n)
    const b2 = child(b1, qc1, 2, [], new MerkleAccumulator(), n)
    const forged = { ...qc1, sigs: [qc1.sigs[1]!, qc1.sigs[0]!, qc1.sigs[2]!] }
    expect(validateBlock(ctx, node1, { ...b2, header: { ...b2.header, justify: forged } })).toEqual({
      code: 'certificate-rejected', certificate: 'justify QC', problem: { code: 'certificate-bad-signature', signer: 0, certificate: 'QC' },
    })
  })

  it('refuses a block whose entries do not match its header', () => {
    const { genesis, ctx, head, g } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [entry(1), entry(2)], new MerkleAccumulator(), n)
    expect(validateBlock(ctx, head, { ...b1, entries: b1.entries.slice(0, 1) })).toEqual({ code: 'block-entry-count-mismatch', header: 2, actual: 1 })
    expect(validateBlock(ctx, head, { ...b1, entries: [b1.entries[1]!, b1.entries[0]!] })).toMatchObject({ code: 'block-entry-seq', index: 1, seq: 1, last: 2 })
    expect(validateBlock(ctx, head, { ...b1, header: { ...b1.header, entriesRoot: new Uint8Array(32) } })).toEqual({ code: 'block-entries-root-mismatch' })
    expect(validateBlock(ctx, head, { ...b1, header: { ...b1.header, logSize: 3 } })).toEqual({ code: 'block-log-size-mismatch', header: 3, actual: 2 })
    expect(validateBlock(ctx, head, { ...b1, header: { ...b1.header, logRoot: new Uint8Array(32) } })).toEqual({ code: 'block-log-root-mismatch' })
  })

  it('judges one header object afresh against another parent log or other entries (the block rule keeps its roots per header)', () => {
    const { genesis, ctx, head, g } = setup()
    const b1 = child(g, genesisQc(genesis), 1, [entry(1), entry(2)], new MerkleAccumulator(), n)
    expect(isRejection(validateBlock(ctx, head, b1))).toBe(false)
    // The same header on a parent whose log holds one leaf more: the log after it is 3 long.
    const longer = new MerkleAccumulator()
    longer.append(new Uint8Array(32).fill(9))
    expect(validateBlock(ctx, { ...head, log: longer }, b1)).toEqual({ code: 'block-log-size-mismatch', header: 2, actual: 3 })
    // The same header with other (valid) entries: their root is not the header's.
    expect(validateBlock(ctx, head, { ...b1, entries: [b1.entries[0]!, entry(3)] })).toEqual({ code: 'block-entries-root-mismatch' })
    const again = validateBlock(ctx, head, b1)
    if (isRejection(again)) throw new Error(again.code)
    expect(again.log.size).toBe(2)
    // The log handed out is the node's own: appending to it leaves the next check's alone.
    again.log.append(new Uint8Array(32).fill(7))
    const third = validateBlock(ctx, head, b1)
    if (isRejection(third)) throw new Error(third.code)
    expect(third.log.size).toBe(2)
  })

  it('refuses a block with an invalid entry, naming its index and the entry\'s problem', () => {
    const { genesis, ctx, head, g } = setup()
    const good = entry(2)
    const sig = Uint8Array.from(good.sig)
    sig[0]! ^= 1
    const b1 = child(g, genesisQc(genesis), 1, [entry(1), { ...good, sig }], new MerkleAccumulator(), n)
    expect(validateBlock(ctx, head, b1)).toEqual({ code: 'block-entry-invalid', index: 1, problem: { code: 'entry-bad-signature' } })
  })

  it('refuses a block over the chain\'s entry count or byte limits', () => {
    const few = setup({ blockEntriesMax: 1 })
    const b1 = child(few.g, genesisQc(few.genesis), 1, [entry(1), entry(2)], new MerkleAccumulator(), n)
    expect(validateBlock(few.ctx, few.head, b1)).toEqual({ code: 'block-too-many-entries', count: 2, limit: 1 })
    const e1 = entry(1)
    const small = setup({ blockBytesMax: encodeEntry(e1).length })
    const one = child(small.g, genesisQc(small.genesis), 1, [e1], new MerkleAccumulator(), n)
    expect(isRejection(validateBlock(small.ctx, small.head, one))).toBe(false)
    const two = child(small.g, genesisQc(small.genesis), 1, [e1, entry(2)], new MerkleAccumulator(), n)
    expect(validateBlock(small.ctx, small.head, two)).toEqual({ code: 'block-too-many-bytes', limit: encodeEntry(e1).length })
  })

  it('counts an invalid entry\'s bytes against the limit by its encoding', () => {
    // The byte limit comes before the entry checks: an entry that fails them still counts.
    const e1 = entry(1)
    const small = setup({ blockBytesMax: encodeEntry(e1).length })
    const sig = Uint8Array.from(e1.sig)
    sig[0]! ^= 1
    const b = child(small.g, genesisQc(small.genesis), 1, [{ ...e1, sig }, entry(2)], new MerkleAccumulator(), n)
    expect(validateBlock(small.ctx, small.head, b)).toEqual({ code: 'block-too-many-bytes', limit: encodeEntry(e1).length })
  })
})
