// synod genesis --admin: the genesis names namespace admins (docs/formats.md section 13);
// without the flag the genesis has no governance member, exactly as before.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { SYNOD_BIN } from '../../devnet/cluster.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { genesisFromJson } from '../../src/log/genesis.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'synod-genesis-admins-'))
const key = (n: number) => toHex(publicKeyFromSeed(new Uint8Array(32).fill(n)))
const validators = [1, 2, 3, 4].flatMap((n, i) => ['--key', `${key(n)}=/ip4/127.0.0.1/tcp/${7100 + i}`])

describe('synod genesis --admin', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('writes the genesis admins, and no governance member without them', async () => {
    const governed = join(dir, 'governed.json')
    await run(process.execPath, [SYNOD_BIN, 'genesis', '--chain-id', 'gov-cli', '--out', governed, ...validators, '--admin', `acme=${key(9)}`, '--admin', `acme=${key(10)}`, '--admin', `globex=${key(11)}`])
    const json = JSON.parse(readFileSync(governed, 'utf8'))
    expect(json.governance).toEqual({ admins: { acme: [key(9), key(10)], globex: [key(11)] } })
    expect([...genesisFromJson(json).governance!.admins.keys()]).toEqual(['acme', 'globex'])
    const plain = join(dir, 'plain.json')
    await run(process.execPath, [SYNOD_BIN, 'genesis', '--chain-id', 'gov-cli', '--out', plain, ...validators])
    expect(Object.hasOwn(JSON.parse(readFileSync(plain, 'utf8')), 'governance')).toBe(false)
    const bad = run(process.execPath, [SYNOD_BIN, 'genesis', '--chain-id', 'gov-cli', '--out', join(dir, 'bad.json'), ...validators, '--admin', `Acme=${key(9)}`])
    await expect(bad).rejects.toMatchObject({ stderr: expect.stringMatching(/not a namespace/) })
  }, 60_000)
})
