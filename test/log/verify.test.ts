import { describe, expect, it } from 'vitest'
import { encodeEntry, entryId, type Entry } from '../../src/log/entry.ts'
import { inclusionProof, leafHash } from '../../src/log/merkle.ts'
import type { Receipt } from '../../src/log/receipt.ts'
import { receiptFromJson, receiptToJson } from '../../src/log/receipt.ts'
import { signersOf } from '../../src/log/signer-bitmap.ts'
import { ChainVerifier, verifyChain, verifyReceipt, type ChainItem } from '../../src/log/verify.ts'
import { ChainBuilder, signCc, TestAgent, testNet } from '../support/chain-builder.ts'

function buildChain(blocks = 5, perBlock = 3) {
  const net = testNet(4)
  const chain = new ChainBuilder(net)
  const agents = [new TestAgent('alice'), new TestAgent('bob')]
  const entries: Entry[] = []
  for (let b = 0; b < blocks; b++) {
    const batch = Array.from({ length: perBlock }, (_, i) => agents[i % 2]!.entry(net.genesis.chainId, 'team/plans', { b, i }))
    entries.push(...batch)
    chain.add(batch)
  }
  return { net, chain, entries }
}

function receiptFor(net: ReturnType<typeof testNet>, chain: ChainBuilder, entries: Entry[], index: number): Receipt {
  const leaves = entries.map((e) => leafHash(encodeEntry(e)))
  const last = chain.items.at(-1)!
  return {
    entry: entries[index]!,
    index,
    proof: inclusionProof(index, leaves.length, (i) => leaves[i]!),
    checkpoint: signCc(net, last.block.header),
  }
}

describe('verifyChain', () => {
  it('accepts a valid chain and reports its size', async () => {
    const { net, chain } = buildChain()
    const report = await verifyChain(chain.items, net.genesis)
    expect(report.failure).toBeNull()
    expect(report).toMatchObject({ ok: true, height: 5, certifiedHeight: 5, blocks: 5, entries: 15, logSize: 15 })
  })

  it('fails an uncertified tail unless allowed', async () => {
    const { net, chain } = buildChain()
    chain.add([], false)
    const strict = await verifyChain(chain.items, net.genesis)
    expect(strict.failure).toMatchObject({ code: 'uncertified-tail', height: 6 })
    const lenient = await verifyChain(chain.items, net.genesis, { allowUncertifiedTail: true })
    expect(lenient.ok).toBe(true)
  })

  const tamperings: [string, (items: ChainItem[]) => ChainItem[], { code: string, height: number, position?: number }][] = [
    ['flipped payload byte', (items) => {
      const b = items[2]!.block
      const e = b.entries[1]!
      const entries = b.entries.map((x, i) => (i === 1 ? { ...e, payload: e.payload.replace('1', '7') } : x))
      return items.map((it, i) => (i === 2 ? { ...it, block: { ...b, entries } } : it))
    }, { code: 'bad-entry-signature', height: 3, position: 1 }],
    ['dropped block', (items) => items.filter((_, i) => i !== 1), { code: 'height-gap', height: 2 }],
    ['reordered blocks', (items) => [items[0]!, items[2]!, items[1]!, ...items.slice(3)], { code: 'height-gap', height: 2 }],
    ['duplicated block', (items) => [items[0]!, items[0]!, ...items.slice(1)], { code: 'height-gap', height: 2 }],
    ['replaced entry signature', (items) => {
      const b = items[0]!.block
      const other = items[1]!.block.entries[0]!
      const entries = [{ ...b.entries[0]!, sig: other.sig }, ...b.entries.slice(1)]
      return [{ ...items[0]!, block: { ...b, entries } }, ...items.slice(1)]
    }, { code: 'bad-entry-signature', height: 1, position: 0 }],
    ['cc below quorum', (items) => {
      const it = items[3]!
      const cc = it.cc!
      const signers = new Uint8Array(cc.signers); signers[0] = 0b0011
      return items.map((x, i) => (i === 3 ? { ...x, cc: { ...cc, signers, sigs: cc.sigs.slice(0, 2) } } : x))
    }, { code: 'bad-commit-certificate', height: 4 }],
  ]
  for (const [name, tamper, expected] of tamperings) {
    it(`detects: ${name}`, async () => {
      const { net, chain } = buildChain()
      const report = await verifyChain(tamper(chain.items), net.genesis)
      expect(report.ok).toBe(false)
      expect(report.failure).toMatchObject(expected)
    })
  }

  it('detects a duplicated entry with consistent roots (a lying proposer) by its sequence number', async () => {
    const net = testNet(4)
    const chain = new ChainBuilder(net)
    const alice = new TestAgent('alice')
    const e = alice.entry(net.genesis.chainId, 'team/plans', { x: 1 })
    chain.add([e])
    chain.add([e])
    const report = await verifyChain(chain.items, net.genesis)
    expect(report.failure).toMatchObject({ code: 'seq-not-increasing', height: 2, position: 0 })
  })

  it('detects a chain certified by another validator set', async () => {
    const { chain } = buildChain()
    const other = testNet(4, 'test-chain-other-keys')
    const report = await verifyChain(chain.items, { ...other.genesis, chainId: 'test-chain' })
    expect(report.ok).toBe(false)
    expect(report.failure!.code).toBe('parent-mismatch')
  })

  it('stops at the first failure and keeps reporting it', () => {
    const { net, chain } = buildChain()
    const v = new ChainVerifier(net.genesis)
    expect(v.push(chain.items[1]!)).toMatchObject({ code: 'height-gap' })
    expect(v.push(chain.items[0]!)).toMatchObject({ code: 'height-gap' })
  })
})

describe('verifyReceipt', () => {
  it('accepts a valid receipt, also after a JSON round trip', () => {
    const { net, chain, entries } = buildChain()
    for (const index of [0, 7, 14]) {
      const receipt = receiptFor(net, chain, entries, index)
      expect(verifyReceipt(receipt, net.genesis)).toEqual({ ok: true })
      const again = receiptFromJson(JSON.parse(JSON.stringify(receiptToJson(receipt))))
      expect(verifyReceipt(again, net.genesis)).toEqual({ ok: true })
      expect(entryId(again.entry)).toEqual(entryId(receipt.entry))
    }
  })

  it('rejects a receipt whose proof, entry, index or checkpoint is altered', () => {
    const { net, chain, entries } = buildChain()
    const r = receiptFor(net, chain, entries, 4)
    const badProof = r.proof.map((h, i) => (i === 0 ? Uint8Array.from(h, (b, j) => (j === 0 ? b ^ 1 : b)) : h))
    expect(verifyReceipt({ ...r, proof: badProof }, net.genesis)).toMatchObject({ ok: false, code: 'bad-inclusion-proof' })
    expect(verifyReceipt({ ...r, index: 5 }, net.genesis)).toMatchObject({ ok: false, code: 'bad-inclusion-proof' })
    expect(verifyReceipt({ ...r, entry: entries[5]! }, net.genesis)).toMatchObject({ ok: false, code: 'bad-inclusion-proof' })
    expect(verifyReceipt({ ...r, entry: { ...r.entry, seq: 99 } }, net.genesis)).toMatchObject({ ok: false, code: 'bad-entry-signature' })
    const root = Uint8Array.from(r.checkpoint.logRoot); root[3]! ^= 0x10
    expect(verifyReceipt({ ...r, checkpoint: { ...r.checkpoint, logRoot: root } }, net.genesis)).toMatchObject({ ok: false })
    const other = testNet(4, 'test-chain-2')
    // The auditor's code, with the message of the certificate's typed problem.
    const firstSigner = signersOf(r.checkpoint.signers, 4)![0]
    expect(verifyReceipt(r, { ...other.genesis, chainId: 'test-chain' })).toMatchObject({
      ok: false,
      code: 'bad-commit-certificate',
      reason: `commit certificate at height ${r.checkpoint.height}: signature of validator ${firstSigner} does not verify`,
    })
    expect(verifyReceipt(r, { ...net.genesis, chainId: 'other-chain' })).toMatchObject({ ok: false, code: 'bad-entry-signature' })
  })
})
