// The store check's memory of verified tables (<dataDir>/store-verified.json): LevelDB
// tables never change once written, so a table whose number, size and mtime match a
// remembered one needs no fresh checksum of its data blocks in a quick check.
import { stat, readFile, writeFile, rename } from 'node:fs/promises'
import { readLevelFiles } from './leveldb-files.ts'

export interface VerifiedTable { readonly number: number, readonly size: number, readonly mtimeMs: number }

/** The remembered tables by number; a missing or unreadable file remembers none. */
export async function readVerified(file: string | undefined): Promise<Map<number, VerifiedTable>> {
  const out = new Map<number, VerifiedTable>()
  if (file === undefined) return out
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { tables?: unknown }
    if (!Array.isArray(parsed.tables)) return out
    for (const t of parsed.tables as unknown[]) {
      const { number, size, mtimeMs } = (t ?? {}) as Record<string, unknown>
      if (typeof number === 'number' && typeof size === 'number' && typeof mtimeMs === 'number') out.set(number, { number, size, mtimeMs })
    }
  } catch {
    // Missing or unreadable: every table gets verified again.
  }
  return out
}

async function writeVerified(file: string, tables: readonly VerifiedTable[]): Promise<void> {
  const temporary = `${file}.tmp`
  await writeFile(temporary, JSON.stringify({ tables }) + '\n', { mode: 0o600 })
  await rename(temporary, file)
}

/**
 * Records every live table as verified. Called after a check passed (LevelDB's open may
 * have compacted the checked tables into new ones) and after the node closes its store
 * cleanly: the tables written since were written by this process, with fresh checksums,
 * from checked data. A table changed later changes its size or mtime and is checksummed
 * again at the next start; bit rot that changes neither is found by the full check.
 */
export async function rememberVerifiedTables(directory: string, file: string): Promise<void> {
  const files = await readLevelFiles(directory)
  if (!files.exists || files.findings.length > 0) return
  const tables: VerifiedTable[] = []
  for (const t of files.tables) tables.push({ number: t.number, size: t.size, mtimeMs: (await stat(t.file)).mtimeMs })
  await writeVerified(file, tables)
}
