// synod store check: the store check (node/store/store-check.ts) offline, on a stopped
// node's data directory. Full by default: every table block's checksum, every block,
// entry and index; --quick runs the check a node runs at every start.
import { existsSync } from 'node:fs'
import type { Command } from 'commander'

export function registerStore(program: Command): void {
  const store = program.command('store').description('inspect a validator\'s chain store')
  store.command('check')
    .description('check a stopped node\'s store for damage (exit 0: intact; 2: damaged; 1: cannot check)')
    .requiredOption('--data-dir <dir>', 'the node\'s data directory (its config\'s dataDir)')
    .option('--quick', 'only the check a node runs at start: files, the last blocks, samples')
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: { dataDir: string, quick?: boolean, json?: boolean }) => {
      // Loaded here, not at the top: the other commands need no level.
      const { checkLevelStore, storeLayout } = await import('../../node/store/store-check.ts')
      if (!existsSync(opts.dataDir)) throw new Error(`--data-dir ${opts.dataDir} does not exist`)
      const layout = storeLayout(opts.dataDir)
      const report = await checkLevelStore(layout.store, { mode: opts.quick === true ? 'quick' : 'full' })
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(report) + '\n')
      } else {
        const lines = [
          report.ok ? 'STORE INTACT' : 'STORE DAMAGED',
          `  store     ${report.directory}${report.fresh ? ' (no store yet)' : ''}`,
          `  mode      ${report.mode}`,
          `  head      ${report.height === null ? 'unknown' : `height ${report.height}, log size ${report.logSize}`}`,
          `  checked   ${report.tables} tables (${report.tablesChecksummed} checksummed), ${report.blocksChecked} blocks, ${report.entriesChecked} entries in ${(report.durationMs / 1000).toFixed(1)} s`,
          ...report.findings.map((f) => `  FINDING   ${f.code}: ${f.detail}`),
        ]
        if (!report.ok) lines.push('  recovery  wipe the data directory (keep the key and config) and restart the node: it re-syncs from its peers (docs/operations.md)')
        process.stdout.write(lines.join('\n') + '\n')
      }
      process.exitCode = report.ok ? 0 : 2
    })
}
