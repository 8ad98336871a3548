// Operators' view of real validator nodes (four in one process: memory stores, libp2p on
// 127.0.0.1, the HTTP API of node 0 with its metrics):
//   - `promtool check metrics` passes on the whole /metrics (skipped, saying so, when
//     promtool is not installed: Debian's `prometheus` package has it);
//   - submit-to-commit latency, sync lag and build_info are there and move;
//   - a healthy node logs nothing at warn or above, idle or under load (WARN means an
//     operator should look);
//   - every query of the Grafana dashboard (docs/grafana/synod.json) names a metric the
//     node exports.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pino } from 'pino'
import { DEFAULT_PARAMS, type Genesis } from '../../src/log/genesis.ts'
import { SYNOD_VERSION } from '../../src/version.ts'
import { MemoryStore } from '../../node/store/index.ts'
import { ValidatorNode } from '../../node/runtime/validator-node.ts'
import { ValidatorBackend } from '../../node/runtime/backend.ts'
import { createApiServer, type ApiServer } from '../../node/api/server.ts'
import { NodeMetrics } from '../../node/metrics/metrics.ts'
import { bridgeMetrics } from '../../node/metrics/metrics-bridge.ts'
import { freePorts } from '../../devnet/free-ports.ts'
import { postEntry } from '../../devnet/http-client.ts'
import { TestAgent, testNet } from '../support/chain-builder.ts'
import { metricNamesOfDashboard, metricNamesOfExposition } from './metric-names.ts'

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** The log lines of every node at warn and above, parsed. */
const warnings: { validator: number, msg: string, [key: string]: unknown }[] = []
function warnLogger(validator: number): pino.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') warnings.push({ validator, ...JSON.parse(line) as { msg: string } })
      done()
    },
  })
  return pino({ level: 'warn', base: { validator } }, sink)
}

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0

describe('node metrics and logs', () => {
  let genesis: Genesis
  const nodes: ValidatorNode[] = []
  let metrics: NodeMetrics
  let api: ApiServer
  let url: string
  const agents = Array.from({ length: 10 }, (_, i) => new TestAgent(`metrics-agent-${i}`))

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`)
    expect(res.status).toBe(200)
    return res.text()
  }

  beforeAll(async () => {
    const ports = await freePorts(4)
    const net = testNet(4, 'metrics-test')
    genesis = {
      ...net.genesis,
      params: { ...DEFAULT_PARAMS, roundTimeoutMs: 500 },
      validators: net.genesis.validators.map((v, i) => ({ ...v, addresses: [`/ip4/127.0.0.1/tcp/${ports[i]}`] })),
    }
    for (let i = 0; i < 4; i++) {
      nodes.push(new ValidatorNode({ genesis, seed: net.validatorSeeds[i]!, listen: genesis.validators[i]!.addresses }, { store: new MemoryStore(), logger: warnLogger(i) }))
    }
    await Promise.all(nodes.map((n) => n.start()))
    metrics = new NodeMetrics({ chainId: genesis.chainId, validator: 0 })
    bridgeMetrics(nodes[0]!, metrics)
    api = createApiServer({ port: 0, limits: { ipRatePerSecond: 10_000, ipBurst: 10_000 }, payloadBytesMax: genesis.params.payloadBytesMax, loggerInstance: warnLogger(0) }, { backend: new ValidatorBackend(nodes[0]!), metrics })
    url = (await api.listen()).url
    await waitFor('every node has its three peers', () => nodes.every((n) => n.peers.length === 3))
  })

  afterAll(async () => {
    await api?.close()
    await Promise.all(nodes.map((n) => n.stop()))
  })

  it('a healthy idle node logs nothing at warn', async () => {
    // Idle: a few round timeouts' worth of nothing to do (rounds still advance).
    await new Promise((r) => setTimeout(r, 4 * genesis.params.roundTimeoutMs))
    expect(warnings).toEqual([])
  })

  it('records submit-to-commit latency and sync lag, and a healthy loaded node logs nothing at warn', async () => {
    let lagMax = 0
    const watching = setInterval(() => { lagMax = Math.max(lagMax, ...nodes.map((n) => n.syncLagHeights)) }, 5)
    try {
      // Through the HTTP API of node 0 (what submit-to-commit measures): ten agents in
      // parallel, each in seq order, 30 entries each (within the per-agent burst).
      await Promise.all(agents.map(async (agent) => {
        for (let i = 0; i < 30; i++) {
          const answer = await postEntry(url, agent.entry(genesis.chainId, 'ops/metrics', { i, pad: 'x'.repeat(200) }))
          expect(answer.status, JSON.stringify(answer.body)).toBe(202)
        }
      }))
      await waitFor('all 300 entries commit on every node', () => nodes.every((n) => n.head.logSize >= 300))
    } finally {
      clearInterval(watching)
    }
    console.log(`sync lag under load: at most ${lagMax} heights on any node; heads ${nodes.map((n) => n.head.height).join(', ')}`)
    expect(lagMax).toBeLessThanOrEqual(8)
    const body = await scrape()
    const count = Number(/^synod_submit_to_commit_seconds_count (\d+)$/m.exec(body)?.[1])
    expect(count).toBe(300)
    expect(body).toMatch(/^synod_sync_lag_heights \d+$/m)
    // Sidecar replication runs (no sealed entry here: nothing wanted, nothing refused).
    expect(body).toMatch(/^synod_sidecar_replication_total\{event="requested"\} 0$/m)
    expect(body).toMatch(/^synod_sidecars_wanted 0$/m)
    expect(body).toContain(`synod_build_info{version="${SYNOD_VERSION}",node="${process.version}",chain="${genesis.chainId}",validator="0"} 1`)
    expect(warnings).toEqual([])
  })

  it('`promtool check metrics` passes on the whole /metrics', async ({ skip }) => {
    if (!promtool) {
      const why = 'promtool is not installed: `apt-get install prometheus` (Debian) to run `promtool check metrics` on /metrics'
      console.warn(`SKIPPED: ${why}`)
      skip(why)
    }
    const body = await scrape()
    expect(body).toMatch(/^process_cpu_seconds_total /m) // the runtime metrics are in it
    expect(body).toMatch(/^nodejs_active_handles[{ ]/m)
    expect(body).not.toMatch(/^nodejs_active_handles_total/m)
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' })
    expect(`${checked.stdout}${checked.stderr}`).toBe('')
    expect(checked.status).toBe(0)
  })

  it('every query of the Grafana dashboard names a metric the node exports', async () => {
    const exported = metricNamesOfExposition(await scrape())
    const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana/synod.json', import.meta.url), 'utf8')) as unknown
    const used = metricNamesOfDashboard(dashboard)
    expect(used.size).toBeGreaterThanOrEqual(10)
    for (const name of ['synod_submit_to_commit_seconds_bucket', 'synod_sync_lag_heights', 'synod_build_info', 'synod_height']) expect(used).toContain(name)
    const missing = [...used].filter((name) => !exported.has(name))
    expect(missing).toEqual([])
  })
})
