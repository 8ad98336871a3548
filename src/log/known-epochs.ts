// What a long-lived verifier (the SDK's client, a light client) remembers of the epoch
// chain: the longest one it has verified. A receipt verifies on its own against the
// genesis (verify.ts), but a receipt of an old epoch cannot show that the epoch had
// already ended: a retired set's keys, compromised later, could sign a checkpoint above
// its boundary. A verifier that has seen a later epoch change refuses that (docs/protocol.md,
// "Receipts across epochs"), and refuses a receipt whose epoch changes disagree with the
// ones it knows (only possible with more than f faulty validators in an epoch).
import { bytesEqual } from '../codec/cbor.ts'
import { genesisEpoch, nextEpoch, readReconfigurationPayload, setHashOf, type Epoch } from './epochs.ts'
import type { Genesis } from './genesis.ts'
import type { EpochChange, Receipt } from './receipt.ts'
import type { ValidatorSet } from './validator-set.ts'

export type KnownEpochsProblem =
  /** The receipt's epoch change `epoch` names another set or boundary than the known one. */
  | { readonly code: 'epoch-chain-conflict', readonly epoch: number }
  /** The receipt's checkpoint, of epoch `epoch`, is at or above the first block of the next
   * epoch, which this verifier knows. */
  | { readonly code: 'checkpoint-after-epoch', readonly epoch: number, readonly height: number, readonly nextFirstHeight: number }

export function describeKnownEpochsProblem(problem: KnownEpochsProblem): string {
  switch (problem.code) {
    case 'epoch-chain-conflict': return `the receipt's change to epoch ${problem.epoch} differs from the verified one`
    case 'checkpoint-after-epoch': return `the checkpoint at height ${problem.height} is of epoch ${problem.epoch}, which ended before height ${problem.nextFirstHeight}`
  }
}

export class KnownEpochs {
  readonly #epochs: Epoch[]

  constructor(genesis: Genesis, set?: ValidatorSet) {
    this.#epochs = [genesisEpoch(genesis, set)]
  }

  /** The epochs verified so far, from 0. */
  get epochs(): readonly Epoch[] {
    return this.#epochs
  }

  /**
   * Judges a receipt that verifyReceipt() accepted against the epochs known, and learns
   * the epochs it adds. Null when it agrees. Never learns from a receipt it refuses.
   */
  observe(receipt: Receipt): KnownEpochsProblem | null {
    return this.observeCheckpoint(receipt.epochs ?? [], receipt.checkpoint)
  }

  /** The same for a checkpoint of the epoch the verified `changes` lead to (a decision
   * proof's cutoff certificate). */
  observeCheckpoint(changes: readonly EpochChange[], checkpoint: { readonly height: number }): KnownEpochsProblem | null {
    const known = this.#epochs
    const learned: Epoch[] = []
    for (let i = 0; i < changes.length; i++) {
      const number = i + 1
      const change = changes[i]!
      const read = readReconfigurationPayload(change.entry)
      // verifyReceipt checked the shape; a receipt that was not verified has no place here.
      if (read.type !== 'reconfiguration') throw new RangeError(`epoch change ${number} is not a reconfiguration: verify the receipt first`)
      const firstHeight = change.boundary[0]!.height + 1
      const mine = known[number]
      if (mine !== undefined) {
        if (mine.firstHeight !== firstHeight || !bytesEqual(mine.setHash, setHashOf(read.reconfiguration.validators))) return { code: 'epoch-chain-conflict', epoch: number }
      } else {
        learned.push(nextEpoch(read.reconfiguration, firstHeight))
      }
    }
    const epoch = changes.length
    const next = known[epoch + 1]
    if (next !== undefined && checkpoint.height >= next.firstHeight) {
      return { code: 'checkpoint-after-epoch', epoch, height: checkpoint.height, nextFirstHeight: next.firstHeight }
    }
    known.push(...learned)
    return null
  }
}
