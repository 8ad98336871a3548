#!/usr/bin/env node
// The `synod` command. Node 24 runs the TypeScript sources directly (erasable syntax only).
await import('../node/cli/main.ts')
