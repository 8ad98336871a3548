// The validator set fixed by the genesis: who may sign, and how many make a quorum.
import { bytesEqual } from '../codec/cbor.ts'
import { toHex } from '../crypto/hash.ts'
import { LIMITS } from '../limits.ts'

export interface ValidatorInfo {
  readonly name: string
  /** Ed25519 public key; also the validator's libp2p identity. */
  readonly publicKey: Uint8Array
  /** libp2p multiaddrs where the validator listens. */
  readonly addresses: readonly string[]
}

/** f = floor((n-1)/3): the most Byzantine validators the set tolerates. */
export function faultTolerance(n: number): number {
  return Math.floor((n - 1) / 3)
}

/** Quorum = ceil((n+f+1)/2); 2f+1 when n = 3f+1. Any two quorums share an honest validator. */
export function quorumSize(n: number): number {
  return Math.ceil((n + faultTolerance(n) + 1) / 2)
}

export class ValidatorSet {
  readonly validators: readonly ValidatorInfo[]
  readonly n: number
  readonly f: number
  readonly quorum: number
  readonly #indexByKey: Map<string, number>

  constructor(validators: readonly ValidatorInfo[]) {
    if (validators.length < 1 || validators.length > LIMITS.validatorsMax) {
      throw new RangeError(`a validator set has 1 to ${LIMITS.validatorsMax} validators, got ${validators.length}`)
    }
    this.validators = validators
    this.n = validators.length
    this.f = faultTolerance(this.n)
    this.quorum = quorumSize(this.n)
    this.#indexByKey = new Map()
    validators.forEach((v, i) => {
      const key = toHex(v.publicKey)
      if (this.#indexByKey.has(key)) throw new RangeError(`validator ${i} repeats the key of validator ${this.#indexByKey.get(key)}`)
      this.#indexByKey.set(key, i)
    })
  }

  indexOf(publicKey: Uint8Array): number | undefined {
    return this.#indexByKey.get(toHex(publicKey))
  }

  has(publicKey: Uint8Array): boolean {
    return this.indexOf(publicKey) !== undefined
  }

  key(index: number): Uint8Array {
    const v = this.validators[index]
    if (v === undefined) throw new RangeError(`no validator at index ${index} (n = ${this.n})`)
    return v.publicKey
  }

  /** Byte length of a signer bitmap for this set. */
  get bitmapBytes(): number {
    return Math.ceil(this.n / 8)
  }

  sameAs(other: ValidatorSet): boolean {
    return this.n === other.n && this.validators.every((v, i) => bytesEqual(v.publicKey, other.validators[i]!.publicKey))
  }
}
