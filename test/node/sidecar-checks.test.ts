// The receive side of sidecar replication: a sidecar from a peer is checked exactly as an
// upload is (node/runtime/sidecar-checks.ts), each refusal with its code and verdict, and
// nothing is kept on a refusal; the frames of the sidecar protocol decode only in their
// exact shapes and bounds (node/net/sidecar-frames.ts); the store's wanted index holds the
// committed sealed entries without a sidecar or an erase.
import { describe, expect, it } from 'vitest'
import { encodeCanonical } from '../../src/codec/cbor.ts'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry, entryId } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { NODE_LIMITS } from '../../node/limits.ts'
import { decodeSidecarFrame, encodeSidecarFrame, FRAME_BLOB_BYTES_MAX, type SidecarFrame } from '../../node/net/sidecar-frames.ts'
import { receiveSidecar } from '../../node/runtime/sidecar-checks.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'
import { eraseEntry, sealedEntry, sealFixture } from '../support/sealed-entries.ts'

function commitOf(chain: ChainBuilder, from: number, to: number) {
  const blocks = chain.items.slice(from, to).map((i) => i.block)
  const log = new MerkleAccumulator()
  for (const item of chain.items.slice(0, to)) for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
  return { blocks, hashes: blocks.map((b) => blockHash(b.header)), qc: null, cc: chain.items[to - 1]!.cc ?? null, log: log.toState() }
}

/** A store with two sealed entries and a plain one committed, and an erase of the first
 * committed after them; a third sealed entry pending (never committed). */
async function fixture() {
  const net = testNet(4, 'sidecar-checks')
  const author = new TestAgent('sidecar-checks/author')
  const f1 = sealFixture('checks/1', '{"a":1}')
  const f2 = sealFixture('checks/2', JSON.stringify({ b: 'x'.repeat(300) }))
  const f3 = sealFixture('checks/3', '{"c":3}')
  const s1 = sealedEntry(author, net.genesis.chainId, 'org/notes', f1)
  const s2 = sealedEntry(author, net.genesis.chainId, 'org/notes', f2)
  const plain = author.entry(net.genesis.chainId, 'org/notes', { d: 4 })
  const erase = eraseEntry(author, net.genesis.chainId, 'org/notes', s1)
  const pending = sealedEntry(author, net.genesis.chainId, 'org/notes', f3)
  const chain = new ChainBuilder(net)
  chain.add([s1, s2, plain])
  chain.add([erase])
  const store = new MemoryStore()
  await store.open(net.genesis)
  await store.commit(commitOf(chain, 0, 1))
  return { store, chain, f1, f2, f3, s1, s2, plain, erase, pending }
}

describe('a sidecar received from a peer', () => {
  it('is refused with the upload\'s codes, in the upload\'s order, and nothing is kept', async () => {
    const { store, chain, f1, f2, f3, s1, s2, plain, pending } = await fixture()
    const other = new Uint8Array(f2.blob)
    other[40] = other[40]! ^ 1
    const cases = [
      { what: 'pending entry', id: entryId(pending), sidecar: { blob: f3.blob, key: null }, verdict: 'ignore', code: 'entry-not-committed' },
      { what: 'unsealed entry', id: entryId(plain), sidecar: { blob: f2.blob, key: null }, verdict: 'reject', code: 'not-sealed' },
      { what: 'blob of another size', id: entryId(s2), sidecar: { blob: f1.blob, key: null }, verdict: 'reject', code: 'sidecar-blob-size' },
      { what: 'blob of the right size, other bytes', id: entryId(s2), sidecar: { blob: other, key: null }, verdict: 'reject', code: 'sidecar-blob-commitment' },
      { what: 'short key', id: entryId(s2), sidecar: { blob: f2.blob, key: f2.key.subarray(0, 31) }, verdict: 'reject', code: 'sidecar-key-size' },
      { what: 'another key', id: entryId(s2), sidecar: { blob: f2.blob, key: f1.key }, verdict: 'reject', code: 'sidecar-key-commitment' },
    ] as const
    for (const c of cases) {
      const outcome = await receiveSidecar(store, c.id, c.sidecar)
      expect({ what: c.what, verdict: outcome.verdict, code: outcome.code }).toEqual({ what: c.what, verdict: c.verdict, code: c.code })
      expect((await store.sidecar(c.id)).status, c.what).toBe('missing')
    }
    // The erase commits: its sealed entry's sidecar is refused, ignored (the sender may not
    // have committed the erase yet), even though it matches.
    await store.commit(commitOf(chain, 1, 2))
    expect(await receiveSidecar(store, entryId(s1), { blob: f1.blob, key: f1.key })).toMatchObject({ verdict: 'ignore', code: 'erased' })
    expect((await store.sidecar(entryId(s1))).status).toBe('erased')
  })

  it('is kept when it matches; again is a duplicate, and with the key it completes one kept without', async () => {
    const { store, f2, s2 } = await fixture()
    expect(await receiveSidecar(store, entryId(s2), { blob: f2.blob, key: null })).toEqual({ verdict: 'accept', code: 'stored' })
    expect(await receiveSidecar(store, entryId(s2), { blob: f2.blob, key: null })).toEqual({ verdict: 'accept', code: 'duplicate' })
    expect(await receiveSidecar(store, entryId(s2), { blob: f2.blob, key: f2.key })).toEqual({ verdict: 'accept', code: 'stored' })
    expect(await store.sidecar(entryId(s2))).toEqual({ status: 'stored', sidecar: { blob: f2.blob, key: f2.key } })
  })
})

describe('the wanted index', () => {
  it('holds the committed sealed entries without a sidecar, loses one when it is kept, and one when it is erased', async () => {
    const { store, chain, f2, s1, s2 } = await fixture()
    const hex = (ids: Uint8Array[]): string[] => ids.map((id) => Buffer.from(id).toString('hex'))
    const sorted = hex([entryId(s1), entryId(s2)]).sort()
    expect(hex(await store.wantedSidecars(null, 10))).toEqual(sorted)
    // Paged in id order.
    const [first] = await store.wantedSidecars(null, 1)
    expect(hex(await store.wantedSidecars(first!, 10))).toEqual(sorted.slice(1))
    await store.putSidecar(entryId(s2), { blob: f2.blob, key: null })
    expect(hex(await store.wantedSidecars(null, 10))).toEqual(hex([entryId(s1)]))
    await store.commit(commitOf(chain, 1, 2))
    expect(await store.wantedSidecars(null, 10)).toEqual([])
    await expect(store.wantedSidecars(null, 0)).rejects.toThrow(RangeError)
  })
})

describe('sidecar frames', () => {
  const id = new Uint8Array(32).fill(7)
  it('round-trip in each shape', () => {
    const frames: SidecarFrame[] = [
      { t: 'have', id, key: false },
      { t: 'have', id, key: true },
      { t: 'want', id },
      { t: 'sidecar', id, sidecar: { blob: new Uint8Array(FRAME_BLOB_BYTES_MAX).fill(1), key: new Uint8Array(32).fill(2) } },
      { t: 'sidecar', id, sidecar: { blob: new Uint8Array(28), key: null } },
      { t: 'none', id, held: 'missing' },
      { t: 'none', id, held: 'erased' },
    ]
    // The largest frame: the blob, the key, the id and 32 bytes of map (node/limits.ts).
    expect(encodeSidecarFrame(frames[3]!).length).toBe(FRAME_BLOB_BYTES_MAX + 32 + 32 + 32)
    for (const frame of frames) {
      const bytes = encodeSidecarFrame(frame)
      expect(bytes.length).toBeLessThanOrEqual(NODE_LIMITS.sidecarFrameBytesMax)
      expect(decodeSidecarFrame(bytes)).toEqual(frame)
    }
  })

  it('are the bytes of docs/formats.md section 14\'s examples', () => {
    // The doc's bytes with its reading spaces removed; 07…07 is the id, bb…bb the blob.
    const doc = (text: string): string => text.replaceAll(' ', '').replace('07…07', '07'.repeat(32)).replace('bb…bb', 'bb'.repeat(28))
    const hex = (frame: SidecarFrame): string => Buffer.from(encodeSidecarFrame(frame)).toString('hex')
    expect(hex({ t: 'have', id, key: true })).toBe(doc('a3 6174 64 68617665 62 6964 5820 07…07 63 6b6579 f5'))
    expect(encodeSidecarFrame({ t: 'have', id, key: true }).length).toBe(50)
    expect(hex({ t: 'want', id })).toBe(doc('a2 6174 64 77616e74 62 6964 5820 07…07'))
    expect(encodeSidecarFrame({ t: 'want', id }).length).toBe(45)
    expect(hex({ t: 'none', id, held: 'erased' })).toBe(doc('a3 6174 64 6e6f6e65 62 6964 5820 07…07 64 68656c64 66 657261736564'))
    expect(hex({ t: 'sidecar', id, sidecar: { blob: new Uint8Array(28).fill(0xbb), key: null } }))
      .toBe(doc('a4 6174 67 73696465636172 62 6964 5820 07…07 63 6b6579 f6 64 626c6f62 581c bb…bb'))
  })

  it('refuse any other shape or bound', () => {
    const bad: [string, unknown][] = [
      ['not a map', ['have', id]],
      ['no t', { id }],
      ['unknown t', { t: 'push', id }],
      ['extra member', { t: 'want', id, more: 1 }],
      ['have without key', { t: 'have', id }],
      ['have key not a boolean', { t: 'have', id, key: 1 }],
      ['short id', { t: 'want', id: id.subarray(1) }],
      ['blob over the largest', { t: 'sidecar', id, blob: new Uint8Array(FRAME_BLOB_BYTES_MAX + 1), key: null }],
      ['key over 32 bytes', { t: 'sidecar', id, blob: new Uint8Array(28), key: new Uint8Array(33) }],
      ['key not bytes', { t: 'sidecar', id, blob: new Uint8Array(28), key: 'k' }],
      ['none held other', { t: 'none', id, held: 'stored' }],
    ]
    for (const [what, value] of bad) expect(() => decodeSidecarFrame(encodeCanonical(value as never)), what).toThrow()
    expect(() => decodeSidecarFrame(new Uint8Array(NODE_LIMITS.sidecarFrameBytesMax + 1))).toThrow(/over the limit/)
  })
})
