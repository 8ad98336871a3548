// docs/test-vectors.json must be what the code produces, and must verify with nothing
// but the primitives docs/formats.md names (checked here with @noble directly, not
// through Synod's own verification path).
import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { decodeCanonical } from '../../src/codec/cbor.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { genesisFromJson } from '../../src/log/genesis.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { buildTestVectors } from '../support/test-vectors.ts'

const file = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'))

describe('docs/test-vectors.json', () => {
  it('is up to date with the code (regenerate with node scripts/gen-test-vectors.ts)', () => {
    expect(JSON.parse(JSON.stringify(buildTestVectors()))).toEqual(file)
  })

  it('verifies with plain SHA-256 and Ed25519', () => {
    const v = file
    expect(toHex(sha256(fromHex(v.genesis.cbor)))).toBe(v.genesis.hash)
    expect(toHex(sha256(fromHex(v.entry.cbor)))).toBe(v.entry.id)
    expect(toHex(sha256(Uint8Array.from([0, ...fromHex(v.entry.cbor)])))).toBe(v.entry.leafHash)
    expect(ed25519.verify(fromHex(v.entry.json.sig), fromHex(v.entry.signingMessage), fromHex(v.agent.publicKey))).toBe(true)
    expect(toHex(sha256(fromHex(v.block.headerCbor)))).toBe(v.block.hash)
    // The QC in block 2's header: every signature over the vote signing message.
    const qc = decodeCanonical(fromHex(v.qc.cbor)) as { sigs: Uint8Array[], block: Uint8Array }
    expect(toHex(qc.block)).toBe(v.block.hash)
    expect(qc.sigs).toHaveLength(3)
    qc.sigs.forEach((sig, i) => {
      expect(ed25519.verify(sig, fromHex(v.qc.voteSigningMessage), fromHex(v.validators[i].publicKey))).toBe(true)
    })
    const cc = decodeCanonical(fromHex(v.commitCertificate.cbor)) as { sigs: Uint8Array[] }
    cc.sigs.forEach((sig, i) => {
      expect(ed25519.verify(sig, fromHex(v.commitCertificate.signingMessage), fromHex(v.validators[i].publicKey))).toBe(true)
    })
    const root2 = v.merkle.roots[1].root
    expect(toHex(sha256(Uint8Array.from([1, ...fromHex(v.merkle.leafHashes[0]), ...fromHex(v.merkle.leafHashes[1])])))).toBe(root2)
  })

  it('its receipt verifies against its genesis, and fails against another chain', () => {
    const genesis = genesisFromJson(file.genesis.json)
    const receipt = receiptFromJson(file.receipt)
    expect(verifyReceipt(receipt, genesis)).toEqual({ ok: true })
    expect(verifyReceipt(receipt, { ...genesis, chainId: 'elsewhere' }).ok).toBe(false)
  })
})
