// Validator directory index (src/log/validator-directory.ts: the replica's, which `from`
// and `to` index) <-> libp2p peer id. A validator's peer id is its Ed25519 validator key
// (libp2p's identity multihash of the key), so a Noise-authenticated connection is bound
// to exactly one validator.
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { ValidatorInfo } from '../../src/log/validator-set.ts'

export class ValidatorDirectory {
  readonly #peerIds: PeerId[] = []
  readonly #indexByPeer = new Map<string, number>()

  constructor(validators: readonly ValidatorInfo[]) {
    this.add(validators)
  }

  get peerIds(): readonly PeerId[] {
    return this.#peerIds
  }

  /** Appends validators at the next indexes (a committed reconfiguration's new keys, as
   * the replica's directory learns them); returns their peer ids. A repeated key is
   * refused: an index names one key. */
  add(validators: readonly ValidatorInfo[]): PeerId[] {
    const added = validators.map((v) => peerIdFromPublicKey(publicKeyFromRaw(v.publicKey)))
    for (const p of added) {
      if (this.#indexByPeer.has(p.toString())) throw new RangeError(`peer ${p.toString()} is already at index ${this.#indexByPeer.get(p.toString())}`)
      this.#indexByPeer.set(p.toString(), this.#peerIds.length)
      this.#peerIds.push(p)
    }
    return added
  }

  get n(): number {
    return this.peerIds.length
  }

  indexOf(peer: PeerId | string): number | undefined {
    return this.#indexByPeer.get(typeof peer === 'string' ? peer : peer.toString())
  }

  peerId(index: number): PeerId {
    const peer = this.peerIds[index]
    if (peer === undefined) throw new RangeError(`no validator at index ${index} (n = ${this.n})`)
    return peer
  }
}

/** The libp2p peer id string of an Ed25519 public key. */
export function peerIdStringOf(publicKey: Uint8Array): string {
  return peerIdFromPublicKey(publicKeyFromRaw(publicKey)).toString()
}
