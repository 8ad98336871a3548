// The signature scheme a signer and a verifier use, passed to them explicitly: every
// signing and checking function of the core takes one, and defaults to ED25519, the
// chain's one rule (ed25519.ts). Production never passes anything else: the node, the
// SDK, the auditor and the CLI's daemon commands construct no other scheme, and nothing
// they read (config, HTTP, flags) selects one. The simulator passes a cheap stand-in
// (scenarios/sim/standin-signatures.ts) that gives the same verdicts on forgeries.
import { signMessage, verifySignature } from './ed25519.ts'

export interface SignatureScheme {
  /** 'ed25519' for the real rule; anything else is a simulation's stand-in. */
  readonly name: string
  /** A deterministic 64-byte signature of `message` by the holder of the 32-byte `seed`. */
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array
  /** True only for a signature that the holder of `publicKey`'s seed made over exactly `message`. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}

/** Synod's Ed25519: strict prechecks and the cofactorless equation (ed25519.ts). */
export const ED25519: SignatureScheme = Object.freeze({
  name: 'ed25519',
  sign: signMessage,
  verify: verifySignature,
})
