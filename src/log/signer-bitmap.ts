// Signer bitmaps: bit i (byte i >> 3, bit i & 7, least significant first) says that
// validator i signed. A certificate lists its signatures in ascending signer order.

export function bitmapOf(signers: readonly number[], n: number): Uint8Array {
  const bitmap = new Uint8Array(Math.ceil(n / 8))
  for (const i of signers) {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`signer ${i} is not a validator index (n = ${n})`)
    bitmap[i >> 3]! |= 1 << (i & 7)
  }
  return bitmap
}

/** The signer indexes in ascending order, or null if the bitmap is malformed for n. */
export function signersOf(bitmap: Uint8Array, n: number): number[] | null {
  if (bitmap.length !== Math.ceil(n / 8)) return null
  const signers: number[] = []
  for (let i = 0; i < bitmap.length * 8; i++) {
    if ((bitmap[i >> 3]! & (1 << (i & 7))) === 0) continue
    if (i >= n) return null // a bit past the last validator
    signers.push(i)
  }
  return signers
}
