// synod keygen, genesis and start: files, modes, and clear errors with non-zero exits.
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { genesisFromJson } from '../../src/log/genesis.ts'
import { SYNOD_BIN } from '../../devnet/cluster.ts'
import { LevelStore } from '../../node/store/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'synod-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function synod(...args: string[]): { status: number | null, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [SYNOD_BIN, ...args], { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('node commands', () => {
  it('keygen writes a 0600 key file and never overwrites it', () => {
    const file = join(dir, 'v0.json')
    const r = synod('keygen', '--out', file, '--json')
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout) as { publicKey: string, peerId: string }
    expect(out.publicKey).toMatch(/^[0-9a-f]{64}$/)
    expect(out.peerId).toMatch(/^12D3KooW/)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const again = synod('keygen', '--out', file)
    expect(again.status).toBe(1)
    expect(again.stderr).toMatch(/already exists/)
    expect(synod('keygen', '--out', join(dir, 'x.json'), '--kind', 'robot').stderr).toMatch(/--kind must be one of/)
  })

  it('genesis builds a valid genesis from key files and addresses', () => {
    const keys = [1, 2, 3].map((i) => {
      const file = join(dir, `v${i}.json`)
      expect(synod('keygen', '--out', file).status).toBe(0)
      return file
    })
    const all = [join(dir, 'v0.json'), ...keys]
    const out = join(dir, 'genesis.json')
    const r = synod('genesis', '--chain-id', 'cli-test', '--out', out, '--param', 'roundTimeoutMs=700', ...all.flatMap((k, i) => ['--key', `${k}=/ip4/127.0.0.1/tcp/${7100 + i}`]))
    expect(r.status, r.stderr).toBe(0)
    const genesis = genesisFromJson(JSON.parse(readFileSync(out, 'utf8')))
    expect(genesis.validators).toHaveLength(4)
    expect(genesis.params.roundTimeoutMs).toBe(700)
    expect(synod('genesis', '--chain-id', 'cli-test', '--out', join(dir, 'g2.json'), '--key', `${all[0]}=/ip4/127.0.0.1/tcp/1`).stderr).toMatch(/4 to/)
    expect(synod('genesis', '--chain-id', 'Bad Id', '--out', join(dir, 'g3.json'), ...all.flatMap((k) => ['--key', `${k}=/ip4/127.0.0.1/tcp/1`])).stderr).toMatch(/chainId/)
    expect(synod('genesis', '--chain-id', 'x', '--out', join(dir, 'g4.json'), '--key', `${all[0]}=not-a-multiaddr`).stderr).toMatch(/not a multiaddr/)
  })

  it('start refuses bad configs with a message naming the problem', () => {
    const config = join(dir, 'node.json')
    writeFileSync(config, JSON.stringify({ dataDir: 'd', keyFile: 'v0.json', genesisFile: 'genesis.json', http: { port: 99999 } }))
    let r = synod('start', '--config', config)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/http.port/)
    writeFileSync(config, JSON.stringify({ dataDir: 'd', keyFile: 'v0.json', genesisFile: 'genesis.json', colour: 'blue' }))
    expect(synod('start', '--config', config).stderr).toMatch(/unknown field 'colour'/)
    const stranger = join(dir, 'stranger.json')
    expect(synod('keygen', '--out', stranger).status).toBe(0)
    writeFileSync(config, JSON.stringify({ dataDir: 'd', keyFile: 'stranger.json', genesisFile: 'genesis.json' }))
    r = synod('start', '--config', config)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/not a validator/)
  })

  it('regression: start on a damaged store logged nothing and reported damage as a held lock; now it names the damage in node.log', () => {
    // genesis.json and v0.json come from the tests above. A table without CURRENT: what a
    // deleted CURRENT leaves (LevelDB would start afresh over it and delete the table).
    const dataDir = join(dir, 'damaged')
    mkdirSync(join(dataDir, 'store'), { recursive: true })
    writeFileSync(join(dataDir, 'store', '000005.ldb'), 'a table')
    const config = join(dir, 'damaged.json')
    writeFileSync(config, JSON.stringify({ dataDir: 'damaged', keyFile: 'v0.json', genesisFile: 'genesis.json', listen: ['/ip4/127.0.0.1/tcp/0'], http: null }))
    const r = synod('start', '--config', config)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/StoreDamagedError: .*current-missing/)
    const log = readFileSync(join(dataDir, 'node.log'), 'utf8')
    expect(log).toMatch(/the store is damaged/)
    expect(log).toMatch(/current-missing/)
    expect(readFileSync(join(dataDir, 'store', '000005.ldb'), 'utf8')).toBe('a table')
  })

  it('store check exits 0 on an intact store, 2 with the findings on a damaged one, 1 when it cannot check', async () => {
    const genesis = genesisFromJson(JSON.parse(readFileSync(join(dir, 'genesis.json'), 'utf8')))
    const dataDir = join(dir, 'checked')
    const store = new LevelStore(join(dataDir, 'store'))
    await store.open(genesis)
    await store.close()
    let r = synod('store', 'check', '--data-dir', dataDir)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/STORE INTACT/)
    r = synod('store', 'check', '--data-dir', dataDir, '--quick', '--json')
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, mode: 'quick', height: 0, findings: [] })
    rmSync(join(dataDir, 'store', 'CURRENT'))
    r = synod('store', 'check', '--data-dir', dataDir)
    expect(r.status).toBe(2)
    expect(r.stdout).toMatch(/STORE DAMAGED/)
    expect(r.stdout).toMatch(/FINDING +current-missing/)
    r = synod('store', 'check', '--data-dir', join(dir, 'no-such-dir'))
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/does not exist/)
  })

  it('devnet validates its flags', () => {
    for (const [flag, value, message] of [['--nodes', '2', /between 4 and 16/], ['--agents', '-1', /whole number/], ['--duration', '0', /above 0/], ['--window', 'x', /whole number/]] as const) {
      const r = synod('devnet', flag, value)
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(message)
    }
  })
})
