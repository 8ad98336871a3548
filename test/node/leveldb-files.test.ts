// The pieces the store check reads LevelDB's files with: CRC-32C and its mask, snappy
// decompression, and the MANIFEST's log records. Real LevelDB files are checked in
// store-damage.test.ts; these pin the formats on known values and malformed input.
import { describe, expect, it } from 'vitest'
import { crc32c, unmaskCrc } from '../../node/store/crc32c.ts'
import { readLogRecords } from '../../node/store/leveldb-files.ts'
import { snappyDecompress } from '../../node/store/snappy.ts'
import type { StoreFinding } from '../../node/store/errors.ts'

const utf8 = new TextEncoder()

function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0
}

/** One FULL record in LevelDB's log format: crc(4) length(2) type(1) data. */
function logRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(7 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, maskCrc(crc32c(data, crc32c(Uint8Array.of(1)))), true)
  view.setUint16(4, data.length, true)
  out[6] = 1
  out.set(data, 7)
  return out
}

describe('LevelDB file formats', () => {
  it('computes CRC-32C (RFC 3720 check values) and undoes LevelDB\'s mask', () => {
    expect(crc32c(utf8.encode('123456789')).toString(16)).toBe('e3069283')
    expect(crc32c(new Uint8Array(32)).toString(16)).toBe('8a9136aa')
    expect(crc32c(new Uint8Array(32).fill(0xff)).toString(16)).toBe('62a8ab43')
    const bytes = utf8.encode('a longer input that crosses the eight-byte steps')
    expect(crc32c(bytes.subarray(13), crc32c(bytes.subarray(0, 13)))).toBe(crc32c(bytes))
    for (const crc of [0, 1, 0xe3069283, 0xffffffff]) expect(unmaskCrc(maskCrc(crc))).toBe(crc)
  })

  it('decompresses snappy literals and copies, and refuses malformed input', () => {
    // 11 bytes: the literal "hello " then a copy of 5 bytes from 6 back.
    const input = Uint8Array.of(11, (6 - 1) << 2, ...utf8.encode('hello '), ((5 - 4) << 2) | 1, 6)
    expect(new TextDecoder().decode(snappyDecompress(input, 100))).toBe('hello hello')
    expect(() => snappyDecompress(input, 10)).toThrow(/above/)
    expect(() => snappyDecompress(Uint8Array.of(11, (6 - 1) << 2, ...utf8.encode('hello '), ((5 - 4) << 2) | 1, 9), 100)).toThrow(/outside/)
    expect(() => snappyDecompress(Uint8Array.of(12, (6 - 1) << 2, ...utf8.encode('hello '), ((5 - 4) << 2) | 1, 6), 100)).toThrow(/holds 11 of its 12/)
    expect(() => snappyDecompress(Uint8Array.of(0x80), 100)).toThrow(/truncated/)
  })

  it('reads log records and names a truncated or corrupted one', () => {
    const a = logRecord(utf8.encode('first edit'))
    const b = logRecord(utf8.encode('second edit'))
    const file = new Uint8Array([...a, ...b])
    let findings: StoreFinding[] = []
    expect(readLogRecords(file, 'M', findings).map((r) => new TextDecoder().decode(r))).toEqual(['first edit', 'second edit'])
    expect(findings).toEqual([])
    findings = []
    expect(readLogRecords(file.subarray(0, file.length - 3), 'M', findings)).toHaveLength(1)
    expect(findings.map((f) => f.code)).toEqual(['manifest-truncated'])
    const flipped = new Uint8Array(file)
    flipped[a.length + 9]! ^= 1
    findings = []
    expect(readLogRecords(flipped, 'M', findings)).toHaveLength(1)
    expect(findings.map((f) => f.code)).toEqual(['manifest-checksum'])
  })
})
