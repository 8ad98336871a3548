// `synod start --unsafe-skip-entry-signatures`: refused on a chain without the benchmark
// marker (before it touches the data directory), and loud where it is allowed.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createClusterFiles, NodeProcess, SYNOD_BIN } from '../../devnet/cluster.ts'
import { UNSAFE_BENCH_CHAIN_PREFIX } from '../../src/consensus/unsafe-bench.ts'

const dir = mkdtempSync(join(tmpdir(), 'synod-unsafe-'))
const started: NodeProcess[] = []
afterAll(async () => {
  for (const node of started) await node.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('synod start --unsafe-skip-entry-signatures', () => {
  it('is refused on a chain whose id lacks the benchmark marker, and the data directory is not created', async () => {
    const files = await createClusterFiles({ dir: join(dir, 'real'), nodes: 4, agents: 0, chainId: 'synod-real' })
    const node = files.nodes[0]!
    const r = spawnSync(process.execPath, [SYNOD_BIN, 'start', '--config', node.configFile, '--unsafe-skip-entry-signatures'], { encoding: 'utf8', timeout: 60_000 })
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/--unsafe-skip-entry-signatures refused: .*chainId starts with 'unsafe-bench-'; this chain is 'synod-real'/)
    expect(existsSync(node.dataDir)).toBe(false)
  })

  it('on a benchmark chain: starts, with the warning on stderr and in the log', async () => {
    const files = await createClusterFiles({ dir: join(dir, 'bench'), nodes: 4, agents: 0, chainId: `${UNSAFE_BENCH_CHAIN_PREFIX}cli`, logLevel: 'info' })
    const node = new NodeProcess(files.nodes[0]!, { startArgs: ['--unsafe-skip-entry-signatures'] })
    started.push(node)
    await node.start()
    const stderr = readFileSync(join(files.nodes[0]!.dir, 'stderr.log'), 'utf8')
    expect(stderr).toMatch(/UNSAFE: entry-signature checks are OFF on chain 'unsafe-bench-cli'/)
    expect(await node.stop()).toBe(0) // a clean stop flushes the log
    const log = readFileSync(join(files.nodes[0]!.dataDir, 'node.log'), 'utf8')
    expect(log).toMatch(/"unsafeSkipEntrySignatures":true.*UNSAFE: entry-signature checks are OFF/)
    // The ready line names the verifier in use and the switch.
    const ready = log.split('\n').find((line) => line.includes('"msg":"node ready"'))
    expect(ready).toMatch(/"ed25519":"(sodium|node)"/)
    expect(ready).toMatch(/"unsafeSkipEntrySignatures":true/)
  }, 120_000)
})
