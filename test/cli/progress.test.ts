// Progress of long commands: a total and an ETA; on a terminal a bar, piped a plain line
// every few seconds and at the end. Unit tests on a fake clock and stream, then
// `synod audit` piped, from an export file and from a node.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { etaMs, Progress, progressLine, PROGRESS_LINE_INTERVAL_MS } from '../../cli/progress.ts'
import { genesisToJson } from '../../src/log/genesis.ts'
import { AgentIdentity, SynodClient } from '../../sdk/index.ts'
import { ChainBuilder, TestAgent, testNet } from '../support/chain-builder.ts'
import { exportBytes } from '../support/export-file.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

class Sink extends Writable {
  readonly chunks: string[] = []
  isTTY: boolean
  columns = 120
  constructor(isTTY: boolean) {
    super()
    this.isTTY = isTTY
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.chunks.push(chunk.toString('utf8'))
    done()
  }
  // What cli-progress calls on a terminal stream.
  cursorTo(): boolean { return true }
  clearLine(): boolean { return true }
  moveCursor(): boolean { return true }
  get text(): string { return this.chunks.join('') }
}

describe('progress lines', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('say the total, the share done and the ETA at the pace so far', () => {
    const line = progressLine({ label: 'synod audit', unit: 'heights', value: 1200, total: 5000, detail: 'height 1200, 3400 entries', elapsedMs: 12_000 })
    expect(line).toBe('synod audit: 1200/5000 heights (24%), height 1200, 3400 entries, 12 s elapsed, ETA 38 s')
    expect(progressLine({ label: 'x', unit: 'bytes', value: 2_500_000, total: 10_000_000, detail: '', elapsedMs: 90_000 })).toBe('x: 2.5 MB of 10.0 MB (25%), 1 min 30 s elapsed, ETA 4 min 30 s')
    expect(progressLine({ label: 'x', unit: 'runs', value: 7, total: null, detail: '', elapsedMs: 1000 })).toBe('x: 7 runs, 1 s elapsed')
    expect(etaMs({ value: 0, total: 10, elapsedMs: 1000 })).toBeNull()
    expect(etaMs({ value: 10, total: 10, elapsedMs: 1000 })).toBe(0)
  })

  it('piped: one line every interval and one at the end, none after', () => {
    vi.useFakeTimers()
    let now = 0
    const sink = new Sink(false)
    const progress = new Progress({ label: 'sweep', unit: 'runs', total: 100, stream: sink, now: () => now })
    progress.update(10, 'failed 0')
    now += PROGRESS_LINE_INTERVAL_MS
    vi.advanceTimersByTime(PROGRESS_LINE_INTERVAL_MS)
    expect(sink.text).toBe('sweep: 10/100 runs (10%), failed 0, 5 s elapsed, ETA 45 s\n')
    progress.update(40)
    now += PROGRESS_LINE_INTERVAL_MS
    vi.advanceTimersByTime(PROGRESS_LINE_INTERVAL_MS)
    expect(sink.chunks.at(-1)).toBe('sweep: 40/100 runs (40%), failed 0, 10 s elapsed, ETA 15 s\n')
    progress.update(100)
    progress.stop()
    expect(sink.chunks.at(-1)).toBe('sweep: 100/100 runs (100%), failed 0, 10 s elapsed, ETA 0 s\n')
    const count = sink.chunks.length
    vi.advanceTimersByTime(10 * PROGRESS_LINE_INTERVAL_MS)
    progress.stop()
    expect(sink.chunks.length).toBe(count)
  })

  it('a total that proves too small grows with the value', () => {
    const sink = new Sink(false)
    const progress = new Progress({ label: 'a', unit: 'heights', total: 10, stream: sink, now: () => 1000 })
    progress.update(12)
    expect(progress.state.total).toBe(12)
    progress.stop()
  })

  it('on a terminal: a bar with the total and the ETA, no plain lines', () => {
    const sink = new Sink(true)
    const progress = new Progress({ label: 'synod audit', unit: 'heights', total: 50, stream: sink })
    progress.update(25, 'height 25')
    progress.stop()
    expect(sink.text).toMatch(/synod audit \|.*\| 50% \| 25\/50 heights \| height 25 \| ETA /)
    expect(sink.text).not.toContain('elapsed')
  })
})

describe('synod audit, piped', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synod-progress-'))
  const net = testNet(4, 'progress-chain')
  const genesisFile = join(dir, 'genesis.json')
  let cluster: TestCluster
  beforeAll(async () => {
    writeFileSync(genesisFile, JSON.stringify(genesisToJson(net.genesis)))
    cluster = await startCluster({ honest: 2 })
  })
  afterAll(async () => {
    await cluster?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('regression: from an export file, the progress has the file size as its total (was: no total, always full)', () => {
    const chain = new ChainBuilder(net)
    const agent = new TestAgent('progress-agent')
    for (let b = 0; b < 6; b++) chain.add(Array.from({ length: 3 }, (_, i) => agent.entry(net.genesis.chainId, 'p/ns', { b, i })), b === 5)
    const file = join(dir, 'chain.export')
    writeFileSync(file, exportBytes(net.genesis, chain.items))
    const mb = (statSync(file).size / 1e6).toFixed(1)
    const r = spawnSync(process.execPath, ['bin/synod.js', 'audit', '--export', file, '--genesis', genesisFile], { encoding: 'utf8', timeout: 30_000 })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain(`synod audit: ${mb} MB of ${mb} MB (100%), height 6, 18 entries`)
  })

  it('from a node, the progress counts heights up to the node\'s head', async () => {
    const synod = new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: AgentIdentity.generate() })
    for (let i = 0; i < 3; i++) await synod.commit('p/node', { i })
    const head = (await (await fetch(`${cluster.urls[0]}/healthz`)).json() as { height: number }).height
    writeFileSync(join(dir, 'cluster-genesis.json'), JSON.stringify(genesisToJson(cluster.net.genesis)))
    const child = spawn(process.execPath, ['bin/synod.js', 'audit', '--node', cluster.urls[0]!, '--genesis', join(dir, 'cluster-genesis.json'), '--allow-uncertified-tail'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8') })
    child.stdout.resume()
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
      child.on('exit', (c) => { clearTimeout(timer); resolve(c) })
    })
    expect(code, stderr).toBe(0)
    expect(stderr).toMatch(new RegExp(`synod audit: ${head}/${head} heights \\(100%\\), height ${head}, 3 entries`))
  })
})
