// sdk/examples/agents.ts: the planner/reviewer/executor demo, in process and as
// `npm run example:agents`, against API servers over one in-memory ledger.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { genesisToJson } from '../../src/log/genesis.ts'
import { runAgentsDemo } from '../../sdk/examples/agents.ts'
import { discoverDevnet } from '../../sdk/examples/cluster-flags.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

describe('agents example', () => {
  let cluster: TestCluster
  let dir: string
  beforeAll(async () => {
    cluster = await startCluster({ honest: 3 })
    dir = mkdtempSync(join(tmpdir(), 'synod-example-'))
  })
  afterAll(async () => {
    await cluster.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('planner, reviewer and executor coordinate through the log only', async () => {
    const lines: string[] = []
    const result = await runAgentsDemo({ nodes: cluster.urls, genesis: cluster.net.genesis, plans: 3, log: (l) => lines.push(l), timeoutMs: 30_000 })
    expect(result).toEqual({ plans: 3, approved: 2, rejected: 1, executed: 2 })
    expect(lines.filter((l) => l.includes('receipt ok')).length).toBeGreaterThanOrEqual(3 + 3 + 2)
    expect(lines.some((l) => l.startsWith('[reviewer] REJECTED'))).toBe(true)
    expect(lines.filter((l) => l.startsWith('[executor] executing')).length).toBe(2)
  })

  it('finds node URLs and the genesis in a devnet directory', () => {
    writeFileSync(join(dir, 'genesis.json'), JSON.stringify(genesisToJson(cluster.net.genesis)))
    cluster.urls.forEach((url, i) => {
      mkdirSync(join(dir, `node-${i}`), { recursive: true })
      const port = Number(new URL(url).port)
      writeFileSync(join(dir, `node-${i}`, 'config.json'), JSON.stringify({ dataDir: 'data', keyFile: 'key.json', genesisFile: '../genesis.json', http: { host: '127.0.0.1', port } }))
    })
    const found = discoverDevnet(dir)
    expect(found.nodes.sort()).toEqual([...cluster.urls].sort())
    expect(found.genesis.chainId).toBe(cluster.net.genesis.chainId)
  })

  it('runs as `npm run example:agents -- --devnet DIR`', async () => {
    // Asynchronously: the servers live in this process and must keep serving.
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'example:agents', '--', '--devnet', dir, '--plans', '2'], { encoding: 'utf8', timeout: 60_000 })
    expect(stdout).toMatch(/2 plans, 2 approved, 0 rejected, 2 executed/)
  })
})
