// The node's configuration file (synod start --config FILE), JSON:
//   {
//     "dataDir": "data",                      // store and logs; created if missing
//     "keyFile": "validator.key.json",        // this validator's key (mode 0600)
//     "genesisFile": "genesis.json",
//     "listen": ["/ip4/0.0.0.0/tcp/7000"],    // optional; default: this validator's genesis addresses
//     "http": { "host": "127.0.0.1", "port": 8000 },  // optional; null: no HTTP API
//                                              // optional "rateLimits": { ipRatePerSecond,
//                                              // ipBurst, agentRatePerSecond, agentBurst,
//                                              // connectionsPerIpMax }
//                                              // optional "corsOrigins": "*" or a list of
//                                              // origins such as ["https://app.example.com"]
//                                              // whose pages may call the API; default none
//     "logLevel": "info",                     // optional: fatal|error|warn|info|debug|trace
//     "reconfigurations": "refuse"            // optional: refuse|switch (default refuse)
//   }
// Relative paths are relative to the config file's folder. Every field is checked, and
// every problem names the file and field.
import { readFile, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { cosignatureVerifier } from '../../src/log/cosignature.ts'
import { genesisFromJson, type Genesis } from '../../src/log/genesis.ts'
import { NOTE_SIG_COSIGNATURE_V1, parseVerifierKey, type NoteVerifier } from '../../src/log/note.ts'
import { ConfigError } from './errors.ts'
import { checkCorsOrigins, type CorsOrigins } from '../api/cors.ts'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Overrides of the API's rate limits (node/api/limits.ts): for a node behind a proxy
 * that already limits, or a benchmark whose load generator is one local address. */
export interface HttpRateLimits {
  readonly ipRatePerSecond?: number
  readonly ipBurst?: number
  readonly agentRatePerSecond?: number
  readonly agentBurst?: number
  /** Open HTTP connections per client address (all clients share a proxy's address). */
  readonly connectionsPerIpMax?: number
}
const RATE_LIMIT_FIELDS = ['ipRatePerSecond', 'ipBurst', 'agentRatePerSecond', 'agentBurst', 'connectionsPerIpMax'] as const
/** Largest rate or burst a config may set (a sanity bound, not a tuning value). */
const RATE_LIMIT_VALUE_MAX = 1_000_000

export interface NodeConfig {
  readonly dataDir: string
  readonly keyFile: string
  readonly genesisFile: string
  /** null: listen on this validator's genesis addresses. */
  readonly listen: readonly string[] | null
  readonly http: {
    readonly host: string, readonly port: number, readonly rateLimits?: HttpRateLimits, readonly corsOrigins: CorsOrigins
    /** Witnesses whose C2SP cosignatures the node keeps and serves: verifier keys
     * `<name>+<key id>+base64(0x04 || Ed25519 key)` (docs/formats.md section 11.4). */
    readonly witnesses?: readonly string[]
  } | null
  readonly logLevel: LogLevel
  /** What the replica does with a reconfiguration (ReplicaOptions.reconfigurations):
   * 'refuse' (the default) keeps the chain in the genesis set; 'switch' follows committed
   * reconfigurations, and lets a node whose key is outside the genesis start as a joining
   * validator (docs/operations.md section 8). */
  readonly reconfigurations: NodeReconfigurations
}

export const NODE_RECONFIGURATIONS = ['refuse', 'switch'] as const
export type NodeReconfigurations = (typeof NODE_RECONFIGURATIONS)[number]

/** Config and genesis files are small; refuse anything larger before parsing. */
const CONFIG_BYTES_MAX = 64 * 1024
const GENESIS_BYTES_MAX = 4 * 1024 * 1024
const CONFIG_FIELDS = ['dataDir', 'keyFile', 'genesisFile', 'listen', 'http', 'logLevel', 'reconfigurations']
const HTTP_FIELDS = ['host', 'port', 'rateLimits', 'corsOrigins', 'witnesses']
/** Most witness keys in a config: more than anyone asks cosignatures of. */
const WITNESSES_MAX = 64

async function readBounded(path: string, bytesMax: number, what: string): Promise<string> {
  let info
  try {
    info = await stat(path)
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as Error).message}`)
  }
  if (!info.isFile()) throw new ConfigError(`${what} ${path} is not a file`)
  if (info.size > bytesMax) throw new ConfigError(`${what} ${path} is ${info.size} bytes, over the limit of ${bytesMax}`)
  return readFile(path, 'utf8')
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`${where}: not valid JSON (${(err as Error).message})`)
  }
}

export function checkMultiaddr(text: unknown, where: string): string {
  if (typeof text !== 'string' || text.length === 0 || text.length > 256) throw new ConfigError(`${where} must be a multiaddr string`)
  try {
    multiaddr(text)
  } catch (err) {
    throw new ConfigError(`${where}: '${text}' is not a multiaddr (${(err as Error).message})`)
  }
  return text
}

export function checkPort(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) throw new ConfigError(`${where} must be an integer port 0-65535`)
  return value
}

export function parseConfig(json: unknown, file: string): NodeConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${file}: expected a JSON object`)
  const j = json as Record<string, unknown>
  for (const k of Object.keys(j)) if (!CONFIG_FIELDS.includes(k)) throw new ConfigError(`${file}: unknown field '${k}' (known: ${CONFIG_FIELDS.join(', ')})`)
  const base = dirname(resolve(file))
  const path = (field: string): string => {
    const v = j[field]
    if (typeof v !== 'string' || v.length === 0 || v.length > 4096) throw new ConfigError(`${file}: '${field}' must be a path`)
    return resolve(base, v)
  }
  let listen: string[] | null = null
  if (j.listen !== undefined && j.listen !== null) {
    if (!Array.isArray(j.listen) || j.listen.length === 0 || j.listen.length > 16) throw new ConfigError(`${file}: 'listen' must be a list of 1 to 16 multiaddrs`)
    listen = j.listen.map((a, i) => checkMultiaddr(a, `${file}: listen[${i}]`))
  }
  let http: NodeConfig['http'] = { host: '127.0.0.1', port: 8000, corsOrigins: [] }
  if (j.http === null) http = null
  else if (j.http !== undefined) {
    if (typeof j.http !== 'object' || Array.isArray(j.http)) throw new ConfigError(`${file}: 'http' must be { host, port } or null`)
    const h = j.http as Record<string, unknown>
    for (const k of Object.keys(h)) if (!HTTP_FIELDS.includes(k)) throw new ConfigError(`${file}: unknown field 'http.${k}' (known: ${HTTP_FIELDS.join(', ')})`)
    const host = h.host ?? '127.0.0.1'
    if (typeof host !== 'string' || host.length === 0 || host.length > 255) throw new ConfigError(`${file}: 'http.host' must be a host name or address`)
    http = { host, port: checkPort(h.port, `${file}: 'http.port'`), corsOrigins: h.corsOrigins === undefined ? [] : parseCorsOrigins(h.corsOrigins, file) }
    if (h.rateLimits !== undefined) http = { ...http, rateLimits: parseRateLimits(h.rateLimits, file) }
    if (h.witnesses !== undefined) http = { ...http, witnesses: parseWitnesses(h.witnesses, file) }
  }
  const logLevel = j.logLevel ?? 'info'
  if (typeof logLevel !== 'string' || !(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new ConfigError(`${file}: 'logLevel' must be one of ${LOG_LEVELS.join(', ')}`)
  const reconfigurations = j.reconfigurations ?? 'refuse'
  if (typeof reconfigurations !== 'string' || !(NODE_RECONFIGURATIONS as readonly string[]).includes(reconfigurations)) {
    throw new ConfigError(`${file}: 'reconfigurations' must be one of ${NODE_RECONFIGURATIONS.join(', ')}`)
  }
  return {
    dataDir: path('dataDir'), keyFile: path('keyFile'), genesisFile: path('genesisFile'), listen, http, logLevel: logLevel as LogLevel,
    reconfigurations: reconfigurations as NodeReconfigurations,
  }
}

function parseWitnesses(value: unknown, file: string): string[] {
  if (!Array.isArray(value) || value.length > WITNESSES_MAX) throw new ConfigError(`${file}: 'http.witnesses' must be a list of at most ${WITNESSES_MAX} witness verifier keys`)
  return value.map((v, i) => {
    const where = `${file}: 'http.witnesses[${i}]'`
    if (typeof v !== 'string' || v.length > 1024) throw new ConfigError(`${where} must be a verifier key string`)
    let key
    try {
      key = parseVerifierKey(v)
    } catch (err) {
      throw new ConfigError(`${where}: ${(err as Error).message}`)
    }
    if (key.type !== NOTE_SIG_COSIGNATURE_V1 || key.publicKey.length !== 32) throw new ConfigError(`${where} is not a cosignature/v1 (type 04) Ed25519 key`)
    return v
  })
}

/** The note verifiers of configured witness keys (checked by parseConfig). */
export function witnessVerifiers(vkeys: readonly string[]): NoteVerifier[] {
  return vkeys.map((v) => {
    const key = parseVerifierKey(v)
    return cosignatureVerifier(key.name, key.publicKey)
  })
}

function parseCorsOrigins(value: unknown, file: string): CorsOrigins {
  try {
    return checkCorsOrigins(value)
  } catch (err) {
    throw new ConfigError(`${file}: 'http.corsOrigins': ${(err as Error).message}`)
  }
}

function parseRateLimits(value: unknown, file: string): HttpRateLimits {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${file}: 'http.rateLimits' must be an object`)
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(value)) {
    if (!(RATE_LIMIT_FIELDS as readonly string[]).includes(k)) throw new ConfigError(`${file}: unknown field 'http.rateLimits.${k}' (known: ${RATE_LIMIT_FIELDS.join(', ')})`)
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > RATE_LIMIT_VALUE_MAX) throw new ConfigError(`${file}: 'http.rateLimits.${k}' must be an integer 1-${RATE_LIMIT_VALUE_MAX}`)
    out[k] = v
  }
  return out
}

export async function readConfig(file: string): Promise<NodeConfig> {
  return parseConfig(parseJson(await readBounded(file, CONFIG_BYTES_MAX, 'config file'), file), file)
}

export async function readGenesis(file: string): Promise<Genesis> {
  const json = parseJson(await readBounded(file, GENESIS_BYTES_MAX, 'genesis file'), file)
  try {
    return genesisFromJson(json)
  } catch (err) {
    throw new ConfigError(`${file}: ${(err as Error).message}`)
  }
}
