// The `epochs` section of docs/test-vectors.json (docs/formats.md section 15): the
// approval statements verify with bare SHA-256, CBOR and Ed25519 (not Synod's own path);
// every export is accepted or refused by `synod audit`'s pipeline as listed, in one
// thread and with signature workers; every receipt by verifyReceipt as listed.
import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { afterAll, describe, expect, it } from 'vitest'
import { runAudit } from '../../audit/run-audit.ts'
import { decodeCanonical, encodeCanonical } from '../../src/codec/cbor.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { genesisFromJson } from '../../src/log/genesis.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { SignaturePool } from '../../node/workers/signature-pool.ts'
import { chunked } from '../support/export-file.ts'

type Expect = { ok: true } | { code: string, height?: number, position?: number }
interface ValidatorJson { name: string, publicKey: string, addresses: string[] }
interface Change { epoch: number, boundaryHeight: number, previous: string, validators: ValidatorJson[], expires: number, signingMessage: string, signers: string, sigs: string[], payload: string }

const file = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'))
const section = file.epochs as { genesis: { json: { validators: ValidatorJson[] } }, changes: Change[], exports: { name: string, hex: string, expect: Expect }[], receipts: { name: string, receipt: unknown, expect: Expect }[] }
const genesis = genesisFromJson(section.genesis.json)

function setHash(validators: readonly ValidatorJson[]): string {
  return toHex(sha256(encodeCanonical(validators.map((v) => ({ name: v.name, publicKey: fromHex(v.publicKey), addresses: v.addresses })))))
}

describe('epoch changes in docs/test-vectors.json, with bare primitives', () => {
  it('chain from the genesis set: each names the hash of the set before it and is signed by a quorum of it', () => {
    let previous = section.genesis.json.validators
    expect(section.changes.map((c) => c.epoch)).toEqual([1, 2])
    for (const change of section.changes) {
      expect(change.previous).toBe(setHash(previous))
      // The signing message is CBOR(["synod/v1", "reconfigure", chainId, {epoch, previous, validators}]).
      const message = decodeCanonical(fromHex(change.signingMessage)) as unknown[]
      expect(message.slice(0, 3)).toEqual(['synod/v1', 'reconfigure', genesis.chainId])
      const statement = message[3] as { epoch: number, expires: number, previous: Uint8Array }
      expect(toHex(statement.previous)).toBe(change.previous)
      expect([statement.epoch, statement.expires]).toEqual([change.epoch, change.expires])
      expect(change.boundaryHeight).toBeLessThanOrEqual(change.expires)
      const signers = fromHex(change.signers)
      const who = Array.from({ length: previous.length }, (_, i) => i).filter((i) => (signers[i >> 3]! & (1 << (i & 7))) !== 0)
      const n = previous.length
      const quorum = Math.ceil((n + Math.floor((n - 1) / 3) + 1) / 2)
      expect(who.length).toBeGreaterThanOrEqual(quorum)
      expect(change.sigs).toHaveLength(who.length)
      who.forEach((i, p) => expect(ed25519.verify(fromHex(change.sigs[p]!), fromHex(change.signingMessage), fromHex(previous[i]!.publicKey))).toBe(true))
      // The payload carries exactly these approvals and this set.
      const payload = JSON.parse(change.payload) as { synod: string, epoch: number, expires: number, validators: ValidatorJson[], signers: string, sigs: string[] }
      expect(payload).toEqual({ synod: 'reconfigure', epoch: change.epoch, expires: change.expires, validators: change.validators, signers: change.signers, sigs: change.sigs })
      previous = change.validators
    }
  })
})

const pool = new SignaturePool(2)
afterAll(() => pool.close())

describe.each([['in one thread', undefined], ['with signature workers', pool]] as const)('epoch exports (%s)', (_mode, pool) => {
  for (const vector of section.exports) {
    it(vector.name, async () => {
      const report = await runAudit(chunked(fromHex(vector.hex), 13), { genesis, pool })
      if ('ok' in vector.expect) {
        expect(report.failure).toBeNull()
        expect(report.ok).toBe(true)
        expect(report.epochs.map((e) => e.validators)).toEqual([4, 5, 4])
      } else {
        expect(report.ok).toBe(false)
        expect(report.failure).toMatchObject(vector.expect)
      }
    })
  }
})

describe('epoch receipts', () => {
  for (const vector of section.receipts) {
    it(vector.name, () => {
      const verdict = verifyReceipt(receiptFromJson(vector.receipt), genesis)
      if ('ok' in vector.expect) expect(verdict).toEqual({ ok: true })
      else expect(verdict).toMatchObject({ ok: false, ...vector.expect })
    })
  }
})
