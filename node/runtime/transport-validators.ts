// The transport's peers from the replica's validator directory: who may connect, and which
// directory index a connection's authenticated key is (the `from` of what it sends;
// docs/protocol.md, "The replica at the boundary", step 6). A key's addresses come from
// the set that named it: the genesis, or a committed reconfiguration's validator list
// (its payload names each validator's `addresses`), which the node records in its peer
// book as it commits. A directory key the book has no entry for (a validator that joined
// and left between two of the node's looks at the chain) is a peer without addresses:
// it may connect, and is not dialled.
import { toHex } from '../../src/crypto/hash.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import type { EpochPosition } from '../../src/log/epochs.ts'
import type { ValidatorDirectory } from '../../src/log/validator-directory.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'

/** Every validator info the node has seen, by key (hex): the genesis set's, then each
 * committed reconfiguration's (the later entry for a key wins: a validator that comes
 * back may come with new addresses). */
export class PeerBook {
  readonly #byKey = new Map<string, ValidatorInfo>()

  constructor(genesis: Genesis) {
    this.note(genesis.validators)
  }

  note(validators: readonly ValidatorInfo[]): void {
    for (const v of validators) this.#byKey.set(toHex(v.publicKey), v)
  }

  /** The validators of an epoch position: its epoch's set and the set it ends into. */
  notePosition(position: EpochPosition): void {
    this.note(position.epoch.validators)
    if (position.ending !== null) this.note(position.ending.next.validators)
  }

  get(publicKey: Uint8Array): ValidatorInfo | undefined {
    return this.#byKey.get(toHex(publicKey))
  }
}

/** Each directory key's validator (name, key, addresses), in directory order, from
 * index `from` on. */
export function transportValidators(directory: ValidatorDirectory, book: PeerBook, from = 0): ValidatorInfo[] {
  const out: ValidatorInfo[] = []
  for (let index = from; index < directory.size; index++) {
    const publicKey = directory.key(index)
    out.push(book.get(publicKey) ?? { name: `validator-${index}`, publicKey, addresses: [] })
  }
  return out
}
