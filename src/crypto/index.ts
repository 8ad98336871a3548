export { sha256, toHex, fromHex, HASH_BYTES } from './hash.ts'
export {
  verifySignature, signMessage, publicKeyFromSeed, verifyWith, passesStrictPrechecks,
  PUBLIC_KEY_BYTES, SIGNATURE_BYTES, SEED_BYTES, cryptoImplName,
} from './ed25519.ts'
export { domainMessage, signDomain, verifyDomain, SIGNED_KINDS, DOMAIN_TAG, type SignedKind } from './domain.ts'
export type { CryptoImpl } from './impl.ts'
export { ED25519, type SignatureScheme } from './signature-scheme.ts'
