#!/usr/bin/env node
// The `synod` command. Node 24 runs the TypeScript sources directly (erasable syntax only).
// Under `npx synod` or `npm run`, the pinned Node 24 (devDependency `node`) is first on
// PATH. Started some other way with an older Node, re-run under the pinned one, passing
// signals on so that Ctrl-C and SIGTERM stop the real process.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const major = Number(process.versions.node.split('.')[0])
if (major < 24) {
  const pinned = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url))
  if (!existsSync(pinned)) {
    process.stderr.write(`synod needs Node >= 24 (this is ${process.version}); run 'npm install' to get the pinned one.\n`)
    process.exit(1)
  }
  const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)))
} else {
  await import('../cli/main.ts')
}
