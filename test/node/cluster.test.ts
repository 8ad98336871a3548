// Integration: real `synod start` processes on 127.0.0.1, driven over HTTP.
//   - commit through one node, read (and verify the receipt) from another;
//   - CORS for any origin (as the devnet configures) and the node's own routes documented;
//   - a node started late syncs to the same chain;
//   - malformed and oversized input (HTTP bodies, raw TCP, an outsider's libp2p dial)
//     leaves every node running;
//   - SIGKILL the leader, keep committing; restart it, it catches up;
//   - SIGKILL a node under load, restart it: same chain, no lost or duplicated entries.
// Every spawned process is stopped by its pid in afterAll. Runs in about a minute.
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256, toHex } from '../../src/crypto/hash.ts'
import { entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { createClusterFiles, NodeProcess, type ClusterFiles } from '../../devnet/cluster.ts'
import { getBlockHash, getHead, getJson, postEntry } from '../../devnet/http-client.ts'
import { Workload } from '../../devnet/workload.ts'
import { generateKey } from '../../node/runtime/key-file.ts'

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('a cluster of validator processes', () => {
  let dir: string
  let files: ClusterFiles
  let nodes: NodeProcess[] = []
  let seq = 0

  function entry(agent: number, payload: unknown): Entry {
    const key = files.agents[agent]!
    seq++
    return signEntry({ agent: key.publicKey, namespace: 'it/cluster', seq, payload: JSON.stringify(payload), refs: [], idempotencyKey: '' }, files.genesis.chainId, key.seed)
  }

  async function submitAll(node: NodeProcess, entries: readonly Entry[]): Promise<void> {
    for (const e of entries) {
      const answer = await postEntry(node.httpUrl, e)
      expect(answer.status, JSON.stringify(answer.body)).toBe(202)
    }
  }

  async function committedOn(node: NodeProcess, e: Entry): Promise<boolean> {
    const answer = await getJson(`${node.httpUrl}/v1/entries/${toHex(entryId(e))}`, 2000).catch(() => null)
    return answer !== null && answer.status === 200 && ['committed', 'certified'].includes((answer.body as { status: string }).status)
  }

  async function allIds(node: NodeProcess): Promise<string[]> {
    const ids: string[] = []
    let cursor: string | null = ''
    for (let page = 0; page < 1000 && cursor !== null; page++) {
      const answer = await getJson(`${node.httpUrl}/v1/entries?limit=1000${cursor === '' ? '' : `&cursor=${cursor}`}`)
      expect(answer.status).toBe(200)
      const body = answer.body as { items: { id: string, index: number }[], nextCursor: string | null }
      for (const item of body.items) {
        expect(item.index).toBe(ids.length)
        ids.push(item.id)
      }
      cursor = body.nextCursor
    }
    return ids
  }

  /** Waits until the nodes hold the same block at the lowest of their heights, and
   * that height is at least `height`. */
  async function agreeAtLeast(group: readonly NodeProcess[], height: number): Promise<number> {
    let common = -1
    await waitFor(`nodes ${group.map((n) => n.files.index).join(',')} agree at height >= ${height}`, async () => {
      const heads = await Promise.all(group.map((n) => getHead(n.httpUrl)))
      if (heads.some((h) => h === null)) return false
      const h = Math.min(...heads.map((x) => x!.height))
      if (h < height) return false
      const hashes = await Promise.all(group.map((n) => getBlockHash(n.httpUrl, h)))
      common = h
      return hashes.every((x) => x !== null && x === hashes[0])
    })
    return common
  }

  async function healthy(node: NodeProcess): Promise<boolean> {
    const answer = await getJson(`${node.httpUrl}/healthz`, 2000).catch(() => null)
    return answer !== null && answer.status === 200
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-cluster-'))
    files = await createClusterFiles({ dir: join(dir, 'net'), nodes: 4, agents: 3, chainId: 'it-cluster', params: { roundTimeoutMs: 500 } })
    nodes = files.nodes.map((f) => new NodeProcess(f))
    // Node 3 starts late (see below).
    await Promise.all(nodes.slice(0, 3).map((n) => n.start()))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('commits through one node and serves the entry and a verifiable receipt from another', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => entry(0, { step: 'first', i }))
    await submitAll(nodes[1]!, entries)
    await waitFor('the entries commit on node 2', async () => (await Promise.all(entries.map((e) => committedOn(nodes[2]!, e)))).every(Boolean))
    let receipt: unknown = null
    await waitFor('a receipt exists on node 0', async () => {
      const answer = await getJson(`${nodes[0]!.httpUrl}/v1/receipts/${toHex(entryId(entries[3]!))}`)
      receipt = answer.status === 200 ? (answer.body as { receipt: unknown }).receipt : null
      return receipt !== null
    })
    const verdict = verifyReceipt(receiptFromJson(receipt), files.genesis)
    expect(verdict).toMatchObject({ ok: true })
  })

  it('answers pages of any origin (the devnet config) and documents its own routes in /openapi.json', async () => {
    const url = nodes[0]!.httpUrl
    const head = await fetch(`${url}/v1/head`, { headers: { origin: 'http://127.0.0.1:5173' } })
    expect(head.headers.get('access-control-allow-origin')).toBe('*')
    const doc = await (await fetch(`${url}/openapi.json`)).json() as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>> }
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true })
    const check = (path: string, body: unknown): void => {
      const validate = ajv.compile(doc.paths[path]!.get!.responses['200']!.content['application/json']!.schema)
      expect(validate(body) ? [] : validate.errors, path).toEqual([])
    }
    check('/v1/head', await head.json())
    check('/v1/blocks/{height}', await (await fetch(`${url}/v1/blocks/1`)).json())
    check('/healthz', await (await fetch(`${url}/healthz`)).json())
  })

  it('syncs a validator that starts late', async () => {
    const target = (await getHead(nodes[0]!.httpUrl))!.height
    await nodes[3]!.start()
    await agreeAtLeast(nodes, target)
    const ids3 = await allIds(nodes[3]!)
    expect(ids3.slice(0, 10)).toEqual((await allIds(nodes[0]!)).slice(0, 10))
  })

  it('stays up under malformed and oversized input', async () => {
    const url = nodes[0]!.httpUrl
    const post = (body: string, type = 'application/json') => fetch(`${url}/v1/entries`, { method: 'POST', headers: { 'content-type': type }, body })
    expect((await post('{"agent": ')).status).toBe(400)
    // An oversized body is refused: 413, or the connection is cut while we still send.
    const oversized = await post(JSON.stringify({ junk: 'x'.repeat(4 * 1024 * 1024) })).then((r) => r.status, () => 413)
    expect(oversized).toBe(413)
    expect((await post('[]')).status).toBeGreaterThanOrEqual(400)
    const forged = { ...entry(1, { forged: true }), sig: new Uint8Array(64).fill(7) }
    expect((await postEntry(url, forged)).status).toBe(422)
    // Raw garbage on the p2p port, and an outsider key dialing in.
    await new Promise<void>((resolve) => {
      const socket = connect(files.nodes[1]!.p2pPort, '127.0.0.1', () => {
        socket.write(new Uint8Array(64 * 1024).fill(0xff))
        socket.end()
      })
      socket.on('close', () => resolve())
      socket.on('error', () => resolve())
    })
    const outsider = await createLibp2p({
      privateKey: await generateKeyPairFromSeed('Ed25519', sha256(new TextEncoder().encode('outsider'))),
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    })
    await outsider.dial(multiaddr(`/ip4/127.0.0.1/tcp/${files.nodes[2]!.p2pPort}`)).catch(() => null)
    await outsider.stop()
    for (const node of nodes) expect(await healthy(node)).toBe(true)
    const after = [entry(1, { after: 'garbage' })]
    await submitAll(nodes[2]!, after)
    await waitFor('an entry commits after the garbage', () => committedOn(nodes[1]!, after[0]!))
  })

  it('keeps committing after the leader is killed, and the leader catches up on restart', async () => {
    const round = ((await getJson(`${nodes[0]!.httpUrl}/v1/head`)).body as { round: number }).round
    const victim = nodes[(round + 1) % 4]!
    await victim.kill()
    const live = nodes.filter((n) => n !== victim)
    const entries = Array.from({ length: 10 }, (_, i) => entry(2, { step: 'leaderless', i }))
    await submitAll(live[0]!, entries)
    await waitFor('entries commit without the killed leader', async () => (await Promise.all(entries.map((e) => committedOn(live[1]!, e)))).every(Boolean))
    const height = (await getHead(live[0]!.httpUrl))!.height
    await victim.start()
    await agreeAtLeast(nodes, height)
    expect(await committedOn(victim, entries[9]!)).toBe(true)
  })

  it('a node killed under load restarts with the same log: nothing lost, nothing twice', async () => {
    const victim = nodes[2]!
    const live = nodes.filter((n) => n !== victim)
    const head = (await getHead(nodes[0]!.httpUrl))!
    const workload = new Workload({
      chainId: files.genesis.chainId,
      // Keys of its own: the workload's agents start at seq 1.
      agents: [generateKey('agent'), generateKey('agent')],
      nodeUrls: live.map((n) => n.httpUrl),
      window: 8,
      watchUrl: live[0]!.httpUrl,
      fromIndex: head.logSize,
    })
    workload.start()
    await new Promise((r) => setTimeout(r, 1500))
    await victim.kill()
    await new Promise((r) => setTimeout(r, 1500))
    await victim.start()
    await new Promise((r) => setTimeout(r, 1500))
    await workload.stop(15_000)
    const stats = workload.stats
    expect(stats.inFlight).toBe(0)
    expect(stats.committed).toBe(stats.submitted)
    // The live nodes' lowest head: the highest block every live node knows is committed.
    const finalHead = Math.min(...(await Promise.all(live.map((n) => getHead(n.httpUrl)))).map((h) => h!.height))
    await agreeAtLeast(nodes, finalHead)
    const [idsVictim, idsLive] = await Promise.all([allIds(victim), allIds(live[0]!)])
    const n = Math.min(idsVictim.length, idsLive.length)
    expect(idsVictim.slice(0, n)).toEqual(idsLive.slice(0, n))
    expect(new Set(idsVictim).size).toBe(idsVictim.length)
    expect(idsVictim.length).toBeGreaterThanOrEqual(head.logSize + stats.committed)
  }, 90_000)
})
