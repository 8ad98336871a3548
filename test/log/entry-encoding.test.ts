import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { domainMessage } from '../../src/crypto/domain.ts'
import { directEntryEncoding, directEntrySigningMessage } from '../../src/log/entry-encoding.ts'
import type { Entry } from '../../src/log/entry.ts'

// The direct encoders must give exactly the generic canonical encoder's bytes: an entry's
// id, leaf and signature all depend on them.

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 30 }))
const bytes = fc.uint8Array({ maxLength: 300 })
const seq = fc.oneof(fc.nat(30), fc.nat(300), fc.nat(70_000), fc.maxSafeNat(), fc.constantFrom(23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER))
const entry: fc.Arbitrary<Entry> = fc.record({
  agent: bytes,
  namespace: text,
  seq,
  payload: text,
  refs: fc.array(bytes, { maxLength: 30 }),
  idempotencyKey: text,
  sig: bytes,
})

const hex = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('hex'))

function generic(e: Entry): Uint8Array {
  return encodeCanonical({ agent: e.agent, namespace: e.namespace, seq: e.seq, payload: e.payload, refs: e.refs, key: e.idempotencyKey, sig: e.sig })
}

function genericSigningMessage(e: Entry, chainId: string): Uint8Array {
  return domainMessage('entry', chainId, { agent: e.agent, namespace: e.namespace, seq: e.seq, payload: e.payload, refs: e.refs, key: e.idempotencyKey })
}

describe('direct entry encodings', () => {
  it('are the canonical encodings, byte for byte', () => {
    fc.assert(fc.property(entry, text, (e, chainId) => {
      expect(hex(directEntryEncoding(e))).toBe(hex(generic(e)))
      expect(hex(directEntrySigningMessage(e, chainId))).toBe(hex(genericSigningMessage(e, chainId)))
    }), { numRuns: 3000 })
  })

  it('leave values outside the usual shape to the generic encoder', () => {
    const base: Entry = { agent: new Uint8Array(32), namespace: 'a/b', seq: 1, payload: '{}', refs: [], idempotencyKey: '', sig: new Uint8Array(64) }
    const odd: Entry[] = [
      { ...base, seq: -1 },
      { ...base, seq: 1.5 },
      { ...base, seq: 2 ** 53 },
      { ...base, payload: 'lone \ud800 surrogate' },
      { ...base, namespace: 7 as unknown as string },
      { ...base, refs: ['x' as unknown as Uint8Array] },
      { ...base, sig: [1, 2] as unknown as Uint8Array },
    ]
    for (const e of odd) expect(directEntryEncoding(e)).toBeNull()
    expect(directEntrySigningMessage(base, 'chain \udc00')).toBeNull()
  })
})
