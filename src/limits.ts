// Every bound in Synod, in one place, each with why it has that value. Protocol
// parameters that a chain may choose (timeouts, batch sizes) live in the genesis;
// these are the hard limits that every implementation enforces regardless.
import { assert } from './assert.ts'

export const LIMITS = {
  /** Largest encoded message accepted from the network or a file, in bytes: a full block
   * (blockBytesMax) plus its certificates fits with room to spare. */
  messageBytesMax: 8 * 1024 * 1024,
  /** Deepest CBOR nesting: Synod's structures nest at most ~6 deep; the bound stops a
   * crafted input from exhausting the stack. */
  cborDepthMax: 32,
  /** Largest entry payload (JSON text) in bytes, unless the genesis sets a smaller one. */
  payloadBytesMax: 64 * 1024,
  /** Longest namespace, in bytes. Namespaces are short routing keys, not data. */
  namespaceBytesMax: 128,
  /** Most references from one entry to earlier entries. */
  refsMax: 16,
  /** Longest idempotency key, in bytes. */
  idempotencyKeyBytesMax: 128,
  /** Most entries in one block. Bounds the time to verify a block (~1 s at 10k verifies/s). */
  blockEntriesMax: 10_000,
  /** Most entry bytes in one block. */
  blockBytesMax: 4 * 1024 * 1024,
  /** Most validators in a genesis: the signer bitmap and certificate sizes scale with it. */
  validatorsMax: 256,
  /** Deepest Merkle proof: a log of up to 2^63 entries. */
  merkleProofHashesMax: 64,
  /** Longest chain id, in bytes. */
  chainIdBytesMax: 64,
  /** Longest validator name or address, in bytes. */
  labelBytesMax: 256,
  /** Most approvers one decision names (docs/formats.md section 12). A decision's payload
   * lists them as hex keys: 64 of them are ~4.2 KB, a quarter of the default payload limit. */
  decisionApproversMax: 64,
  /** Most namespaces a genesis names admins for (docs/formats.md section 13): one or a few
   * per organisation on the chain. */
  governanceGenesisNamespacesMax: 64,
  /** Most keys in one admins or writers list (genesis admins, a policy's admins and
   * writers): 32 hex keys are ~2.1 KB of payload; a larger group is a case for a parent
   * namespace's admins or `"any"`, not a longer list checked on every entry. */
  policyKeysMax: 32,
  /** Most namespaces with a policy record: every validator holds all of them in memory and
   * each block node may share or copy the map (copied only when a block holds a policy
   * entry), so the bound caps both. */
  policyRecordsMax: 1024,
  /** Longest retention a policy may set, in heights (docs/formats.md section 14,
   * "Retention"): 2^40 blocks is over 30 years at one block a millisecond, and keeps a
   * sealed entry's expiry height (its height plus this) a safe integer for every height
   * below 2^52. */
  retentionHeightsMax: 2 ** 40,
  /** Most schema objects in one payload schema, and their deepest nesting: a schema is a
   * shape check run on every entry of its namespace, so its cost must stay a few
   * microseconds; the depth bound also bounds the checker's recursion. */
  schemaNodesMax: 128,
  schemaDepthMax: 8,
  /** Most names in one `properties`, `required` or `enum` list of a schema. */
  schemaMembersMax: 64,
  /** Largest sealed plaintext (docs/formats.md section 14): a payload JSON text, so the
   * same hard cap as an entry's payload (64 KiB). The sealed blob is 28 bytes more. */
  sealedPlaintextBytesMax: 65_536,
  /** Most addresses a reconfiguration lists per validator (docs/formats.md section 15.2):
   * a handful of multiaddrs (IPv4, IPv6, DNS, a relay) is what a validator announces. */
  validatorAddressesMax: 16,
  /** Most epoch changes one receipt carries (section 15.5). Each is a receipt of a
   * reconfiguration entry, ~2 to 20 KB: 256 keep a receipt of the last epoch within a few
   * MB; a chain that reconfigures more often needs checkpointed epoch chains first. */
  epochChangesMax: 256,
  /** Most headers of a boundary proof (docs/formats.md section 15.3): the reconfiguration
   * block and the suffix blocks up to the one a commit certificate certifies. The suffix
   * is one or two blocks unless rounds keep failing; a limit, not a target: a node proves
   * the boundary with the lowest certified block it can. A header with a full QC of 256
   * validators is ~17 KB, so 256 of them stay within a message. */
  boundaryHeadersMax: 256,
  /** Most signature lines in a signed note (checkpoint or cosigned checkpoint): one per
   * validator plus witnesses' cosignatures. The signed-note spec asks for at least 16. */
  noteSignaturesMax: 256 + 64,
  /** Largest signed note, in bytes: a checkpoint text (< 300 bytes) and noteSignaturesMax
   * lines of at most ~400 bytes (a long key name and a 72-byte cosignature). */
  noteBytesMax: 128 * 1024,
  /** Most witness cosignatures a node keeps per checkpoint it serves. */
  cosignaturesPerCheckpointMax: 64,
} as const

// Relations between the limits, checked when the module loads: a change that breaks one
// fails at once, not under the load that needs it. (The message limit against a block
// plus its certificates, and the sync response cap, are checked where those sizes are
// defined: src/consensus/replica-limits.ts and src/consensus/sync.ts.)
assert(LIMITS.payloadBytesMax < LIMITS.blockBytesMax, 'an entry of the largest payload fits in a block')
assert(LIMITS.blockBytesMax < LIMITS.messageBytesMax, 'a block\'s entries fit in a message')
assert(LIMITS.namespaceBytesMax < LIMITS.payloadBytesMax, 'a namespace is a short key, not data')
assert(LIMITS.noteSignaturesMax >= LIMITS.validatorsMax + LIMITS.cosignaturesPerCheckpointMax, 'a checkpoint note holds every validator and the kept cosignatures')
assert(LIMITS.policyKeysMax <= LIMITS.decisionApproversMax, 'a policy\'s key lists are no longer than a decision\'s approvers')
assert(Number.isSafeInteger(2 ** 52 + LIMITS.retentionHeightsMax), 'an expiry height (a height plus a retention) is a safe integer')
assert(LIMITS.noteSignaturesMax >= 16, 'signed-note verifiers accept at least 16 signatures')
