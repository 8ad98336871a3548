// Four validator nodes in one process (memory stores, real libp2p on 127.0.0.1). A
// validator that comes back with an empty store onto an idle chain must learn that it is
// behind and catch up (issue 11, defect 10: it reported "ok" at height 0 until new
// entries arrived).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('a validator back on an idle chain', () => {
  let genesis: Genesis
  let seeds: readonly Uint8Array[]
  const nodes: (ValidatorNode | null)[] = []

  const node = (seed: Uint8Array, i: number): ValidatorNode => new ValidatorNode(
    { genesis, seed, listen: genesis.validators[i]!.addresses },
    { store: new MemoryStore(), logger: pino({ level: 'silent' }) },
  )

  beforeAll(async () => {
    const ports = await freePorts(4)
    const net = testNet(4, 'idle-catch-up-test')
    genesis = {
      ...net.genesis,
      params: { ...DEFAULT_PARAMS, roundTimeoutMs: 500, blockEntriesMax: 4 },
      validators: net.genesis.validators.map((v, i) => ({ ...v, addresses: [`/ip4/127.0.0.1/tcp/${ports[i]}`] })),
    }
    seeds = net.validatorSeeds
    for (let i = 0; i < 4; i++) nodes.push(node(seeds[i]!, i))
    await Promise.all(nodes.map((n) => n!.start()))
  })

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n?.stop()))
  })

  it('regression: health lies — an empty node on an idle chain reported ok and stayed at height 0; it reports syncing with its lag, pulls the head and catches up', async () => {
    // Validator 3 is down while the others commit a few blocks; then the chain is idle.
    await nodes[3]!.stop()
    nodes[3] = null
    const agent = new TestAgent('idle-catch-up')
    const entries = Array.from({ length: 24 }, (_, i) => agent.entry(genesis.chainId, 'team/idle', { i }))
    expect(await nodes[0]!.submit(entries)).toEqual(entries.map(() => null))
    await waitFor(() => [0, 1, 2].every((i) => nodes[i]!.head.logSize === entries.length))
    // Idle: all at one height, and no round moves for several round timeouts.
    let rounds = ''
    let quietSince = Date.now()
    await waitFor(() => {
      const now = [0, 1, 2].map((i) => `${nodes[i]!.round}/${nodes[i]!.head.height}`).join(',')
      if (now !== rounds) {
        rounds = now
        quietSince = Date.now()
      }
      return new Set([0, 1, 2].map((i) => nodes[i]!.head.height)).size === 1 && Date.now() - quietSince > 3000
    })
    const height = nodes[0]!.head.height
    expect(height).toBeGreaterThanOrEqual(6)
    // Back with an empty store (a wiped node), on the same address. Nothing new is submitted.
    const fresh = node(seeds[3]!, 3)
    nodes[3] = fresh
    const backend = new ValidatorBackend(fresh)
    const started = Date.now()
    await fresh.start()
    // While behind what it has heard its peers committed, it says so.
    await waitFor(() => {
      const health = backend.health()
      if (health.lagHeights > 0) expect(health.status).toBe('syncing')
      // The others' head, which may have moved on by a block (a pending block committed by
      // a later certificate) since the chain looked idle.
      return fresh.head.height >= height && fresh.head.height === Math.max(...[0, 1, 2].map((i) => nodes[i]!.head.height))
    }).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}: the restarted node holds height ${fresh.head.height} of ${height}, peers ${JSON.stringify(fresh.peers)}, health ${JSON.stringify(backend.health())}`)
    })
    console.log(`caught up to height ${fresh.head.height} (idle at ${height}) in ${Date.now() - started} ms`)
    expect(fresh.head.logSize).toBe(entries.length)
    await waitFor(() => backend.health().status === 'ok')
    expect(backend.health()).toMatchObject({ status: 'ok', height: fresh.head.height, lagHeights: 0 })
  }, 60_000)
})
