// Builds committed chains across epochs without running consensus: the builder holds
// every validator's key of every epoch, writes reconfiguration entries with their
// approvals, and signs each block's QC with the set of the parent's epoch and its CC
// with the set of its own epoch (docs/formats.md section 15.3). It keeps its own model of
// where each epoch starts (it does not ask src/log/epochs.ts), so that tests compare the
// code against an independent construction.
import { signDomain } from '../../src/crypto/domain.ts'
import { publicKeyFromSeed, signMessage } from '../../src/crypto/ed25519.ts'
import { blockHash, entriesRootOf, genesisBlock, genesisQc, type Block, type BlockHeader } from '../../src/log/block.ts'
import { voteDataToCbor, type CommitCertificate, type QuorumCertificate } from '../../src/log/certificates.ts'
import { commitNoteMessage } from '../../src/log/checkpoint.ts'
import { encodeEntry, type Entry } from '../../src/log/entry.ts'
import { approveReconfiguration, reconfigurationPayloadText, setHashOf } from '../../src/log/epochs.ts'
import { inclusionProof, leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import type { EpochChange, Receipt } from '../../src/log/receipt.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import { quorumSize, type ValidatorInfo } from '../../src/log/validator-set.ts'
import type { ChainItem } from '../../src/log/verify.ts'
import { seedOf, TestAgent, type TestNet } from './chain-builder.ts'

export interface TestEpoch {
  readonly number: number
  readonly seeds: readonly Uint8Array[]
  readonly validators: readonly ValidatorInfo[]
  /** First height of the epoch. */
  readonly firstHeight: number
  /** Index in the log of the reconfiguration entry that started it (epochs >= 1). */
  readonly changeIndex: number
  /** The boundary proof of the epoch before (epochs >= 1): the reconfiguration block's
   * header and the suffix headers up to the block `boundaryCc` certifies. */
  readonly boundary: readonly BlockHeader[]
  readonly boundaryCc: CommitCertificate | null
}

export function validatorsOf(seeds: readonly Uint8Array[], label: string): ValidatorInfo[] {
  return seeds.map((seed, i) => ({ name: `${label}-${i}`, publicKey: publicKeyFromSeed(seed), addresses: [`/ip4/127.0.0.1/tcp/${8000 + i}`] }))
}

/** Seeds for a set: the given old seeds kept, plus `added` new ones. */
export function seedsFor(label: string, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => seedOf(`${label}/validator/${i}`))
}

function firstSigners(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i)
}

export function qcBy(chainId: string, seeds: readonly Uint8Array[], header: BlockHeader, signers = firstSigners(quorumSize(seeds.length))): QuorumCertificate {
  const data = { round: header.round, height: header.height, block: blockHash(header) }
  return { ...data, signers: bitmapOf(signers, seeds.length), sigs: signers.map((i) => signDomain(seeds[i]!, 'vote', chainId, voteDataToCbor(data))) }
}

export function ccBy(chainId: string, seeds: readonly Uint8Array[], header: BlockHeader, signers = firstSigners(quorumSize(seeds.length))): CommitCertificate {
  const data = { height: header.height, block: blockHash(header), logSize: header.logSize, logRoot: header.logRoot }
  return { ...data, signers: bitmapOf(signers, seeds.length), sigs: signers.map((i) => signMessage(seeds[i]!, commitNoteMessage(chainId, data))) }
}

export interface AddOptions {
  /** Attach a CC (of the block's epoch) to the block's record. Default true. */
  readonly certify?: boolean
  /** Overrides, to build invalid chains. */
  readonly header?: Partial<BlockHeader>
  readonly qcSeeds?: readonly Uint8Array[]
  readonly ccSeeds?: readonly Uint8Array[]
}

export class EpochChainBuilder {
  readonly net: TestNet
  readonly chainId: string
  readonly epochs: TestEpoch[]
  readonly items: ChainItem[] = []
  /** Every committed entry, in log order. */
  readonly entries: Entry[] = []
  readonly accumulator = new MerkleAccumulator()
  readonly agent: TestAgent
  #prev: BlockHeader
  #round = 0
  /** The epoch the builder's next reconfiguration block starts, once it is added. */
  #pending: { readonly seeds: readonly Uint8Array[], readonly validators: readonly ValidatorInfo[], readonly changeIndex: number } | null = null
  #pendingHeight = -1

  constructor(net: TestNet) {
    this.net = net
    this.chainId = net.genesis.chainId
    this.epochs = [{ number: 0, seeds: net.validatorSeeds, validators: net.genesis.validators, firstHeight: 1, changeIndex: -1, boundary: [], boundaryCc: null }]
    this.agent = new TestAgent(`${this.chainId}/operator`)
    this.#prev = genesisBlock(net.genesis).header
  }

  get head(): BlockHeader {
    return this.#prev
  }

  get current(): TestEpoch {
    return this.epochs[this.epochs.length - 1]!
  }

  /** A reconfiguration entry to `validators`, approved by the first `approvers` of the
   * current epoch's validators (a quorum unless said otherwise), for `epoch` (the next
   * unless said otherwise). */
  reconfiguration(validators: readonly ValidatorInfo[], options: { approvers?: number, epoch?: number, previousOf?: readonly ValidatorInfo[], expires?: number } = {}): Entry {
    const current = this.current
    const epoch = options.epoch ?? current.number + 1
    const expires = options.expires ?? 1000
    const count = options.approvers ?? quorumSize(current.seeds.length)
    const previous = setHashOf(options.previousOf ?? current.validators)
    const signers = firstSigners(count)
    const sigs = signers.map((i) => approveReconfiguration(current.seeds[i]!, this.chainId, { epoch, expires, previous, validators }))
    const payload = reconfigurationPayloadText({ epoch, expires, validators, approvals: { signers: bitmapOf(signers, current.seeds.length), sigs } })
    return this.agent.entryText(this.chainId, 'ops/validators', payload)
  }

  /** Adds a block holding `entries`, the builder's own reconfiguration of the current
   * epoch to `next` among them when given: the block after it is the next epoch's first. */
  add(entries: readonly Entry[], options: AddOptions = {}, next?: { seeds: readonly Uint8Array[], validators: readonly ValidatorInfo[], entry: Entry }): Block {
    const parentEpoch = this.epochOfHeight(this.#prev.height)
    if (this.#pending !== null && this.#prev.height === this.#pendingHeight) {
      const record = this.items[this.items.length - 1]!
      const boundary = [this.#prev, ...(record.links ?? [])]
      this.epochs.push({
        number: this.current.number + 1, seeds: this.#pending.seeds, validators: this.#pending.validators, firstHeight: this.#prev.height + 1,
        changeIndex: this.#pending.changeIndex, boundary, boundaryCc: record.cc ?? null,
      })
      this.#pending = null
    }
    const epoch = this.current
    // Each epoch counts its rounds from 1, as honest leaders do (docs/formats.md 15.3).
    this.#round = epoch.firstHeight === this.#prev.height + 1 && epoch.number > 0 ? 1 : this.#round + 1
    const indexBefore = this.entries.length
    for (const e of entries) {
      this.accumulator.append(leafHash(encodeEntry(e)))
      this.entries.push(e)
    }
    const justify = this.#prev.height === 0 ? genesisQc(this.net.genesis) : qcBy(this.chainId, options.qcSeeds ?? parentEpoch.seeds, this.#prev)
    const header: BlockHeader = {
      ...(epoch.number === 0 ? {} : { epoch: epoch.number }),
      height: this.#prev.height + 1,
      round: this.#round,
      parent: blockHash(this.#prev),
      entriesRoot: entriesRootOf(entries),
      entryCount: entries.length,
      logSize: this.accumulator.size,
      logRoot: this.accumulator.root(),
      proposer: this.#round % epoch.seeds.length,
      justify,
      ...options.header,
    }
    const block: Block = { header, entries: [...entries] }
    const certify = options.certify ?? true
    this.items.push({ block, cc: certify ? ccBy(this.chainId, options.ccSeeds ?? epoch.seeds, header) : null })
    this.#prev = header
    if (next !== undefined) {
      const at = entries.indexOf(next.entry)
      if (at < 0) throw new RangeError('the reconfiguration entry is not among the block\'s entries')
      this.#pending = { seeds: next.seeds, validators: next.validators, changeIndex: indexBefore + at }
      this.#pendingHeight = header.height
    }
    return block
  }

  /** Commits a reconfiguration to the set of `seeds` in a block of its own (with `also`
   * entries after it), so that the next block starts the new epoch. With `suffix` > 0,
   * the boundary certificate is that of the last of `suffix` empty suffix blocks (the
   * reconfiguration block's own two-chain failed), carried as the record's links. */
  reconfigure(seeds: readonly Uint8Array[], label: string, also: readonly Entry[] = [], suffix = 0): Entry {
    const validators = validatorsOf(seeds, label)
    const entry = this.reconfiguration(validators)
    this.add([entry, ...also], { certify: suffix === 0 }, { seeds, validators, entry })
    if (suffix > 0) {
      const epoch = this.current
      const reconfigurationBlock = this.#prev
      const links: BlockHeader[] = []
      let parent = reconfigurationBlock
      let round = this.#round
      for (let i = 0; i < suffix; i++) {
        round += 2 // not consecutive: the suffix blocks before the last commit nothing
        const header: BlockHeader = {
          ...(epoch.number === 0 ? {} : { epoch: epoch.number }),
          height: parent.height + 1, round, parent: blockHash(parent),
          entriesRoot: entriesRootOf([]), entryCount: 0, logSize: parent.logSize, logRoot: parent.logRoot,
          proposer: round % epoch.seeds.length, justify: qcBy(this.chainId, epoch.seeds, parent),
        }
        links.push(header)
        parent = header
      }
      const record = this.items[this.items.length - 1]!
      this.items[this.items.length - 1] = { ...record, cc: ccBy(this.chainId, epoch.seeds, parent), links }
    }
    return entry
  }

  epochOfHeight(height: number): TestEpoch {
    let found = this.epochs[0]!
    for (const e of this.epochs) if (e.firstHeight <= height) found = e
    return found
  }

  /** The receipt (without epoch changes) of log entry `index` under the CC of the block
   * at `height`, signed by that block's epoch (or by `seeds`). */
  plainReceipt(index: number, height: number, seeds?: readonly Uint8Array[]): Receipt {
    const header = this.items[height - 1]!.block.header
    const leaves = this.entries.slice(0, header.logSize).map((e) => leafHash(encodeEntry(e)))
    const checkpoint = ccBy(this.chainId, seeds ?? this.epochOfHeight(height).seeds, header)
    return { entry: this.entries[index]!, index, proof: inclusionProof(index, header.logSize, (i) => leaves[i]!), checkpoint }
  }

  /** The epoch changes up to epoch `upTo`: each the receipt of its reconfiguration entry
   * under the boundary certificate (by the old set), with the boundary's headers. */
  epochChanges(upTo: number): EpochChange[] {
    const changes: EpochChange[] = []
    for (let e = 1; e <= upTo; e++) {
      const epoch = this.epochs[e]!
      const plain = this.plainReceipt(epoch.changeIndex, epoch.firstHeight - 1)
      changes.push({ ...plain, checkpoint: epoch.boundaryCc ?? plain.checkpoint, boundary: epoch.boundary })
    }
    return changes
  }

  /** A receipt of log entry `index` under the CC of the block at `height`, with the epoch
   * changes up to that block's epoch. */
  receipt(index: number, height: number): Receipt {
    const epoch = this.epochOfHeight(height)
    const plain = this.plainReceipt(index, height)
    return epoch.number === 0 ? plain : { ...plain, epochs: this.epochChanges(epoch.number) }
  }
}
