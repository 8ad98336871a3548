// Files the node writes once: created exclusively (never overwritten) and fsync'd.
import { open } from 'node:fs/promises'
import { ConfigError } from '../runtime/errors.ts'

export async function writeNewFile(path: string, text: string, mode = 0o644): Promise<void> {
  let handle
  try {
    handle = await open(path, 'wx', mode)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError(`${path} already exists; refusing to overwrite it`)
    throw new ConfigError(`cannot create ${path}: ${(err as Error).message}`)
  }
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
}
