// A commit signs its entry once: the form checks before sending run the core's reader
// over a placeholder signature, so the agent's key signs only the entry that is sent
// (again only when a stale seq forces a new one).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { AgentIdentity, SynodClient, seededRandom, verifyReceipt } from '../../sdk/index.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'
import type * as EntryModule from '../../src/log/entry.ts'

const signs = vi.hoisted(() => ({ count: 0 }))
vi.mock('../../src/log/entry.ts', async (importOriginal) => {
  const original = await importOriginal<typeof EntryModule>()
  return {
    ...original,
    signEntry: (...args: Parameters<typeof original.signEntry>) => {
      signs.count += 1
      return original.signEntry(...args)
    },
  }
})

describe('a commit signs its entry once', () => {
  let cluster: TestCluster
  beforeAll(async () => {
    cluster = await startCluster({ honest: 3, liars: [] })
  })
  afterAll(async () => {
    await cluster.close()
  })

  it('bug: the SDK signed every commit twice (one Ed25519 signature per commit now)', async () => {
    const c = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.fromSeed(new Uint8Array(32).fill(9)), random: seededRandom(1) })
    const before = signs.count
    for (let i = 0; i < 5; i++) {
      const d = await c.commit('acme/plans', { step: i })
      expect(verifyReceipt(d.receipt, cluster.net.genesis).ok).toBe(true)
    }
    expect(signs.count - before).toBe(5)
  })
})
