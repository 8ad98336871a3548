// The C2SP routes over HTTP: the checkpoint note verifies with the genesis note keys
// alone; the tiles a tile client fetches fold to the root the commit certificate signs,
// and the entry bundles hash to those tiles; a witness round trip (add-checkpoint body
// -> witness checks and cosigns -> POST back -> served) ends in a receipt the SDK
// verifies with k witness cosignatures.
import { afterEach, describe, expect, it } from 'vitest'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { receiptFromJson } from '../../src/log/receipt.ts'
import { checkCc, ccFromCbor } from '../../src/log/certificates.ts'
import { commitDataOfCheckpoint, verifyCheckpointNote } from '../../src/log/checkpoint-note.ts'
import { cosign, parseAddCheckpoint } from '../../src/log/cosignature.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { fromJson } from '../../src/log/json.ts'
import { leafHash, verifyConsistency } from '../../src/log/merkle.ts'
import { formatSignatureLine, formatVerifierKey, NOTE_SIG_COSIGNATURE_V1, parseNote } from '../../src/log/note.ts'
import { decodeEntryBundle, decodeTile, rootFromTiles, tilePath, tileWidthAt, TILE_WIDTH } from '../../src/log/tiles.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { fetchWitnessEvidence, verifyWitnessedReceipt, witnessKeys } from '../../sdk/transparency.ts'
import { seedOf } from '../support/chain-builder.ts'
import { alice, entryJson, makeEntry, postJson, request, startHarness, type Harness } from './api-fixture.ts'

let harness: Harness | null = null
afterEach(async () => {
  await harness?.close()
  harness = null
})

async function withLog(entries: number, perBlock: number): Promise<Harness> {
  const h = (harness = await startHarness({ limits: { ipRatePerSecond: 100_000, ipBurst: 100_000, agentRatePerSecond: 100_000, agentBurst: 100_000 } }))
  const a = alice()
  for (let i = 0; i < entries; i++) {
    expect((await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))).status).toBeLessThan(300)
    if ((i + 1) % perBlock === 0) h.backend.commit()
  }
  if (entries % perBlock !== 0) h.backend.commit()
  return h
}

async function bytes(url: string): Promise<{ status: number, body: Uint8Array, type: string | null }> {
  const res = await fetch(url)
  return { status: res.status, body: new Uint8Array(await res.arrayBuffer()), type: res.headers.get('content-type') }
}

function code(r: { body: { error?: { code?: string }, code?: string } | null }): string | undefined {
  return r.body?.error?.code ?? r.body?.code
}

async function latestCc(h: Harness) {
  const r = await request(`${h.url}/v1/checkpoint`)
  return ccFromCbor(fromJson(r.body.checkpoint))
}

describe('GET /checkpoint', () => {
  it('is the newest CC as a signed note that verifies with the genesis note keys alone', async () => {
    const h = await withLog(3, 2)
    const r = await request(`${h.url}/checkpoint`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const cc = await latestCc(h)
    expect(checkCc(validatorSetOf(h.genesis), h.genesis.chainId, cc)).toBeNull()
    expect(verifyCheckpointNote(h.genesis.chainId, validatorSetOf(h.genesis), r.text)).toEqual({ height: cc.height, block: cc.block, logSize: cc.logSize, logRoot: cc.logRoot })
    expect(parseNote(r.text).signatures.map((s) => toHex(s.signature))).toEqual(cc.sigs.map(toHex))
  })

  it('answers 404 before the first certificate', async () => {
    const h = (harness = await startHarness())
    const r = await request(`${h.url}/checkpoint`)
    expect(r.status, r.text).toBe(404)
    expect(code(r), r.text).toBe('no-checkpoint')
  })
})

describe('GET /tile', () => {
  it('tiles fold to the certified root, bundles hash to level-0 tiles, and nothing beyond the certified size is served', async () => {
    const h = await withLog(300, 100)
    const cc = await latestCc(h)
    expect(cc.logSize).toBe(300)
    const tiles = new Map<string, Uint8Array[]>()
    for (let level = 0; TILE_WIDTH ** level <= cc.logSize; level++) {
      for (let index = 0; tileWidthAt(level, index, cc.logSize) !== null; index++) {
        const width = tileWidthAt(level, index, cc.logSize)!
        const got = await bytes(`${h.url}/${tilePath({ level, index, width })}`)
        expect(got.status).toBe(200)
        expect(got.type).toBe('application/octet-stream')
        tiles.set(`${level}/${index}`, decodeTile(got.body, width))
        if (level === 0) {
          const bundle = await bytes(`${h.url}/${tilePath({ level: 'entries', index, width })}`)
          expect(decodeEntryBundle(bundle.body).map(leafHash)).toEqual(tiles.get(`0/${index}`))
        }
      }
    }
    expect([...tiles.keys()]).toEqual(['0/0', '0/1', '1/0'])
    const root = rootFromTiles(cc.logSize, (level, index) => tiles.get(`${level}/${index}`)!)
    expect(root).toEqual(cc.logRoot)
    // A partial tile of an earlier size is served; tiles past the certified size are not.
    expect((await bytes(`${h.url}/tile/0/000.p/100`)).status).toBe(200)
    for (const path of ['tile/0/001', 'tile/0/001.p/45', 'tile/entries/001.p/45', 'tile/1/000', 'tile/2/000.p/1', 'tile/0/1', 'tile/0/x000/001', 'tile/64/000', 'tile/0/000.p/256']) {
      const got = await request(`${h.url}/${path}`)
      expect(got.status, path).toBe(404)
    }
  })
})

describe('witnesses', () => {
  it('a witness cosigns from the served add-checkpoint body, the node keeps and serves it, and the SDK requires k of them', async () => {
    const h = await withLog(2, 2)
    const seeds = [seedOf('witness/1'), seedOf('witness/2'), seedOf('witness/3')]
    const names = ['w1.example/w', 'w2.example/w', 'w3.example/w']
    const vkeys = seeds.map((s, i) => formatVerifierKey(names[i]!, NOTE_SIG_COSIGNATURE_V1, publicKeyFromSeed(s)))
    h.backend.witnessKeys = witnessKeys(vkeys.slice(0, 2)) // the node keeps w1 and w2 only
    const set = validatorSetOf(h.genesis)

    // A receipt of the first entry, whose checkpoint is the first CC (size 2).
    const first = (await request(`${h.url}/v1/entries?limit=1`)).body.items[0].id as string
    const receipt = receiptFromJson((await request(`${h.url}/v1/receipts/${first}`)).body.receipt)
    expect(receipt.checkpoint.logSize).toBe(2)
    const a = alice()
    a.seq = 100
    for (let i = 0; i < 2; i++) await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(a)))
    h.backend.commit()

    // The witness: last cosigned size 2; asks for the body from there, checks it.
    const body = (await request(`${h.url}/witness/add-checkpoint?old=2`)).text
    const req = parseAddCheckpoint(body)
    const note = parseNote(req.checkpoint)
    const data = commitDataOfCheckpoint(h.genesis.chainId, note.text)
    expect(verifyCheckpointNote(h.genesis.chainId, set, req.checkpoint)).not.toBeNull()
    expect(verifyConsistency(req.oldSize, data.logSize, receipt.checkpoint.logRoot, data.logRoot, req.proof)).toBe(true)
    const lines = seeds.map((s, i) => formatSignatureLine(cosign(s, names[i]!, BigInt(Math.floor(Date.now() / 1000)), note.text)))

    // The witnesses' answers go back to the node with the checkpoint.
    const post = (text: string) => request(`${h.url}/witness/cosignatures`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: text })
    const answer = await post(req.checkpoint + lines.join(''))
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ accepted: 2, size: 4 })
    expect((await post(req.checkpoint + lines.join(''))).body.accepted).toBe(0)

    // Refused: no validator quorum; a known witness's line that fails; not a note; JSON.
    const validatorLines = note.signatures.map(formatSignatureLine)
    expect(code(await post(`${note.text}\n${validatorLines[0]}${lines[0]}`))).toBe('checkpoint-not-certified')
    expect((await post(req.checkpoint + lines[0]!.replace(/.{6}\n$/, 'AAAAAA\n'))).status).toBe(403)
    expect(code(await post('not a note'))).toBe('malformed-note')
    expect((await postJson(`${h.url}/witness/cosignatures`, { note: req.checkpoint })).status).toBe(415)

    // Served beside the checkpoint, and as the newest cosigned checkpoint.
    const served = (await request(`${h.url}/checkpoint`)).text
    expect(served).toBe(req.checkpoint + lines[0] + lines[1])
    const evidence = await fetchWitnessEvidence(h.url, receipt)
    expect(evidence?.cosignedNote).toBe(served)

    const witnesses = witnessKeys(vkeys)
    const options = { cosignedNote: evidence!.cosignedNote, consistencyProof: evidence!.consistencyProof, witnesses }
    expect(verifyWitnessedReceipt(receipt, h.genesis, { ...options, witnessesRequired: 2 })).toMatchObject({ ok: true, witnesses: [names[0], names[1]] })
    expect(verifyWitnessedReceipt(receipt, h.genesis, { ...options, witnessesRequired: 3 })).toMatchObject({ ok: false, code: 'too-few-cosignatures' })
    const wrongProof = { ...options, consistencyProof: [new Uint8Array(32)], witnessesRequired: 1 }
    expect(verifyWitnessedReceipt(receipt, h.genesis, wrongProof)).toMatchObject({ ok: false, code: 'inconsistent-checkpoints' })
    const stale = { ...options, cosignedNote: (await request(`${h.url}/witness/add-checkpoint?old=0`)).text.slice('old 0\n\n'.length), witnessesRequired: 1 }
    expect(verifyWitnessedReceipt(receipt, h.genesis, stale)).toMatchObject({ ok: false, code: 'too-few-cosignatures' })

    // A new block: /checkpoint moves on without cosignatures; the cosigned one is still served.
    await postJson(`${h.url}/v1/entries`, entryJson(makeEntry(alice(), 'team/plans', { more: true }, { seq: 1000 })))
    h.backend.commit()
    expect((await request(`${h.url}/checkpoint`)).text).not.toContain(names[0])
    expect((await request(`${h.url}/witness/cosigned`)).text).toBe(served)
    expect((await request(`${h.url}/witness/cosigned?size=3`)).status).toBe(404)
  })

  it('refuses cosignatures when no witness is configured', async () => {
    const h = await withLog(1, 1)
    const req = parseAddCheckpoint((await request(`${h.url}/witness/add-checkpoint?old=0`)).text)
    const line = formatSignatureLine(cosign(seedOf('w'), 'w.example', 1n, parseNote(req.checkpoint).text))
    const r = await request(`${h.url}/witness/cosignatures`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: req.checkpoint + line })
    expect(code(r)).toBe('no-witnesses-configured')
    expect((await request(`${h.url}/witness/add-checkpoint?old=5`)).status).toBe(400)
  })
})

describe('malformed transparency requests', () => {
  it('answer a 4xx with a JSON error, and the node keeps serving', async () => {
    const h = await withLog(3, 1)
    const paths = [
      '/tile/abc/000', '/tile/0/x00', '/tile/0/1', '/tile/0/000.p/0', '/tile/0/000.p/999', '/tile/99/000',
      '/tile/entries/x1', '/tile/0/x001/x002/x003/x004/x005/x006/x007/x008/x009/x010/000',
      '/witness/add-checkpoint?old=-1', '/witness/add-checkpoint?old=abc', '/witness/add-checkpoint?old=1&old=2',
      '/witness/cosigned?size=__proto__', '/witness/cosigned?size=1e3',
    ]
    for (const path of paths) {
      const r = await request(`${h.url}${path}`)
      expect(r.status, path).toBeGreaterThanOrEqual(400)
      expect(r.status, path).toBeLessThan(500)
    }
    const bodies = ['', 'not a note', '\u0000\u0001', 'synod/x\n1\n\n\n— w AAAA\n', 'x'.repeat(70_000)]
    for (const body of bodies) {
      const r = await request(`${h.url}/witness/cosignatures`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body })
      expect(r.status, JSON.stringify(body.slice(0, 20))).toBeGreaterThanOrEqual(400)
      expect(r.status, JSON.stringify(body.slice(0, 20))).toBeLessThan(500)
      expect(code(r), JSON.stringify(body.slice(0, 20))).toBeTypeOf('string')
    }
    // Nothing accepted is lost: the certified log is still served whole.
    const checkpoint = await request(`${h.url}/checkpoint`)
    expect(checkpoint.status).toBe(200)
    expect(checkpoint.text.split('\n')[1]).toBe('3')
  })
})
