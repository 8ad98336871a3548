// The package as a user gets it: `npm pack` (which runs the build), the tarball installed
// into an empty temporary project with the consumer's own TypeScript, and there, on the
// pinned Node 24 and on Node 22 (the `node@22` npm package, installed into a temporary
// folder: a second `node` devDependency would collide with the pinned one):
//   - a plain ESM JavaScript script commits to a real cluster and verifies the receipt;
//   - the consumer's tsc compiles a TypeScript script against the package's .d.ts
//     (module/moduleResolution nodenext, lib es2022) and type-checks browser code
//     (moduleResolution bundler, no Node types); the compiled script commits and verifies;
//   - `npx synod scenario run ./scenario.ts` (a user's scenario file, types stripped by Node);
//   - `npx synod verify-receipt` on the saved GET /v1/receipts/:id body, `npx synod audit
//     --node` on the cluster (a default export), `npx synod --help` and a short
//     `npx synod devnet --duration 5 --json`.
// Plus: the tarball holds only the whitelist, and a browser bundle of the installed
// synod/sdk picks the @noble crypto. The cluster is 4 validator processes on 127.0.0.1
// started from this checkout. Installing needs the npm registry and takes a minute or two.
// Every process started here runs in its own process group, killed by its pid at the end.
import { spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClusterFiles, NodeProcess, type ClusterFiles } from '../../devnet/cluster.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const FIXTURES = fileURLToPath(new URL('./consumer', import.meta.url))
const INSTALL_MS_MAX = 600_000
const COMMAND_MS_MAX = 240_000
const CONSUMER_FILES = ['commit.mjs', 'adapters.mjs', 'commit.ts', 'browser.ts', 'scenario.ts', 'tsconfig.nodenext.json', 'tsconfig.bundler.json']

interface Ran { readonly code: number | null, readonly stdout: string, readonly stderr: string }

/** Process groups still running, by leader pid. */
const running = new Set<number>()

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
  running.delete(pid)
}

/** The parent npm's settings (npm_config_*, set by `npm test`) must not leak into the consumer's npm. */
function cleanEnv(nodeBinDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.toLowerCase().startsWith('npm_') && key !== 'INIT_CWD') env[key] = value
  env.PATH = `${nodeBinDir}${delimiter}${process.env.PATH ?? ''}`
  return env
}

function run(command: string, args: readonly string[], options: { cwd: string, nodeBinDir: string, timeoutMs?: number }): Promise<Ran> {
  const timeoutMs = options.timeoutMs ?? COMMAND_MS_MAX
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: cleanEnv(options.nodeBinDir), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    const pid = child.pid
    if (pid === undefined) {
      reject(new Error(`could not start ${command}`))
      return
    }
    running.add(pid)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => { stdout += t })
    child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t })
    const timer = setTimeout(() => killGroup(pid), timeoutMs)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      running.delete(pid)
      resolve({ code, stdout, stderr })
    })
  })
}

function explain(what: string, ran: Ran): string {
  return `${what} exited with ${ran.code}\n--- stdout\n${ran.stdout.slice(-4000)}\n--- stderr\n${ran.stderr.slice(-4000)}`
}

async function mustRun(what: string, command: string, args: readonly string[], options: { cwd: string, nodeBinDir: string, timeoutMs?: number }): Promise<Ran> {
  const ran = await run(command, args, options)
  if (ran.code !== 0) throw new Error(explain(what, ran))
  return ran
}

function lastJsonLine(text: string): unknown {
  const line = text.trim().split('\n').at(-1) ?? ''
  return JSON.parse(line)
}

interface PackedFile { readonly path: string }
interface Packed { readonly filename: string, readonly size: number, readonly unpackedSize: number, readonly entryCount: number, readonly files: readonly PackedFile[] }

describe('the packed package, installed into an empty project', () => {
  const pinnedNodeBinDir = dirname(process.execPath)
  let dir: string
  let consumer: string
  let node22BinDir: string
  let packed: Packed
  let cluster: ClusterFiles
  const nodes: NodeProcess[] = []
  let agent = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'synod-package-'))
    consumer = join(dir, 'consumer')
    mkdirSync(consumer)
    const node22 = join(dir, 'node22')
    mkdirSync(node22)

    // npm pack runs prepack (the build); its --json report is the last thing on stdout.
    const pack = await mustRun('npm pack', 'npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, nodeBinDir: pinnedNodeBinDir })
    const report = pack.stdout.slice(pack.stdout.indexOf('\n[') + 1)
    packed = (JSON.parse(report) as Packed[])[0]!
    console.log(`tarball ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} bytes unpacked, ${packed.entryCount} files`)

    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'synod-consumer', private: true, type: 'module' }, null, 2))
    for (const file of CONSUMER_FILES) copyFileSync(join(FIXTURES, file), join(consumer, file))
    // The `node` package downloads its binary in an install script, which npm runs only when allowed.
    writeFileSync(join(node22, 'package.json'), JSON.stringify({ name: 'synod-node22', private: true, allowScripts: { node: true } }, null, 2))
    const npmInstall = ['install', '--no-audit', '--no-fund']
    const [, , files] = await Promise.all([
      // The agent frameworks too (optional peer dependencies of the adapters), at the versions this checkout tests with.
      mustRun('npm install (consumer)', 'npm', [
        ...npmInstall, join(dir, packed.filename), `typescript@${own.devDependencies.typescript}`, `@types/node@${own.devDependencies['@types/node']}`,
        ...['@langchain/core', 'ai', '@openai/agents'].map((name) => `${name}@${own.devDependencies[name]}`),
      ], { cwd: consumer, nodeBinDir: pinnedNodeBinDir, timeoutMs: INSTALL_MS_MAX }),
      mustRun('npm install node@22', 'npm', [...npmInstall, 'node@22'], { cwd: node22, nodeBinDir: pinnedNodeBinDir, timeoutMs: INSTALL_MS_MAX }),
      createClusterFiles({ dir: join(dir, 'cluster'), nodes: 4, agents: 6, chainId: 'synod-package-test', logLevel: 'warn' }),
    ])
    cluster = files
    node22BinDir = join(node22, 'node_modules', 'node', 'bin')
    for (const f of cluster.nodes) nodes.push(new NodeProcess(f))
    await Promise.all(nodes.map((n) => n.start()))
  }, INSTALL_MS_MAX + 120_000)

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()))
    for (const pid of [...running]) killGroup(pid)
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  it('holds the built files and nothing else', () => {
    const paths = packed.files.map((f) => f.path)
    const outside = paths.filter((p) => !p.startsWith('dist/') && !['package.json', 'README.md', 'bin/synod.js'].includes(p))
    expect(outside).toEqual([])
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([])
    expect(paths).toContain('dist/package.json')
    expect(paths).toContain('dist/sdk/index.js')
    expect(paths).toContain('dist/sdk/index.d.ts')
  })

  it('bundles synod/sdk for browsers with the @noble crypto and no Node module', async () => {
    const result = await build({
      stdin: { contents: "export { SynodClient, verifyReceipt } from 'synod/sdk'", resolveDir: consumer, loader: 'js' },
      absWorkingDir: consumer, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent',
    })
    // Paths relative to the consumer project: the installed package, not this checkout.
    const inputs = Object.keys(result.metafile.inputs)
    expect(inputs).toContain('node_modules/synod/dist/sdk/index.js')
    expect(inputs).toContain('node_modules/synod/dist/src/crypto/impl-noble.js')
    expect(inputs.filter((p) => p.includes('impl-node') || p.startsWith('node:'))).toEqual([])
  })

  for (const version of [24, 22] as const) {
    describe(`on Node ${version}`, () => {
      const binDir = (): string => (version === 24 ? pinnedNodeBinDir : node22BinDir)
      const nodeUrls = (): string => nodes.map((n) => n.httpUrl).join(',')
      const keyFile = (): string => join(cluster.dir, 'agents', `agent-${agent++}.key.json`)

      it('is the Node version it says', async () => {
        const ran = await mustRun('node --version', 'node', ['--version'], { cwd: consumer, nodeBinDir: binDir() })
        expect(ran.stdout.trim()).toMatch(new RegExp(`^v${version}\\.`))
      })

      it('a plain ESM JavaScript script commits and verifies the receipt; npx synod verify-receipt takes the GET /v1/receipts/:id body', async () => {
        const receiptBody = join(dir, `receipt-body-${version}.json`)
        const ran = await mustRun('node commit.mjs', 'node', ['commit.mjs', cluster.genesisFile, keyFile(), nodeUrls(), receiptBody], { cwd: consumer, nodeBinDir: binDir() })
        const result = lastJsonLine(ran.stdout) as { id: string, height: number, ok: boolean, readBack: boolean }
        expect(result).toMatchObject({ ok: true, readBack: true })
        expect(result.id).toMatch(/^[0-9a-f]{64}$/)
        expect(result.height).toBeGreaterThan(0)
        const verified = await mustRun('npx synod verify-receipt', 'npx', ['synod', 'verify-receipt', receiptBody, '--genesis', cluster.genesisFile, '--json'], { cwd: consumer, nodeBinDir: binDir() })
        expect(lastJsonLine(verified.stdout)).toMatchObject({ ok: true, id: result.id })
      }, COMMAND_MS_MAX)

      it("the consumer's tsc compiles against the typings (nodenext and bundler) and the script commits and verifies", async () => {
        const outDir = `out-${version}`
        await mustRun('tsc -p tsconfig.nodenext.json', 'npx', ['tsc', '-p', 'tsconfig.nodenext.json', '--outDir', outDir], { cwd: consumer, nodeBinDir: binDir() })
        await mustRun('tsc -p tsconfig.bundler.json', 'npx', ['tsc', '-p', 'tsconfig.bundler.json'], { cwd: consumer, nodeBinDir: binDir() })
        const ran = await mustRun('node commit.js', 'node', [join(outDir, 'commit.js'), cluster.genesisFile, keyFile(), nodeUrls()], { cwd: consumer, nodeBinDir: binDir() })
        expect(lastJsonLine(ran.stdout)).toMatchObject({ ok: true })
      }, COMMAND_MS_MAX)

      it('each agent framework adapter (synod/langchain, synod/ai, synod/openai-agents) commits, reads, verifies and audits', async () => {
        const ran = await mustRun('node adapters.mjs', 'node', ['adapters.mjs', cluster.genesisFile, keyFile(), nodeUrls()], { cwd: consumer, nodeBinDir: binDir() })
        expect(lastJsonLine(ran.stdout)).toMatchObject({ committed: true, readBack: true, valid: true, auditOk: true })
      }, COMMAND_MS_MAX)

      it("CommonJS can require('synod/sdk') (the default condition; require of ESM)", async () => {
        const ran = await mustRun('node -e require', 'node', ['-e', "const sdk = require('synod/sdk'); console.log(typeof sdk.SynodClient, typeof sdk.verifyReceipt)"], { cwd: consumer, nodeBinDir: binDir() })
        expect(ran.stdout.trim()).toBe('function function')
      })

      it('npx synod scenario run ./scenario.ts: a TypeScript scenario file importing synod/scenarios', async () => {
        const ran = await mustRun('npx synod scenario run', 'npx', ['synod', 'scenario', 'run', './scenario.ts', '--json'], { cwd: consumer, nodeBinDir: binDir() })
        expect(lastJsonLine(ran.stdout)).toMatchObject({ scenario: 'consumer-leader-crash', runs: 1, met: 1 })
      }, COMMAND_MS_MAX)

      it('npx synod --help', async () => {
        const ran = await mustRun('npx synod --help', 'npx', ['synod', '--help'], { cwd: consumer, nodeBinDir: binDir() })
        expect(ran.stdout).toContain('Usage: synod')
        expect(ran.stdout).toContain('devnet')
      }, COMMAND_MS_MAX)

      it('npx synod audit --node URL: the default export passes the audit (signatures checked in worker threads)', async () => {
        const ran = await mustRun('npx synod audit', 'npx', ['synod', 'audit', '--node', nodes[0]!.httpUrl, '--genesis', cluster.genesisFile, '--workers', '2', '--json'], { cwd: consumer, nodeBinDir: binDir() })
        const report = lastJsonLine(ran.stdout) as { ok: boolean, entries: number }
        expect(report.ok).toBe(true)
        expect(report.entries).toBeGreaterThan(0)
      }, COMMAND_MS_MAX)

      it('npx synod devnet --duration 5 --json: validators on this Node commit and agree', async () => {
        const ran = await mustRun('npx synod devnet', 'npx', ['synod', 'devnet', '--duration', '5', '--json', '--dir', join(dir, `devnet-${version}`)], { cwd: consumer, nodeBinDir: binDir() })
        const summary = lastJsonLine(ran.stdout) as { ok: boolean, agree: boolean, committed: number }
        expect(summary).toMatchObject({ ok: true, agree: true })
        expect(summary.committed).toBeGreaterThan(0)
      }, COMMAND_MS_MAX)
    })
  }
})
