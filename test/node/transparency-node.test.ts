// The C2SP routes on real validator nodes (four in one process: memory stores, libp2p on
// 127.0.0.1): the checkpoint consensus produced is a signed note that verifies with the
// genesis note keys alone, the tiles read from the node's store fold to its root, and
// the entry bundles hold the entries the export certifies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { verifyCheckpointNote } from '../../src/log/checkpoint-note.ts'
import { DEFAULT_PARAMS, validatorSetOf, type Genesis } from '../../src/log/genesis.ts'
import { leafHash } from '../../src/log/merkle.ts'
import { decodeEntryBundle, decodeTile, rootFromTiles, tilePath, tileWidthAt, TILE_WIDTH } from '../../src/log/tiles.ts'
import { encodeEntry, entryFromCbor } from '../../src/log/entry.ts'
import { fromJson } from '../../src/log/json.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import { createApiServer, type ApiServer } from '../../node/api/server.ts'
import { NodeMetrics } from '../../node/metrics/metrics.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { postEntry } from '../../devnet/http-client.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'

async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('C2SP routes on validator nodes', () => {
  let genesis: Genesis
  const nodes: ValidatorNode[] = []
  let api: ApiServer
  let url: string

  beforeAll(async () => {
    const ports = await freePorts(4)
    const net = testNet(4, 'tlog-test')
    genesis = {
      ...net.genesis,
      params: { ...DEFAULT_PARAMS, roundTimeoutMs: 500 },
      validators: net.genesis.validators.map((v, i) => ({ ...v, addresses: [`/ip4/127.0.0.1/tcp/${ports[i]}`] })),
    }
    for (let i = 0; i < 4; i++) {
      nodes.push(new ValidatorNode({ genesis, seed: net.validatorSeeds[i]!, listen: genesis.validators[i]!.addresses }, { store: new MemoryStore(), logger: pino({ level: 'silent' }) }))
    }
    await Promise.all(nodes.map((n) => n.start()))
    api = createApiServer({ port: 0, limits: { ipRatePerSecond: 10_000, ipBurst: 10_000, agentRatePerSecond: 10_000, agentBurst: 10_000 }, payloadBytesMax: genesis.params.payloadBytesMax }, { backend: new ValidatorBackend(nodes[0]!), metrics: new NodeMetrics({ processMetrics: false }) })
    url = (await api.listen()).url
    await waitFor('every node has its three peers', () => nodes.every((n) => n.peers.length === 3))
  }, 60_000)

  afterAll(async () => {
    await api?.close()
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('serves a checkpoint note, tiles and bundles of the certified log', async () => {
    const agents = Array.from({ length: 3 }, (_, i) => new TestAgent(`tlog-agent-${i}`))
    const total = 270 // a full level-0 tile and a partial one
    for (let i = 0; i < total; i++) {
      const agent = agents[i % agents.length]!
      const posted = await postEntry(url, agent.entry(genesis.chainId, 'team/tlog', { i }))
      expect(posted.status).toBeLessThan(300)
    }
    const set = validatorSetOf(genesis)
    let note = ''
    await waitFor('a checkpoint covers every entry', async () => {
      const res = await fetch(`${url}/checkpoint`)
      if (res.status !== 200) return false
      note = await res.text()
      return (verifyCheckpointNote(genesis.chainId, set, note)?.logSize ?? 0) >= total
    })
    const stated = verifyCheckpointNote(genesis.chainId, set, note)!
    const size = stated.logSize
    const tiles = new Map<string, Uint8Array[]>()
    const entries: Uint8Array[] = []
    for (let level = 0; TILE_WIDTH ** level <= size; level++) {
      for (let index = 0; tileWidthAt(level, index, size) !== null; index++) {
        const width = tileWidthAt(level, index, size)!
        const res = await fetch(`${url}/${tilePath({ level, index, width })}`)
        expect(res.status).toBe(200)
        tiles.set(`${level}/${index}`, decodeTile(new Uint8Array(await res.arrayBuffer()), width))
        if (level === 0) {
          const bundle = await fetch(`${url}/${tilePath({ level: 'entries', index, width })}`)
          entries.push(...decodeEntryBundle(new Uint8Array(await bundle.arrayBuffer())))
        }
      }
    }
    expect(rootFromTiles(size, (level, index) => tiles.get(`${level}/${index}`)!)).toEqual(stated.logRoot)
    expect(entries.map(leafHash)).toEqual([...tiles.entries()].filter(([k]) => k.startsWith('0/')).flatMap(([, t]) => t))
    // The bundles hold the entries as the entry API reads them, in log order.
    const page = await (await fetch(`${url}/v1/entries?limit=${Math.min(size, 100)}`)).json() as { items: { entry: unknown }[] }
    expect(page.items.map((r) => encodeEntry(entryFromCbor(fromJson(r.entry as never))))).toEqual(entries.slice(0, page.items.length))
  }, 120_000)
})
