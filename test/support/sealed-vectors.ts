// The sealed part of docs/test-vectors.json (docs/formats.md section 14): one sealing
// worked through byte by byte, payloads to classify, sidecars to accept or refuse with
// their problem code, and a log with a write policy, each sealed entry's erasure and the
// erases the rules ignore. From fixed seeds on the vectors' chain id.
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { DOMAIN_TAG } from '../../src/crypto/domain.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, entryToCbor, type Entry } from '../../src/log/entry.ts'
import type { WritePolicy } from '../../src/log/genesis.ts'
import { toJson } from '../../src/log/json.ts'
import { PolicyLedger } from '../../src/governance/ledger.ts'
import { policyPayloadText } from '../../src/governance/policy-payload.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { ErasureLedger } from '../../src/sealed/erasure.ts'
import { readSealedPayload } from '../../src/sealed/payload.ts'
import { checkSidecar, type Sidecar } from '../../src/sealed/sidecar.ts'
import { TestAgent } from './chain-builder.ts'
import { eraseEntry, sealedEntry, sealFixture } from './sealed-entries.ts'

const H = 'c'.repeat(64)

/** Payload texts (with that many refs) and how section 14 reads them. */
const PAYLOADS: readonly { name: string, payload: string, refs: number, expect: string }[] = [
  { name: 'a sealed entry', payload: `{"synod":"sealed","aead":"aes-256-gcm","commitment":"${H}","keyCommitment":"${H}","size":12}`, refs: 0, expect: 'sealed' },
  { name: 'a sealed entry with refs (they are the application\'s)', payload: `{"size":0,"keyCommitment":"${H}","commitment":"${H}","aead":"aes-256-gcm","synod":"sealed"}`, refs: 2, expect: 'sealed' },
  { name: 'the largest size', payload: `{"synod":"sealed","aead":"aes-256-gcm","commitment":"${H}","keyCommitment":"${H}","size":65536}`, refs: 0, expect: 'sealed' },
  { name: 'an erase', payload: '{"synod":"erase"}', refs: 1, expect: 'erase' },
  { name: 'an erase with a reason, the name escaped', payload: '{"\\u0073ynod":"erase","reason":"retention expired"}', refs: 1, expect: 'erase' },
  { name: 'not reserved: another value of "synod"', payload: '{"synod":"sealed-v2"}', refs: 0, expect: 'none' },
  { name: 'not reserved: a decision', payload: '{"synod":"approve"}', refs: 1, expect: 'none' },
  { name: 'malformed: another AEAD', payload: `{"synod":"sealed","aead":"chacha20-poly1305","commitment":"${H}","keyCommitment":"${H}","size":12}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: upper-case commitment', payload: `{"synod":"sealed","aead":"aes-256-gcm","commitment":"${H.toUpperCase()}","keyCommitment":"${H}","size":12}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: no key commitment', payload: `{"synod":"sealed","aead":"aes-256-gcm","commitment":"${H}","size":12}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: size above 65536', payload: `{"synod":"sealed","aead":"aes-256-gcm","commitment":"${H}","keyCommitment":"${H}","size":65537}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: fractional size', payload: `{"synod":"sealed","aead":"aes-256-gcm","commitment":"${H}","keyCommitment":"${H}","size":1.5}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: a plaintext member beside the commitment', payload: `{"synod":"sealed","aead":"aes-256-gcm","commitment":"${H}","keyCommitment":"${H}","size":12,"subject":"x"}`, refs: 0, expect: 'malformed' },
  { name: 'malformed: an erase with no ref', payload: '{"synod":"erase"}', refs: 0, expect: 'malformed' },
  { name: 'malformed: an erase with two refs', payload: '{"synod":"erase"}', refs: 2, expect: 'malformed' },
  { name: 'malformed: an erase with an unknown member', payload: '{"synod":"erase","all":true}', refs: 1, expect: 'malformed' },
]

function entryJson(e: Entry) {
  return toJson(entryToCbor(e))
}

function sidecarCase(name: string, spec: Parameters<typeof checkSidecar>[0], sidecar: Sidecar, expect: string | null) {
  const got = checkSidecar(spec, sidecar)?.code ?? null
  if (got !== expect) throw new Error(`sidecar vector '${name}': ${got}, not ${expect}`)
  return { name, blob: toHex(sidecar.blob), key: sidecar.key === null ? null : toHex(sidecar.key), expect }
}

export function buildSealedVectors(chainId: string) {
  const example = sealFixture('vectors/example', '{"patient":"A. Smith","finding":"negative"}')
  const author = new TestAgent(`${chainId}/sealed-author`)
  const colleague = new TestAgent(`${chainId}/sealed-colleague`)
  const stranger = new TestAgent(`${chainId}/sealed-stranger`)
  const policy: WritePolicy = { open: true, namespaces: { 'acme/hr': [author.publicKey, colleague.publicKey] } }
  const s1 = sealedEntry(author, chainId, 'org/notes', sealFixture('vectors/s1', '{"note":"one"}'))
  const s2 = sealedEntry(author, chainId, 'acme/hr', sealFixture('vectors/s2', '{"salary":1}'))
  const s3 = sealedEntry(stranger, chainId, 'org/notes', sealFixture('vectors/s3', '{"note":"three"}'))
  const plain = author.entry(chainId, 'org/notes', { note: 'public' })
  const log = [
    s1, s2, s3, plain,
    eraseEntry(author, chainId, 'org/notes', plain),
    eraseEntry(stranger, chainId, 'org/notes', s1),
    eraseEntry(author, chainId, 'org/other', s1),
    eraseEntry(author, chainId, 'org/notes', s1, 'retention expired'),
    eraseEntry(author, chainId, 'org/notes', s1),
    eraseEntry(colleague, chainId, 'acme/hr', s2),
    author.entryText(chainId, 'org/notes', `{"synod":"sealed","aead":"aes-128-gcm","commitment":"${H}","keyCommitment":"${H}","size":1}`),
  ]
  const ledger = new ErasureLedger(policy)
  log.forEach((entry, index) => ledger.append({ entry, index, height: index + 1 }))
  const flipped = Uint8Array.from(example.blob)
  flipped[20]! ^= 0x01
  return {
    description: 'docs/formats.md section 14. example: one sealing (AES-256-GCM, no associated data) with its commitments and their CBOR inputs. payloads: how each payload (with that many refs) reads. sidecars: blobs and keys checked against the example entry, with the problem code (null: accepted). log: entries in log order with heights, under the write policy given; sealed: each sealed entry and the erase that erased it (null: not erased); ignored: the entries the rules ignore, with the code.',
    example: {
      key: toHex(example.key),
      nonce: toHex(example.nonce),
      plaintext: example.plaintext,
      blob: toHex(example.blob),
      commitmentInput: toHex(encodeCanonical([DOMAIN_TAG, 'sealed-blob', example.blob])),
      commitment: toHex(example.spec.commitment),
      keyCommitmentInput: toHex(encodeCanonical([DOMAIN_TAG, 'sealed-key', example.key])),
      keyCommitment: toHex(example.spec.keyCommitment),
      payload: example.payload,
    },
    payloads: PAYLOADS.map((p) => {
      const got = readSealedPayload({ payload: p.payload, refs: Array.from({ length: p.refs }, () => new Uint8Array(32)) }).type
      if (got !== p.expect) throw new Error(`vector '${p.name}' reads as ${got}, not ${p.expect}`)
      return p
    }),
    sidecars: [
      sidecarCase('the blob and its key', example.spec, { blob: example.blob, key: example.key }, null),
      sidecarCase('the blob without a key', example.spec, { blob: example.blob, key: null }, null),
      sidecarCase('the blob one byte short', example.spec, { blob: example.blob.subarray(1), key: null }, 'blob-size'),
      sidecarCase('one bit of the ciphertext flipped', example.spec, { blob: flipped, key: null }, 'blob-commitment'),
      sidecarCase('a key of 31 bytes', example.spec, { blob: example.blob, key: example.key.subarray(1) }, 'key-size'),
      sidecarCase('another key', example.spec, { blob: example.blob, key: new Uint8Array(32).fill(7) }, 'key-commitment'),
    ],
    policy: { open: policy.open, namespaces: { 'acme/hr': [toHex(author.publicKey), toHex(colleague.publicKey)] } },
    log: log.map((entry, index) => ({ index, height: index + 1, id: toHex(entryId(entry)), entry: entryJson(entry) })),
    sealed: [...ledger.states()].map((s) => ({ id: s.id, erasedBy: s.erasedBy?.id ?? null })),
    ignored: ledger.anomalies().examples.map((a) => ({ entry: a.entry, code: a.code })),
    governed: buildGovernedErasure(chainId),
  }
}

/** The erasure rules on a chain with governance (docs/formats.md sections 13 and 14):
 * an admin's erase, a writer of a namespace a policy closes, retention at its height
 * (fixed when the entry commits), an erase after the expiry, and a stranger's erase. */
function buildGovernedErasure(chainId: string) {
  const root = new TestAgent(`${chainId}/governed-root`)
  const author = new TestAgent(`${chainId}/governed-author`)
  const admin = new TestAgent(`${chainId}/governed-admin`)
  const writer = new TestAgent(`${chainId}/governed-writer`)
  const stranger = new TestAgent(`${chainId}/governed-stranger`)
  const hex = (...agents: TestAgent[]) => agents.map((a) => toHex(a.publicKey))
  const governance = { admins: new Map([['clinic', [root.publicKey]]]) }
  const policy: WritePolicy = { open: true, namespaces: {} }
  const open1 = sealedEntry(author, chainId, 'clinic/notes', sealFixture('vectors/governed-1', '{"note":"one"}'))
  const open2 = sealedEntry(author, chainId, 'clinic/notes', sealFixture('vectors/governed-2', '{"note":"two"}'))
  const kept = sealedEntry(author, chainId, 'clinic/triage', sealFixture('vectors/governed-3', '{"triage":3}'))
  const short = sealedEntry(author, chainId, 'clinic/triage', sealFixture('vectors/governed-4', '{"triage":4}'))
  const closed = sealedEntry(author, chainId, 'clinic/staff', sealFixture('vectors/governed-5', '{"staff":5}'))
  const blocks: Entry[][] = [
    [
      root.entryText(chainId, 'clinic/notes', policyPayloadText({ writers: 'any', admins: hex(admin) })),
      root.entryText(chainId, 'clinic/triage', policyPayloadText({ writers: 'any', retention: { heights: 4 } })),
      root.entryText(chainId, 'clinic/staff', policyPayloadText({ writers: hex(author, writer) })),
    ],
    [open1, open2, kept, closed],
    [
      eraseEntry(admin, chainId, 'clinic/notes', open1, 'request'),
      eraseEntry(stranger, chainId, 'clinic/notes', open2),
      eraseEntry(writer, chainId, 'clinic/staff', closed),
      root.entryText(chainId, 'clinic/triage', policyPayloadText({ writers: 'any', retention: { heights: 1 } })),
    ],
    [short],
    [],
    [eraseEntry(author, chainId, 'clinic/triage', kept, 'again')],
  ]
  const genesisPart = { chainId, governance } as unknown as Genesis
  const policies = new PolicyLedger(genesisPart)
  const ledger = new ErasureLedger(policy)
  let index = 0
  const log: { index: number, height: number, id: string, entry: unknown }[] = []
  blocks.forEach((entries, b) => {
    const height = b + 1
    policies.advanceTo(height - 1)
    const inForce = policies.state
    ledger.advanceTo(height)
    for (const entry of entries) {
      ledger.append({ entry, index, height }, inForce)
      const problem = policies.append({ entry, index, height })
      if (problem !== null) throw new Error(`governed erasure vector: entry ${index} breaks ${problem.rule}`)
      log.push({ index, height, id: toHex(entryId(entry)), entry: entryJson(entry) })
      index += 1
    }
  })
  return {
    description: 'docs/formats.md sections 13 and 14 on a chain with governance: genesis admins, a log by height (each block\'s entries judged under the governance after the block before), each sealed entry\'s expiry height and what erased it (an erase by its id, or retention at a height), and the erases the rules ignore. Replay it through a policy ledger and the erasure rules.',
    governance: { admins: { clinic: hex(root) } },
    policy: { open: policy.open, namespaces: {} },
    heights: blocks.length,
    log,
    sealed: [...ledger.states()].map((s) => ({ id: s.id, expiresAt: s.expiresAt, erasedBy: s.erasedBy === null ? null : s.erasedBy.by === 'erase' ? { by: 'erase', id: s.erasedBy.id, height: s.erasedBy.height } : { by: 'retention', height: s.erasedBy.height } })),
    ignored: ledger.anomalies().examples.map((a) => ({ entry: a.entry, code: a.code })),
  }
}
