// The frames of the sidecar protocol (/synod/sidecar/1, docs/protocol.md "Sidecar
// replication"): one canonical CBOR map per frame, told apart by its member `t`.
//   have    { t: "have", id, key }                   I hold the sidecar of sealed entry `id` (`key`: with its key)
//   want    { t: "want", id }                        send me the sidecar of `id` (answered on the stream)
//   sidecar { t: "sidecar", id, blob, key }          the answer: what the sender holds (`key` null if none)
//   none    { t: "none", id, held: "missing" | "erased" }  the answer: nothing to send, and why
// 'have' and 'want' open a stream; 'sidecar' and 'none' only answer a 'want'. Decoding
// checks shapes and byte bounds only; whether a sidecar matches its entry is the
// receiver's check (node/runtime/sidecar-checks.ts).
import { decodeCanonical, encodeCanonical, type CborValue } from '../../src/codec/cbor.ts'
import { CodecError } from '../../src/codec/errors.ts'
import { readBool, readBytes, readMap, readText } from '../../src/codec/schema.ts'
import type { Hash } from '../../src/log/entry.ts'
import { LIMITS } from '../../src/limits.ts'
import { SEALED_KEY_BYTES } from '../../src/sealed/payload.ts'
import { SEALED_OVERHEAD_BYTES, type Sidecar } from '../../src/sealed/sidecar.ts'
import { NODE_LIMITS } from '../limits.ts'

export type SidecarFrame =
  | { readonly t: 'have', readonly id: Hash, readonly key: boolean }
  | { readonly t: 'want', readonly id: Hash }
  | { readonly t: 'sidecar', readonly id: Hash, readonly sidecar: Sidecar }
  | { readonly t: 'none', readonly id: Hash, readonly held: 'missing' | 'erased' }

/** The largest blob a frame may carry: the largest sealed plaintext and its overhead. */
export const FRAME_BLOB_BYTES_MAX = LIMITS.sealedPlaintextBytesMax + SEALED_OVERHEAD_BYTES

export function encodeSidecarFrame(frame: SidecarFrame): Uint8Array {
  switch (frame.t) {
    case 'have':
      return encodeCanonical({ t: 'have', id: frame.id, key: frame.key })
    case 'want':
      return encodeCanonical({ t: 'want', id: frame.id })
    case 'sidecar':
      return encodeCanonical({ t: 'sidecar', id: frame.id, blob: frame.sidecar.blob, key: frame.sidecar.key })
    case 'none':
      return encodeCanonical({ t: 'none', id: frame.id, held: frame.held })
  }
}

/** Throws CodecError for bytes that are no sidecar frame (a reject: malformed). The key
 * is bounded at its one valid length's size, not checked to be it: a short key is the
 * receiver's `sidecar-key-size`, as for an upload. */
export function decodeSidecarFrame(bytes: Uint8Array): SidecarFrame {
  const value = decodeCanonical(bytes, NODE_LIMITS.sidecarFrameBytesMax)
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array || !Object.hasOwn(value, 't')) {
    throw new CodecError('a sidecar frame is a map with a member t')
  }
  const t = (value as { readonly t: CborValue }).t
  switch (t) {
    case 'have': {
      const m = readMap(value, 'sidecar frame \'have\'', ['t', 'id', 'key'])
      return { t, id: readBytes(m.id, 'have.id', 32), key: readBool(m.key, 'have.key') }
    }
    case 'want': {
      const m = readMap(value, 'sidecar frame \'want\'', ['t', 'id'])
      return { t, id: readBytes(m.id, 'want.id', 32) }
    }
    case 'sidecar': {
      const m = readMap(value, 'sidecar frame \'sidecar\'', ['t', 'id', 'blob', 'key'])
      const blob = readBytes(m.blob, 'sidecar.blob', undefined, FRAME_BLOB_BYTES_MAX)
      const key = m.key === null ? null : readBytes(m.key, 'sidecar.key', undefined, SEALED_KEY_BYTES)
      return { t, id: readBytes(m.id, 'sidecar.id', 32), sidecar: { blob, key } }
    }
    case 'none': {
      const m = readMap(value, 'sidecar frame \'none\'', ['t', 'id', 'held'])
      const held = readText(m.held, 'none.held', 16)
      if (held !== 'missing' && held !== 'erased') throw new CodecError(`none.held: '${held}' is neither 'missing' nor 'erased'`)
      return { t, id: readBytes(m.id, 'none.id', 32), held }
    }
    default:
      throw new CodecError(`sidecar frame: unknown t ${JSON.stringify(typeof t === 'string' ? t.slice(0, 20) : typeof t)}`)
  }
}
