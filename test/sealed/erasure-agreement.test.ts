// The erasure rule is applied in two places: the node's store at commit (the sidecar
// deleted in the commit batch, node/store/erasure-ops.ts) and the ErasureLedger that the
// auditor and the SDK feed the log. Random logs of sealed, plain and erase entries by
// three agents, in an open and a governed namespace, committed in random batches: both
// must erase exactly the same entries. fast-check prints the seed of a failing run
// (replay with { seed, path }).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash } from '../../src/log/block.ts'
import { encodeEntry, entryId, type Entry } from '../../src/log/entry.ts'
import { leafHash, MerkleAccumulator } from '../../src/log/merkle.ts'
import { ErasureLedger } from '../../src/sealed/erasure.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'
import { eraseEntry, sealedEntry, sealFixture } from '../support/sealed-entries.ts'

const agents = [new TestAgent('agree/a'), new TestAgent('agree/b'), new TestAgent('agree/c')]
const net = testNet(4, 'erasure-agreement', { policy: { open: true, namespaces: { 'acme/hr': [agents[0]!.publicKey, agents[1]!.publicKey] } } })
const chainId = net.genesis.chainId
const fixture = sealFixture('agree', '{"x":1}')

/** An erase names an earlier entry (`target` picks one, sealed ones more often), or with
 * `aim` 0 an id that is not in the log; with `aim` 1 it is written in another namespace
 * than its target's, else in the target's. */
type Step = { kind: 'sealed' | 'plain', agent: number, governed: boolean } | { kind: 'erase', agent: number, target: number, aim: number }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constantFrom('sealed' as const, 'plain' as const), agent: fc.integer({ min: 0, max: 2 }), governed: fc.boolean() }),
  fc.record({ kind: fc.constant('erase' as const), agent: fc.integer({ min: 0, max: 2 }), target: fc.nat(), aim: fc.integer({ min: 0, max: 7 }) }),
)

describe('the store and the ledger erase the same entries', () => {
  it('for random logs and commit batches', async () => {
    const seen = { erased: 0, kept: 0, ignored: 0 }
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }), async (steps, splits) => {
      const entries: Entry[] = []
      const sealedSoFar: Entry[] = []
      // Agent c may not write to the governed namespace (the write policy): it writes to the open one.
      const allowed = (agent: number, namespace: string): string => (agent === 2 ? 'org/notes' : namespace)
      for (const s of steps) {
        const agent = agents[s.agent]!
        if (s.kind !== 'erase') {
          const namespace = allowed(s.agent, s.governed ? 'acme/hr' : 'org/notes')
          const entry = s.kind === 'sealed' ? sealedEntry(agent, chainId, namespace, fixture) : agent.entry(chainId, namespace, { n: entries.length })
          entries.push(entry)
          if (s.kind === 'sealed') sealedSoFar.push(entry)
          continue
        }
        const pool = s.target % 3 === 0 || sealedSoFar.length === 0 ? entries : sealedSoFar
        const target = s.aim === 0 || pool.length === 0 ? agent.entry(chainId, 'org/notes', { never: s.target }) : pool[s.target % pool.length]!
        const other = target.namespace === 'acme/hr' ? 'org/notes' : 'acme/hr'
        entries.push(eraseEntry(agent, chainId, allowed(s.agent, s.aim === 1 ? other : target.namespace), target))
      }
      const chain = new ChainBuilder(net)
      const blocks: Entry[][] = []
      for (let at = 0, i = 0; at < entries.length; i++) {
        const size = splits[i % splits.length]!
        blocks.push(entries.slice(at, at + size))
        at += size
      }
      for (const b of blocks) chain.add(b)
      const store = new MemoryStore()
      await store.open(net.genesis)
      const log = new MerkleAccumulator()
      // Commit one to three blocks at a time, uploading each sealed entry's sidecar once committed.
      for (let h = 0; h < chain.items.length;) {
        const to = Math.min(chain.items.length, h + 1 + (h % 3))
        const items = chain.items.slice(h, to)
        for (const item of items) for (const e of item.block.entries) log.append(leafHash(encodeEntry(e)))
        await store.commit({ blocks: items.map((i) => i.block), hashes: items.map((i) => blockHash(i.block.header)), qc: null, cc: items.at(-1)!.cc ?? null, log: log.toState() })
        for (const item of items) {
          for (const e of item.block.entries) if (e.payload === fixture.payload) await store.putSidecar(entryId(e), { blob: fixture.blob, key: null })
        }
        h = to
      }
      const ledger = new ErasureLedger(net.genesis.policy)
      let index = 0
      chain.items.forEach((item) => item.block.entries.forEach((entry) => ledger.append({ entry, index: index++, height: item.block.header.height })))
      for (const s of ledger.states()) {
        const held = await store.sidecar(Uint8Array.from(Buffer.from(s.id, 'hex')))
        expect(held.status === 'erased' && held.erase !== null ? toHex(held.erase) : null).toBe(s.erasedBy?.id ?? null)
        // A sealed entry erased before its commit's upload is refused; one erased after is deleted: never 'stored' once erased.
        if (s.erasedBy === null) expect(held.status).toBe('stored')
        seen[s.erasedBy === null ? 'kept' : 'erased'] += 1
      }
      for (const n of ledger.anomalies().counts.values()) seen.ignored += n
      await store.close()
    }), { numRuns: 200 })
    // The runs exercised every outcome: entries erased, entries kept, erases ignored.
    expect(seen.erased).toBeGreaterThan(0)
    expect(seen.kept).toBeGreaterThan(0)
    expect(seen.ignored).toBeGreaterThan(0)
    console.log(`erasure agreement: ${seen.erased} erased, ${seen.kept} kept, ${seen.ignored} erases ignored over 200 runs`)
  }, 120_000)
})
