#!/usr/bin/env node
// The `synod` command, in two layouts (docs/architecture.md, "Package layout"):
// - the installed package ships no TypeScript: it runs the built JavaScript in dist/ on
//   Node >= 22;
// - a checkout runs the .ts sources directly on Node >= 24 (erasable syntax only). Under
//   `npx synod` or `npm run` the pinned Node 24 (devDependency `node`) is first on PATH;
//   started with an older Node, this re-runs itself under the pinned one, passing signals
//   on so that Ctrl-C and SIGTERM stop the real process. The `synod-source` condition makes
//   `synod/...` imports (a scenario file's `import ... from 'synod/scenarios'`) resolve to
//   the sources too.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import nodeModule from 'node:module' // registerHooks: Node >= 22.15, used from a checkout only
import { fileURLToPath } from 'node:url'

// The one place that names the CLI's entry module.
const CLI_SOURCE = new URL('../cli/main.ts', import.meta.url)
const CLI_BUILT = new URL('../dist/cli/main.js', import.meta.url)
const SOURCE_NODE_MAJOR_MIN = 24
const BUILT_NODE_MAJOR_MIN = 22

// `synod audit` runs with V8's young generation capped (4 MB per semi-space): by default
// it grows to tens of MB and stays resident, which made an audit's RSS climb from 165 to
// 270 MB over 100,000 entries with 14 MB live after each GC (docs/performance.md). A flag
// that must be given at start, so the command re-runs itself with it unless it is given.
// Not `synod start`: a validator is a process operators signal and kill by its pid, which
// a wrapper process would stand between (a kill -9 of the wrapper would leave the node
// running); it gets the same settings from its service file (docs/operations.md) or the
// devnet.
// With them, glibc's allocator settings (read at start too; other allocators ignore them)
// that give freed buffers back: with the young generation capped but glibc's defaults,
// the audit's RSS still climbed from 118 to 254 MB; with both it stayed at 118-161 MB.
// Settings given by the user win. The same values as devnet/cluster.ts gives validators
// (test/cli/process-settings.test.ts).
const SEMI_SPACE_FLAG = '--max-semi-space-size=4'
const MALLOC_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072', MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TOP_PAD_: '0' }
const CAPPED_COMMANDS = new Set(['audit'])

/** Runs this file again under `node` with `flags` (and `env` added where unset), passing signals on. */
function relaunch(node, flags, env = {}) {
  const childEnv = { ...process.env }
  for (const [name, value] of Object.entries(env)) childEnv[name] ??= value
  const child = spawn(node, [...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: childEnv })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)))
}

function semiSpaceUncapped() {
  const command = process.argv.slice(2).find((a) => !a.startsWith('-'))
  if (!CAPPED_COMMANDS.has(command)) return false
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  return !given.some((flag) => flag.startsWith('--max-semi-space-size'))
}

const major = Number(process.versions.node.split('.')[0])
if (semiSpaceUncapped() && major >= BUILT_NODE_MAJOR_MIN) {
  relaunch(process.execPath, [SEMI_SPACE_FLAG, ...process.execArgv], MALLOC_ENV)
} else if (!existsSync(fileURLToPath(CLI_SOURCE))) {
  if (major < BUILT_NODE_MAJOR_MIN) {
    process.stderr.write(`synod needs Node >= ${BUILT_NODE_MAJOR_MIN} (this is ${process.version}).\n`)
    process.exit(1)
  }
  await import(CLI_BUILT.href)
} else if (major < SOURCE_NODE_MAJOR_MIN) {
  const pinned = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))
  if (!existsSync(pinned)) {
    process.stderr.write(`synod from a checkout needs Node >= ${SOURCE_NODE_MAJOR_MIN} (this is ${process.version}); run 'npm install' to get the pinned one.\n`)
    process.exit(1)
  }
  relaunch(pinned, ...(semiSpaceUncapped() ? [[SEMI_SPACE_FLAG], MALLOC_ENV] : [[]]))
} else {
  nodeModule.registerHooks({
    resolve: (specifier, context, nextResolve) => nextResolve(specifier, { ...context, conditions: [...context.conditions, 'synod-source'] }),
  })
  await import(CLI_SOURCE.href)
}
