// A browser page on another origin uses the SDK against real API servers: headless
// Chromium (playwright-core, the Debian chromium at /usr/bin/chromium) loads a page from a
// static server on 127.0.0.1, the page imports the SDK's browser bundle (esbuild, as
// browser-bundle.test.ts) and, with SynodClient, commits a decision, verifies its receipt,
// reads it back by subscription (SSE) and by query. The nodes (test/support-sdk/cluster.ts)
// allow exactly the page's origin; one more node allows none, and the page cannot read it.
//
// Without /usr/bin/chromium the test is skipped and says why (CI installs it: .ci/run).
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { genesisToJson } from '../../sdk/index.ts'
import { createApiServer, type ApiServer } from '../../node/api/server.ts'
import { NodeMetrics } from '../../node/metrics/metrics.ts'
import { TestMemoryBackend } from '../support/memory-backend.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

const CHROMIUM = '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  console.log(`browser-cors.test.ts SKIPPED: ${CHROMIUM} is missing (install it with 'apt-get install -y chromium'; CI does, in .ci/run)`)
}

/** Flags for a quiet, self-contained headless run: no sandbox (CI runs as root), no GPU,
 * no network traffic of the browser's own (updates, sync, QUIC probes). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** Bound on everything the page does (its steps take well under a second here). */
const PAGE_TIMEOUT_MS = 30_000

const PAGE_HTML = '<!doctype html><meta charset="utf-8"><title>synod browser test</title><script type="module" src="/app.js"></script><p>synod</p>'

/** The page's app, plain JavaScript as a web app would write it: only what the SDK bundle
 * exports, from the page's own origin. */
const PAGE_APP = `
import * as sdk from '/sdk.js'

window.runSynodApp = async ({ nodes, genesisJson, closed }) => {
  const genesis = sdk.genesisFromJson(genesisJson)
  const seed = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('')
  const client = new sdk.SynodClient({ nodes, genesis, identity: sdk.AgentIdentity.fromSeed(seed), commitTimeoutMs: 20000 })
  const decision = await client.commit('web/decisions', { from: 'a browser', origin: location.origin }, { idempotencyKey: 'browser-1' })
  const verdict = sdk.verifyReceipt(decision.receipt, genesis)
  // Follow the log from the decision's index: the event stream, across origins.
  const stop = new AbortController()
  let streamed = null
  for await (const d of client.subscribe({ from: decision.index, signal: stop.signal })) {
    streamed = { id: d.id, index: d.index }
    stop.abort()
    break
  }
  const queried = []
  for await (const d of client.query({ namespace: 'web/decisions' })) queried.push(d.id)
  // A node that allows no origin: the browser refuses the page its answer.
  let closedError = ''
  try {
    await fetch(closed + '/healthz')
  } catch (err) {
    closedError = err.name
  }
  return { origin: location.origin, id: decision.id, index: decision.index, payload: decision.payload, verdict: verdict.ok, streamed, queried, closedError }
}
window.synodAppReady = true
`

interface PageResult {
  readonly origin: string
  readonly id: string
  readonly index: number
  readonly payload: unknown
  readonly verdict: boolean
  readonly streamed: { id: string, index: number } | null
  readonly queried: string[]
  readonly closedError: string
}

async function bundleSdk(): Promise<string> {
  const result = await build({
    entryPoints: ['sdk/index.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['browser', 'import', 'default'],
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0]!.text
}

/** Serves the page and the bundle on 127.0.0.1, a port (so an origin) of its own. */
async function startPageServer(sdk: string): Promise<{ server: Server, origin: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML)
    } else if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(PAGE_APP)
    } else if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(sdk)
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

describe.skipIf(!haveChromium)('a browser page on another origin', () => {
  let cluster: TestCluster
  let closedNode: ApiServer
  let closedUrl: string
  let page: { server: Server, origin: string }
  let context: BrowserContext
  let profile: string

  beforeAll(async () => {
    page = await startPageServer(await bundleSdk())
    cluster = await startCluster({ honest: 3, corsOrigins: [page.origin] })
    // A node of the same chain that allows no origin: the default.
    const ledger = new TestMemoryBackend({ genesis: cluster.net.genesis, validatorSeeds: cluster.net.validatorSeeds })
    closedNode = createApiServer({ port: 0 }, { backend: ledger, metrics: new NodeMetrics({ processMetrics: false }) })
    closedUrl = (await closedNode.listen()).url
    profile = await mkdtemp(join(tmpdir(), 'synod-chromium-'))
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: PAGE_TIMEOUT_MS })
  }, 60_000)

  afterAll(async () => {
    await context?.close()
    await cluster?.close()
    await closedNode?.close()
    await new Promise<void>((resolve) => page?.server.close(() => resolve()) ?? resolve())
    if (profile !== undefined) await rm(profile, { recursive: true, force: true })
  })

  it('commits through the nodes with SynodClient and verifies the receipt', async () => {
    const tab = await context.newPage()
    tab.setDefaultTimeout(PAGE_TIMEOUT_MS)
    const problems: string[] = []
    tab.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
    await tab.goto(`${page.origin}/`)
    await tab.waitForFunction('window.synodAppReady === true')
    const nodeOrigin = new URL(cluster.urls[0]!).origin
    expect(nodeOrigin).not.toBe(page.origin)

    const args = { nodes: cluster.urls, genesisJson: genesisToJson(cluster.net.genesis), closed: closedUrl }
    // A string, so that the page runs the app as written (vitest rewrites functions' imports).
    const result = await tab.evaluate(`window.runSynodApp(${JSON.stringify(args)})`) as PageResult

    expect(problems).toEqual([])
    expect(result.origin).toBe(page.origin)
    expect(result.verdict).toBe(true)
    expect(result.payload).toEqual({ from: 'a browser', origin: page.origin })
    expect(result.streamed).toEqual({ id: result.id, index: result.index })
    expect(result.queried).toContain(result.id)
    // fetch rejects with a TypeError when CORS forbids reading the answer.
    expect(result.closedError).toBe('TypeError')
    // The decision is really in the nodes' log.
    const found = await fetch(`${cluster.urls[0]}/v1/entries/${result.id}`).then((r) => r.json()) as { status: string }
    expect(found.status).toBe('certified')
    await tab.close()
  }, 60_000)
})
