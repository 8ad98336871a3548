import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { decodeEntry, encodeEntry, entryId, entryToCbor } from '../../src/log/entry.ts'
import { sha256 } from '../../src/crypto/hash.ts'
import { TestAgent } from '../support/chain-builder.ts'

describe('decodeEntry', () => {
  it('keeps the decoded bytes as the entry\'s encoding, unaffected by later writes to the buffer', () => {
    const agent = new TestAgent('entry-decode')
    for (const payload of [{}, { text: 'naïve ✓' }, { list: [1, 2, 3], nested: { a: null } }]) {
      const original = agent.entry('entry-decode-chain', 'test/decode', payload)
      const bytes = Uint8Array.from(encodeCanonical(entryToCbor(original)))
      const buffer = Uint8Array.from(bytes)
      const decoded = decodeEntry(buffer)
      expect(encodeEntry(decoded)).toEqual(bytes)
      expect(entryId(decoded)).toEqual(sha256(bytes))
      buffer.fill(0)
      expect(encodeEntry(decoded)).toEqual(bytes)
    }
  })
})
