// libsodium's Ed25519 verify (through the optional sodium-native package): about 2.4x
// OpenSSL's here, so the node's hot-path equation when it loads (impl-node.ts picks it).
//
// Why its verdicts are Synod's (docs/formats.md section 2, docs/performance.md): libsodium's
// stable line (1.0.16 to 1.0.21; sodium-native 5.1.0 builds stable commit e18eee6, 1.0.21)
// rejects S >= L, a non-canonical A, and A or R on its small-order blocklist (a subset of
// what Synod's prechecks reject), then computes R' = [S]B - [k]A and compares encode(R')
// with R byte for byte: the cofactorless equation, as OpenSSL does. libsodium's development
// branch has since moved to a cofactored check (R - R' of small order), which accepts
// signatures Synod rejects. So the version is pinned, and before use the library must give
// the expected verdict on canary vectors that tell the two equations apart; if it does not
// (or does not load), the node falls back to OpenSSL. Node-only: never bundled for
// browsers (only impl-node.ts imports this file).
import { createRequire } from 'node:module'

/** The one sodium-native function used; typed here, since the package ships no types. */
interface SodiumNative {
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean
}

/** `verifyEquation` as in impl.ts: the caller ran the strict prechecks of ed25519.ts. */
export type VerifyEquation = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean

export type SodiumLoad =
  | { readonly ok: true, readonly verifyEquation: VerifyEquation }
  | { readonly ok: false, readonly reason: string }

/**
 * Inputs that pass Synod's prechecks and on which a cofactored verifier, or one that does not
 * hash the message, would answer differently from the cofactorless equation. From "Taming the
 * many EdDSAs" (ed25519-speccheck cases 3, 4, 5; mixed-order A and R) and RFC 8032 TEST 2.
 */
const CANARIES: readonly { readonly pk: string, readonly msg: string, readonly sig: string, readonly valid: boolean, readonly why: string }[] = [
  { why: 'RFC 8032 TEST 2', valid: true, pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', msg: '72', sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00' },
  { why: 'RFC 8032 TEST 2, other message', valid: false, pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', msg: '73', sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00' },
  { why: 'speccheck 3: mixed A and R, cofactorless equation holds', valid: true, pk: 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', msg: '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79', sig: '9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009' },
  { why: 'speccheck 4: cofactored equation only', valid: false, pk: 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', msg: 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', sig: '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09' },
  { why: 'speccheck 5: cofactored equation only (unreduced 8h)', valid: false, pk: 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', msg: 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', sig: '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405' },
]

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16))
}

/** The first canary the verifier gets wrong, or null when it answers all as expected. */
export function failedCanary(verify: VerifyEquation): string | null {
  for (const c of CANARIES) {
    let verdict: boolean
    try {
      verdict = verify(bytes(c.pk), bytes(c.msg), bytes(c.sig))
    } catch (err) {
      return `${c.why}: threw ${(err as Error).message}`
    }
    if (verdict !== c.valid) return `${c.why}: ${verdict ? 'accepted' : 'rejected'}, expected ${c.valid ? 'accept' : 'reject'}`
  }
  return null
}

/** Loads sodium-native and checks its verdicts; never throws. `from` resolves the package (tests). */
export function loadSodiumVerifier(from: string = import.meta.url): SodiumLoad {
  let sodium: SodiumNative
  try {
    sodium = createRequire(from)('sodium-native') as SodiumNative
    if (typeof sodium.crypto_sign_verify_detached !== 'function') return { ok: false, reason: 'sodium-native has no crypto_sign_verify_detached' }
  } catch (err) {
    return { ok: false, reason: `sodium-native did not load: ${(err as Error).message.split('\n')[0]}` }
  }
  const verifyEquation: VerifyEquation = (publicKey, message, signature) => {
    try {
      return sodium.crypto_sign_verify_detached(signature, message, publicKey)
    } catch {
      return false // its argument asserts: unreachable after the prechecks
    }
  }
  const failed = failedCanary(verifyEquation)
  if (failed !== null) return { ok: false, reason: `sodium-native's Ed25519 verify departs from Synod's rule (${failed})` }
  return { ok: true, verifyEquation }
}
