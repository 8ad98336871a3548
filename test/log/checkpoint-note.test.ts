// A commit certificate is a C2SP checkpoint note: it verifies with the genesis
// validators' note keys alone, needs a quorum of them, and the tiles of the log fold to
// the root it certifies (the tile tree is the tree the export and the receipts prove).
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { publicKeyFromSeed, signMessage } from '../../src/crypto/ed25519.ts'
import { checkCc, commitDataToCbor } from '../../src/log/certificates.ts'
import {
  checkpointNoteOfCc, commitDataOfCheckpoint, commitNoteText, validatorNoteVerifiers, verifyCheckpointNote,
} from '../../src/log/checkpoint-note.ts'
import { cosign, cosignatureVerifier } from '../../src/log/cosignature.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { leafHash, merkleRoot } from '../../src/log/merkle.ts'
import { formatSignatureLine, openNote, parseNote } from '../../src/log/note.ts'
import { decodeEntryBundle, encodeEntryBundle, rootFromTiles, tileSubtrees } from '../../src/log/tiles.ts'
import { verifyChain } from '../../src/log/verify.ts'
import { ChainBuilder, seedOf, signCc, TestAgent, testNet } from '../support/chain-builder.ts'

function chainOf(blocks: number, perBlock: number) {
  const net = testNet(4, 'notes')
  const agent = new TestAgent('notes-agent')
  const chain = new ChainBuilder(net)
  for (let b = 0; b < blocks; b++) {
    chain.add(Array.from({ length: perBlock }, (_, i) => agent.entry(net.genesis.chainId, 'acme/notes', { b, i })))
  }
  return { net, chain, set: validatorSetOf(net.genesis) }
}

describe('checkpoint notes', () => {
  it('a CC is a signed note that verifies with the genesis note keys alone, for a quorum', () => {
    const { net, chain, set } = chainOf(3, 2)
    const cc = chain.items[2]!.cc!
    const chainId = net.genesis.chainId
    expect(checkCc(set, chainId, cc)).toBeNull()
    const note = checkpointNoteOfCc(chainId, set, cc)
    const data = verifyCheckpointNote(chainId, set, note)
    expect(data).toEqual({ height: cc.height, block: cc.block, logSize: cc.logSize, logRoot: cc.logRoot })
    // Fewer than a quorum of lines: refused; a line of another chain's keys: ignored.
    const lines = parseNote(note).signatures
    const short = `${commitNoteText(chainId, cc)}\n${lines.slice(0, 2).map(formatSignatureLine).join('')}`
    expect(verifyCheckpointNote(chainId, set, short)).toBeNull()
    expect(openNote(short, validatorNoteVerifiers(chainId, set), 2)).not.toBeNull()
    // Validators' keys of another chain id: another key name, so unknown keys, ignored.
    expect(() => verifyCheckpointNote('elsewhere', set, note)).toThrow(/origin/)
    // A changed size or root: the known keys' signatures fail.
    const forged = note.replace(`\n${cc.logSize}\n`, `\n${cc.logSize + 1}\n`)
    expect(verifyCheckpointNote(chainId, set, forged)).toBeNull()
  })

  it('a witness cosignature line appended to the note is ignored by the validators\' check and verifies with the witness key', () => {
    const { net, chain, set } = chainOf(1, 1)
    const cc = chain.items[0]!.cc!
    const chainId = net.genesis.chainId
    const note = checkpointNoteOfCc(chainId, set, cc)
    const seed = seedOf('witness')
    const line = formatSignatureLine(cosign(seed, 'w.example/1', 1_700_000_000n, commitNoteText(chainId, cc)))
    expect(verifyCheckpointNote(chainId, set, note + line)).not.toBeNull()
    expect(openNote(note + line, [cosignatureVerifier('w.example/1', publicKeyFromSeed(seed))], 1)).not.toBeNull()
  })

  it('refuses checkpoint texts that are not the one Synod form', () => {
    const { net, chain } = chainOf(1, 1)
    const chainId = net.genesis.chainId
    const text = commitNoteText(chainId, chain.items[0]!.cc!)
    expect(commitDataOfCheckpoint(chainId, text).height).toBe(1)
    for (const bad of [
      text.replace('synod/v1 commit 1 ', 'synod/v1 commit 01 '), text.replace(/ ([0-9a-f]{64})\n$/, (_, h: string) => ` ${h.toUpperCase()}\n`),
      text.replace(/synod\/v1 commit.*\n$/, ''), `${text}extra\n`, text.replace('synod/notes', 'synod/other'),
    ]) {
      expect(() => commitDataOfCheckpoint(chainId, bad), bad).toThrow()
    }
  })

  it('a CC signed over the CBOR commit statement of before is refused: validators sign the note text', () => {
    const { net, chain, set } = chainOf(1, 1)
    const chainId = net.genesis.chainId
    const cc = signCc(net, chain.items[0]!.block.header)
    expect(checkCc(set, chainId, cc)).toBeNull()
    const cbor = encodeCanonical(['synod/v1', 'commit', chainId, commitDataToCbor(cc)])
    const sigs = cc.sigs.map((_, i) => signMessage(net.validatorSeeds[i]!, cbor))
    expect(checkCc(set, chainId, { ...cc, sigs })).toEqual({ code: 'certificate-bad-signature', signer: 0 })
  })
})

describe('tiles of a certified chain', () => {
  it('the tiles and entry bundles of the exported entries fold to the root the last CC certifies', async () => {
    const { net, chain } = chainOf(4, 130) // 520 entries: two full level-0 tiles and a partial one
    expect((await verifyChain(chain.items, net.genesis)).ok).toBe(true)
    const entries = chain.items.flatMap((item) => item.block.entries.map((e) => encodeEntry(e)))
    const cc = chain.items[3]!.cc!
    expect(entries.length).toBe(cc.logSize)
    const leaves = entries.map(leafHash)
    const root = rootFromTiles(cc.logSize, (level, index, width) => {
      if (level === 0) {
        // As a mirror serves them: a bundle per level-0 tile, hashed by the client.
        const bundle = encodeEntryBundle(entries.slice(index * 256, index * 256 + width))
        return decodeEntryBundle(bundle).map(leafHash)
      }
      return tileSubtrees(level, index, width).map(({ treeLevel, k }) => merkleRoot(leaves.slice(k * 2 ** treeLevel, (k + 1) * 2 ** treeLevel)))
    })
    expect(root).toEqual(cc.logRoot)
  })
})
