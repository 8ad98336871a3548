// The store check: does the chain store on disk hold what its head says? Run quick at
// every node start (node/runtime/run-node.ts) and full by `synod store check`.
//
// Two layers. LevelDB's files first, before LevelDB opens them (leveldb-files.ts): an open
// over damaged files can destroy evidence (no CURRENT: LevelDB starts afresh and deletes
// the old tables) or abort the process (a flipped key trips a compaction assertion). Then
// the chain store's records, through the key-value layer (store-check-contents.ts and the
// modules it runs): headers chained by hash, each block's entries hashed into the Merkle
// accumulator and compared with the header's log root and the stored accumulator state
// and subtree nodes, and every index (entry id, namespace, agent) pointing at a stored
// entry that matches.
//
// Cost. Quick (at start): the file layer reads every live table's footer and index block
// (O(tables)) and checksums the data blocks of tables not verified before (tables never
// change once written; the verified ones are remembered by number, size and mtime in
// <dataDir>/store-verified.json), so a start after a clean stop costs little more than
// the tables written since. The record layer re-verifies the last storeCheckRecentBlocks
// blocks fully and samples storeCheckSamples entries and heights over the whole log:
// milliseconds, whatever the store's size. Full: every table block's checksum, and every
// block, entry and index key: O(store bytes + entries); docs/operations.md gives the time
// per million entries.
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { StoreDamagedError, type StoreFinding } from './errors.ts'
import { LevelKv } from './kv.ts'
import { checkTable, readLevelFiles } from './leveldb-files.ts'
import { checkStoreContents, type StoreCheckMode } from './store-check-contents.ts'
import { readVerified, rememberVerifiedTables, type VerifiedTable } from './store-check-verified.ts'

export { checkStoreContents, type StoreCheckMode } from './store-check-contents.ts'
export { rememberVerifiedTables } from './store-check-verified.ts'

export interface StoreCheckReport {
  readonly ok: boolean
  readonly mode: StoreCheckMode
  readonly directory: string
  /** No database there yet: nothing to check (a new node). */
  readonly fresh: boolean
  /** The stored head, when the headers could be read. */
  readonly height: number | null
  readonly logSize: number | null
  readonly tables: number
  /** Tables whose every data block checksum was verified in this run. */
  readonly tablesChecksummed: number
  readonly blocksChecked: number
  readonly entriesChecked: number
  readonly durationMs: number
  readonly findings: readonly StoreFinding[]
}

/** Where a node's data directory keeps its LevelDB store and the check's memory of verified tables. */
export function storeLayout(dataDir: string): { store: string, verifiedTables: string } {
  return { store: join(dataDir, 'store'), verifiedTables: join(dataDir, 'store-verified.json') }
}

export interface StoreCheckOptions {
  readonly mode: StoreCheckMode
  /** A file remembering the tables whose data blocks were verified (quick mode skips them). */
  readonly verifiedTablesFile?: string
}

/** Checks a LevelDB chain store directory, offline (nothing else may have it open). */
export async function checkLevelStore(directory: string, options: StoreCheckOptions): Promise<StoreCheckReport> {
  const started = performance.now()
  let torn: StoreFinding | null = null
  const report = (fields: Partial<StoreCheckReport> & { findings: readonly StoreFinding[] }): StoreCheckReport => {
    // A torn MANIFEST tail explains damage found elsewhere; alone it is what a crash leaves.
    const findings = torn !== null && fields.findings.length > 0 ? [torn, ...fields.findings] : fields.findings
    return {
      mode: options.mode, directory, fresh: false, height: null, logSize: null,
      tables: 0, tablesChecksummed: 0, blocksChecked: 0, entriesChecked: 0, durationMs: Math.round(performance.now() - started), ...fields, findings, ok: findings.length === 0,
    }
  }
  const files = await readLevelFiles(directory)
  torn = files.tornManifest
  if (!files.exists) return report({ fresh: true, findings: [] })
  if (files.findings.length > 0) return report({ findings: files.findings })
  const verified = options.mode === 'full' ? new Map<number, VerifiedTable>() : await readVerified(options.verifiedTablesFile)
  const findings: StoreFinding[] = []
  let checksummed = 0
  for (const table of files.tables) {
    const mtimeMs = (await stat(table.file)).mtimeMs
    const known = verified.get(table.number)
    const full = known === undefined || known.size !== table.size || known.mtimeMs !== mtimeMs
    const problems = await checkTable(table, full)
    findings.push(...problems)
    if (full) checksummed++
  }
  const tableFields = { tables: files.tables.length, tablesChecksummed: checksummed }
  if (findings.length > 0) return report({ ...tableFields, findings })
  const kv = new LevelKv(directory, { createIfMissing: false })
  try {
    await kv.open()
  } catch (err) {
    if (err instanceof StoreDamagedError) return report({ ...tableFields, findings: err.findings })
    throw err
  }
  let contents: Awaited<ReturnType<typeof checkStoreContents>>
  try {
    contents = await checkStoreContents(kv, options.mode)
  } finally {
    await kv.close()
  }
  const { summary } = contents
  if (contents.findings.length === 0 && options.verifiedTablesFile !== undefined) await rememberVerifiedTables(directory, options.verifiedTablesFile)
  return report({ ...tableFields, fresh: summary.fresh, height: summary.height, logSize: summary.logSize, blocksChecked: summary.blocksChecked, entriesChecked: summary.entriesChecked, findings: contents.findings })
}

/** The check a node runs before it opens its store: quick, and damage is an error. */
export async function assertNodeStoreIntact(dataDir: string): Promise<StoreCheckReport> {
  const layout = storeLayout(dataDir)
  const report = await checkLevelStore(layout.store, { mode: 'quick', verifiedTablesFile: layout.verifiedTables })
  if (!report.ok) throw new StoreDamagedError(layout.store, report.findings)
  return report
}
