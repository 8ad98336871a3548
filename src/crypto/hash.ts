import impl from '#crypto-impl'

export const HASH_BYTES = 32

/** SHA-256 with this platform's implementation. */
export function sha256(data: Uint8Array): Uint8Array {
  return impl.sha256(data)
}

/** Lower-case hex, with this platform's implementation (a flat string: see impl-node.ts). */
export function toHex(bytes: Uint8Array): string {
  return impl.toHex(bytes)
}

export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError('expected an even-length hex string')
  }
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}
