// synod reconfigure propose / approve (and the assembly submit does): the statement names
// the genesis set and the next one, each current validator approves with its key, the
// approval record refuses a second set for the same epoch while the first can still take
// effect, and a quorum of approvals makes an entry the core reads as an effective
// reconfiguration of epoch 1 (checkReconfiguration, the validators' own check).
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { SYNOD_BIN } from '../../devnet/cluster.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { checkReconfiguration, genesisEpoch, readReconfigurationPayload } from '../../src/log/epochs.ts'
import { genesisFromJson } from '../../src/log/genesis.ts'
import { approvalFromJson, approvalBlocked, assemble, statementFromJson } from '../../cli/reconfiguration-files.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'synod-reconfigure-'))
const path = (name: string) => join(dir, name)

interface Run { code: number, stdout: string, stderr: string }
async function synod(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SYNOD_BIN, ...args], { timeout: 60_000, cwd: dir, env: { ...process.env, SYNOD_DEVNET_DIR: '' } })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: number, stdout?: string, stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

/** A validator key file, in the format synod keygen writes, from a fixed seed. */
function keyFile(name: string, n: number, kind = 'validator'): string {
  const seed = new Uint8Array(32).fill(n)
  writeFileSync(path(name), JSON.stringify({ type: 'synod-key', kind, seed: toHex(seed), publicKey: toHex(publicKeyFromSeed(seed)) }), { mode: 0o600 })
  return path(name)
}

const validator = (i: number) => ({ name: `v${i}`, keyFile: `v${i}.key.json`, addresses: [`/ip4/127.0.0.1/tcp/${7200 + i}`] })

describe('synod reconfigure', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('proposes, approves once per epoch, and assembles an entry the validators would accept', async () => {
    for (let i = 0; i < 5; i++) keyFile(`v${i}.key.json`, 40 + i)
    keyFile('agent.key.json', 50, 'agent')
    writeFileSync(path('genesis-validators.json'), JSON.stringify([0, 1, 2, 3].map(validator)))
    writeFileSync(path('next.json'), JSON.stringify([0, 1, 2, 3, 4].map(validator)))
    expect((await synod('genesis', '--chain-id', 'recon-cli', '--out', path('genesis.json'), '--validators', path('genesis-validators.json'))).code).toBe(0)
    const genesis = genesisFromJson(JSON.parse(readFileSync(path('genesis.json'), 'utf8')))

    const proposed = await synod('reconfigure', 'propose', '--genesis', path('genesis.json'), '--validators', path('next.json'), '--expires', '500', '--out', path('change.json'))
    expect(proposed).toMatchObject({ code: 0, stdout: expect.stringMatching(/PROPOSED epoch 1: 4 -> 5 validators.*3 of the 4 current validators/) })
    const statement = statementFromJson(JSON.parse(readFileSync(path('change.json'), 'utf8')), genesis, 'change.json')
    expect(statement).toMatchObject({ epoch: 1, expires: 500 })
    expect(statement.validators.map((v) => v.name)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4'])

    for (const i of [0, 1]) {
      const approved = await synod('reconfigure', 'approve', path('change.json'), '--genesis', path('genesis.json'), '--key', path(`v${i}.key.json`), '--out', path(`a${i}.json`))
      expect(approved).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`APPROVED epoch 1 as validator ${i} \\(v${i}\\)`)) })
    }
    const approvals = [0, 1].map((i) => approvalFromJson(JSON.parse(readFileSync(path(`a${i}.json`), 'utf8')), statement, `a${i}.json`))
    // Two of four are not a quorum: nothing to submit yet.
    expect(() => assemble(statement, approvals, genesis)).toThrow(/not yet a reconfiguration the validators accept \(2 of 4 approvals\)/)
    // The same approval twice counts once.
    expect(() => assemble(statement, [...approvals, approvals[0]!], genesis)).toThrow(/2 of 4/)

    // v0 may not approve a second set for epoch 1 while the first can take effect.
    const other = await synod('reconfigure', 'propose', '--genesis', path('genesis.json'), '--validators', path('next.json'), '--expires', '900', '--out', path('other.json'))
    expect(other.code).toBe(0)
    const twice = await synod('reconfigure', 'approve', path('other.json'), '--genesis', path('genesis.json'), '--key', path('v0.key.json'), '--out', path('a0-other.json'))
    expect(twice).toMatchObject({ code: 1, stderr: expect.stringMatching(/already approved another set for epoch 1.*expiring at height 500/) })
    // Approving the same statement again is fine (the record holds it once).
    expect((await synod('reconfigure', 'approve', path('change.json'), '--genesis', path('genesis.json'), '--key', path('v0.key.json'), '--out', path('a0-again.json'))).code).toBe(0)
    expect(JSON.parse(readFileSync(path('v0.key.json.approvals.json'), 'utf8')).approvals).toHaveLength(1)
    // Neither an agent key nor a validator of the next set approves for the current one.
    expect(await synod('reconfigure', 'approve', path('change.json'), '--genesis', path('genesis.json'), '--key', path('agent.key.json'), '--out', path('x.json'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/validator key/) })
    expect(await synod('reconfigure', 'approve', path('change.json'), '--genesis', path('genesis.json'), '--key', path('v4.key.json'), '--out', path('y.json'))).toMatchObject({ code: 1, stderr: expect.stringMatching(/not a validator of epoch 0/) })

    expect((await synod('reconfigure', 'approve', path('change.json'), '--genesis', path('genesis.json'), '--key', path('v2.key.json'), '--out', path('a2.json'))).code).toBe(0)
    const quorum = [...approvals, approvalFromJson(JSON.parse(readFileSync(path('a2.json'), 'utf8')), statement, 'a2.json')]
    const { payload, reconfiguration } = assemble(statement, quorum, genesis)
    const read = readReconfigurationPayload({ payload })
    expect(read.type).toBe('reconfiguration')
    expect(checkReconfiguration(reconfiguration, genesis.chainId, genesisEpoch(genesis), 400)).toBeNull()
    // Past its expiry the same entry would be inert.
    expect(checkReconfiguration(reconfiguration, genesis.chainId, genesisEpoch(genesis), 501)).toMatchObject({ code: 'reconfiguration-expired' })
  }, 120_000)

  it('an approval of a tampered statement does not verify, and an expired approval no longer blocks', () => {
    const genesis = genesisFromJson(JSON.parse(readFileSync(path('genesis.json'), 'utf8')))
    const statement = statementFromJson(JSON.parse(readFileSync(path('change.json'), 'utf8')), genesis, 'change.json')
    const approval = JSON.parse(readFileSync(path('a1.json'), 'utf8'))
    const flipped = { ...approval, signature: (approval.signature[0] === '0' ? '1' : '0') + approval.signature.slice(1) }
    expect(() => approvalFromJson(flipped, statement, 'flipped')).toThrow(/does not verify/)
    const other = statementFromJson(JSON.parse(readFileSync(path('other.json'), 'utf8')), genesis, 'other.json')
    expect(() => approvalFromJson(approval, other, 'a1.json')).toThrow(/approves another statement/)
    const record = JSON.parse(readFileSync(path('v0.key.json.approvals.json'), 'utf8'))
    const held = { approvals: record.approvals }
    expect(approvalBlocked(held, other, null)).toMatch(/give --node URL/)
    expect(approvalBlocked(held, other, 500)).toMatch(/not past 500/)
    expect(approvalBlocked(held, other, 501)).toBeNull()
  })
})
