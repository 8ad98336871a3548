// A node whose key is outside the genesis: with 'switch' it starts as a joining validator
// (no index, following the chain), with 'refuse' it stops with a clear error.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createClusterFiles } from '../../devnet/cluster.ts'
import { generateKey, writeKeyFile } from '../../devnet/key-files.ts'
import { readConfig } from '../../node/runtime/config.ts'
import { ConfigError } from '../../node/runtime/errors.ts'
import { runNode } from '../../node/runtime/run-node.ts'

describe('a validator key outside the genesis', () => {
  const dirs: string[] = []
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  async function joinerConfig(reconfigurations: 'refuse' | 'switch' | undefined): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'synod-joiner-'))
    dirs.push(dir)
    const files = await createClusterFiles({ dir: join(dir, 'c'), nodes: 4, agents: 0, chainId: 'joiner-start', logLevel: 'info' })
    await writeKeyFile(join(dir, 'joiner.key.json'), generateKey('validator'))
    const configFile = join(dir, 'joiner.json')
    const config = {
      dataDir: 'joiner-data', keyFile: 'joiner.key.json', genesisFile: files.genesisFile, listen: ['/ip4/127.0.0.1/tcp/0'], http: null,
      ...(reconfigurations === undefined ? {} : { reconfigurations }),
    }
    await writeFile(configFile, JSON.stringify(config))
    return configFile
  }

  it('starts a joining validator with no index under switch', async () => {
    const running = await runNode(await readConfig(await joinerConfig('switch')))
    try {
      expect(running.node.index).toBe(-1)
      expect(running.node.running).toBe(true)
      expect(running.node.head.height).toBe(0)
    } finally {
      await running.stop()
    }
  }, 30_000)

  it('stops with a clear error under refuse, the default', async () => {
    for (const mode of ['refuse', undefined] as const) {
      const config = await readConfig(await joinerConfig(mode))
      await expect(runNode(config)).rejects.toThrow(ConfigError)
      await expect(runNode(config)).rejects.toThrow(/is not a validator in .*reconfigurations.*switch/)
    }
  }, 30_000)
})
