// Test fixtures: a small chain with real keys, and helpers that sign votes, QCs and blocks.
import { signDomain } from '../../src/crypto/domain.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { blockHash, genesisBlock, genesisQc, type Block, type BlockHeader } from '../../src/log/block.ts'
import { voteDataToCbor, type QuorumCertificate } from '../../src/log/certificates.ts'
import { encodeEntry, signEntry, type Entry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import type { MerkleAccumulator} from '../../src/log/merkle.ts';
import { leafHash, merkleRoot } from '../../src/log/merkle.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'

export const CHAIN = 'test-chain'

export function seeds(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i + 1))
}

export function makeGenesis(n = 4, params = {}): { genesis: Genesis, seeds: Uint8Array[] } {
  const s = seeds(n)
  return {
    genesis: {
      chainId: CHAIN,
      validators: s.map((seed, i) => ({ name: `v${i}`, publicKey: publicKeyFromSeed(seed), addresses: [] })),
      params: { ...DEFAULT_PARAMS, proposalDelayMs: 0, ...params },
      policy: { open: true, namespaces: {} },
    },
    seeds: s,
  }
}

export const AGENT_SEED: Uint8Array = new Uint8Array(32).fill(99)

export function entry(seq: number, seed: Uint8Array = AGENT_SEED, namespace = 'test/ns'): Entry {
  return signEntry({ agent: publicKeyFromSeed(seed), namespace, seq, payload: JSON.stringify({ seq }), refs: [], idempotencyKey: '' }, CHAIN, seed)
}

export function qcFor(header: BlockHeader, signerSeeds: Uint8Array[], signerIdx: number[], n: number): QuorumCertificate {
  const hash = blockHash(header)
  const data = { round: header.round, height: header.height, block: hash }
  const order = [...signerIdx].sort((a, b) => a - b)
  return { ...data, signers: bitmapOf(order, n), sigs: order.map((i) => signDomain(signerSeeds[i]!, 'vote', CHAIN, voteDataToCbor(data))) }
}

/** A valid child block of `parent` (whose log is `log`, mutated). */
export function child(parent: Block, parentQc: QuorumCertificate, round: number, entries: Entry[], log: MerkleAccumulator, n: number): Block {
  const leaves = entries.map((e) => leafHash(encodeEntry(e)))
  for (const l of leaves) log.append(l)
  const header: BlockHeader = {
    height: parent.header.height + 1, round, parent: blockHash(parent.header),
    entriesRoot: merkleRoot(leaves), entryCount: entries.length, logSize: log.size, logRoot: log.root(),
    proposer: round % n, justify: parentQc,
  }
  return { header, entries }
}

export { genesisBlock, genesisQc }
