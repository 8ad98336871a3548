// Sealed entries for tests and the published vectors (docs/formats.md section 14): AES-256-GCM
// with Node's crypto and a given key and nonce, so the bytes are reproducible. (The SDK
// seals with WebCrypto and a random key and nonce: sdk/sealing.ts; the vectors test
// checks that it opens these blobs.)
import { createCipheriv } from 'node:crypto'
import { entryId, type Entry } from '../../src/log/entry.ts'
import { erasePayloadText, sealedPayloadText, SEALED_AEAD, type SealSpec } from '../../src/sealed/payload.ts'
import { blobCommitment, keyCommitment } from '../../src/sealed/sidecar.ts'
import { seedOf, type TestAgent } from './chain-builder.ts'

export interface SealedFixture {
  readonly key: Uint8Array
  readonly nonce: Uint8Array
  readonly plaintext: string
  /** nonce || ciphertext || tag */
  readonly blob: Uint8Array
  readonly spec: SealSpec
  readonly payload: string
}

/** Seals `plaintext` under key and nonce derived from `label`. */
export function sealFixture(label: string, plaintext: string): SealedFixture {
  const key = seedOf(`sealed/${label}/key`)
  const nonce = seedOf(`sealed/${label}/nonce`).subarray(0, 12)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const body = Buffer.concat([cipher.update(Buffer.from(plaintext, 'utf8')), cipher.final()])
  const tag = cipher.getAuthTag()
  const blob = new Uint8Array(nonce.length + body.length + tag.length)
  blob.set(nonce, 0)
  blob.set(body, nonce.length)
  blob.set(tag, nonce.length + body.length)
  const spec: SealSpec = { aead: SEALED_AEAD, commitment: blobCommitment(blob), keyCommitment: keyCommitment(key), size: Buffer.byteLength(plaintext, 'utf8') }
  return { key, nonce: Uint8Array.from(nonce), plaintext, blob, spec, payload: sealedPayloadText(spec) }
}

export function sealedEntry(agent: TestAgent, chainId: string, namespace: string, fixture: SealedFixture): Entry {
  return agent.entryText(chainId, namespace, fixture.payload)
}

export function eraseEntry(agent: TestAgent, chainId: string, namespace: string, target: Entry, reason?: string): Entry {
  return agent.entryText(chainId, namespace, erasePayloadText(reason), [entryId(target)])
}
