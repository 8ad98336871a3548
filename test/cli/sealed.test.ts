// synod seal / open / erase against real API servers (test/support-sdk/cluster.ts): the
// key written to a file, read back through a node, the entry erased by its author and
// refused to a stranger, and the audit printing it as erased.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SYNOD_BIN } from '../../devnet/cluster.ts'
import { AgentIdentity, genesisToJson } from '../../sdk/index.ts'
import { saveIdentity } from '../../sdk/identity-file.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'synod-sealed-cli-'))

describe('synod seal / open / erase', () => {
  let cluster: TestCluster
  const genesisFile = join(dir, 'genesis.json')
  const authorFile = join(dir, 'author.key.json')
  const strangerFile = join(dir, 'stranger.key.json')
  const keyFile = join(dir, 'sealed.key')

  beforeAll(async () => {
    cluster = await startCluster({ honest: 2, liars: ['tamper-sidecar'] })
    writeFileSync(genesisFile, JSON.stringify(genesisToJson(cluster.net.genesis)))
    saveIdentity(AgentIdentity.fromSeed(new Uint8Array(32).fill(71)), authorFile)
    saveIdentity(AgentIdentity.fromSeed(new Uint8Array(32).fill(72)), strangerFile)
  })
  afterAll(async () => {
    await cluster.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const connection = (): string[] => ['--nodes', cluster.urls.join(','), '--genesis', genesisFile]
  const synod = (...args: string[]) => run(process.execPath, [SYNOD_BIN, ...args, ...connection()], { timeout: 60_000 })
  const audit = (node: string, ...args: string[]) => run(process.execPath, [SYNOD_BIN, 'audit', '--node', node, '--genesis', genesisFile, '--allow-uncertified-tail', ...args], { timeout: 60_000 })
  const liar = (): string => cluster.nodes.find((n) => n.lie === 'tamper-sidecar')!.url

  it('seals, opens with the key file, erases as the author, and the audit lists it erased', async () => {
    const sealed = JSON.parse((await synod('seal', 'hr/reviews', '{"employee":"B. Jones","rating":4}', '--identity', authorFile, '--key-out', keyFile, '--json')).stdout)
    expect(sealed).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), key: null, storedOn: cluster.urls })
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(keyFile, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/)
    const opened = await synod('open', sealed.id, '--key-file', keyFile)
    expect(opened.stdout).toBe('{"employee":"B. Jones","rating":4}\n')

    // The audit asks a node for each sealed entry: the honest one holds it, the liar's is tampered.
    const held = JSON.parse((await audit(cluster.urls[0]!, '--sidecars', '--json')).stdout)
    expect(held.sidecars).toMatchObject({ probed: 1, counts: { held: 1 }, findings: [] })
    const tampered = await audit(liar(), '--sidecars').catch((e: { code: number, stdout: string }) => e)
    expect((tampered as { code: number }).code).toBe(2)
    expect((tampered as { stdout: string }).stdout).toMatch(new RegExp(`FAULT +tampered ${sealed.id}: blob-commitment`))

    const refused = await synod('erase', sealed.id, '--identity', strangerFile).catch((e: { code: number, stderr: string }) => e)
    expect((refused as { code: number }).code).not.toBe(0)
    expect((refused as { stderr: string }).stderr).toContain('erase-not-allowed')
    const erased = await synod('erase', sealed.id, '--identity', authorFile)
    expect(erased.stdout).toMatch(new RegExp(`^ERASED ${sealed.id}: erase [0-9a-f]{64} committed`))
    const gone = await synod('open', sealed.id, '--key-file', keyFile).catch((e: { code: number, stderr: string }) => e)
    expect((gone as { stderr: string }).stderr).toContain('is erased')

    const after = await audit(cluster.urls[0]!, '--sidecars')
    expect(after.stdout).toContain('AUDIT PASSED')
    expect(after.stdout).toMatch(/sealed entries {3}1: 1 erased, 0 not erased/)
    expect(after.stdout).toContain(`erased         ${sealed.id} (namespace hr/reviews`)
    expect(after.stdout).toMatch(/sidecars {9}1 asked of the node: erased 1/)
  }, 120_000)
})
