// Standard base64 (RFC 4648 section 4: alphabet A-Z a-z 0-9 + /, '=' padding), as the
// C2SP signed-note, checkpoint and witness formats use it. Decoding is strict: padding
// is required, no whitespace, and the unused low bits of the last character must be
// zero, so every byte string has exactly one accepted text (a signature line cannot be
// varied without changing its bytes). Written out here rather than taken from Buffer
// or atob, because the SDK runs in browsers and atob accepts non-canonical input.
import { CodecError } from './errors.ts'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const VALUES = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]))

export function toBase64(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0
    out += ALPHABET[a >> 2]! + ALPHABET[((a & 3) << 4) | (b >> 4)]!
    out += i + 1 < bytes.length ? ALPHABET[((b & 15) << 2) | (c >> 6)]! : '='
    out += i + 2 < bytes.length ? ALPHABET[c & 63]! : '='
  }
  return out
}

/** Decodes canonical padded base64; throws CodecError on anything else. */
export function fromBase64(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0) throw new CodecError('base64 length is not a multiple of 4')
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - pad)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length
    const digits: number[] = []
    for (let j = 0; j < 4; j++) {
      const ch = text[i + j]!
      if (ch === '=' && last && j >= 4 - pad) continue
      const v = VALUES.get(ch)
      if (v === undefined) throw new CodecError(`'${ch}' at ${i + j} is not a base64 character`)
      digits.push(v)
    }
    const [d0 = 0, d1 = 0, d2 = 0, d3 = 0] = digits
    out[o++] = (d0 << 2) | (d1 >> 4)
    if (digits.length > 2) out[o++] = ((d1 & 15) << 4) | (d2 >> 2)
    if (digits.length > 3) out[o++] = ((d2 & 3) << 6) | d3
    // Canonical form: the bits that the padding leaves unused are zero.
    if (digits.length === 2 && (d1 & 15) !== 0) throw new CodecError('base64 has non-zero padding bits')
    if (digits.length === 3 && (d2 & 3) !== 0) throw new CodecError('base64 has non-zero padding bits')
  }
  return out
}
