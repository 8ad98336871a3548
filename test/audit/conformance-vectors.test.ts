// The conformance vectors of docs/test-vectors.json (test/support/conformance-vectors.ts):
// every export is accepted or rejected by `synod audit`'s pipeline exactly as the file
// says, in one thread and with signature workers; every namespace and payload is
// accepted or refused by the entry reader as listed.
import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { runAudit } from '../../audit/run-audit.ts'
import { CodecError } from '../../src/codec/errors.ts'
import { fromHex, sha256, toHex } from '../../src/crypto/hash.ts'
import { decodeEntry, entryFromCbor, entryToCbor, signEntry, verifyEntrySignature } from '../../src/log/entry.ts'
import { genesisFromJson } from '../../src/log/genesis.ts'
import { payloadJsonProblem } from '../../src/log/payload-json.ts'
import { SignaturePool } from '../../node/workers/signature-pool.ts'
import { TestAgent } from '../support/chain-builder.ts'
import { chunked } from '../support/export-file.ts'

interface ExportVector { name: string, genesis: 'genesis' | 'limitsGenesis', hex: string, expect: { ok: true } | { code: string, height?: number, position?: number } }

const file = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'))
const conformance = file.conformance
const genesisOf = {
  genesis: genesisFromJson(file.genesis.json),
  limitsGenesis: genesisFromJson(conformance.limitsGenesis.json),
}
const exports = conformance.exports as ExportVector[]

const pool = new SignaturePool(2)
afterAll(() => pool.close())

describe.each([['in one thread', undefined], ['with signature workers', pool]] as const)('conformance exports (%s)', (_mode, pool) => {
  for (const vector of exports) {
    it(vector.name, async () => {
      const report = await runAudit(chunked(fromHex(vector.hex), 11), { genesis: genesisOf[vector.genesis], pool })
      if ('ok' in vector.expect) {
        expect(report.failure).toBeNull()
        expect(report.ok).toBe(true)
      } else {
        expect(report.ok).toBe(false)
        expect(report.failure).toMatchObject(vector.expect)
        // Where a failure has no height or position in the vector, the report has none either
        // (for an entry failure, the position is always given).
        if (vector.expect.position === undefined) expect(report.failure?.position).toBeUndefined()
      }
    })
  }
})

describe('conformance namespaces and payloads', () => {
  const genesis = genesisOf.genesis
  const agent = new TestAgent('conformance-test')
  const read = (namespace: string, payload: string) => entryFromCbor(entryToCbor(signEntry(
    { agent: agent.publicKey, namespace, seq: 1, payload, refs: [], idempotencyKey: '' }, genesis.chainId, agent.seed)))

  it('accepts exactly the valid namespaces', () => {
    for (const ns of conformance.namespaces.valid as string[]) expect(() => read(ns, '{}'), ns).not.toThrow()
    for (const ns of conformance.namespaces.invalid as string[]) expect(() => read(ns, '{}'), ns).toThrow(CodecError)
  })

  it('accepts exactly the valid payloads, which JSON.parse reads too', () => {
    for (const p of conformance.payloads.valid as string[]) {
      expect(payloadJsonProblem(p), p).toBeNull()
      expect(() => read('acme', p), p).not.toThrow()
      expect(() => JSON.parse(p), p).not.toThrow()
    }
    for (const p of conformance.payloads.invalid as string[]) {
      expect(payloadJsonProblem(p), p).not.toBeNull()
      // signEntry refuses to sign it, and no reader accepts it.
      expect(() => read('acme', p), p).toThrow(CodecError)
    }
  })

  it('counts payload size in UTF-8 bytes', () => {
    for (const { payload, bytes } of conformance.payloads.utf8Bytes as { payload: string, bytes: number }[]) {
      expect(Buffer.byteLength(payload, 'utf8')).toBe(bytes)
    }
  })

  it('an entry whose refs name no entry is valid: refs are opaque', () => {
    const entry = decodeEntry(fromHex(conformance.refsEntry.cbor))
    expect(verifyEntrySignature(entry, genesis.chainId)).toBe(true)
    expect(toHex(sha256(fromHex(conformance.refsEntry.cbor)))).toBe(conformance.refsEntry.id)
    expect(entry.refs.map(toHex)).toEqual(conformance.refsEntry.refs)
  })
})
