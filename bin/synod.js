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

const major = Number(process.versions.node.split('.')[0])
if (!existsSync(fileURLToPath(CLI_SOURCE))) {
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
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)))
} else {
  nodeModule.registerHooks({
    resolve: (specifier, context, nextResolve) => nextResolve(specifier, { ...context, conditions: [...context.conditions, 'synod-source'] }),
  })
  await import(CLI_SOURCE.href)
}
