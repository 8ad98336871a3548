// Key files: one Ed25519 key as JSON, written with mode 0600 and never overwritten.
//   { "type": "synod-key", "kind": "validator" | "agent", "seed": hex32, "publicKey": hex32 }
// The seed is the secret; the public key is kept alongside so operators can read it
// without tools, and is checked against the seed on load.
import { randomBytes } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { publicKeyFromSeed, SEED_BYTES } from '../../src/crypto/ed25519.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'
import { ConfigError } from './errors.ts'

export const KEY_KINDS = ['validator', 'agent'] as const
export type KeyKind = (typeof KEY_KINDS)[number]

export interface KeyFile {
  readonly kind: KeyKind
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
}

/** Key files are tiny; anything larger is not one. */
const KEY_FILE_BYTES_MAX = 4096

export function generateKey(kind: KeyKind): KeyFile {
  const seed = new Uint8Array(randomBytes(SEED_BYTES))
  return { kind, seed, publicKey: publicKeyFromSeed(seed) }
}

export function keyToJson(key: KeyFile): string {
  return JSON.stringify({ type: 'synod-key', kind: key.kind, seed: toHex(key.seed), publicKey: toHex(key.publicKey) }, null, 2) + '\n'
}

/** Writes a key file with mode 0600; refuses to overwrite an existing file. */
export async function writeKeyFile(path: string, key: KeyFile): Promise<void> {
  let handle
  try {
    handle = await open(path, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError(`${path} already exists; refusing to overwrite a key file`)
    throw new ConfigError(`cannot create ${path}: ${(err as Error).message}`)
  }
  try {
    await handle.writeFile(keyToJson(key))
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export function parseKeyFile(text: string, where: string): KeyFile {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ConfigError(`${where}: not JSON`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigError(`${where}: expected a JSON object`)
  const j = json as Record<string, unknown>
  for (const k of Object.keys(j)) if (!['type', 'kind', 'seed', 'publicKey'].includes(k)) throw new ConfigError(`${where}: unknown field '${k}'`)
  if (j.type !== 'synod-key') throw new ConfigError(`${where}: 'type' must be "synod-key"`)
  if (typeof j.kind !== 'string' || !(KEY_KINDS as readonly string[]).includes(j.kind)) throw new ConfigError(`${where}: 'kind' must be one of ${KEY_KINDS.join(', ')}`)
  const hex64 = /^[0-9a-f]{64}$/
  if (typeof j.seed !== 'string' || !hex64.test(j.seed)) throw new ConfigError(`${where}: 'seed' must be 64 lower-case hex characters`)
  if (typeof j.publicKey !== 'string' || !hex64.test(j.publicKey)) throw new ConfigError(`${where}: 'publicKey' must be 64 lower-case hex characters`)
  const seed = fromHex(j.seed)
  const publicKey = publicKeyFromSeed(seed)
  if (toHex(publicKey) !== j.publicKey) throw new ConfigError(`${where}: 'publicKey' does not belong to 'seed'`)
  return { kind: j.kind as KeyKind, seed, publicKey }
}

export async function readKeyFile(path: string): Promise<KeyFile> {
  let info
  try {
    info = await stat(path)
  } catch (err) {
    throw new ConfigError(`cannot read key file ${path}: ${(err as Error).message}`)
  }
  if (!info.isFile()) throw new ConfigError(`${path} is not a file`)
  if (info.size > KEY_FILE_BYTES_MAX) throw new ConfigError(`${path} is ${info.size} bytes; a key file is under ${KEY_FILE_BYTES_MAX}`)
  if ((info.mode & 0o077) !== 0 && process.platform !== 'win32') {
    throw new ConfigError(`${path} is readable by group or others (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 ${path}`)
  }
  return parseKeyFile(await readFile(path, 'utf8'), path)
}
