// Entries into Decisions and back: the payload text a commit signs (schema-checked, the
// log's JSON grammar), the checks on a record a node serves before it is yielded, and the
// Decision a caller receives. Browser-safe.
import { toHex } from '../src/crypto/hash.ts'
import { entryId, verifyEntrySignature, type Entry } from '../src/log/entry.ts'
import { policyAllows, type Genesis } from '../src/log/genesis.ts'
import { payloadJsonProblem } from '../src/log/payload-json.ts'
import type { Receipt } from '../src/log/receipt.ts'
import { InvalidEntryError, InvalidProofError, PayloadValidationError } from './errors.ts'
import type { RawRecord } from './node-api.ts'
import type { Decision, NamespaceSchemas } from './types.ts'

/** The payload as the JSON text an entry carries: validated by the namespace's schema
 * (if any) and by the log's payload grammar, before anything is signed. */
export function payloadTextOf(schemas: NamespaceSchemas | undefined, namespace: string, payload: unknown): string {
  let value = payload
  const schema = schemas?.[namespace]
  if (schema !== undefined) {
    const parsed = schema.safeParse(payload)
    if (!parsed.success) throw new PayloadValidationError(namespace, parsed.error.message, parsed.error.issues)
    value = parsed.data
  }
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw new InvalidEntryError(`the payload is not JSON data: ${(err as Error).message}`)
  }
  if (typeof text !== 'string') throw new InvalidEntryError('the payload is not JSON data (undefined or a function)')
  // The log's payload grammar (e.g. a string holding a lone surrogate stringifies to a
  // \u escape that no validator accepts): refused here, before signing.
  const problem = payloadJsonProblem(text)
  if (problem !== null) throw new InvalidEntryError(`the payload is not a valid payload JSON text: ${problem}`)
  return text
}

/** Form checks on a record from a node: signature, genesis rules, id, filters. */
export function checkRecord(genesis: Genesis, node: string, raw: RawRecord, namespace: string | undefined, agent: string | undefined): void {
  const id = toHex(entryId(raw.entry))
  if (id !== raw.id) throw new InvalidProofError(node, 'id-mismatch', `record ${raw.index} claims id ${raw.id}, its entry hashes to ${id}`)
  if (namespace !== undefined && raw.entry.namespace !== namespace) throw new InvalidProofError(node, 'filter-ignored', `record ${raw.index} is in namespace '${raw.entry.namespace}', not '${namespace}'`)
  if (agent !== undefined && toHex(raw.entry.agent) !== agent) throw new InvalidProofError(node, 'filter-ignored', `record ${raw.index} is by another agent than ${agent}`)
  // verifyReceipt's entry checks without a proof: signature, payload bound, policy.
  const payloadBytes = new TextEncoder().encode(raw.entry.payload).length
  if (payloadBytes > genesis.params.payloadBytesMax) throw new InvalidProofError(node, 'entry-not-allowed', `record ${raw.index}: payload over the chain's limit`)
  if (!policyAllows(genesis.policy, raw.entry.namespace, raw.entry.agent)) throw new InvalidProofError(node, 'entry-not-allowed', `record ${raw.index}: the agent may not write to '${raw.entry.namespace}'`)
  if (!verifyEntrySignature(raw.entry, genesis.chainId)) throw new InvalidProofError(node, 'bad-entry-signature', `record ${raw.index}: the entry signature does not verify`)
}

/** A Decision from a checked entry, with its payload parsed and schema-validated. */
export function decisionOf(schemas: NamespaceSchemas | undefined, entry: Entry, index: number, height: number | null, receipt: Receipt | null): Decision {
  let payload: unknown
  let payloadError: string | null = null
  try {
    payload = JSON.parse(entry.payload)
  } catch {
    payload = entry.payload
    payloadError = 'the payload is not JSON'
  }
  const schema = schemas?.[entry.namespace]
  if (schema !== undefined && payloadError === null) {
    const parsed = schema.safeParse(payload)
    if (parsed.success) payload = parsed.data
    else payloadError = parsed.error.message
  }
  const base = {
    id: toHex(entryId(entry)),
    agent: toHex(entry.agent),
    namespace: entry.namespace,
    seq: entry.seq,
    payloadText: entry.payload,
    refs: entry.refs.map(toHex),
    idempotencyKey: entry.idempotencyKey,
    index,
    height,
    entry,
    receipt,
  }
  return payloadError === null ? { ...base, payloadError: null, payload } : { ...base, payloadError, payload }
}
