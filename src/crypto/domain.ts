// Domain separation: every signature covers the canonical encoding of
//   ["synod/v1", kind, chainId, body]
// so a signature made for one kind of message, or on one chain, can never be replayed
// as another kind or on another chain.
import { encodeCanonical, type CborValue } from '../codec/cbor.ts'
import { ED25519, type SignatureScheme } from './signature-scheme.ts'

export const DOMAIN_TAG = 'synod/v1'

/** Every kind of CBOR-signed message. A new kind needs a new name here and in
 * docs/formats.md. (Commit signatures are not among them: a validator signs a commit as
 * a C2SP checkpoint note text, src/log/checkpoint-note.ts, which begins with the origin
 * line "synod/<chainId>", never with the CBOR array header 0x84 these begin with.) */
export const SIGNED_KINDS = ['entry', 'proposal', 'vote', 'timeout', 'reconfigure'] as const
export type SignedKind = (typeof SIGNED_KINDS)[number]

export function domainMessage(kind: SignedKind, chainId: string, body: CborValue): Uint8Array {
  return encodeCanonical([DOMAIN_TAG, kind, chainId, body])
}

export function signDomain(seed: Uint8Array, kind: SignedKind, chainId: string, body: CborValue, scheme: SignatureScheme = ED25519): Uint8Array {
  return scheme.sign(seed, domainMessage(kind, chainId, body))
}

export function verifyDomain(
  publicKey: Uint8Array, kind: SignedKind, chainId: string, body: CborValue, signature: Uint8Array, scheme: SignatureScheme = ED25519,
): boolean {
  return scheme.verify(publicKey, domainMessage(kind, chainId, body), signature)
}
