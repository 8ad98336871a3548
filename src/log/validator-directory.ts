// Who is who across epochs: every validator key of every epoch, in order of first
// appearance (the genesis set first, then the keys each committed reconfiguration adds, in
// its set's order). It only grows, so an index, once given, names one key for the life of
// the chain: the drivers address peers by it (`from`, `to`) and a replica names itself by
// it, whatever the epoch. A position in one epoch's set (signer bitmaps, `voter`,
// `proposer`, leader election) is another number: `EpochMembers` maps between the two
// (docs/protocol.md, "The replica at the boundary", step 6).
import { toHex } from '../crypto/hash.ts'
import type { ValidatorInfo, ValidatorSet } from './validator-set.ts'

export class ValidatorDirectory {
  readonly #keys: Uint8Array[] = []
  readonly #indexByKey = new Map<string, number>()

  /** The directory of a chain at its genesis: the genesis validators at their indexes. */
  constructor(genesisValidators: readonly Pick<ValidatorInfo, 'publicKey'>[]) {
    this.learn(genesisValidators)
  }

  /** A directory from its keys in index order (a restart's, replayed from the committed
   * log). Refused (RangeError) when a key repeats. */
  static fromKeys(keys: readonly Uint8Array[]): ValidatorDirectory {
    const directory = new ValidatorDirectory([])
    for (const [i, publicKey] of keys.entries()) {
      if (directory.indexOf(publicKey) !== undefined) throw new RangeError(`directory key ${i} repeats the key at index ${directory.indexOf(publicKey)}`)
      directory.learn([{ publicKey }])
    }
    return directory
  }

  get size(): number {
    return this.#keys.length
  }

  /** Every key, in index order. */
  get keys(): readonly Uint8Array[] {
    return this.#keys
  }

  has(index: number): boolean {
    return Number.isSafeInteger(index) && index >= 0 && index < this.#keys.length
  }

  key(index: number): Uint8Array {
    const key = this.#keys[index]
    if (key === undefined) throw new RangeError(`no validator at directory index ${index} (size ${this.size})`)
    return key
  }

  indexOf(publicKey: Uint8Array): number | undefined {
    return this.#indexByKey.get(toHex(publicKey))
  }

  /** Adds the keys of `validators` not yet in the directory, in their order (a committed
   * reconfiguration's set). Returns the indexes given to them. */
  learn(validators: readonly Pick<ValidatorInfo, 'publicKey'>[]): number[] {
    const added: number[] = []
    for (const v of validators) {
      const hex = toHex(v.publicKey)
      if (this.#indexByKey.has(hex)) continue
      this.#indexByKey.set(hex, this.#keys.length)
      added.push(this.#keys.length)
      this.#keys.push(v.publicKey)
    }
    return added
  }

  /** Whether this directory's first keys are `other`'s, in order (`other` is a prefix). */
  extends(other: ValidatorDirectory): boolean {
    if (other.size > this.size) return false
    return other.#keys.every((k, i) => toHex(k) === toHex(this.#keys[i]!))
  }
}

/** One epoch's set against the directory: the directory index of each set position and
 * back. Built when a replica enters the epoch; every key of the set must be in the
 * directory (the directory learns a set when its reconfiguration commits, before the
 * switch). */
export class EpochMembers {
  readonly #indexOfPosition: readonly number[]
  readonly #positionOfIndex: ReadonlyMap<number, number>

  constructor(set: ValidatorSet, directory: ValidatorDirectory) {
    this.#indexOfPosition = set.validators.map((v, position) => {
      const index = directory.indexOf(v.publicKey)
      if (index === undefined) throw new RangeError(`validator ${position} of the set is not in the directory`)
      return index
    })
    this.#positionOfIndex = new Map(this.#indexOfPosition.map((index, position) => [index, position]))
  }

  /** The directory index of the validator at `position` in the set. */
  indexOf(position: number): number {
    const index = this.#indexOfPosition[position]
    if (index === undefined) throw new RangeError(`no validator at position ${position} of the set (n = ${this.#indexOfPosition.length})`)
    return index
  }

  /** The set position of directory index `index`, or -1 when it is not in the set. */
  positionOf(index: number): number {
    return this.#positionOfIndex.get(index) ?? -1
  }

  /** The directory indexes of the set, in set order. */
  get indexes(): readonly number[] {
    return this.#indexOfPosition
  }
}
