// synod approve / reject / decision as a human approver runs them: an identity file, the
// genesis and node URLs, against real API servers (test/support-sdk/cluster.ts).
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SYNOD_BIN } from '../../devnet/cluster.ts'
import { AgentIdentity, SynodClient, SynodDecisions, genesisToJson } from '../../sdk/index.ts'
import { saveIdentity } from '../../sdk/identity-file.ts'
import { startCluster, type TestCluster } from '../support-sdk/cluster.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'synod-decisions-cli-'))

describe('synod approve / reject / decision', () => {
  let cluster: TestCluster
  const planner = AgentIdentity.fromSeed(new Uint8Array(32).fill(61))
  const humans = [AgentIdentity.fromSeed(new Uint8Array(32).fill(62)), AgentIdentity.fromSeed(new Uint8Array(32).fill(63))]
  const genesisFile = join(dir, 'genesis.json')
  const keyFiles = humans.map((_, i) => join(dir, `human-${i}.key.json`))

  beforeAll(async () => {
    cluster = await startCluster({ honest: 2 })
    writeFileSync(genesisFile, JSON.stringify(genesisToJson(cluster.net.genesis)))
    humans.forEach((h, i) => saveIdentity(h, keyFiles[i]!))
  })
  afterAll(async () => {
    await cluster.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const synod = (...args: string[]) => run(process.execPath, [SYNOD_BIN, ...args, '--nodes', cluster.urls.join(','), '--genesis', genesisFile], { timeout: 60_000 })

  it('approves with an identity file, and prints the verified outcome', async () => {
    const proposer = new SynodDecisions(new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: planner }))
    const d = await proposer.propose('org/decisions', { approvers: humans.map((h) => h.publicKeyHex), threshold: 1, deadlineHeights: 1000 })
    const pending = await synod('decision', d.id, '--json')
    expect(JSON.parse(pending.stdout).answers.map((a: { status: string }) => a.status)).toEqual(['pending', 'pending'])
    const voted = await synod('approve', d.id, '--identity', keyFiles[0]!, '--note', 'ok by me', '--json')
    expect(JSON.parse(voted.stdout)).toMatchObject({ decision: d.id, kind: 'approve', namespace: 'org/decisions' })
    const outcome = await synod('decision', d.id, '--wait', '10', '--json')
    expect(JSON.parse(outcome.stdout)).toMatchObject({ id: d.id, status: 'approved', verified: true, approvers: [humans[0]!.publicKeyHex] })
  }, 90_000)

  it('rejects, and refuses a vote from an identity the decision does not name', async () => {
    const proposer = new SynodDecisions(new SynodClient({ nodes: cluster.urls, genesis: cluster.net.genesis, identity: planner }))
    const d = await proposer.propose('org/decisions', { approvers: [humans[1]!.publicKeyHex], threshold: 1, deadlineHeights: 1000 })
    const refused = await synod('approve', d.id, '--identity', keyFiles[0]!).catch((e: { code: number, stderr: string }) => e)
    expect((refused as { code: number }).code).not.toBe(0)
    expect((refused as { stderr: string }).stderr).toMatch(/is not an approver/)
    const voted = await synod('reject', d.id, '--identity', keyFiles[1]!)
    expect(voted.stdout).toMatch(/^REJECTED decision [0-9a-f]{64}: vote [0-9a-f]{64} committed/)
    const outcome = await synod('decision', d.id, '--wait', '10', '--json').catch((e: { stdout: string }) => e)
    expect(JSON.parse((outcome as { stdout: string }).stdout)).toMatchObject({ status: 'rejected', verified: false })
  }, 90_000)
})
