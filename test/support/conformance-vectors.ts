// The conformance part of docs/test-vectors.json: inputs a verifier must accept or must
// reject with a given failure code (docs/formats.md sections 4, 9 and 10), one or more
// per rule that an implementation could get subtly wrong. Built from fixed seeds.
import { toHex } from '../../src/crypto/hash.ts'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { genesisQc } from '../../src/log/block.ts'
import { encodeEntry, entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { chainItemToCbor, EXPORT_FORMAT, exportHeaderToCbor, frameBytes, frameRecord, type ExportHeader } from '../../src/log/export.ts'
import { DEFAULT_PARAMS, genesisHash, genesisToJson } from '../../src/log/genesis.ts'
import type { MerkleAccumulatorState } from '../../src/log/merkle.ts'
import type { ChainItem } from '../../src/log/verify.ts'
import { ChainBuilder, TestAgent, testNet, type TestNet } from './chain-builder.ts'
import { concatBytes } from './bytes.ts'

export interface ExportVector {
  readonly name: string
  /** Which genesis of the vectors to verify against: `genesis` or `conformance.limitsGenesis`. */
  readonly genesis: 'genesis' | 'limitsGenesis'
  readonly hex: string
  /** { ok: true }, or the first failure: its code, and height / position when it has them. */
  readonly expect: { readonly ok: true } | { readonly code: string, readonly height?: number, readonly position?: number }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return concatBytes(...parts)
}

function headerRecord(net: TestNet, from = 1, start: ExportHeader['start'] = null): Uint8Array {
  return frameRecord(exportHeaderToCbor({ format: EXPORT_FORMAT, chainId: net.genesis.chainId, genesis: genesisHash(net.genesis), from, start }))
}

function exportOf(net: TestNet, items: readonly ChainItem[], from = 1, start: ExportHeader['start'] = null): Uint8Array {
  return concat([headerRecord(net, from, start), ...items.map((it) => frameRecord(chainItemToCbor(it)))])
}

/** The record framed with a non-minimal length: the last length byte 0x00 after a continuation. */
function nonMinimalFrame(body: Uint8Array): Uint8Array {
  const minimal = frameBytes(body)
  const prefixLength = minimal.length - body.length
  const prefix = Array.from(minimal.subarray(0, prefixLength))
  prefix[prefix.length - 1]! |= 0x80
  return concat([Uint8Array.from([...prefix, 0x00]), body])
}

export function buildConformanceVectors(net: TestNet) {
  const chainId = net.genesis.chainId
  const agent = new TestAgent('conformance-agent')
  // refs are opaque: these name no entry of the log, and the entry is valid.
  const opaqueRefs = [new Uint8Array(32).fill(0xab), new Uint8Array(32)]
  const chain = new ChainBuilder(net)
  const e1 = agent.entry(chainId, 'acme/decisions', { step: 1 }, opaqueRefs)
  const e2 = agent.entry(chainId, 'acme/decisions', { step: 2 })
  const e3 = agent.entry(chainId, 'acme/reviews', { step: 3 })
  chain.add([e1])
  chain.add([e2, e3])
  const items = chain.items
  const exports: ExportVector[] = []
  const add = (name: string, bytes: Uint8Array, expect: ExportVector['expect'], genesis: ExportVector['genesis'] = 'genesis') => {
    exports.push({ name, genesis, hex: toHex(bytes), expect })
  }

  add('a valid export from height 1 (block 1 has an entry whose refs name no entry: refs are opaque)', exportOf(net, items), { ok: true })
  const accumulatorAfter1: MerkleAccumulatorState = { size: 1, frontier: [items[0]!.block.header.logRoot] }
  add('a valid partial export from height 2 (start: the header at height 1 and the log frontier after it)',
    exportOf(net, items.slice(1), 2, { header: items[0]!.block.header, accumulator: accumulatorAfter1 }), { ok: true })

  // Section 10: framing.
  const header = encodeCanonical(exportHeaderToCbor({ format: EXPORT_FORMAT, chainId, genesis: genesisHash(net.genesis), from: 1, start: null }))
  add('the header record framed with a non-minimal length (n|0x80, 0x00)',
    concat([nonMinimalFrame(header), ...items.map((it) => frameRecord(chainItemToCbor(it)))]), { code: 'record-length' })
  add('a block record framed with a non-minimal length',
    concat([headerRecord(net), nonMinimalFrame(encodeCanonical(chainItemToCbor(items[0]!))), frameRecord(chainItemToCbor(items[1]!))]), { code: 'record-length', height: 1 })
  add('a length prefix of more than 9 bytes', concat([headerRecord(net), new Uint8Array(9).fill(0x81)]), { code: 'record-length', height: 1 })
  add('a record length of 8 MiB + 1 (8388609 = 81 80 80 04)', concat([headerRecord(net), Uint8Array.of(0x81, 0x80, 0x80, 0x04)]), { code: 'record-too-large', height: 1 })
  add('a header and no block', headerRecord(net), { code: 'no-blocks' })
  add('from 2 with a start header at height 2, not 1',
    exportOf(net, items.slice(1), 2, { header: items[1]!.block.header, accumulator: { size: 3, frontier: [] } }), { code: 'bad-export-header' })
  add('from 2 without a start', exportOf(net, items.slice(1), 2, null), { code: 'bad-export-header' })
  add('from 1 with a start', exportOf(net, items, 1, { header: items[0]!.block.header, accumulator: accumulatorAfter1 }), { code: 'bad-export-header' })
  add('from 0', exportOf(net, items, 0, null), { code: 'bad-export-header' })

  // Section 6: the genesis QC is exact, signers included.
  const gqc = genesisQc(net.genesis)
  for (const signers of ['01', '0f', 'f0', '0000', '']) {
    const forged = new ChainBuilder(net)
    forged.add([e1], true, { ...gqc, signers: Uint8Array.from(signers.match(/../g) ?? [], (h) => parseInt(h, 16)) })
    add(`block 1 justified by the genesis QC with signers '${signers}' (must be ceil(n/8) = 1 zero byte)`, exportOf(net, forged.items), { code: 'bad-qc', height: 1 })
  }

  // Section 9: order of checks. A changed entry is named by its position and reason.
  const resigned = items.map((it, i) => (i !== 1 ? it : { ...it, block: { ...it.block, entries: [it.block.entries[0]!, { ...it.block.entries[1]!, sig: it.block.entries[0]!.sig }] } }))
  add('an entry signature replaced (the entries root no longer matches either: the signature is reported)', exportOf(net, resigned), { code: 'bad-entry-signature', height: 2, position: 1 })
  const repeated = items.map((it, i) => (i !== 1 ? it : { ...it, block: { ...it.block, entries: [it.block.entries[0]!, it.block.entries[0]!] } }))
  add('an entry repeated in its block (the seq is reported before the roots)', exportOf(net, repeated), { code: 'seq-not-increasing', height: 2, position: 1 })

  // Section 9: the genesis block limits (here blockEntriesMax 2, blockBytesMax 600).
  const limits = testNet(4, 'vectors-limits', { params: { ...DEFAULT_PARAMS, blockEntriesMax: 2, blockBytesMax: 600 } })
  const small = new TestAgent('conformance-limits')
  const tooMany = new ChainBuilder(limits)
  tooMany.add([1, 2, 3].map((i) => small.entry(limits.genesis.chainId, 'x', i)))
  add('3 entries in a block, over blockEntriesMax 2', exportOf(limits, tooMany.items), { code: 'block-entries-max', height: 1 }, 'limitsGenesis')
  const tooBig = new ChainBuilder(limits)
  const big = [small.entry(limits.genesis.chainId, 'x', 'a'.repeat(200)), small.entry(limits.genesis.chainId, 'x', 'b'.repeat(200))]
  tooBig.add(big)
  add(`2 entries of ${big.map((e) => encodeEntry(e).length).join(' + ')} encoded bytes, over blockBytesMax 600`, exportOf(limits, tooBig.items), { code: 'block-bytes-max', height: 1 }, 'limitsGenesis')
  const atLimit = new ChainBuilder(limits)
  atLimit.add([small.entry(limits.genesis.chainId, 'x', 'c'.repeat(200))])
  add('1 entry within both limits', exportOf(limits, atLimit.items), { ok: true }, 'limitsGenesis')

  return {
    description: 'Inputs a verifier must accept or reject, with the failure it must report (docs/formats.md sections 4, 9, 10). '
      + 'exports: synod-export/v1 byte streams, verified against the named genesis. namespaces, payloads: texts an entry may or may not carry (an entry with an invalid one does not decode). '
      + 'refsEntry: a valid entry whose refs name no entry (refs are opaque 32-byte values).',
    limitsGenesis: { json: genesisToJson(limits.genesis), hash: toHex(genesisHash(limits.genesis)) },
    exports,
    namespaces: {
      valid: ['a', 'acme', 'acme/decisions', 'a.b-c_d/0', '0/1/2', 'a.', 'a..b/c-', 'x'.repeat(128)],
      invalid: ['', '.', '..', '-a', '_', 'a/_b', 'a/.', 'A', 'acme/Decisions', 'a//b', '/a', 'a/', 'a b', 'é', 'x'.repeat(129)],
    },
    payloads: {
      valid: ['{}', '[]', '0', '-0', '"text"', 'null', ' {"a":1,"b":{"a":2}} ', '1e308', '-1.7976931348623157e308', '1e-400', '123456789012345678901234567890',
        '"\\ud83d\\ude00"', '"😀"', '{"a":"\\u0000"}', '{"a\\u0062":1,"ac":2}'],
      invalid: ['', ' ', 'nul', '{"a":1,"a":2}', '{"ab":1,"a\\u0062":2}', '{"x":{"":1,"":2}}', '"\\ud800"', '"\\udc00"', '"\\ud83d\\u0041"',
        '1e400', '-1e400', '1.8e308', '01', '[1,]', '{"a":1,}', '"\\x"', '"tab\there"', "{'a':1}", 'NaN', 'Infinity', '1 2'],
      utf8Bytes: ['"é"', '"€"', '"😀"', '"\\u00e9"'].map((payload) => ({ payload, bytes: new TextEncoder().encode(payload).length })),
    },
    refsEntry: (() => {
      const entry: Entry = signEntry({ agent: agent.publicKey, namespace: 'acme/decisions', seq: 100, payload: '{}', refs: opaqueRefs, idempotencyKey: '' }, chainId, agent.seed)
      return { cbor: toHex(encodeEntry(entry)), id: toHex(entryId(entry)), refs: opaqueRefs.map(toHex) }
    })(),
  }
}
