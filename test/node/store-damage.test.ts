// Store damage on real LevelDB directories: a store with some blocks is built, closed,
// damaged as a disk or an operator would (CURRENT deleted, bytes flipped in a table, a
// table deleted, the MANIFEST truncated, records lost), then opened as the node opens it.
// Before the store check: a missing CURRENT gave a node that reported its old head over
// a fraction of its entries; a flipped byte was read back as data or aborted the process
// in a compaction assertion; a missing table or a truncated MANIFEST was reported as "in
// use by another process". Now each is a StoreDamagedError naming what was found, and a
// held lock is a StoreLockedError.
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { LevelStore, MemoryStore, StoreDamagedError, StoreLockedError } from '../../node/store/index.ts'
import { keys } from '../../node/store/keys.ts'
import { LevelKv, MemoryKv } from '../../node/store/kv.ts'
import { ChainStore } from '../../node/store/chain-store.ts'
import { readLevelFiles } from '../../node/store/leveldb-files.ts'
import { assertNodeStoreIntact, checkLevelStore, checkStoreContents, storeLayout } from '../../node/store/store-check.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'

const net = testNet(4, 'store-damage')
const root = mkdtempSync(join(tmpdir(), 'synod-damage-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const BLOCKS = 120
const ENTRIES_PER_BLOCK = 12

/** Payloads that do not compress, so the store spills into more than one table file. */
function noise(h: number, i: number): string {
  let x = (h * 1000 + i) * 2654435761 >>> 0
  let out = ''
  for (let c = 0; c < 900; c++) {
    x = (x * 1103515245 + 12345) >>> 0
    out += (x >>> 16).toString(36)
  }
  return out
}

async function buildStore(commitTo: ChainStore): Promise<void> {
  await commitTo.open(net.genesis)
  const chain = new ChainBuilder(net)
  const agents = [new TestAgent('d1'), new TestAgent('d2')]
  const log = new MerkleAccumulator()
  for (let h = 0; h < BLOCKS; h++) {
    const entries = Array.from({ length: ENTRIES_PER_BLOCK }, (_, i) => agents[i % 2]!.entry(net.genesis.chainId, i % 3 === 0 ? 'ops/a' : 'ops/b', { h, i, noise: noise(h, i) }))
    const block = chain.add(entries)
    for (const e of entries) log.append(leafHash(encodeEntry(e)))
    await commitTo.commit({ blocks: [block], hashes: [blockHash(block.header)], qc: null, cc: chain.items.at(-1)!.cc ?? null, log: log.toState() })
  }
  await commitTo.close()
}

let pristine: string
let copies = 0

/** A fresh copy of the pristine data dir: <dir>/store holds the LevelDB files. */
function copyDataDir(): { dataDir: string, store: string } {
  const dataDir = join(root, `copy-${copies++}`)
  cpSync(pristine, dataDir, { recursive: true })
  return { dataDir, store: storeLayout(dataDir).store }
}

function tables(store: string): string[] {
  return readdirSync(store).filter((f) => /\.(ldb|sst)$/.test(f)).sort()
}

/** The table files LevelDB's MANIFEST lists (others may linger until LevelDB deletes them). */
async function liveTables(store: string): Promise<string[]> {
  const files = await readLevelFiles(store)
  expect(files.findings, `the copied store's files: ${readdirSync(store).join(' ')}`).toEqual([])
  expect(files.tables.length, `the copied store's files: ${readdirSync(store).join(' ')}`).toBeGreaterThan(0)
  return files.tables.map((t) => t.file)
}

beforeAll(async () => {
  pristine = join(root, 'pristine')
  await buildStore(new LevelStore(storeLayout(pristine).store))
  expect(tables(storeLayout(pristine).store).length).toBeGreaterThan(0)
}, 120_000)

async function damageOf(dataDir: string): Promise<StoreDamagedError> {
  const err = await assertNodeStoreIntact(dataDir).then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(StoreDamagedError)
  return err as StoreDamagedError
}

describe('the store check on real LevelDB directories', () => {
  it('passes an intact store, quick and full, and a second start skips tables already verified', async () => {
    const { dataDir, store } = copyDataDir()
    const quick = await assertNodeStoreIntact(dataDir)
    expect(quick).toMatchObject({ ok: true, fresh: false, height: BLOCKS, logSize: BLOCKS * ENTRIES_PER_BLOCK })
    expect(quick.tablesChecksummed).toBe(quick.tables)
    const again = await assertNodeStoreIntact(dataDir)
    expect(again.ok).toBe(true)
    expect(again.tablesChecksummed).toBe(0)
    const full = await checkLevelStore(store, { mode: 'full' })
    expect(full).toMatchObject({ ok: true, height: BLOCKS, blocksChecked: BLOCKS, entriesChecked: BLOCKS * ENTRIES_PER_BLOCK })
    expect(full.tablesChecksummed).toBe(full.tables)
    // And the node's store opens on it with the whole log.
    const opened = new LevelStore(store)
    await opened.open(net.genesis)
    expect(opened.head.logSize).toBe(BLOCKS * ENTRIES_PER_BLOCK)
    await opened.close()
  })

  it('passes a data dir without a store (a new node), or one whose creation stopped before CURRENT', async () => {
    const dataDir = join(root, 'empty')
    expect((await assertNodeStoreIntact(dataDir)).fresh).toBe(true)
    const interrupted = join(root, 'interrupted')
    mkdirSync(storeLayout(interrupted).store, { recursive: true })
    writeFileSync(join(storeLayout(interrupted).store, 'MANIFEST-000001'), '')
    writeFileSync(join(storeLayout(interrupted).store, 'LOCK'), '')
    expect((await assertNodeStoreIntact(interrupted)).fresh).toBe(true)
  })

  it('regression: deleting CURRENT gave a node at its old head over a fraction of its entries', async () => {
    const { dataDir, store } = copyDataDir()
    const before = tables(store)
    unlinkSync(join(store, 'CURRENT'))
    const err = await damageOf(dataDir)
    expect(err).toMatchObject({ name: 'StoreDamagedError', code: 'store-damaged' })
    expect(err.findings.map((f) => f.code)).toEqual(['current-missing'])
    expect(err.message).toMatch(/CURRENT file is missing/)
    // The check did not let LevelDB start afresh over the old files (it deletes them).
    expect(tables(store)).toEqual(before)
    expect(existsSync(join(store, 'CURRENT'))).toBe(false)
  })

  it('regression: constructing the node\'s store opened LevelDB before the check, which deleted the tables a missing CURRENT left', async () => {
    const { dataDir, store } = copyDataDir()
    const before = tables(store)
    unlinkSync(join(store, 'CURRENT'))
    const unopened = new LevelStore(store)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(existsSync(join(store, 'CURRENT'))).toBe(false)
    expect(tables(store)).toEqual(before)
    await expect(assertNodeStoreIntact(dataDir)).rejects.toBeInstanceOf(StoreDamagedError)
    await unopened.close()
  })

  it('regression: a flipped byte in a table file started "ok", then aborted the process in a compaction', async () => {
    const { dataDir, store } = copyDataDir()
    const table = (await liveTables(store))[0]!
    const bytes = readFileSync(table)
    bytes[Math.floor(bytes.length / 2)]! ^= 0x55
    writeFileSync(table, bytes)
    const err = await damageOf(dataDir)
    expect(err.findings[0]).toMatchObject({ code: 'table-corrupt' })
    expect(err.findings[0]!.detail).toMatch(/fails its checksum/)
    // Found again on the next start, even with the table remembered as verified before.
    const remembered = copyDataDir()
    expect((await assertNodeStoreIntact(remembered.dataDir)).ok).toBe(true)
    const t = (await liveTables(remembered.store))[0]!
    const b = readFileSync(t)
    b[100]! ^= 0x01
    writeFileSync(t, b)
    expect((await damageOf(remembered.dataDir)).findings[0]!.code).toBe('table-corrupt')
  })

  it('regression: a missing table file was reported as "in use by another process"', async () => {
    const { dataDir, store } = copyDataDir()
    unlinkSync((await liveTables(store))[0]!)
    const err = await damageOf(dataDir)
    expect(err.findings.map((f) => f.code)).toEqual(['table-missing'])
    // The node's own open (without the check first) names it too, not as a held lock.
    const opened = new LevelStore(store)
    await expect(opened.open(net.genesis)).rejects.toMatchObject({ name: 'StoreDamagedError', findings: [{ code: 'leveldb-open' }] })
  })

  it('regression: a truncated MANIFEST was reported as "in use by another process"', async () => {
    const { dataDir, store } = copyDataDir()
    const manifest = readdirSync(store).find((f) => f.startsWith('MANIFEST-'))!
    truncateSync(join(store, manifest), Math.floor(statSync(join(store, manifest)).size / 2))
    const err = await damageOf(dataDir)
    expect(err.findings[0]!.code).toBe('manifest-truncated')
    expect(err.findings.length).toBeGreaterThan(1) // and what it lost
  })

  it('accepts a MANIFEST whose last record is torn, as a crash during an append leaves it (LevelDB redoes that edit)', async () => {
    const { dataDir, store } = copyDataDir()
    const manifest = readdirSync(store).find((f) => f.startsWith('MANIFEST-'))!
    appendFileSync(join(store, manifest), Uint8Array.of(0x12, 0x34, 0x56, 0x78, 100, 0, 1, 7, 7, 7))
    const report = await assertNodeStoreIntact(dataDir)
    expect(report.ok).toBe(true)
  })

  it('tells a held lock from damage', async () => {
    const { dataDir, store } = copyDataDir()
    const holder = new LevelStore(store)
    await holder.open(net.genesis)
    try {
      await expect(assertNodeStoreIntact(dataDir)).rejects.toBeInstanceOf(StoreLockedError)
      await expect(new LevelStore(store).open(net.genesis)).rejects.toMatchObject({ name: 'StoreLockedError', code: 'store-locked' })
    } finally {
      await holder.close()
    }
    expect((await assertNodeStoreIntact(dataDir)).ok).toBe(true)
  })

  it('finds records lost or changed under intact LevelDB files', async () => {
    const cases: { what: string, damage: (kv: LevelKv) => Promise<void>, quick: string | null, full: string }[] = [
      { what: 'the first entries', damage: (kv) => kv.write([0, 1, 2].map((i) => ({ type: 'del', key: keys.data(i) })), true), quick: 'entry-missing', full: 'entry-missing' },
      { what: 'an old entry', damage: (kv) => kv.write([{ type: 'del', key: keys.data(37) }], true), quick: null, full: 'entry-missing' },
      { what: 'a recent id index key', damage: async (kv) => {
        const [row] = await kv.scan({ gte: keys.data(BLOCKS * ENTRIES_PER_BLOCK - 5), limit: 1 })
        const { sha256 } = await import('../../src/crypto/hash.ts')
        await kv.write([{ type: 'del', key: keys.entry(sha256(row![1].subarray(8))) }], true)
      }, quick: 'index-missing', full: 'index-missing' },
      { what: 'a recent header', damage: (kv) => kv.write([{ type: 'del', key: keys.header(BLOCKS - 3) }], true), quick: 'header-missing', full: 'header-missing' },
      { what: 'a leaf hash', damage: (kv) => kv.write([{ type: 'put', key: keys.tree(0, 500), value: new Uint8Array(32) }], true), quick: null, full: 'subtree-mismatch' },
    ]
    for (const c of cases) {
      const { dataDir, store } = copyDataDir()
      const kv = new LevelKv(store)
      await kv.open()
      await c.damage(kv)
      await kv.close()
      const full = await checkLevelStore(store, { mode: 'full' })
      expect(full.findings.map((f) => f.code), c.what).toContain(c.full)
      const quick = await checkLevelStore(store, { mode: 'quick', verifiedTablesFile: storeLayout(dataDir).verifiedTables })
      if (c.quick !== null) expect(quick.findings.map((f) => f.code), c.what).toContain(c.quick)
    }
  })

  it('checks the same records over the memory backend', async () => {
    const kv = new MemoryKv()
    await buildStore(new ChainStore(kv))
    await kv.open()
    expect((await checkStoreContents(kv, 'full')).findings).toEqual([])
    await kv.write([{ type: 'del', key: keys.accumulator(BLOCKS) }], true)
    expect((await checkStoreContents(kv, 'quick')).findings.map((f) => f.code)).toContain('accumulator-missing')
    expect(new MemoryStore()).toBeInstanceOf(ChainStore)
  })
})
