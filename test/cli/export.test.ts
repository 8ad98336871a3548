// synod export against an in-process node: the default range ends at the highest
// certified height (so the file passes synod audit), --from/--to, and a stream cut midway
// leaves no file under --out.
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { genesisToJson } from '../../src/log/genesis.ts'
import { SYNOD_BIN } from '../../devnet/cluster.ts'
import { alice, delegate, entryJson, makeEntry, postJson, startHarness, type Harness } from '../node/api-fixture.ts'

const dir = mkdtempSync(join(tmpdir(), 'synod-export-'))
const harnesses: Harness[] = []
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()))
  rmSync(dir, { recursive: true, force: true })
})

interface Run { code: number, stdout: string, stderr: string }

// Asynchronous: the node answering the command runs in this process.
async function synod(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SYNOD_BIN, ...args], { timeout: 60_000, cwd: dir, env: { ...process.env, SYNOD_DEVNET_DIR: '' } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** Five blocks of two entries; blocks 1-3 certified, 4 and 5 committed without a certificate. */
async function fiveBlocks(h: Harness): Promise<void> {
  const a = alice()
  for (let block = 1; block <= 5; block++) {
    for (let i = 0; i < 2; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a, 'team/plans', { block, i })))
    h.backend.commit({ certify: block <= 3 })
  }
}

describe('synod export', () => {
  it('writes the certified chain by default, which synod audit passes; --from/--to pick a range', async () => {
    const h = await startHarness()
    harnesses.push(h)
    await fiveBlocks(h)
    const genesisFile = join(dir, 'genesis.json')
    writeFileSync(genesisFile, JSON.stringify(genesisToJson(h.genesis)))

    const out = join(dir, 'chain.export')
    const r = await synod('export', '--node', h.url, '--out', out, '--json')
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ from: 1, to: 3, blocks: 3 })
    // Progress on stderr, with the total (piped: the last line at the end).
    expect(r.stderr).toMatch(/synod export: 3\/3 heights \(100%\)/)
    const audit = await synod('audit', '--export', out, '--genesis', genesisFile, '--json')
    expect(audit.code, audit.stdout + audit.stderr).toBe(0)
    expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true, height: 3, certifiedHeight: 3, entries: 6 })

    const part = join(dir, 'part.export')
    const p = await synod('export', '--node', h.url, '--out', part, '--from', '2', '--to', '5', '--json')
    expect(p.code, p.stderr).toBe(0)
    expect(JSON.parse(p.stdout)).toMatchObject({ from: 2, to: 5, blocks: 4 })
    // Only the temporary files' absence: nothing but the two exports and the genesis.
    expect(readdirSync(dir).sort()).toEqual(['chain.export', 'genesis.json', 'part.export'])
  })

  it('refuses bad input with a clear error and writes nothing', async () => {
    const h = await startHarness()
    harnesses.push(h)
    await fiveBlocks(h)
    const out = join(dir, 'bad.export')
    expect((await synod('export', '--out', out, '--node', 'ftp://x')).stderr).toMatch(/--node must be an http\(s\) URL/)
    expect((await synod('export', '--out', out, '--node', h.url, '--from', 'x')).stderr).toMatch(/--from must be a whole number/)
    expect((await synod('export', '--out', out, '--node', h.url, '--from', '4')).stderr).toMatch(/nothing to export: --from 4 is above the last height 3/)
    expect((await synod('export', '--out', out, '--node', h.url, '--to', '9')).stderr).toMatch(/answered 404.*range-unavailable/)
    expect((await synod('export', '--out', dir, '--node', h.url)).stderr).toMatch(/is a directory/)
    const none = await synod('export', '--out', out)
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/synod export needs --node URL \(or a running devnet/)
    expect(existsSync(out)).toBe(false)
  })

  it('regression guard: a stream cut midway leaves no file under --out (atomic write)', async () => {
    const h = await startHarness({
      wrap: (backend) => delegate(backend, {
        exportBlocks: async (from, to, signal) => {
          const whole = await backend.exportBlocks(from, to, signal)
          async function* cut(): AsyncGenerator<Uint8Array> {
            let n = 0
            for await (const record of whole.records) {
              // A pause first, so the two records are on the wire before the failure.
              if (n++ === 2) await new Promise((r) => setTimeout(r, 500)).then(() => { throw new Error('disk failed') })
              yield record
            }
          }
          return { header: whole.header, records: cut() }
        },
      }),
    })
    harnesses.push(h)
    await fiveBlocks(h)
    const out = join(dir, 'cut.export')
    const r = await synod('export', '--node', h.url, '--out', out)
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/(incomplete: 2 of 3 heights|broke off after 2 of 3 heights).*resume with --from 3/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(dir).filter((f) => f.includes('cut.export'))).toEqual([])
  })
})
