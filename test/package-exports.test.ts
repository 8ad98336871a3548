// The package's entry points (package.json "exports") exist and load.
import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const root = new URL('../', import.meta.url)
/** Each export maps conditions to files: `synod-source` to the .ts sources a checkout runs,
 * the others to the build in dist/ (checked by test/package/, which builds and installs it). */
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, Record<string, string>>, bin: Record<string, string> }

function sourceOf(name: string): string {
  const path = pkg.exports[name]?.['synod-source']
  if (path === undefined) throw new Error(`export '${name}' has no synod-source condition`)
  return path
}

describe('package entry points', () => {
  it('regression: every exported path exists (./node pointed at a missing node/index.ts)', () => {
    for (const [name, conditions] of Object.entries(pkg.exports)) {
      const path = sourceOf(name)
      expect(existsSync(new URL(path, root)), `export '${name}' -> ${path}`).toBe(true)
      // The built paths mirror the sources: dist/<same path>, .js and .d.ts.
      const built = `./dist/${path.slice(2).replace(/\.ts$/, '')}`
      expect(conditions.import, `export '${name}' import`).toBe(`${built}.js`)
      expect(conditions.types, `export '${name}' types`).toBe(`${built}.d.ts`)
    }
    for (const [name, path] of Object.entries(pkg.bin)) {
      expect(existsSync(new URL(path, root)), `bin '${name}' -> ${path}`).toBe(true)
    }
  })

  it('the daemon entry (synod/node) loads and exposes the validator runner and its parts', async () => {
    const node = await import(new URL(sourceOf('./node'), root).href) as Record<string, unknown>
    for (const name of ['runNode', 'readConfig', 'parseConfig', 'readKeyFile', 'LevelStore', 'MemoryStore', 'createApiServer', 'NodeMetrics']) {
      expect(typeof node[name], name).toBe('function')
    }
  })
})
