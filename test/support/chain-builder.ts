// Builds valid chains without running consensus: every validator's key is at hand, so
// QCs and commit certificates are signed directly. For verification tests, tampering
// tests and the published test vectors.
import { signDomain } from '../../src/crypto/domain.ts'
import { publicKeyFromSeed, signMessage } from '../../src/crypto/ed25519.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { blockHash, entriesRootOf, genesisBlock, genesisQc, type Block, type BlockHeader } from '../../src/log/block.ts'
import { commitNoteMessage } from '../../src/log/checkpoint-note.ts'
import { voteDataToCbor, type CommitCertificate, type QuorumCertificate } from '../../src/log/certificates.ts'
import { encodeEntry, signEntry, type Entry } from '../../src/log/entry.ts'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import type { ChainItem } from '../../src/log/verify.ts'
import { quorumSize } from '../../src/log/validator-set.ts'

export function seedOf(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(label))
}

export interface TestNet {
  readonly genesis: Genesis
  readonly validatorSeeds: readonly Uint8Array[]
}

export function testNet(n = 4, chainId = 'test-chain', overrides: Partial<Genesis> = {}): TestNet {
  const validatorSeeds = Array.from({ length: n }, (_, i) => seedOf(`${chainId}/validator/${i}`))
  const genesis: Genesis = {
    chainId,
    validators: validatorSeeds.map((seed, i) => ({
      name: `validator-${i}`,
      publicKey: publicKeyFromSeed(seed),
      addresses: [`/ip4/127.0.0.1/tcp/${7000 + i}`],
    })),
    params: DEFAULT_PARAMS,
    policy: { open: true, namespaces: {} },
    ...overrides,
  }
  return { genesis, validatorSeeds }
}

export class TestAgent {
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
  #seq = 0
  constructor(label: string) {
    this.seed = seedOf(`agent/${label}`)
    this.publicKey = publicKeyFromSeed(this.seed)
  }
  entry(chainId: string, namespace: string, payload: unknown, refs: Uint8Array[] = []): Entry {
    return this.entryText(chainId, namespace, JSON.stringify(payload), refs)
  }
  /** An entry whose payload is this JSON text, byte for byte. */
  entryText(chainId: string, namespace: string, payload: string, refs: Uint8Array[] = []): Entry {
    this.#seq += 1
    return signEntry({ agent: this.publicKey, namespace, seq: this.#seq, payload, refs, idempotencyKey: '' }, chainId, this.seed)
  }
}

function signers(n: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => i)
}

export function signQc(net: TestNet, header: BlockHeader, count = quorumSize(net.validatorSeeds.length)): QuorumCertificate {
  const n = net.validatorSeeds.length
  const data = { round: header.round, height: header.height, block: blockHash(header) }
  const who = signers(n, count)
  return { ...data, signers: bitmapOf(who, n), sigs: who.map((i) => signDomain(net.validatorSeeds[i]!, 'vote', net.genesis.chainId, voteDataToCbor(data))) }
}

export function signCc(net: TestNet, header: BlockHeader, count = quorumSize(net.validatorSeeds.length)): CommitCertificate {
  const n = net.validatorSeeds.length
  const data = { height: header.height, block: blockHash(header), logSize: header.logSize, logRoot: header.logRoot }
  const who = signers(n, count)
  return { ...data, signers: bitmapOf(who, n), sigs: who.map((i) => signMessage(net.validatorSeeds[i]!, commitNoteMessage(net.genesis.chainId, data))) }
}

/** Appends blocks to a chain, each at the next round, with a QC for its parent. */
export class ChainBuilder {
  readonly net: TestNet
  readonly items: ChainItem[] = []
  readonly accumulator = new MerkleAccumulator()
  #prev: BlockHeader
  #round = 0

  constructor(net: TestNet) {
    this.net = net
    this.#prev = genesisBlock(net.genesis).header
  }

  get head(): BlockHeader {
    return this.#prev
  }

  /** Adds a block holding `entries`; with `certify`, also a commit certificate for it.
   * `justify` replaces the QC for the parent (to build invalid chains). */
  add(entries: readonly Entry[], certify = true, justify: QuorumCertificate = this.#prev.height === 0 ? genesisQc(this.net.genesis) : signQc(this.net, this.#prev)): Block {
    const n = this.net.validatorSeeds.length
    this.#round += 1
    for (const e of entries) this.accumulator.append(leafHash(encodeEntry(e)))
    const header: BlockHeader = {
      height: this.#prev.height + 1,
      round: this.#round,
      parent: blockHash(this.#prev),
      entriesRoot: entriesRootOf(entries),
      entryCount: entries.length,
      logSize: this.accumulator.size,
      logRoot: this.accumulator.root(),
      proposer: this.#round % n,
      justify,
    }
    const block: Block = { header, entries: [...entries] }
    this.items.push({ block, cc: certify ? signCc(this.net, header) : null })
    this.#prev = header
    return block
  }
}
