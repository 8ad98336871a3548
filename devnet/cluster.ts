// A local cluster of real validator processes on 127.0.0.1: fresh keys, a genesis with
// free ports, one config per node, and `synod start` child processes controlled by pid.
// Used by `synod devnet` and by the integration tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { toHex } from '../src/crypto/hash.ts'
import { DEFAULT_PARAMS, genesisFromJson, genesisToJson, type Genesis, type ProtocolParams } from '../src/log/genesis.ts'
import { NODE_LIMITS } from '../node/limits.ts'
import { generateKey, writeKeyFile, type KeyFile } from '../node/runtime/key-file.ts'
import { freePorts } from './free-ports.ts'
import { writeNewFile } from '../node/util/files.ts'

/** The package's launcher, bin/synod.js. This module is devnet/cluster.ts in a checkout
 * and dist/devnet/cluster.js in the built package, one folder deeper. */
export const SYNOD_BIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../bin/synod.js' : '../../bin/synod.js', import.meta.url))
/** Node flags for a validator process. V8's young generation may reserve ~64 MB by
 * default (semi-spaces of up to 32 MB), which a validator's short-lived garbage
 * (decoded messages, HTTP bodies) fills and keeps resident: capping the semi-space at
 * 4 MB took a loaded validator's RSS from ~230 to ~185 MB (bench/rss.ts), at the price of
 * more frequent minor collections (docs/performance.md). */
export const VALIDATOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4']
/** glibc malloc settings for a validator process. A flood of entries allocates and frees
 * many buffers of a few KiB to a few MiB (bodies, encodings, entry batches); with glibc's
 * defaults the freed memory stayed resident (its trim and mmap thresholds grow with the
 * largest buffer freed, and each thread may get its own arena). Fixed thresholds and two
 * arenas gave memory back: after 15,000 entries of 4 KiB and 60 s idle, RSS 353-411 MB
 * with glibc's defaults, 326-342 MB with two arenas only, 272-304 MB with all four
 * (bench/flood.ts, docs/operations.md).
 * Ignored by other allocators. */
export const VALIDATOR_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_TRIM_THRESHOLD_: '131072',
  MALLOC_MMAP_THRESHOLD_: '65536',
  MALLOC_TOP_PAD_: '0',
}

/** Time a node process gets to print its ready line. Startup compiles TypeScript and
 * loads libp2p: a few seconds, more when several start at once on a small machine. */
export const NODE_READY_MS_MAX = 90_000
/** Time a node gets after SIGTERM before it is killed. */
export const NODE_STOP_MS_MAX = NODE_LIMITS.shutdownMsMax + 5_000

export interface NodeFiles {
  readonly index: number
  readonly dir: string
  readonly dataDir: string
  readonly configFile: string
  readonly keyFile: string
  readonly p2pPort: number
  readonly httpPort: number
  readonly httpUrl: string
}

export interface ClusterFiles {
  readonly dir: string
  readonly genesisFile: string
  readonly genesis: Genesis
  readonly nodes: readonly NodeFiles[]
  readonly agents: readonly KeyFile[]
}

export interface ClusterOptions {
  readonly dir: string
  readonly nodes: number
  readonly agents: number
  readonly chainId?: string
  readonly params?: Partial<ProtocolParams>
  readonly logLevel?: string
  /** Written into each node config as http.rateLimits (see node/runtime/config.ts). */
  readonly httpRateLimits?: Readonly<Record<string, number>>
}

/** Writes keys, genesis and configs into `dir`, which must be new or empty. */
export async function createClusterFiles(options: ClusterOptions): Promise<ClusterFiles> {
  const dir = resolve(options.dir)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const existing = await readdir(dir)
  if (existing.length > 0) throw new Error(`${dir} is not empty; give a new or empty directory`)
  const ports = await freePorts(2 * options.nodes)
  const keys: KeyFile[] = []
  const nodes: NodeFiles[] = []
  for (let i = 0; i < options.nodes; i++) {
    const nodeDir = join(dir, `node-${i}`)
    await mkdir(nodeDir, { mode: 0o700 })
    const key = generateKey('validator')
    keys.push(key)
    const keyFile = join(nodeDir, 'validator.key.json')
    await writeKeyFile(keyFile, key)
    const p2pPort = ports[2 * i]!
    const httpPort = ports[2 * i + 1]!
    nodes.push({ index: i, dir: nodeDir, dataDir: join(nodeDir, 'data'), configFile: join(nodeDir, 'config.json'), keyFile, p2pPort, httpPort, httpUrl: `http://127.0.0.1:${httpPort}` })
  }
  const genesisJson = genesisToJson({
    chainId: options.chainId ?? 'synod-devnet',
    validators: keys.map((k, i) => ({ name: `node-${i}`, publicKey: k.publicKey, addresses: [`/ip4/127.0.0.1/tcp/${nodes[i]!.p2pPort}`] })),
    params: { ...DEFAULT_PARAMS, ...options.params },
    policy: { open: true, namespaces: {} },
  })
  const genesis = genesisFromJson(genesisJson)
  const genesisFile = join(dir, 'genesis.json')
  await writeNewFile(genesisFile, JSON.stringify(genesisJson, null, 2) + '\n')
  for (const node of nodes) {
    const config = { dataDir: 'data', keyFile: 'validator.key.json', genesisFile: '../genesis.json', http: { host: '127.0.0.1', port: node.httpPort, corsOrigins: '*', ...(options.httpRateLimits === undefined ? {} : { rateLimits: options.httpRateLimits }) }, logLevel: options.logLevel ?? 'info' }
    await writeNewFile(node.configFile, JSON.stringify(config, null, 2) + '\n')
  }
  const agents: KeyFile[] = []
  await mkdir(join(dir, 'agents'), { mode: 0o700 })
  for (let a = 0; a < options.agents; a++) {
    const key = generateKey('agent')
    await writeKeyFile(join(dir, 'agents', `agent-${a}.key.json`), key)
    agents.push(key)
  }
  return { dir, genesisFile, genesis, nodes, agents }
}

/** One `synod start` child process, stopped and killed by its pid only. */
export class NodeProcess {
  readonly files: NodeFiles
  /** Extra `synod start` arguments (benchmarks: --unsafe-skip-entry-signatures). */
  readonly #startArgs: readonly string[]
  #child: ChildProcess | null = null
  #exited: Promise<number | null> = Promise.resolve(null)
  #running = false

  constructor(files: NodeFiles, options: { readonly startArgs?: readonly string[] } = {}) {
    this.files = files
    this.#startArgs = options.startArgs ?? []
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  get running(): boolean {
    return this.#running
  }

  get httpUrl(): string {
    return this.files.httpUrl
  }

  /** Resolves with the exit code (null when killed by a signal) once the process ends. */
  get exited(): Promise<number | null> {
    return this.#exited
  }

  /** Starts the process and waits for its ready line. */
  async start(readyMsMax = NODE_READY_MS_MAX): Promise<void> {
    if (this.#running) throw new Error(`node ${this.files.index} is already running`)
    const stderr = createWriteStream(join(this.files.dir, 'stderr.log'), { flags: 'a' })
    // Its own process group: a Ctrl-C in the terminal reaches the devnet, which then
    // stops the nodes in order, instead of every node at once.
    const child = spawn(process.execPath, [...VALIDATOR_NODE_FLAGS, SYNOD_BIN, 'start', '--config', this.files.configFile, ...this.#startArgs], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...VALIDATOR_MALLOC_ENV, ...process.env } })
    this.#child = child
    this.#running = true
    child.stderr!.pipe(stderr)
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.#running = false
        resolve(code)
      })
    })
    await new Promise<void>((resolve, reject) => {
      let buffer = ''
      let ready = false
      const timer = setTimeout(() => reject(new Error(`node ${this.files.index} did not become ready within ${readyMsMax} ms (see ${this.files.dir}/stderr.log)`)), readyMsMax)
      child.stdout!.setEncoding('utf8')
      child.stdout!.on('data', (chunk: string) => {
        if (ready) return // keep the pipe drained
        buffer += chunk
        if (buffer.length > 65_536) buffer = buffer.slice(-65_536)
        for (const line of buffer.split('\n')) {
          if (line.startsWith('{') && line.includes('"event":"ready"')) {
            ready = true
            clearTimeout(timer)
            resolve()
            return
          }
        }
      })
      void this.#exited.then((code) => {
        clearTimeout(timer)
        if (!ready) reject(new Error(`node ${this.files.index} exited with code ${code} before it was ready (see ${this.files.dir}/stderr.log)`))
      })
    })
  }

  /** SIGTERM, then SIGKILL if it has not exited in time. Resolves with the exit code. */
  async stop(stopMsMax = NODE_STOP_MS_MAX): Promise<number | null> {
    const child = this.#child
    if (child === null || !this.#running || child.pid === undefined) return this.#exited
    process.kill(child.pid, 'SIGTERM')
    const timer = setTimeout(() => { if (this.#running && child.pid !== undefined) process.kill(child.pid, 'SIGKILL') }, stopMsMax)
    const code = await this.#exited
    clearTimeout(timer)
    return code
  }

  /** SIGKILL at once (crash tests). */
  async kill(): Promise<void> {
    const child = this.#child
    if (child === null || !this.#running || child.pid === undefined) return
    process.kill(child.pid, 'SIGKILL')
    await this.#exited
  }

  /** For an exit handler: SIGKILL without waiting. */
  killNow(): void {
    const pid = this.#child?.pid
    if (this.#running && pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }
}

export function publicKeyHex(key: KeyFile): string {
  return toHex(key.publicKey)
}
