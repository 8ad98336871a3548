// A worker that verifies batches of Ed25519 signatures (Synod's rule) and answers with
// one byte per signature: 1 valid, 0 not.
import { parentPort } from 'node:worker_threads'
import { verifySignature } from '../../src/crypto/ed25519.ts'

export interface SignatureBatch {
  readonly id: number
  readonly keys: readonly Uint8Array[]
  readonly messages: readonly Uint8Array[]
  readonly sigs: readonly Uint8Array[]
}

parentPort!.on('message', (batch: SignatureBatch) => {
  const results = new Uint8Array(batch.keys.length)
  for (let i = 0; i < results.length; i++) results[i] = verifySignature(batch.keys[i]!, batch.messages[i]!, batch.sigs[i]!) ? 1 : 0
  parentPort!.postMessage({ id: batch.id, results }, [results.buffer])
})
