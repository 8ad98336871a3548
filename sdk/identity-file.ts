// Node only: an agent identity on disk. Not imported by sdk/index.ts (the browser path).
//
// File format: the key file of `synod keygen --kind agent` (node/runtime/key-file.ts),
// JSON with mode 0600:
//   { "type": "synod-key", "kind": "agent", "seed": "<64 hex>", "publicKey": "<64 hex>" }
// The public key is redundant and checked on load, so a corrupted or mismatched file
// is caught before it signs anything. A validator key file is refused: a validator's
// key must not sign agent entries.
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync, constants } from 'node:fs'
import { dirname, join, basename } from 'node:path'
import { toHex } from '../src/crypto/hash.ts'
import { AgentIdentity } from './identity.ts'

export const KEY_FILE_TYPE = 'synod-key'

export class IdentityFileError extends Error {
  override readonly name = 'IdentityFileError'
}

/**
 * Writes the identity to `path` with mode 0600 (owner read/write only): to a temporary
 * file in the same directory, fsynced, then renamed over `path`, so a crash never leaves
 * a half-written key. Refuses to replace an existing file unless `overwrite`.
 */
export function saveIdentity(identity: AgentIdentity, path: string, options: { overwrite?: boolean } = {}): void {
  if (!options.overwrite) {
    let exists = true
    try {
      statSync(path)
    } catch {
      exists = false
    }
    if (exists) throw new IdentityFileError(`'${path}' already exists (pass overwrite to replace it)`)
  }
  const text = JSON.stringify({ type: KEY_FILE_TYPE, kind: 'agent', seed: toHex(identity.exportSeed()), publicKey: identity.publicKeyHex }, null, 2) + '\n'
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  chmodSync(temp, 0o600) // in case the umask or platform widened it
  renameSync(temp, path)
}

/**
 * Reads an identity file. On POSIX systems it refuses a file that group or others may
 * read (as ssh does with private keys) unless `allowInsecureMode`.
 */
export function loadIdentity(path: string, options: { allowInsecureMode?: boolean } = {}): AgentIdentity {
  let text: string
  try {
    if (process.platform !== 'win32' && !options.allowInsecureMode) {
      const mode = statSync(path).mode & 0o777
      if ((mode & 0o077) !== 0) throw new IdentityFileError(`'${path}' has mode ${mode.toString(8)}: an identity file must be readable by its owner only (chmod 600)`)
    }
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if (err instanceof IdentityFileError) throw err
    throw new IdentityFileError(`cannot read identity file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new IdentityFileError(`identity file '${path}' is not JSON`)
  }
  const j = json as { type?: unknown, kind?: unknown, publicKey?: unknown, seed?: unknown }
  if (j.type !== KEY_FILE_TYPE) throw new IdentityFileError(`identity file '${path}': 'type' must be "${KEY_FILE_TYPE}" (make one with: synod keygen --kind agent)`)
  if (j.kind !== 'agent') throw new IdentityFileError(`identity file '${path}': a '${String(j.kind)}' key, not an agent key (make one with: synod keygen --kind agent)`)
  if (typeof j.seed !== 'string' || !/^[0-9a-f]{64}$/.test(j.seed)) throw new IdentityFileError(`identity file '${path}': seed must be 64 lower-case hex characters`)
  const identity = AgentIdentity.fromSeed(j.seed)
  if (j.publicKey !== identity.publicKeyHex) throw new IdentityFileError(`identity file '${path}': the public key does not match the seed`)
  return identity
}

/** Loads `path`, or creates a new identity there (mode 0600) when it does not exist. */
export function loadOrCreateIdentity(path: string): { identity: AgentIdentity, created: boolean } {
  try {
    statSync(path)
  } catch {
    const identity = AgentIdentity.generate()
    saveIdentity(identity, path)
    return { identity, created: true }
  }
  return { identity: loadIdentity(path), created: false }
}
