// A worker for the entry-level work of verifying a chain, which parallelises:
//  - 'signatures': verify a batch of Ed25519 signatures (Synod's rule);
//  - 'records': decode export records (canonical CBOR of {block, cc}) and, per entry,
//    compute its leaf hash and check its signature;
//  - 'entries': decode entries from their canonical encodings and check their signatures
//    (verifyEntrySignature, the replica's own rule), for a node verifying the blocks it
//    syncs. An encoding decodes to exactly the entry it encodes, so the answer is about
//    the entry whose id is the hash of those bytes.
// The main thread decodes the same bytes itself for the block-level checks, so nothing a
// worker answers is trusted beyond "this is what these bytes hash and verify to".
import { parentPort } from 'node:worker_threads'
import { decodeCanonical } from '../../src/codec/cbor.ts'
import { verifySignature } from '../../src/crypto/ed25519.ts'
import { decodeEntry, encodeEntry, entrySigningMessage, verifyEntrySignature } from '../../src/log/entry.ts'
import { chainItemFromCbor } from '../../src/log/export.ts'
import { leafHash } from '../../src/log/merkle.ts'

export type WorkerRequest =
  | { readonly kind: 'signatures', readonly id: number, readonly keys: readonly Uint8Array[], readonly messages: readonly Uint8Array[], readonly sigs: readonly Uint8Array[] }
  | { readonly kind: 'records', readonly id: number, readonly chainId: string, readonly records: readonly Uint8Array[] }
  /** Entry i is bytes[ends[i - 1] ?? 0, ends[i]). */
  | { readonly kind: 'entries', readonly id: number, readonly chainId: string, readonly bytes: Uint8Array, readonly ends: Uint32Array }

/** Per record: 32 bytes per entry of leaf hashes and one byte per entry (1 = valid
 * signature), or null when the record does not decode (the main thread reports why). */
export interface RecordResult {
  readonly leaves: Uint8Array
  readonly valid: Uint8Array
}

export type WorkerAnswer =
  | { readonly kind: 'signatures', readonly id: number, readonly results: Uint8Array }
  | { readonly kind: 'records', readonly id: number, readonly results: readonly (RecordResult | null)[] }
  | { readonly kind: 'entries', readonly id: number, readonly results: Uint8Array }

function recordResult(bytes: Uint8Array, chainId: string): RecordResult | null {
  let entries
  try {
    entries = chainItemFromCbor(decodeCanonical(bytes, bytes.length)).block.entries
  } catch {
    return null
  }
  const leaves = new Uint8Array(32 * entries.length)
  const valid = new Uint8Array(entries.length)
  entries.forEach((entry, i) => {
    leaves.set(leafHash(encodeEntry(entry)), 32 * i)
    valid[i] = verifySignature(entry.agent, entrySigningMessage(entry, chainId), entry.sig) ? 1 : 0
  })
  return { leaves, valid }
}

function encodedEntryVerifies(bytes: Uint8Array, chainId: string): boolean {
  try {
    return verifyEntrySignature(decodeEntry(bytes), chainId)
  } catch {
    return false // not an entry: the main thread's own checks say why
  }
}

parentPort!.on('message', (request: WorkerRequest) => {
  if (request.kind === 'signatures') {
    const results = new Uint8Array(request.keys.length)
    for (let i = 0; i < results.length; i++) results[i] = verifySignature(request.keys[i]!, request.messages[i]!, request.sigs[i]!) ? 1 : 0
    const answer: WorkerAnswer = { kind: 'signatures', id: request.id, results }
    parentPort!.postMessage(answer, [results.buffer])
    return
  }
  if (request.kind === 'entries') {
    const results = new Uint8Array(request.ends.length)
    for (let i = 0; i < results.length; i++) results[i] = encodedEntryVerifies(request.bytes.subarray(i === 0 ? 0 : request.ends[i - 1]!, request.ends[i]!), request.chainId) ? 1 : 0
    const answer: WorkerAnswer = { kind: 'entries', id: request.id, results }
    parentPort!.postMessage(answer, [results.buffer])
    return
  }
  const results = request.records.map((r) => recordResult(r, request.chainId))
  const transfer = results.flatMap((r) => (r === null ? [] : [r.leaves.buffer as ArrayBuffer, r.valid.buffer as ArrayBuffer]))
  const answer: WorkerAnswer = { kind: 'records', id: request.id, results }
  parentPort!.postMessage(answer, transfer)
})
