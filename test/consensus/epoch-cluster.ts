// What the epoch tests share (test/consensus/epoch-switch.test.ts and its seeded driver,
// test/scenarios/epoch-switch-seeded.test.ts): reconfiguration entries approved by a
// quorum of the set before, and a network that addresses replicas as a driver must, by
// the validator directory (docs/protocol.md, "The replica at the boundary", step 6): a
// 'send' to directory index d goes to the holder of the sender's directory key d, and a
// message arrives with `from` the receiver's directory index of the sender's key, or not
// at all while the receiver's directory lacks that key (a connection from a key it does
// not know is refused).
import type { Replica } from '../../src/consensus/replica.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { signEntry, type Entry } from '../../src/log/entry.ts'
import { approveReconfiguration, reconfigurationPayloadText, setHashOf } from '../../src/log/epochs.ts'
import { bitmapOf } from '../../src/log/signer-bitmap.ts'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'
import { AGENT_SEED, CHAIN } from './fixtures.ts'

export function validatorOf(name: string, seed: Uint8Array): ValidatorInfo {
  return { name, publicKey: publicKeyFromSeed(seed), addresses: [] }
}

/** The reconfiguration to `epoch` (set `next`) after the set `previous`, approved by the
 * holders of `approvers` (seeds of validators of `previous`, at their positions there). */
export function reconfigurationEntry(
  seq: number, epoch: number, previous: readonly ValidatorInfo[], next: readonly ValidatorInfo[], approvers: readonly { position: number, seed: Uint8Array }[], agentSeed: Uint8Array = AGENT_SEED,
): Entry {
  const statement = { epoch, expires: 1000, previous: setHashOf(previous), validators: next }
  const sorted = [...approvers].sort((a, b) => a.position - b.position)
  const sigs = sorted.map((a) => approveReconfiguration(a.seed, CHAIN, statement))
  const approvals = { signers: bitmapOf(sorted.map((a) => a.position), previous.length), sigs }
  const payload = reconfigurationPayloadText({ epoch, expires: 1000, validators: next, approvals })
  return signEntry({ agent: publicKeyFromSeed(agentSeed), namespace: 'ops/validators', seq, payload, refs: [], idempotencyKey: '' }, CHAIN, agentSeed)
}

/** The directory routing of a cluster whose node i holds `seeds[i]`. */
export class DirectoryRouting {
  readonly #nodeOfKey: Map<string, number>
  readonly #keys: readonly Uint8Array[]
  readonly #replicas: () => readonly Replica[]

  constructor(seeds: readonly Uint8Array[], replicas: () => readonly Replica[]) {
    this.#keys = seeds.map((s) => publicKeyFromSeed(s))
    this.#nodeOfKey = new Map(this.#keys.map((k, node) => [toHex(k), node]))
    this.#replicas = replicas
  }

  /** The node a 'send' of `sender` to directory index `to` reaches (none if `to` is not
   * in its directory: the replica addresses only peers it knows). */
  nodeOf(sender: number, to: number): number | undefined {
    const directory = this.#replicas()[sender]!.directory
    if (!directory.has(to)) return undefined
    return this.#nodeOfKey.get(toHex(directory.key(to)))
  }

  /** The nodes a 'broadcast' of `sender` reaches: every other one its directory holds. */
  broadcastTargets(sender: number): number[] {
    const directory = this.#replicas()[sender]!.directory
    return this.#keys.flatMap((k, node) => (node !== sender && directory.indexOf(k) !== undefined ? [node] : []))
  }

  /** `from` at `receiver` for a message of `sender`: its directory index of the sender's
   * key, or undefined (the message is dropped). */
  fromAt(receiver: number, sender: number): number | undefined {
    return this.#replicas()[receiver]!.directory.indexOf(this.#keys[sender]!)
  }
}

/** The number of signers in a signer bitmap. */
export function signerCount(bitmap: Uint8Array): number {
  let count = 0
  for (const byte of bitmap) for (let b = byte; b !== 0; b >>= 1) count += b & 1
  return count
}
