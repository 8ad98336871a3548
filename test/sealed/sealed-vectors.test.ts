// The sealed vectors of docs/test-vectors.json (docs/formats.md section 14) read back from
// the file, as another implementation would: the example's commitments recomputed with
// plain SHA-256 over the CBOR given, its blob opened with the SDK's Web Crypto code,
// payloads classified, sidecars checked, and the log's erasures recomputed.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { entryFromCbor, entryId } from '../../src/log/entry.ts'
import { fromJson } from '../../src/log/json.ts'
import { PolicyLedger } from '../../src/governance/ledger.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { ErasureLedger } from '../../src/sealed/erasure.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { checkSidecar } from '../../src/sealed/sidecar.ts'
import { openSealed } from '../../sdk/sealing.ts'

/* eslint-disable @typescript-eslint/no-explicit-any */
const vectors = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8')).sealed

function sha256Hex(hex: string): string {
  return createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex')
}

describe('sealed vectors (docs/test-vectors.json)', () => {
  const ex = vectors.example

  it('the example: commitments are SHA-256 of the CBOR inputs, which hold the blob and the key', () => {
    expect(sha256Hex(ex.commitmentInput)).toBe(ex.commitment)
    expect(sha256Hex(ex.keyCommitmentInput)).toBe(ex.keyCommitment)
    // CBOR(["synod/v1", "sealed-blob", blob]): array(3), text(8), text(11), bytes(n) header.
    expect(ex.commitmentInput.startsWith('8368' + Buffer.from('synod/v1').toString('hex') + '6b' + Buffer.from('sealed-blob').toString('hex'))).toBe(true)
    expect(ex.commitmentInput.endsWith(ex.blob)).toBe(true)
    expect(ex.keyCommitmentInput.endsWith('5820' + ex.key)).toBe(true)
    expect(ex.blob.startsWith(ex.nonce)).toBe(true)
    const read = readSealedPayload({ payload: ex.payload, refs: [] })
    expect(read.type).toBe('sealed')
    if (read.type !== 'sealed') return
    expect(toHex(read.spec.commitment)).toBe(ex.commitment)
    expect(read.spec.size).toBe(Buffer.byteLength(ex.plaintext))
    expect(ex.blob.length / 2).toBe(read.spec.size + 28)
  })

  it('the example opens with Web Crypto (the SDK) to the plaintext sealed with OpenSSL', async () => {
    const read = readSealedPayload({ payload: ex.payload, refs: [] })
    if (read.type !== 'sealed') throw new Error('not sealed')
    expect(await openSealed(read.spec, { blob: fromHex(ex.blob), key: fromHex(ex.key) })).toBe(ex.plaintext)
  })

  it.each(vectors.payloads as any[])('payload: $name', (p) => {
    expect(readSealedPayload({ payload: p.payload, refs: Array.from({ length: p.refs }, () => new Uint8Array(32)) }).type).toBe(p.expect)
  })

  it.each(vectors.sidecars as any[])('sidecar: $name', (c) => {
    const read = readSealedPayload({ payload: ex.payload, refs: [] })
    if (read.type !== 'sealed') throw new Error('not sealed')
    expect(checkSidecar(read.spec, { blob: fromHex(c.blob), key: c.key === null ? null : fromHex(c.key) })?.code ?? null).toBe(c.expect)
  })

  it('the log: each sealed entry erased by the recorded erase, the recorded erases ignored', () => {
    const policy = { open: vectors.policy.open, namespaces: Object.fromEntries(Object.entries(vectors.policy.namespaces as Record<string, string[]>).map(([ns, keys]) => [ns, keys.map(fromHex)])) }
    const ledger = new ErasureLedger(policy)
    for (const r of vectors.log) {
      const entry = entryFromCbor(fromJson(r.entry))
      expect(toHex(entryId(entry))).toBe(r.id)
      ledger.append({ entry, index: r.index, height: r.height })
    }
    expect([...ledger.states()].map((s) => ({ id: s.id, erasedBy: s.erasedBy?.id ?? null }))).toEqual(vectors.sealed)
    expect(ledger.anomalies().examples.map((a) => ({ entry: a.entry, code: a.code }))).toEqual(vectors.ignored)
    // Every rule is exercised: an erased entry, one left sealed, each ignored code.
    expect(new Set(vectors.ignored.map((a: any) => a.code))).toEqual(new Set(['erase-of-unknown-entry', 'erase-not-allowed', 'erase-wrong-namespace', 'repeated-erase', 'malformed-sealed']))
    expect(vectors.sealed.filter((s: any) => s.erasedBy === null)).toHaveLength(1)
  })

  it('the governed log: admins and a closed namespace\'s writers erase, retention erases at its height, strangers do not', () => {
    const g = vectors.governed
    const governance = { admins: new Map(Object.entries(g.governance.admins as Record<string, string[]>).map(([ns, keys]) => [ns, keys.map(fromHex)])) }
    // The policy ledger reads the genesis's governance member only.
    const policies = new PolicyLedger({ chainId: 'vectors', governance } as unknown as Genesis)
    const ledger = new ErasureLedger({ open: g.policy.open, namespaces: {} })
    let height = 0
    for (const r of g.log) {
      const entry = entryFromCbor(fromJson(r.entry))
      expect(toHex(entryId(entry))).toBe(r.id)
      if (r.height !== height) {
        policies.advanceTo(r.height - 1)
        height = r.height
      }
      ledger.append({ entry, index: r.index, height: r.height }, policies.state)
      expect(policies.append({ entry, index: r.index, height: r.height })).toBeNull()
    }
    ledger.advanceTo(g.heights)
    expect([...ledger.states()].map((s) => ({
      id: s.id, expiresAt: s.expiresAt,
      erasedBy: s.erasedBy === null ? null : s.erasedBy.by === 'erase' ? { by: 'erase', id: s.erasedBy.id, height: s.erasedBy.height } : { by: 'retention', height: s.erasedBy.height },
    }))).toEqual(g.sealed)
    expect(ledger.anomalies().examples.map((a) => ({ entry: a.entry, code: a.code }))).toEqual(g.ignored)
    expect(g.sealed.map((s: any) => s.erasedBy?.by ?? 'kept').sort()).toEqual(['erase', 'erase', 'kept', 'retention', 'retention'])
  })
})
