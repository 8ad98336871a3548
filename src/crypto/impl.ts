/**
 * The primitives that differ between Node's built-in crypto (OpenSSL, fast) and @noble
 * (portable, runs in browsers). Both must give byte-identical hashes and signatures, and
 * the same answer from `verifyEquation` (libsodium's too, where it is used) for every input that passed the strict prechecks
 * in ed25519.ts. The package.json `#crypto-impl` import picks one per platform.
 */
export interface CryptoImpl {
  /** 'sodium': Node's crypto with libsodium's verify (impl-sodium.ts). */
  readonly name: 'node' | 'noble' | 'sodium'
  sha256(data: Uint8Array): Uint8Array
  /** Lower-case hex of the bytes, as a flat string (hash.ts toHex: the key of most maps). */
  toHex(bytes: Uint8Array): string
  /** Ed25519 public key of a 32-byte seed (RFC 8032 section 5.1.5). */
  publicKeyFromSeed(seed: Uint8Array): Uint8Array
  /** Ed25519 signature (RFC 8032 section 5.1.6); deterministic. */
  sign(seed: Uint8Array, message: Uint8Array): Uint8Array
  /**
   * The cofactorless verification equation [S]B = R + [k]A, with R compared by its
   * encoding. Callers run the strict prechecks first (ed25519.ts), which make the two
   * implementations agree on every input.
   */
  verifyEquation(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}
