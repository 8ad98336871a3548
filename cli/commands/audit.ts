// synod audit: re-verify a chain export (a file, or a node's /v1/export) against the genesis.
import { createReadStream, statSync } from 'node:fs'
import { Option, type Command } from 'commander'
import { toHex } from '../../src/crypto/hash.ts'
import { availableParallelism } from 'node:os'
import { runAudit, type AuditReport } from '../../audit/run-audit.ts'
import { committedHeightOf } from '../node-height.ts'
import { erasedByText, probeSidecars, SIDECAR_FAULTS, type SidecarReport } from '../../audit/sidecars.ts'
import { sidecarProbe } from '../sidecar-probe.ts'
import { SignaturePool } from '../../node/workers/signature-pool.ts'
import { loadGenesis } from '../load.ts'
import { parseHeight, parseIntInRange, parseUrl } from '../parse.ts'
import { Progress } from '../progress.ts'
import { devnetFor, flagOrDevnet } from '../devnet-defaults.ts'

function exportSize(file: string): number {
  try {
    return statSync(file).size
  } catch (err) {
    throw new Error(`--export ${file}: cannot read it (${(err as Error).message})`, { cause: err })
  }
}

async function* fetchExport(base: URL, from: number, to: number | undefined, signal: AbortSignal): AsyncIterable<Uint8Array> {
  const url = new URL('/v1/export', base)
  url.searchParams.set('fromHeight', String(from))
  if (to !== undefined) url.searchParams.set('toHeight', String(to))
  const res = await fetch(url, { signal })
  if (!res.ok || res.body === null) throw new Error(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  for await (const chunk of res.body) yield chunk
}

function decisionLines(r: AuditReport): string[] {
  const c = r.decisions.counts
  const total = c.pending + c.approved + c.rejected + c.expired
  if (total === 0 && Object.keys(r.decisions.ignored).length === 0) return []
  const ignored = Object.entries(r.decisions.ignored).map(([code, n]) => `${code} ${n}`).join(', ')
  return [
    `  decisions        ${total}: ${c.approved} approved, ${c.rejected} rejected, ${c.expired} expired, ${c.pending} pending`,
    ...(ignored === '' ? [] : [`  ignored votes    ${ignored}`]),
  ]
}

/** Sealed entries: how many, which are erased (an erase is committed: not tampering,
 * the chain verifies as before), and the erases the rules ignore. */
function sealedLines(r: AuditReport): string[] {
  const c = r.sealed.counts
  if (c.sealed === 0 && Object.keys(r.sealed.ignored).length === 0) return []
  const ignored = Object.entries(r.sealed.ignored).map(([code, n]) => `${code} ${n}`).join(', ')
  const erased = r.sealed.entries.filter((e) => e.status === 'erased')
  return [
    `  sealed entries   ${c.sealed}: ${c.erased} erased, ${c.sealed - c.erased} not erased (their content is with the nodes, not in the export)`,
    ...erased.slice(0, 20).map((e) => `    erased         ${e.id} (namespace ${e.namespace}, height ${e.height}, ${e.size} bytes) ${erasedByText(e)}`),
    ...(erased.length > 20 ? [`    erased         ... ${erased.length - 20} more (--json lists up to ${r.sealed.entries.length})`] : []),
    ...(ignored === '' ? [] : [`  ignored erases   ${ignored}`]),
  ]
}

/** What the node holds of the sealed entries listed, and every finding. */
function sidecarLines(s: SidecarReport): string[] {
  const counts = Object.entries(s.counts).map(([verdict, n]) => `${verdict} ${n}`).join(', ')
  return [
    `  sidecars         ${s.probed} asked of the node: ${counts === '' ? 'none' : counts}`,
    ...s.findings.slice(0, 50).map((f) => `    ${SIDECAR_FAULTS.has(f.verdict) ? 'FAULT' : 'note '}          ${f.verdict} ${f.id}: ${f.detail}`),
  ]
}

function printReport(r: AuditReport, sidecars: SidecarReport | null = null): void {
  const lines = [
    r.ok ? 'AUDIT PASSED' : 'AUDIT FAILED',
    `  genesis          ${r.genesis}`,
    `  blocks verified  ${r.blocks} (up to height ${r.height}; certified to height ${r.certifiedHeight})`,
    `  entries          ${r.entries}`,
    `  log              size ${r.logSize}, root ${toHex(r.logRoot)}`,
    `  speed            ${r.entriesPerSec} entries/s in ${(r.durationMs / 1000).toFixed(1)} s`,
    ...(r.governance === 'not-checked'
      ? ['  governance       NOT re-checked: a partial export carries no policies in force at its start (audit from height 1 to check them); erasures are judged by the genesis alone']
      : r.governance === 'checked' ? ['  governance       policies re-checked on every block'] : []),
    ...decisionLines(r),
    ...sealedLines(r),
    ...(sidecars === null ? [] : sidecarLines(sidecars)),
  ]
  if (r.failure !== null) {
    const f = r.failure
    const where = [f.height !== undefined ? `height ${f.height}` : null, f.position !== undefined ? `entry ${f.position}` : null].filter(Boolean).join(', ')
    lines.push(`  FAILURE          ${f.code}${where ? ` at ${where}` : ''}: ${f.reason}`)
  }
  process.stdout.write(lines.join('\n') + '\n')
}

export function registerAudit(program: Command): void {
  program.command('audit')
    .description('re-verify a chain (hashes, signatures, certificates, Merkle roots) against the genesis validator set')
    .option('--genesis <file>', 'genesis file (JSON); default: the running devnet\'s (devnet.json)')
    .addOption(new Option('--node <url>', 'a node to stream the export from; default without --export: the running devnet\'s first node (devnet.json)').conflicts('export'))
    .addOption(new Option('--export <file>', 'an export file (synod-export/v1)'))
    .option('--from <height>', 'first height (node only; the node includes the log frontier)', '1')
    .option('--to <height>', 'last height to verify')
    .option('--allow-uncertified-tail', 'do not fail on blocks after the last commit certificate')
    .option('--workers <n>', `threads that decode, hash and verify entries (0: all on the main thread, the tightest memory bound; up to ${availableParallelism()} here is faster but uses more memory)`, '0')
    .option('--sidecars', 'then ask the node (--node) for the sidecar of each sealed entry listed: held, missing, erased, or a fault (tampered, kept after erasure, erased without an erase)')
    .option('--json', 'print the report as one JSON object')
    .action(async (opts: { genesis?: string, node?: string, export?: string, from: string, to?: string, allowUncertifiedTail?: boolean, json?: boolean, workers: string, sidecars?: boolean }) => {
      if (opts.node !== undefined && opts.export !== undefined) throw new Error('give one of --node URL or --export FILE, not both')
      if (opts.sidecars === true && opts.export !== undefined) throw new Error('--sidecars asks a node: give --node URL, not --export')
      const devnet = devnetFor(opts.genesis === undefined || (opts.node === undefined && opts.export === undefined), 'synod audit')
      if (opts.export === undefined) opts.node = flagOrDevnet(opts.node, devnet, (d) => d.nodes[0]!, '--node URL or --export FILE', 'synod audit')
      const genesis = loadGenesis(flagOrDevnet(opts.genesis, devnet, (d) => d.genesisFile, '--genesis FILE', 'synod audit'))
      const from = parseHeight(opts.from, '--from', 1)
      const to = opts.to === undefined ? undefined : parseHeight(opts.to, '--to', from)
      if (opts.export !== undefined && from !== 1) throw new Error('--from applies to --node; an export file carries its own start')
      const workers = parseIntInRange(opts.workers, '--workers', 0, 64)
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      const source = opts.node !== undefined
        ? fetchExport(parseUrl(opts.node, '--node'), from, to, controller.signal)
        : createReadStream(opts.export!, { highWaterMark: 1 << 20 })
      // Progress with a total: the heights to verify (up to --to, or the node's head when
      // the audit starts), or an export file's size in bytes.
      const fileBytes = opts.export === undefined ? 0 : exportSize(opts.export)
      const last = opts.node === undefined ? null : to ?? await committedHeightOf(parseUrl(opts.node, '--node'))
      const progress = opts.node !== undefined
        ? new Progress({ label: 'synod audit', unit: 'heights', total: last === null ? null : Math.max(0, last - from + 1) })
        : new Progress({ label: 'synod audit', unit: 'bytes', total: fileBytes })
      const valueOf = (height: number, bytes: number): number => opts.node !== undefined ? Math.max(0, height - from + 1) : bytes
      const pool = workers > 0 ? new SignaturePool(workers) : undefined
      let report: AuditReport
      try {
        report = await runAudit(source, {
          genesis, toHeight: to, allowUncertifiedTail: opts.allowUncertifiedTail ?? false, signal: controller.signal, pool,
          onProgress: (p) => progress.update(valueOf(p.height, p.bytes), `height ${p.height}, ${p.entries} entries`),
        })
        // The last progress report is throttled: show where the audit ended.
        progress.update(valueOf(report.height, report.ok ? fileBytes : progress.state.value), `height ${report.height}, ${report.entries} entries`)
      } finally {
        progress.stop()
      }
      await pool?.close()
      const sidecars: SidecarReport | null = opts.sidecars === true && opts.node !== undefined
        ? await probeSidecars(report.sealed.entries, sidecarProbe(parseUrl(opts.node, '--node')))
        : null
      if (opts.json) process.stdout.write(JSON.stringify({ ...report, logRoot: toHex(report.logRoot), ...(sidecars === null ? {} : { sidecars }) }) + '\n')
      else printReport(report, sidecars)
      const faults = sidecars?.findings.some((f) => SIDECAR_FAULTS.has(f.verdict)) ?? false
      process.exitCode = report.ok && !faults ? 0 : 2
    })
}
