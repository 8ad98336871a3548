// `synod audit`'s pipeline across epochs: a whole export from the genesis, and partial
// exports that start inside a later epoch or at its boundary with the epoch changes in
// their start record (docs/formats.md sections 10 and 15.4), in one thread and with
// signature workers.
import { afterAll, describe, expect, it } from 'vitest'
import { runAudit } from '../../audit/run-audit.ts'
import { encodeCanonical, decodeCanonical } from '../../src/codec/cbor.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { chainItemToCbor, EXPORT_FORMAT, exportHeaderFromCbor, exportHeaderToCbor, frameRecord } from '../../src/log/export.ts'
import { genesisHash } from '../../src/log/genesis.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import type { EpochChange } from '../../src/log/receipt.ts'
import { SignaturePool } from '../../node/workers/signature-pool.ts'
import { concatBytes } from '../support/bytes.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { EpochChainBuilder, seedsFor } from '../support/epoch-chain.ts'
import { chunked, exportBytes } from '../support/export-file.ts'

const CHAIN = 'audit-epochs'

function chain(): EpochChainBuilder {
  const b = new EpochChainBuilder(testNet(4, CHAIN))
  const user = new TestAgent(`${CHAIN}/user`)
  b.add([user.entry(CHAIN, 'app/x', { i: 1 })])
  const five = [...b.current.seeds, ...seedsFor(`${CHAIN}/joiner`, 1)]
  b.reconfigure(five, 'five')
  b.add([user.entry(CHAIN, 'app/x', { i: 2 })])
  b.reconfigure(five.slice(1), 'four')
  b.add([user.entry(CHAIN, 'app/x', { i: 3 })])
  b.add([user.entry(CHAIN, 'app/x', { i: 4 })])
  return b
}

/** An export of the blocks from `from`, its start after `from - 1` with `changes`. */
function partialExport(b: EpochChainBuilder, from: number, changes: readonly EpochChange[]): Uint8Array {
  const accumulator = new MerkleAccumulator()
  for (const item of b.items.slice(0, from - 1)) for (const e of item.block.entries) accumulator.append(leafHash(encodeEntry(e)))
  const start = { header: b.items[from - 2]!.block.header, accumulator: accumulator.toState(), epochChanges: changes }
  const header = frameRecord(exportHeaderToCbor({ format: EXPORT_FORMAT, chainId: CHAIN, genesis: genesisHash(b.net.genesis), from, start }))
  return concatBytes(header, ...b.items.slice(from - 1).map((item) => frameRecord(chainItemToCbor(item))))
}

const pool = new SignaturePool(2)
afterAll(() => pool.close())

describe.each([['in one thread', undefined], ['with signature workers', pool]] as const)('auditing across epochs (%s)', (_mode, pool) => {
  const b = chain()
  const genesis = b.net.genesis

  it('follows the epoch changes of a whole export from the genesis alone', async () => {
    const report = await runAudit(chunked(exportBytes(genesis, b.items), 29), { genesis, pool })
    expect(report.failure).toBeNull()
    expect(report.epochs.map((e) => [e.epoch, e.firstHeight, e.validators])).toEqual([[0, 1, 4], [1, 3, 5], [2, 5, 4]])
  })

  it('starts a partial export inside epoch 2, and at the boundary of epoch 2, from the epoch changes in its start', async () => {
    const inside = b.epochs[2]!.firstHeight + 1
    const report = await runAudit(chunked(partialExport(b, inside, b.epochChanges(2)), 29), { genesis, pool })
    expect(report.failure).toBeNull()
    expect(report.epoch).toBe(2)
    const atBoundary = b.epochs[2]!.firstHeight // the start header is epoch 1's reconfiguration block
    expect((await runAudit(chunked(partialExport(b, atBoundary, b.epochChanges(2)), 29), { genesis, pool })).failure).toBeNull()
  })

  it('refuses a partial export inside epoch 2 without its epoch changes, or with a change missing', async () => {
    const inside = b.epochs[2]!.firstHeight + 1
    expect((await runAudit(chunked(partialExport(b, inside, []), 29), { genesis, pool })).failure).toMatchObject({ code: 'bad-start' })
    expect((await runAudit(chunked(partialExport(b, inside, b.epochChanges(1)), 29), { genesis, pool })).failure).toMatchObject({ code: 'bad-start' })
  })
})

describe('the export start record', () => {
  it('carries the epoch changes only past epoch 0 and reads them back', () => {
    const b = chain()
    const accumulator = { size: 0, frontier: [] }
    const header = { format: EXPORT_FORMAT, chainId: CHAIN, genesis: genesisHash(b.net.genesis), from: 6 } as const
    const epoch0 = exportHeaderToCbor({ ...header, start: { header: b.items[0]!.block.header, accumulator } }) as { start: object }
    expect(Object.keys(epoch0.start)).toEqual(['header', 'accumulator'])
    const later = exportHeaderToCbor({ ...header, start: { header: b.items[4]!.block.header, accumulator, epochChanges: b.epochChanges(2) } })
    const back = exportHeaderFromCbor(decodeCanonical(encodeCanonical(later)))
    expect(back.start?.epochChanges).toHaveLength(2)
    expect(encodeCanonical(exportHeaderToCbor(back))).toEqual(encodeCanonical(later))
  })
})
