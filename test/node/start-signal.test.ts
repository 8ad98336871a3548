// regression: SIGTERM right after the ready line killed the node outright. `synod start`
// printed its ready line before it installed its signal handlers, so a supervisor (or a
// test) that sent SIGTERM as soon as it read the line could reach a process with no
// handler: no clean stop, exit by signal, and the buffered log lines lost (seen in about
// one start-then-stop in five on a loaded machine).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createClusterFiles, NodeProcess } from '../../devnet/cluster.ts'

const dir = mkdtempSync(join(tmpdir(), 'synod-start-signal-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Start-then-stop cycles: each one hit the race with a chance of about a fifth. */
const CYCLES = 4

describe('synod start and SIGTERM', () => {
  it('regression: a node stopped as soon as it is ready stops cleanly, its log complete', async () => {
    const files = await createClusterFiles({ dir: join(dir, 'c'), nodes: 4, agents: 0, chainId: 'start-signal', logLevel: 'info' })
    const node = new NodeProcess(files.nodes[0]!)
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await node.start()
      expect(await node.stop(), `cycle ${cycle}: exit code (null: killed by the signal)`).toBe(0)
    }
    const log = readFileSync(join(files.nodes[0]!.dataDir, 'node.log'), 'utf8')
    expect(log.split('\n').filter((line) => line.includes('"msg":"node ready"'))).toHaveLength(CYCLES)
    expect(log.split('\n').filter((line) => line.includes('"msg":"node stopped"'))).toHaveLength(CYCLES)
  }, 180_000)
})
