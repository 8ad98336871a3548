// Sealing in the SDK (sdk/sealing.ts) against the core's rules (src/sealed/): a sealed
// payload opens with its key and only with it, any change to blob or key is caught by
// the commitments before decryption, and bad plaintexts are refused before sealing.
import { describe, expect, it } from 'vitest'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { checkSidecar } from '../../src/sealed/sidecar.ts'
import { LIMITS } from '../../src/limits.ts'
import { newSealingKey, openSealed, sealPayloadText, keyMatches } from '../../sdk/sealing.ts'

describe('sealing', () => {
  it('seals to a payload that reads as sealed and opens with its key', async () => {
    const sealed = await sealPayloadText('{"patient":"A. Smith"}')
    const read = readSealedPayload({ payload: sealed.payload, refs: [] })
    expect(read.type).toBe('sealed')
    expect(sealed.payload).not.toContain('Smith')
    expect(checkSidecar(sealed.spec, { blob: sealed.blob, key: sealed.key })).toBeNull()
    expect(await openSealed(sealed.spec, { blob: sealed.blob, key: sealed.key })).toBe('{"patient":"A. Smith"}')
    expect(keyMatches(sealed.spec, sealed.key)).toBe(true)
  })

  it('a reused (per-subject) key still gives each blob its own nonce', async () => {
    const key = newSealingKey()
    const a = await sealPayloadText('{"x":1}', key)
    const b = await sealPayloadText('{"x":1}', key)
    expect(Buffer.from(a.blob.subarray(0, 12)).equals(Buffer.from(b.blob.subarray(0, 12)))).toBe(false)
    expect(a.payload).not.toBe(b.payload)
    expect(await openSealed(b.spec, { blob: b.blob, key })).toBe('{"x":1}')
  })

  it('refuses a changed blob or another key by the commitments, with a code', async () => {
    const sealed = await sealPayloadText('{"x":1}')
    const flipped = Uint8Array.from(sealed.blob)
    flipped[flipped.length - 1]! ^= 0x80
    await expect(openSealed(sealed.spec, { blob: flipped, key: sealed.key })).rejects.toMatchObject({ name: 'SealedOpenError', code: 'blob-commitment' })
    await expect(openSealed(sealed.spec, { blob: sealed.blob, key: newSealingKey() })).rejects.toMatchObject({ name: 'SealedOpenError', code: 'key-commitment' })
    await expect(openSealed(sealed.spec, { blob: sealed.blob.subarray(0, 5), key: sealed.key })).rejects.toMatchObject({ name: 'SealedOpenError', code: 'blob-size' })
  })

  it('refuses to seal what is not a payload JSON text, or too much of it', async () => {
    await expect(sealPayloadText('{"a":1,"a":2}')).rejects.toMatchObject({ name: 'InvalidEntryError' })
    await expect(sealPayloadText(JSON.stringify('x'.repeat(LIMITS.sealedPlaintextBytesMax)))).rejects.toMatchObject({ name: 'InvalidEntryError' })
    await expect(sealPayloadText('{}', new Uint8Array(16))).rejects.toMatchObject({ name: 'InvalidEntryError' })
  })
})
