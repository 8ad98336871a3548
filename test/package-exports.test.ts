// The package's entry points (package.json "exports") exist and load.
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, string>, bin: Record<string, string> }

describe('package entry points', () => {
  it('regression: every exported path exists (./node pointed at a missing node/index.ts)', () => {
    for (const [name, path] of Object.entries(pkg.exports)) {
      expect(existsSync(new URL(path, root)), `export '${name}' -> ${path}`).toBe(true)
    }
    for (const [name, path] of Object.entries(pkg.bin)) {
      expect(existsSync(new URL(path, root)), `bin '${name}' -> ${path}`).toBe(true)
    }
  })

  it('the daemon entry (synod/node) loads and exposes the validator runner and its parts', async () => {
    const node = await import(new URL(pkg.exports['./node']!, root).href) as Record<string, unknown>
    for (const name of ['runNode', 'readConfig', 'parseConfig', 'readKeyFile', 'LevelStore', 'MemoryStore', 'createApiServer', 'NodeMetrics']) {
      expect(typeof node[name], name).toBe('function')
    }
  })
})
