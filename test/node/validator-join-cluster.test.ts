// Integration: a validator joins a running chain, 4 -> 5, on real `synod start` processes
// on 127.0.0.1. Four genesis validators and a fifth with a fresh key outside the genesis
// all run with "reconfigurations": "switch"; the reconfiguration to the five is proposed,
// approved by three of the four keys and submitted with `synod reconfigure` (docs/operations.md
// section 8). Then: the fifth node's head passes the boundary and equals the others', entries
// commit before, across and after the change, the fifth proposes blocks of epoch 1 (position
// 4 of its set: directory index 4), every receipt verifies from the genesis alone, and
// `synod audit` passes on a node's export. Then 5 -> 4: an original validator leaves,
// epoch 2 commits, the leaver is stopped and the four commit on. Every process is stopped
// by its pid.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, signEntry, type Entry } from '../../src/log/entry.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { verifyReceipt } from '../../src/log/verify.ts'
import { createClusterFiles, NodeProcess, SYNOD_BIN, type ClusterFiles, type NodeFiles } from '../../devnet/cluster.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { getHead, getJson, postEntry } from '../../devnet/http-client.ts'
import { generateKey, writeKeyFile } from '../../devnet/key-files.ts'

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

function synod(args: readonly string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [SYNOD_BIN, ...args], { encoding: 'utf8', timeout: 90_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

interface BlockInfo { readonly hash: string, readonly epoch: number, readonly proposer: number }

async function blockAt(url: string, height: number): Promise<BlockInfo | null> {
  const answer = await getJson(`${url}/v1/blocks/${height}`, 2000).catch(() => null)
  return answer !== null && answer.status === 200 ? answer.body as BlockInfo : null
}

describe('a validator joining a running chain (4 -> 5)', () => {
  let dir: string
  let files: ClusterFiles
  let joinerFiles: NodeFiles
  const nodes: NodeProcess[] = []
  let seq = 0

  function entry(payload: unknown): Entry {
    const key = files.agents[0]!
    seq++
    return signEntry({ agent: key.publicKey, namespace: 'it/join', seq, payload: JSON.stringify(payload), refs: [], idempotencyKey: '' }, files.genesis.chainId, key.seed)
  }

  async function submit(node: NodeProcess, e: Entry): Promise<void> {
    const answer = await postEntry(node.httpUrl, e)
    expect(answer.status, JSON.stringify(answer.body)).toBe(202)
  }

  async function receiptOf(node: NodeProcess, e: Entry): Promise<unknown> {
    const answer = await getJson(`${node.httpUrl}/v1/receipts/${toHex(entryId(e))}`, 2000).catch(() => null)
    return answer !== null && answer.status === 200 ? (answer.body as { receipt: unknown }).receipt : null
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-join-'))
    files = await createClusterFiles({ dir: join(dir, 'cluster'), nodes: 4, agents: 2, chainId: 'synod-join-test', logLevel: 'info' })
    for (const node of files.nodes) {
      const config = JSON.parse(readFileSync(node.configFile, 'utf8')) as Record<string, unknown>
      writeFileSync(node.configFile, JSON.stringify({ ...config, reconfigurations: 'switch' }))
    }
    const [p2pPort, httpPort] = await freePorts(2)
    const joinerDir = join(files.dir, 'node-4')
    await mkdir(joinerDir, { mode: 0o700 })
    const keyFile = join(joinerDir, 'validator.key.json')
    await writeKeyFile(keyFile, generateKey('validator'))
    joinerFiles = { index: 4, dir: joinerDir, dataDir: join(joinerDir, 'data'), configFile: join(joinerDir, 'config.json'), keyFile, p2pPort: p2pPort!, httpPort: httpPort!, httpUrl: `http://127.0.0.1:${httpPort}` }
    writeFileSync(joinerFiles.configFile, JSON.stringify({
      dataDir: 'data', keyFile: 'validator.key.json', genesisFile: '../genesis.json', listen: [`/ip4/127.0.0.1/tcp/${p2pPort}`],
      http: { host: '127.0.0.1', port: httpPort }, logLevel: 'info', reconfigurations: 'switch',
    }))
    for (const f of [...files.nodes, joinerFiles]) nodes.push(new NodeProcess(f))
    await Promise.all(nodes.map((n) => n.start()))
  }, 120_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => n.kill())))
    // SYNOD_TEST_KEEP=1 keeps the nodes' files (logs) for a failed run.
    if (process.env.SYNOD_TEST_KEEP === undefined) rmSync(dir, { recursive: true, force: true })
    else process.stderr.write(`kept ${dir}\n`)
  }, 60_000)

  it('adds the fifth validator: it syncs across the boundary, proposes in epoch 1, and every receipt verifies from the genesis', async () => {
    const before = Array.from({ length: 4 }, (_, i) => entry({ step: 'before', i }))
    for (const e of before) await submit(nodes[0]!, e)
    await waitFor('the first entries have receipts', async () => (await Promise.all(before.map((e) => receiptOf(nodes[1]!, e)))).every((r) => r !== null))
    // The joiner is outside every directory: it holds nothing yet.
    expect((await getHead(nodes[4]!.httpUrl))?.height).toBe(0)

    const head = (await getHead(nodes[0]!.httpUrl))!.height
    const validatorsFile = join(dir, 'next.json')
    const keys = JSON.parse(readFileSync(files.genesisFile, 'utf8')) as { validators: unknown[] }
    const joinerKey = JSON.parse(readFileSync(joinerFiles.keyFile, 'utf8')) as { publicKey: string }
    writeFileSync(validatorsFile, JSON.stringify([
      ...keys.validators,
      { name: 'node-4', publicKey: joinerKey.publicKey, addresses: [`/ip4/127.0.0.1/tcp/${joinerFiles.p2pPort}`] },
    ]))
    const statement = join(dir, 'change.json')
    const proposed = synod(['reconfigure', 'propose', '--genesis', files.genesisFile, '--validators', validatorsFile, '--expires', String(head + 2000), '--out', statement])
    expect(proposed.status, proposed.stderr).toBe(0)
    const approvals: string[] = []
    for (const i of [0, 1, 2]) {
      const out = join(dir, `v${i}.approval.json`)
      const approved = synod(['reconfigure', 'approve', statement, '--genesis', files.genesisFile, '--key', files.nodes[i]!.keyFile, '--out', out])
      expect(approved.status, approved.stderr).toBe(0)
      approvals.push(out)
    }
    const across = Array.from({ length: 3 }, (_, i) => entry({ step: 'across', i }))
    for (const e of across) await submit(nodes[1]!, e)
    const submitted = synod(['reconfigure', 'submit', statement, ...approvals, '--identity', join(files.dir, 'agents', 'agent-1.key.json'), '--namespace', 'ops/validators', '--nodes', nodes[2]!.httpUrl, '--genesis', files.genesisFile])
    expect(submitted.status, submitted.stdout + submitted.stderr).toBe(0)

    // Entries keep coming until the joiner has proposed a committed block of epoch 1.
    const after: Entry[] = []
    let proposedByJoiner: number | null = null
    let scanned = 1
    await waitFor('the fifth validator proposes a committed block of epoch 1', async () => {
      const e = entry({ step: 'after', i: after.length })
      after.push(e)
      await submit(nodes[after.length % 5]!, e)
      const top = (await getHead(nodes[0]!.httpUrl))?.height ?? 0
      for (; scanned <= top; scanned++) {
        const block = await blockAt(nodes[0]!.httpUrl, scanned)
        if (block === null) break
        if (block.epoch >= 1 && block.proposer === 4) proposedByJoiner = scanned
      }
      return proposedByJoiner !== null
    }, 120_000)

    // The joiner's chain is the others' past the boundary.
    const common = (await getHead(nodes[0]!.httpUrl))!.height
    await waitFor('the fifth node reaches the others\' head', async () => ((await getHead(nodes[4]!.httpUrl))?.height ?? 0) >= common)
    for (const h of [proposedByJoiner!, common]) {
      const mine = await blockAt(nodes[4]!.httpUrl, h)
      const theirs = await blockAt(nodes[0]!.httpUrl, h)
      expect(mine?.hash).toBe(theirs?.hash)
      expect(mine?.epoch).toBe(1)
    }

    for (const e of [...before, ...across, ...after]) {
      for (const node of [nodes[3]!, nodes[4]!]) {
        let receipt: unknown = null
        await waitFor(`a receipt of ${toHex(entryId(e))} on ${node.files.httpUrl}`, async () => (receipt = await receiptOf(node, e)) !== null, 60_000)
        expect(verifyReceipt(receiptFromJson(receipt), files.genesis)).toMatchObject({ ok: true })
      }
    }

    const exportFile = join(dir, 'chain.export')
    const exported = synod(['export', '--node', nodes[4]!.httpUrl, '--out', exportFile])
    expect(exported.status, exported.stderr).toBe(0)
    const audited = synod(['audit', '--export', exportFile, '--genesis', files.genesisFile])
    expect(audited.status, audited.stdout + audited.stderr).toBe(0)
  }, 400_000)

  it('then removes an original validator (5 -> 4): epoch 2 commits without it, and it can be stopped', async () => {
    const statement1 = join(dir, 'change.json')
    const current = JSON.parse(readFileSync(statement1, 'utf8')) as { validators: { name: string, publicKey: string, addresses: string[] }[] }
    const validatorsFile = join(dir, 'next2.json')
    writeFileSync(validatorsFile, JSON.stringify(current.validators.filter((v) => v.name !== 'node-3')))
    const head = (await getHead(nodes[0]!.httpUrl))!.height
    const statement = join(dir, 'change2.json')
    const proposed = synod(['reconfigure', 'propose', '--genesis', files.genesisFile, '--validators', validatorsFile, '--expires', String(head + 2000), '--after', statement1, '--out', statement])
    expect(proposed.status, proposed.stderr).toBe(0)
    const approvals: string[] = []
    // A quorum of the five: four.
    for (const keyFile of [files.nodes[0]!.keyFile, files.nodes[1]!.keyFile, files.nodes[2]!.keyFile, joinerFiles.keyFile]) {
      const out = join(dir, `${approvals.length}.approval2.json`)
      const approved = synod(['reconfigure', 'approve', statement, '--genesis', files.genesisFile, '--key', keyFile, '--out', out])
      expect(approved.status, approved.stderr).toBe(0)
      approvals.push(out)
    }
    const submitted = synod(['reconfigure', 'submit', statement, ...approvals, '--identity', join(files.dir, 'agents', 'agent-1.key.json'), '--namespace', 'ops/validators', '--nodes', nodes[4]!.httpUrl, '--genesis', files.genesisFile])
    expect(submitted.status, submitted.stdout + submitted.stderr).toBe(0)

    let firstOfEpoch2: number | null = null
    let scanned = head
    const after: Entry[] = []
    await waitFor('a block of epoch 2 commits', async () => {
      const e = entry({ step: 'epoch 2', i: after.length })
      after.push(e)
      await submit(nodes[[0, 1, 2, 4][after.length % 4]!]!, e)
      const top = (await getHead(nodes[0]!.httpUrl))?.height ?? 0
      for (; scanned <= top && firstOfEpoch2 === null; scanned++) {
        const block = await blockAt(nodes[0]!.httpUrl, scanned)
        if (block === null) break
        if (block.epoch === 2) firstOfEpoch2 = scanned
      }
      return firstOfEpoch2 !== null
    }, 120_000)
    // The leaver has switched too (it follows the chain); then it stops, and the four commit on.
    await waitFor('the leaver passes the boundary', async () => ((await getHead(nodes[3]!.httpUrl))?.height ?? 0) >= firstOfEpoch2!)
    await nodes[3]!.stop()
    const last = Array.from({ length: 3 }, (_, i) => entry({ step: 'without the leaver', i }))
    for (const e of last) await submit(nodes[4]!, e)
    for (const e of [...after, ...last]) {
      let receipt: unknown = null
      await waitFor(`a receipt of ${toHex(entryId(e))}`, async () => (receipt = await receiptOf(nodes[4]!, e)) !== null, 60_000)
      expect(verifyReceipt(receiptFromJson(receipt), files.genesis)).toMatchObject({ ok: true })
    }
    const exportFile = join(dir, 'chain2.export')
    const exported = synod(['export', '--node', nodes[0]!.httpUrl, '--out', exportFile])
    expect(exported.status, exported.stderr).toBe(0)
    const audited = synod(['audit', '--export', exportFile, '--genesis', files.genesisFile])
    expect(audited.status, audited.stdout + audited.stderr).toBe(0)
  }, 400_000)
})
