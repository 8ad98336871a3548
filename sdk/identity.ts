// An agent's identity: an Ed25519 key pair from a 32-byte seed. The public key is the
// agent's name in the log; the seed never leaves this object except through
// exportSeed() (for saving it: see identity-file.ts on Node). Browser-safe: a new seed
// comes from the global Web Crypto's getRandomValues.
import { publicKeyFromSeed, SEED_BYTES } from '../src/crypto/ed25519.ts'
import { fromHex, toHex } from '../src/crypto/hash.ts'
import { signEntry, type Entry, type EntryBody } from '../src/log/entry.ts'

export class AgentIdentity {
  readonly #seed: Uint8Array
  /** The agent's Ed25519 public key (32 bytes). */
  readonly publicKey: Uint8Array
  /** The public key as 64 lower-case hex characters. */
  readonly publicKeyHex: string

  private constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) throw new RangeError(`an agent seed is ${SEED_BYTES} bytes`)
    this.#seed = Uint8Array.from(seed)
    this.publicKey = publicKeyFromSeed(this.#seed)
    this.publicKeyHex = toHex(this.publicKey)
  }

  /** A new identity from 32 bytes of the platform's cryptographic randomness. */
  static generate(): AgentIdentity {
    const seed = new Uint8Array(SEED_BYTES)
    globalThis.crypto.getRandomValues(seed)
    return new AgentIdentity(seed)
  }

  /** The identity of a known seed (32 bytes, or 64 hex characters). */
  static fromSeed(seed: Uint8Array | string): AgentIdentity {
    if (typeof seed === 'string') {
      if (!/^[0-9a-f]{64}$/i.test(seed)) throw new RangeError('an agent seed in hex is 64 hex characters')
      return new AgentIdentity(fromHex(seed))
    }
    return new AgentIdentity(seed)
  }

  /** Signs an entry body for the given chain (the agent field must be this identity's key). */
  sign(body: Omit<EntryBody, 'agent'>, chainId: string): Entry {
    return signEntry({ ...body, agent: this.publicKey }, chainId, this.#seed)
  }

  /** The secret seed: only to store it. Anyone holding it can write as this agent. */
  exportSeed(): Uint8Array {
    return Uint8Array.from(this.#seed)
  }

  /** Never serialises the seed by accident. */
  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKeyHex }
  }
}
