// Benchmark result names carry their run's time; superseded runs move to archive/.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { archiveSuperseded, runName, runOf } from '../../bench/result-names.ts'

const dir = mkdtempSync(join(tmpdir(), 'synod-results-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('benchmark result names', () => {
  it('name a run by its UTC start, kind and tag', () => {
    const at = new Date('2026-11-22T04:27:59Z')
    expect(runName(at, true)).toBe('2026-11-22T0427Z-quick')
    expect(runName(at, false, 'mine')).toBe('2026-11-22T0427Z-full-mine')
    expect(() => runName(at, true, 'Latest Run')).toThrow(/--tag must be/)
    expect(runOf('2026-11-22T0427Z-quick-final-cluster-256B-latency.svg')).toEqual({ name: '2026-11-22T0427Z-quick-final', kind: 'quick' })
    expect(runOf('2026-11-22T0427Z-quick-final-cluster-n7-256B-throughput.svg')).toEqual({ name: '2026-11-22T0427Z-quick-final', kind: 'quick' })
    expect(runOf('2026-11-22-rss-1m.json')).toBeNull()
    expect(runOf('latest-quick.json')).toBeNull()
  })

  it('archive the other runs of the same kind, and nothing else', () => {
    const files = ['2026-11-22T0051Z-quick.json', '2026-11-22T0051Z-quick.md', '2026-11-22T0051Z-quick-cluster-256B-latency.svg', '2026-11-22T0100Z-full.json', '2026-11-22-rss-1m.json', '2026-12-01T1200Z-quick-new.json', '2026-12-01T1200Z-quick-new.md']
    for (const f of files) writeFileSync(join(dir, f), '{}')
    expect(archiveSuperseded(dir, '2026-12-01T1200Z-quick-new').sort()).toEqual(files.slice(0, 3).sort())
    expect(readdirSync(dir).sort()).toEqual(['2026-11-22-rss-1m.json', '2026-11-22T0100Z-full.json', '2026-12-01T1200Z-quick-new.json', '2026-12-01T1200Z-quick-new.md', 'archive'])
    expect(readdirSync(join(dir, 'archive')).sort()).toEqual(files.slice(0, 3).sort())
  })
})
