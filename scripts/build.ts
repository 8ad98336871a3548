// npm run build (and prepack): the package's JavaScript and .d.ts in dist/, from
// tsconfig.build.json, plus dist/package.json, the package scope of the built files: it
// maps the `#crypto-impl` subpath import to built modules, while the root package.json
// maps it to the .ts sources that a checkout runs (docs/architecture.md, "Package layout").
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dist = join(root, 'dist')

rmSync(dist, { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })

/** Rewrites a source-tree target ('./src/x.ts') to its built twin, relative to dist/. */
function built(target: string, extension: '.js' | '.d.ts'): string {
  if (!target.startsWith('./') || !target.endsWith('.ts')) throw new Error(`build: a package.json target must be './...ts', not '${target}'`)
  return target.slice(0, -'.ts'.length) + extension
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { imports: Record<string, Record<string, string>> }
const imports: Record<string, Record<string, string>> = {}
for (const [specifier, conditions] of Object.entries(pkg.imports)) {
  const first = Object.values(conditions)[0]
  if (first === undefined) throw new Error(`build: imports '${specifier}' has no target`)
  imports[specifier] = { types: built(first, '.d.ts') }
  for (const [condition, target] of Object.entries(conditions)) imports[specifier][condition] = built(target, '.js')
}
writeFileSync(join(dist, 'package.json'), `${JSON.stringify({ type: 'module', imports }, null, 2)}\n`)

// No built module may still import a .ts file (Node refuses to strip types under
// node_modules) or name a sibling .ts file by URL (a worker): tsc rewrites import
// specifiers only.
const TS_REFERENCE = /\bfrom\s+'\.{1,2}\/[^']*\.ts'|import\('\.{1,2}\/[^']*\.ts'\)|new URL\('\.{1,2}\/[^']*\.ts'/
const leftovers: string[] = []
const walk = (dir: string): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path)
    else if (entry.name.endsWith('.js') && TS_REFERENCE.test(readFileSync(path, 'utf8'))) leftovers.push(path)
  }
}
walk(dist)
if (leftovers.length > 0) throw new Error(`build: these built modules still refer to .ts files: ${leftovers.join(', ')}`)
