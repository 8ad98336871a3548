// devnet.json: the lookup order of sdk/devnet-file.ts, and a real devnet whose
// devnet.json lets synod audit, synod export and synod mcp run without flags.
import { execFile, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { SYNOD_BIN } from '../../devnet/cluster.ts'
import { devnetFileCandidates, findDevnetFile, readDevnetFile } from '../../sdk/devnet-file.ts'

const root = mkdtempSync(join(tmpdir(), 'synod-devnet-file-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

function manifest(pid: number, chainId = 'synod-devnet'): string {
  return JSON.stringify({ format: 'synod-devnet/v1', chainId, pid, dataDir: '.', nodes: ['http://127.0.0.1:1/'], genesisFile: 'genesis.json', identityFile: 'agents/tools.key.json', agentKeyFiles: [] })
}

describe('devnet.json lookup', () => {
  it('looks in $SYNOD_DEVNET_DIR, then ./devnet.json, then the newest ./devnet-data/*/', () => {
    const cwd = join(root, 'lookup')
    for (const d of ['devnet-data/old', 'devnet-data/new', 'named']) mkdirSync(join(cwd, d), { recursive: true })
    writeFileSync(join(cwd, 'devnet-data/old/devnet.json'), manifest(process.pid, 'old'))
    writeFileSync(join(cwd, 'devnet-data/new/devnet.json'), manifest(process.pid, 'new'))
    utimesSync(join(cwd, 'devnet-data/old/devnet.json'), new Date(1_000_000), new Date(1_000_000))
    expect(findDevnetFile(cwd, {})).toMatchObject({ chainId: 'new', nodes: ['http://127.0.0.1:1'], genesisFile: join(cwd, 'devnet-data/new/genesis.json') })
    writeFileSync(join(cwd, 'devnet.json'), manifest(process.pid, 'here'))
    expect(findDevnetFile(cwd, {})?.chainId).toBe('here')
    writeFileSync(join(cwd, 'named/devnet.json'), manifest(process.pid, 'named'))
    expect(findDevnetFile(cwd, { SYNOD_DEVNET_DIR: 'named' })?.chainId).toBe('named')
    expect(devnetFileCandidates(cwd, { SYNOD_DEVNET_DIR: 'named' })).toEqual([join(cwd, 'named/devnet.json'), join(cwd, 'devnet.json'), join(cwd, 'devnet-data/new/devnet.json')])
    expect(findDevnetFile(join(root, 'nowhere'), {})).toBeNull()
  })

  it('refuses a file whose devnet stopped, and an invalid one, naming the file', () => {
    const cwd = join(root, 'stale')
    mkdirSync(cwd)
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!
    writeFileSync(join(cwd, 'devnet.json'), manifest(dead))
    expect(() => findDevnetFile(cwd, {})).toThrow(/devnet\.json \(pid \d+\) is no longer running/)
    writeFileSync(join(cwd, 'devnet.json'), JSON.stringify({ format: 'synod-devnet/v1', nodes: ['ftp://x'] }))
    expect(() => readDevnetFile(join(cwd, 'devnet.json'))).toThrow(/nodes\[0\] is not an http\(s\) URL/)
    writeFileSync(join(cwd, 'devnet.json'), '{')
    expect(() => readDevnetFile(join(cwd, 'devnet.json'))).toThrow(/cannot read the devnet file/)
  })
})

interface Run { code: number, stdout: string, stderr: string }

async function synodIn(cwd: string, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SYNOD_BIN, ...args], { timeout: 90_000, cwd, env: { ...process.env, SYNOD_DEVNET_DIR: '' } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

async function until<T>(what: string, probe: () => T | null, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  // Bounded by the deadline.
  while (Date.now() < deadline) {
    const v = probe()
    if (v !== null) return v
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`)
}

describe('a devnet writes devnet.json; the tools use it without flags', () => {
  it('synod audit, export and mcp find the running devnet; after it stops, they say so', async () => {
    const cwd = join(root, 'live')
    mkdirSync(cwd)
    const devnet = spawn(process.execPath, [SYNOD_BIN, 'devnet', '--agents', '1', '--duration', '300'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SYNOD_DEVNET_DIR: '' } })
    let out = ''
    devnet.stdout.on('data', (d: Buffer) => { out += d.toString() })
    devnet.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const exited = new Promise<number | null>((resolve) => devnet.once('exit', (code) => resolve(code)))
    try {
      const file = await until('devnet.json', () => {
        const runs = (() => { try { return readdirSync(join(cwd, 'devnet-data')) } catch { return [] } })()
        return runs.length > 0 && /wrote .*devnet\.json/.test(out) ? findDevnetFile(cwd, {}) : null
      }, 120_000)
      expect(file.pid).toBe(devnet.pid)
      expect(file.nodes).toHaveLength(4)
      for (const url of file.nodes) expect(out).toContain(`API ${url}`)
      // Some blocks committed and certified, so the audit has something to verify.
      await until('a committed block', () => (/height [1-9]/.test(out.split('\n').slice(-3).join('\n')) ? true : null), 120_000)

      const audit = await synodIn(cwd, 'audit', '--json')
      expect(audit.code, audit.stdout + audit.stderr).toBe(0)
      expect(audit.stderr).toContain(`using the devnet of ${file.path}`)
      expect(JSON.parse(audit.stdout.trim().split('\n').at(-1)!)).toMatchObject({ ok: true })

      const exported = await synodIn(cwd, 'export', '--out', 'chain.export', '--json')
      expect(exported.code, exported.stderr).toBe(0)
      const audited = await synodIn(cwd, 'audit', '--export', 'chain.export', '--json')
      expect(audited.code, audited.stdout + audited.stderr).toBe(0)

      // synod mcp over stdio: it says which agent and nodes it serves, then waits on stdin.
      const mcp = spawn(process.execPath, [SYNOD_BIN, 'mcp'], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SYNOD_DEVNET_DIR: '' } })
      let mcpErr = ''
      mcp.stderr.on('data', (d: Buffer) => { mcpErr += d.toString() })
      try {
        await until('synod mcp ready', () => (/synod mcp: agent [0-9a-f]{64}, chain 'synod-devnet', 4 nodes/.test(mcpErr) ? true : null), 60_000)
      } finally {
        mcp.kill('SIGTERM')
      }
    } finally {
      if (devnet.exitCode === null) devnet.kill('SIGINT')
      await exited
    }
    const after = await synodIn(cwd, 'audit')
    expect(after.code).toBe(1)
    expect(after.stderr).toMatch(/is no longer running/)
  }, 300_000)
})
