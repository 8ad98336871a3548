// Node only: finding a running devnet from its devnet.json, so that `synod audit`,
// `synod mcp` and `npm run example:agents` work without flags next to `synod devnet`.
// Not imported by sdk/index.ts (the browser path).
//
// `synod devnet` writes <data dir>/devnet.json once its nodes are ready (docs/operations.md):
//   { "format": "synod-devnet/v1", "chainId": text, "pid": the devnet's process id,
//     "dataDir": abs path, "nodes": [node API URL, ...], "genesisFile": abs path,
//     "identityFile": abs path (an agent key the demo workload does not use),
//     "agentKeyFiles": [abs path, ...] (the workload's agents) }
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, join, resolve, dirname } from 'node:path'

export const DEVNET_FILE = 'devnet.json'
export const DEVNET_FILE_FORMAT = 'synod-devnet/v1'
/** The default data directory of `synod devnet`, relative to the working directory:
 * each run makes a folder named by its start time under it. */
export const DEVNET_DATA_DIR = 'devnet-data'
/** Names a devnet data directory explicitly (the first place looked in). */
export const DEVNET_DIR_ENV = 'SYNOD_DEVNET_DIR'

export interface DevnetFile {
  /** Where it was read from. */
  readonly path: string
  readonly chainId: string
  readonly pid: number
  readonly dataDir: string
  readonly nodes: readonly string[]
  readonly genesisFile: string
  readonly identityFile: string
  readonly agentKeyFiles: readonly string[]
}

export class DevnetFileError extends Error {
  override readonly name = 'DevnetFileError'
  readonly path: string | null
  constructor(message: string, path: string | null) {
    super(message)
    this.path = path
  }
}

/** devnet.json files are small; anything larger is not one. */
const DEVNET_FILE_BYTES_MAX = 64 * 1024

function text(v: unknown, field: string, path: string): string {
  if (typeof v !== 'string' || v === '') throw new DevnetFileError(`${path}: "${field}" must be a non-empty string`, path)
  return v
}

function filePath(v: unknown, field: string, path: string): string {
  const p = text(v, field, path)
  return isAbsolute(p) ? p : resolve(dirname(path), p)
}

/** Reads and checks one devnet.json; relative paths in it are relative to its folder. */
export function readDevnetFile(path: string): DevnetFile {
  let json: unknown
  try {
    if (statSync(path).size > DEVNET_FILE_BYTES_MAX) throw new Error(`over ${DEVNET_FILE_BYTES_MAX} bytes`)
    json = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new DevnetFileError(`cannot read the devnet file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, path)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new DevnetFileError(`${path}: not a JSON object`, path)
  const m = json as Record<string, unknown>
  if (m.format !== DEVNET_FILE_FORMAT) throw new DevnetFileError(`${path}: "format" must be '${DEVNET_FILE_FORMAT}', got ${JSON.stringify(m.format)}`, path)
  if (!Array.isArray(m.nodes) || m.nodes.length === 0) throw new DevnetFileError(`${path}: "nodes" must be a non-empty array of URLs`, path)
  const nodes = m.nodes.map((u, i) => {
    const s = text(u, `nodes[${i}]`, path)
    let url: URL
    try {
      url = new URL(s)
    } catch {
      throw new DevnetFileError(`${path}: nodes[${i}] is not a URL: '${s}'`, path)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DevnetFileError(`${path}: nodes[${i}] is not an http(s) URL: '${s}'`, path)
    return s.replace(/\/+$/, '')
  })
  if (!Number.isSafeInteger(m.pid) || (m.pid as number) <= 0) throw new DevnetFileError(`${path}: "pid" must be a process id`, path)
  const agents = Array.isArray(m.agentKeyFiles) ? m.agentKeyFiles : []
  return {
    path,
    chainId: text(m.chainId, 'chainId', path),
    pid: m.pid as number,
    dataDir: filePath(m.dataDir, 'dataDir', path),
    nodes,
    genesisFile: filePath(m.genesisFile, 'genesisFile', path),
    identityFile: filePath(m.identityFile, 'identityFile', path),
    agentKeyFiles: agents.map((a, i) => filePath(a, `agentKeyFiles[${i}]`, path)),
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Whether the process that wrote the file still runs (a stopped devnet's file stays behind). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The devnet.json files a command looks at, in order: $SYNOD_DEVNET_DIR/devnet.json,
 * ./devnet.json, then the newest ./devnet-data/<run>/devnet.json. */
export function devnetFileCandidates(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
  const found: string[] = []
  const fromEnv = env[DEVNET_DIR_ENV]
  if (fromEnv !== undefined && fromEnv !== '') found.push(join(resolve(cwd, fromEnv), DEVNET_FILE))
  found.push(join(cwd, DEVNET_FILE))
  let runs: string[]
  try {
    runs = readdirSync(join(cwd, DEVNET_DATA_DIR))
  } catch {
    runs = []
  }
  const newest = runs.map((run) => join(cwd, DEVNET_DATA_DIR, run, DEVNET_FILE)).filter(isFile)
    .map((path) => ({ path, mtime: statSync(path).mtimeMs })).sort((a, b) => b.mtime - a.mtime)[0]
  if (newest !== undefined) found.push(newest.path)
  return found
}

/**
 * The first devnet.json in the lookup order (devnetFileCandidates), or null if there is
 * none. Throws DevnetFileError if the one found is invalid or its devnet has stopped, since
 * its nodes would not answer.
 */
export function findDevnetFile(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): DevnetFile | null {
  const path = devnetFileCandidates(cwd, env).find(isFile)
  if (path === undefined) return null
  const file = readDevnetFile(path)
  if (!processAlive(file.pid)) {
    throw new DevnetFileError(`the devnet of ${path} (pid ${file.pid}) is no longer running: start one with \`npm run devnet\`, or pass the nodes and genesis explicitly`, path)
  }
  return file
}
