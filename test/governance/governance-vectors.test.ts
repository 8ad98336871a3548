// The governance vectors of docs/test-vectors.json (docs/formats.md section 13) read back
// from the file, as another implementation would: the genesis re-encoded and hashed,
// payloads classified, schemas applied, and the blocks' candidates judged in order.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryFromCbor, entryId } from '../../src/log/entry.ts'
import { genesisFromJson, genesisHash, genesisToCbor } from '../../src/log/genesis.ts'
import { fromJson } from '../../src/log/json.ts'
import { PolicyLedger } from '../../src/governance/ledger.ts'
import { readPolicyPayload } from '../../src/governance/policy-payload.ts'
import { readSchema, schemaMismatch } from '../../src/governance/schema.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
const file = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'))
const vectors = file.governance

describe('governance vectors (docs/test-vectors.json)', () => {
  const genesis = genesisFromJson(vectors.genesis.json)

  it('the governed genesis encodes and hashes as recorded; the plain vectors genesis has no governance member', () => {
    expect(toHex(encodeCanonical(genesisToCbor(genesis)))).toBe(vectors.genesis.cbor)
    expect(toHex(genesisHash(genesis))).toBe(vectors.genesis.hash)
    expect(Object.hasOwn(file.genesis.json, 'governance')).toBe(false)
  })

  it.each(vectors.payloads as any[])('payload: $name', (p) => {
    expect(readPolicyPayload({ payload: p.payload }).type).toBe(p.expect)
  })

  it.each(vectors.schemas as any[])('schema: $name', (s) => {
    const schema = readSchema(s.schema)
    if (typeof schema === 'string') throw new Error(schema)
    expect(schemaMismatch(schema, JSON.parse(s.payload)) === null ? 'ok' : 'mismatch').toBe(s.expect)
  })

  it('each candidate gets its recorded verdict, and the records after the blocks are as recorded', () => {
    const ledger = new PolicyLedger(genesis)
    let index = 0
    const rules = new Set<string>()
    for (const block of vectors.blocks) {
      for (const c of block.entries) {
        const entry = entryFromCbor(fromJson(c.entry))
        expect(toHex(entryId(entry))).toBe(c.id)
        const rule = ledger.append({ entry, index: index++, height: block.height })?.rule ?? null
        expect(rule).toBe(c.expect)
        if (rule !== null) rules.add(rule)
      }
    }
    ledger.advanceTo(vectors.blocks.at(-1).height)
    const records = [...ledger.state.records()].map((r) => ({ namespace: r.namespace, entry: r.entry, height: r.height, writers: r.spec.writers, admins: r.spec.admins }))
    expect(records).toEqual(vectors.records)
    expect(rules).toEqual(new Set(['policy-not-admin', 'entry-not-writer', 'entry-schema-mismatch', 'policy-malformed']))
  })
})
