// Erasure on disk: after the commit of an erase, the sealed blob's bytes are in none of
// the LevelDB files of the store (log, tables, manifest), not only out of its index. The
// same search finds them before the erase, so it is able to.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry, entryId } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { LevelStore } from '../../node/store/index.ts'
import { keys } from '../../node/store/keys.ts'
import { LevelKv } from '../../node/store/kv.ts'
import { checkLevelStore } from '../../node/store/store-check.ts'
import { encodeSidecar } from '../../src/sealed/sidecar.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'
import { eraseEntry, sealedEntry, sealFixture } from '../support/sealed-entries.ts'

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function commitOf(chain: ChainBuilder, from: number, to: number) {
  const blocks = chain.items.slice(from, to).map((i) => i.block)
  const log = new MerkleAccumulator()
  for (const item of chain.items.slice(0, to)) for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
  return { blocks, hashes: blocks.map((b) => blockHash(b.header)), qc: null, cc: chain.items[to - 1]!.cc ?? null, log: log.toState() }
}

/** Whether any file of the directory holds these bytes. */
function onDisk(dir: string, bytes: Uint8Array): boolean {
  const needle = Buffer.from(bytes)
  return readdirSync(dir).some((name) => readFileSync(join(dir, name)).includes(needle))
}

describe('erasure on disk (LevelStore)', () => {
  it('leaves no copy of the blob or the deposited key in the store files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-erasure-disk-'))
    dirs.push(dir)
    const net = testNet(4, 'erasure-disk')
    const author = new TestAgent('erasure-disk/author')
    const f = sealFixture('disk/1', JSON.stringify({ secret: 'x'.repeat(2000) }))
    const sealed = sealedEntry(author, net.genesis.chainId, 'org/notes', f)
    const chain = new ChainBuilder(net)
    chain.add([sealed])
    let store = new LevelStore(dir)
    await store.open(net.genesis)
    await store.commit(commitOf(chain, 0, 1))
    expect(await store.putSidecar(entryId(sealed), { blob: f.blob, key: f.key })).toBe('stored')
    await store.close()
    expect(onDisk(dir, f.blob)).toBe(true)
    expect(onDisk(dir, f.key)).toBe(true)

    store = new LevelStore(dir)
    await store.open(net.genesis)
    chain.add([eraseEntry(author, net.genesis.chainId, 'org/notes', sealed)])
    await store.commit(commitOf(chain, 1, 2))
    expect((await store.sidecar(entryId(sealed))).status).toBe('erased')
    await store.close()
    expect(onDisk(dir, f.blob)).toBe(false)
    expect(onDisk(dir, f.key)).toBe(false)
  })

  it('the full store check passes sidecars that match, and reports kept sidecars of erased, unsealed or other entries, and stray wanted marks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synod-erasure-check-'))
    dirs.push(dir)
    const net = testNet(4, 'erasure-check')
    const author = new TestAgent('erasure-check/author')
    const f1 = sealFixture('check/1', '{"a":1}')
    const f2 = sealFixture('check/2', '{"b":2}')
    const s1 = sealedEntry(author, net.genesis.chainId, 'org/notes', f1)
    const s2 = sealedEntry(author, net.genesis.chainId, 'org/notes', f2)
    const plain = author.entry(net.genesis.chainId, 'org/notes', { c: 3 })
    const chain = new ChainBuilder(net)
    chain.add([s1, s2, plain])
    chain.add([eraseEntry(author, net.genesis.chainId, 'org/notes', s1)])
    const store = new LevelStore(dir)
    await store.open(net.genesis)
    await store.commit(commitOf(chain, 0, 1))
    await store.putSidecar(entryId(s1), { blob: f1.blob, key: null })
    await store.putSidecar(entryId(s2), { blob: f2.blob, key: f2.key })
    await store.commit(commitOf(chain, 1, 2))
    await store.close()
    expect(await checkLevelStore(dir, { mode: 'full' })).toMatchObject({ ok: true, findings: [] })

    const kv = new LevelKv(dir)
    await kv.open()
    await kv.write([
      { type: 'put', key: keys.sidecar(entryId(s1)), value: encodeSidecar({ blob: f1.blob, key: null }) },
      { type: 'put', key: keys.sidecar(entryId(s2)), value: encodeSidecar({ blob: f1.blob, key: null }) },
      { type: 'put', key: keys.sidecar(entryId(plain)), value: encodeSidecar({ blob: f1.blob, key: null }) },
      // Wanted marks (sidecar replication) of an unsealed entry, and of one with a sidecar kept.
      { type: 'put', key: keys.wanted(entryId(plain)), value: new Uint8Array(0) },
      { type: 'put', key: keys.wanted(entryId(s2)), value: new Uint8Array(0) },
    ], true)
    await kv.close()
    const report = await checkLevelStore(dir, { mode: 'full' })
    expect(report.ok).toBe(false)
    expect(report.findings.map((x) => x.code).sort()).toEqual(['sidecar-mismatch', 'sidecar-not-erased', 'sidecar-orphan', 'wanted-orphan', 'wanted-stale'])
  })
})
