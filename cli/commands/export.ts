// synod export: a node's chain (GET /v1/export) into a file in the export format, with
// progress, written atomically: into a temporary file beside --out, renamed over it only
// once every height asked for has arrived whole, so --out is never a partial export.
import { closeSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync, constants } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { Command } from 'commander'
import { RecordReader } from '../../src/log/export.ts'
import { devnetFor, flagOrDevnet } from '../devnet-defaults.ts'
import { parseHeight, parseUrl } from '../parse.ts'
import { Progress } from '../progress.ts'

/** Deadline of the checkpoint look-up that fixes the default last height. */
const CHECKPOINT_LOOKUP_TIMEOUT_MS = 10_000

/** fetch's errors say 'fetch failed' and keep the reason (refused, reset) in `cause`. */
function causeOf(err: unknown): string {
  const cause = (err as Error).cause
  return cause instanceof Error ? cause.message : (err as Error).message
}

export class ExportError extends Error {
  override readonly name = 'ExportError'
}

/** The highest certified height (GET /v1/checkpoint): the default end of an export, the
 * last height a default export is proven committed to (docs/api.md). */
async function certifiedHeight(base: URL): Promise<number> {
  const url = new URL('/v1/checkpoint', base)
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(CHECKPOINT_LOOKUP_TIMEOUT_MS) })
  } catch (err) {
    throw new ExportError(`cannot reach ${url}: ${causeOf(err)}`)
  }
  if (res.status === 404) throw new ExportError(`${base.origin} has no certified block yet (GET /v1/checkpoint answered 404): nothing to export`)
  if (!res.ok) throw new ExportError(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
  const body = await res.json() as { checkpoint?: { height?: unknown }, height?: unknown }
  const height = body.checkpoint?.height ?? body.height
  if (!Number.isSafeInteger(height)) throw new ExportError(`GET ${url}: the answer carries no checkpoint height`)
  return height as number
}

function refuseDirectory(out: string): void {
  let isDir: boolean
  try {
    isDir = statSync(out).isDirectory()
  } catch {
    isDir = false
  }
  if (isDir) throw new ExportError(`--out ${out} is a directory; give a file name`)
}

export interface ExportResult {
  readonly from: number
  readonly to: number
  readonly blocks: number
  readonly bytes: number
}

/** Streams from..to (to: default the certified height) into `out` atomically. */
export async function exportChain(base: URL, out: string, from: number, to: number | undefined, signal: AbortSignal): Promise<ExportResult> {
  refuseDirectory(out)
  const last = to ?? await certifiedHeight(base)
  if (last < from) throw new ExportError(`nothing to export: --from ${from} is above the last height ${last}${to === undefined ? ' (the highest certified height)' : ''}`)
  const url = new URL('/v1/export', base)
  url.searchParams.set('fromHeight', String(from))
  // Explicit, so the export is exactly from..last and its completeness can be checked.
  url.searchParams.set('toHeight', String(last))
  const expected = last - from + 1
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`)
  let fd: number
  try {
    fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
  } catch (err) {
    throw new ExportError(`cannot write beside --out ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const progress = new Progress({ label: 'synod export', unit: 'heights', total: expected })
  const reader = new RecordReader()
  let records = 0
  let bytes = 0
  let renamed = false
  try {
    let res: Response
    try {
      res = await fetch(url, { signal })
    } catch (err) {
      throw new ExportError(`GET ${url} failed before the export began: ${causeOf(err)}`)
    }
    if (!res.ok || res.body === null) throw new ExportError(`GET ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
    try {
      for await (const chunk of res.body) {
        writeSync(fd, chunk)
        bytes += chunk.length
        // Count whole records (the header, then one per height) without decoding them.
        reader.push(chunk)
        while (reader.nextBytes() !== null) records += 1
        progress.update(Math.max(0, records - 1), `${(bytes / 1e6).toFixed(1)} MB`)
      }
    } catch (err) {
      if (err instanceof ExportError) throw err
      throw new ExportError(`the export from ${base.origin} broke off after ${Math.max(0, records - 1)} of ${expected} heights: ${causeOf(err)}; ${out} was not written (resume with --from ${from + Math.max(0, records - 1)}`)
    }
    const blocks = Math.max(0, records - 1)
    if (reader.pendingBytes !== 0 || blocks !== expected) {
      throw new ExportError(`the export from ${base.origin} is incomplete: ${blocks} of ${expected} heights${reader.pendingBytes !== 0 ? `, ${reader.pendingBytes} bytes of a cut record` : ''}; ${out} was not written (resume with --from ${from + blocks})`)
    }
    fsyncSync(fd)
    closeSync(fd)
    fd = -1
    renameSync(temp, out)
    renamed = true
    return { from, to: last, blocks, bytes }
  } finally {
    progress.stop()
    if (fd !== -1) closeSync(fd)
    if (!renamed) rmSync(temp, { force: true })
  }
}

export function registerExport(program: Command): void {
  program.command('export')
    .description('write a node\'s chain to a file in the export format (synod-export/v1), for synod audit --export')
    .option('--node <url>', 'the node to export from; default: the running devnet\'s first node (devnet.json)')
    .requiredOption('--out <file>', 'the export file (written atomically: a temporary file, then renamed)')
    .option('--from <height>', 'first height (the export then carries the log frontier before it)', '1')
    .option('--to <height>', 'last height (default: the highest certified height, so the export passes synod audit)')
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { node?: string, out: string, from: string, to?: string, json?: boolean }) => {
      const from = parseHeight(opts.from, '--from', 1)
      const to = opts.to === undefined ? undefined : parseHeight(opts.to, '--to', from)
      const devnet = devnetFor(opts.node === undefined, 'synod export')
      const base = parseUrl(flagOrDevnet(opts.node, devnet, (d) => d.nodes[0]!, '--node URL', 'synod export'), '--node')
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      const r = await exportChain(base, opts.out, from, to, controller.signal)
      if (opts.json) process.stdout.write(JSON.stringify({ out: opts.out, ...r }) + '\n')
      else process.stdout.write(`wrote ${opts.out}: heights ${r.from}..${r.to} (${r.blocks} blocks, ${r.bytes} bytes)\n`)
    })
}
