// The content of docs/test-vectors.json, built from fixed seeds.
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { domainMessage } from '../../src/crypto/domain.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash, blockToCbor, genesisBlock, headerToCbor } from '../../src/log/block.ts'
import { ccToCbor, qcToCbor, voteDataToCbor } from '../../src/log/certificates.ts'
import { commitNoteMessage } from '../../src/log/checkpoint-note.ts'
import { encodeEntry, entryId, entryToCbor } from '../../src/log/entry.ts'
import { genesisHash, genesisToCbor, genesisToJson } from '../../src/log/genesis.ts'
import { toJson } from '../../src/log/json.ts'
import { consistencyProof, inclusionProof, leafHash, merkleRoot } from '../../src/log/merkle.ts'
import { receiptToJson, type Receipt } from '../../src/log/receipt.ts'
import { ChainBuilder, TestAgent, testNet } from './chain-builder.ts'
import { buildC2spVectors } from './c2sp-vectors.ts'
import { buildConformanceVectors } from './conformance-vectors.ts'
import { buildDecisionVectors } from './decision-vectors.ts'
import { buildGovernanceVectors } from './governance-vectors.ts'
import { buildSealedVectors } from './sealed-vectors.ts'
import { buildEpochVectors } from './epoch-vectors.ts'

export function buildTestVectors() {
  const net = testNet(4, 'vectors')
  const chainId = net.genesis.chainId
  const agent = new TestAgent('vectors-agent')
  const entries = [
    agent.entry(chainId, 'acme/decisions', { action: 'approve', ticket: 42 }),
    agent.entry(chainId, 'acme/decisions', { action: 'deploy', ticket: 42 }),
    agent.entry(chainId, 'acme/reviews', { verdict: 'ok' }),
  ]
  const e0 = entries[0]!
  const chain = new ChainBuilder(net)
  const b1 = chain.add(entries.slice(0, 2))
  const b2 = chain.add(entries.slice(2))
  const item2 = chain.items[1]!
  const leaves = entries.map((e) => leafHash(encodeEntry(e)))
  const receipt: Receipt = {
    entry: e0, index: 0,
    proof: inclusionProof(0, 3, (i) => leaves[i]!),
    checkpoint: item2.cc!,
  }
  const { sig: _sig, ...e0Body } = entryToCbor(e0) as Record<string, never>
  return {
    description: 'Synod test vectors: see docs/formats.md. All byte strings are lower-case hex; cbor fields are canonical CBOR (RFC 8949 section 4.2.1).',
    validators: net.validatorSeeds.map((seed, i) => ({ seed: toHex(seed), publicKey: toHex(net.genesis.validators[i]!.publicKey) })),
    genesis: {
      json: genesisToJson(net.genesis),
      cbor: toHex(encodeCanonical(genesisToCbor(net.genesis))),
      hash: toHex(genesisHash(net.genesis)),
      block0Hash: toHex(blockHash(genesisBlock(net.genesis).header)),
    },
    agent: { seed: toHex(agent.seed), publicKey: toHex(agent.publicKey) },
    entry: {
      json: toJson(entryToCbor(e0)),
      signingMessage: toHex(domainMessage('entry', chainId, e0Body)),
      cbor: toHex(encodeEntry(e0)),
      id: toHex(entryId(e0)),
      leafHash: toHex(leaves[0]!),
    },
    block: {
      height: 1,
      headerCbor: toHex(encodeCanonical(headerToCbor(b1.header))),
      hash: toHex(blockHash(b1.header)),
      cbor: toHex(encodeCanonical(blockToCbor(b1))),
    },
    qc: {
      description: 'the QC for block 1, carried in the header of block 2',
      voteSigningMessage: toHex(domainMessage('vote', chainId, voteDataToCbor(b2.header.justify))),
      cbor: toHex(encodeCanonical(qcToCbor(b2.header.justify))),
    },
    commitCertificate: {
      description: 'the commit certificate for block 2',
      signingMessage: toHex(commitNoteMessage(chainId, item2.cc!)),
      cbor: toHex(encodeCanonical(ccToCbor(item2.cc!))),
    },
    merkle: {
      leafHashes: leaves.map(toHex),
      roots: [1, 2, 3].map((size) => ({ size, root: toHex(merkleRoot(leaves.slice(0, size))) })),
      inclusion: { index: 0, size: 3, proof: receipt.proof.map(toHex) },
      consistency: { oldSize: 2, newSize: 3, proof: consistencyProof(2, 3, (i) => leaves[i]!).map(toHex) },
    },
    receipt: receiptToJson(receipt),
    c2sp: buildC2spVectors(net.genesis, entries.map((e) => encodeEntry(e)), item2.cc!, 2),
    conformance: buildConformanceVectors(net),
    decisions: buildDecisionVectors(),
    governance: buildGovernanceVectors(),
    sealed: buildSealedVectors(chainId),
    epochs: buildEpochVectors(),
  }
}
