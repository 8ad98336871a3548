// Record framing of the export format: the minimal multiformats unsigned varint, at most
// 9 bytes, then at most 8 MiB of canonical CBOR.
import { describe, expect, it } from 'vitest'
import { frameBytes, RecordFramingError, RecordReader } from '../../src/log/export.ts'
import { LIMITS } from '../../src/limits.ts'

function readAll(bytes: Uint8Array): Uint8Array[] {
  const reader = new RecordReader()
  reader.push(bytes)
  const out: Uint8Array[] = []
  for (let r = reader.nextBytes(); r !== null; r = reader.nextBytes()) out.push(r)
  expect(reader.pendingBytes).toBe(0)
  return out
}

function framingError(bytes: Uint8Array): RecordFramingError {
  const reader = new RecordReader()
  reader.push(bytes)
  try {
    reader.nextBytes()
  } catch (err) {
    if (err instanceof RecordFramingError) return err
    throw err
  }
  throw new Error('no framing error')
}

describe('export record framing', () => {
  it('reads back minimal lengths at every prefix size boundary', () => {
    for (const length of [1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) {
      const body = new Uint8Array(length).fill(7)
      const framed = frameBytes(body)
      expect(framed.length - length).toBe(length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4)
      expect(readAll(framed)).toEqual([body])
    }
  })

  it('regression: a non-minimal record length (n|0x80, 0x00) was accepted', () => {
    expect(framingError(Uint8Array.of(0x85, 0x00, 1, 2, 3, 4, 5))).toMatchObject({ code: 'record-length' })
    expect(framingError(Uint8Array.of(0x80, 0x80, 0x00))).toMatchObject({ code: 'record-length' })
    expect(framingError(Uint8Array.of(0xff, 0x80, 0x00))).toMatchObject({ code: 'record-length' })
  })

  it('refuses a prefix of more than 9 bytes, and a length over the record limit', () => {
    expect(framingError(new Uint8Array(9).fill(0x81))).toMatchObject({ code: 'record-length' })
    // 8 MiB + 1 = 8388609: 81 80 80 04. Refused from the prefix alone, before the body arrives.
    expect(LIMITS.messageBytesMax).toBe(8 * 1024 * 1024)
    expect(framingError(Uint8Array.of(0x81, 0x80, 0x80, 0x04))).toMatchObject({ code: 'record-too-large' })
  })
})
