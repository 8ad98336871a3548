// The "c2sp" section of docs/test-vectors.json, checked as an implementer of
// docs/formats.md section 11 would: with SHA-256, Ed25519 and base64 alone, not through
// Synod's note, tile or cosignature code (the section's being up to date with the code is
// test-vectors.test.ts's check).
import { readFileSync } from 'node:fs'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { decodeCanonical } from '../../src/codec/cbor.ts'
import { fromHex, toHex } from '../../src/crypto/hash.ts'

const file = JSON.parse(readFileSync(new URL('../../docs/test-vectors.json', import.meta.url), 'utf8'))
const v = file.c2sp
const utf8 = new TextEncoder()
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const leaf = (bytes: Uint8Array): Uint8Array => sha256(Uint8Array.from([0, ...bytes]))
const node = (l: Uint8Array, r: Uint8Array): Uint8Array => sha256(Uint8Array.from([1, ...l, ...r]))

/** RFC 6962 MTH, written out. */
function mth(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0))
  if (leaves.length === 1) return leaves[0]!
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return node(mth(leaves.slice(0, k)), mth(leaves.slice(k)))
}

describe('docs/test-vectors.json c2sp', () => {
  const cc = decodeCanonical(fromHex(file.commitCertificate.cbor)) as { height: number, block: Uint8Array, logSize: number, logRoot: Uint8Array, sigs: Uint8Array[] }
  const publicKeys: Uint8Array[] = file.validators.map((x: { publicKey: string }) => fromHex(x.publicKey))

  it('note keys: key ID = SHA-256(name || 0x0A || 0x01 || key)[:4], vkey = name+id+base64(0x01 || key)', () => {
    expect(v.origin).toBe(`synod/${file.genesis.json.chainId}`)
    v.noteKeys.forEach((k: { name: string, keyIdInput: string, keyId: string, vkey: string }, i: number) => {
      const input = Uint8Array.from([...utf8.encode(k.name), 0x0a, 0x01, ...publicKeys[i]!])
      expect(toHex(input)).toBe(k.keyIdInput)
      expect(toHex(sha256(input).slice(0, 4))).toBe(k.keyId)
      expect(k.vkey).toBe(`${k.name}+${k.keyId}+${Buffer.from([1, ...publicKeys[i]!]).toString('base64')}`)
    })
  })

  it('the checkpoint text states the commit certificate, and its signature lines are the CC\'s signatures', () => {
    const text = `${v.origin}\n${cc.logSize}\n${Buffer.from(cc.logRoot).toString('base64')}\nsynod/v1 commit ${cc.height} ${toHex(cc.block)}\n`
    expect(v.checkpoint.text).toBe(text)
    expect(toHex(utf8.encode(text))).toBe(file.commitCertificate.signingMessage)
    expect(v.checkpoint.note).toBe(`${text}\n${v.checkpoint.signatureLines.join('')}`)
    v.checkpoint.signatureLines.forEach((line: string, p: number) => {
      const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)\n$/.exec(line)!
      expect(m[1]).toBe(v.origin)
      const blob = b64(m[2]!)
      expect(toHex(blob.slice(0, 4))).toBe(v.noteKeys[p].keyId)
      expect(toHex(blob.slice(4))).toBe(toHex(cc.sigs[p]!))
      expect(ed25519.verify(blob.slice(4), utf8.encode(text), publicKeys[p]!)).toBe(true)
    })
  })

  it('tiles are the leaf hashes of the entries, and fold to the certified root', () => {
    const bundle = fromHex(v.tiles.log.entryBundles[0].hex)
    const entries: Uint8Array[] = []
    for (let o = 0; o < bundle.length;) {
      const n = (bundle[o]! << 8) | bundle[o + 1]!
      entries.push(bundle.slice(o + 2, o + 2 + n))
      o += 2 + n
    }
    expect(toHex(entries[0]!)).toBe(file.entry.cbor)
    const leaves = entries.map(leaf)
    expect(leaves.map(toHex)).toEqual(file.merkle.leafHashes)
    expect(v.tiles.log.tiles).toEqual([{ path: 'tile/0/000.p/3', hex: leaves.map(toHex).join('') }])
    expect(toHex(mth(leaves))).toBe(toHex(cc.logRoot))
  })

  it('the synthetic tree\'s tiles: a full level-0 tile, a partial one, and a level-1 tile of the full one\'s root', () => {
    const leaves = Array.from({ length: v.tiles.synthetic.size }, (_, i) => leaf(Uint8Array.of(i >> 8, i & 0xff)))
    expect(toHex(mth(leaves))).toBe(v.tiles.synthetic.root)
    expect(v.tiles.synthetic.tiles).toEqual([
      { path: 'tile/0/000', hex: leaves.slice(0, 256).map(toHex).join('') },
      { path: 'tile/0/001.p/44', hex: leaves.slice(256).map(toHex).join('') },
      { path: 'tile/1/000.p/1', hex: toHex(mth(leaves.slice(0, 256))) },
    ])
  })

  it('the cosignature: key ID with type 0x04, u64 timestamp || Ed25519 over "cosignature/v1\\ntime <t>\\n" || text', () => {
    const w = v.cosignature.witness
    const pk = fromHex(w.publicKey)
    expect(toHex(ed25519.getPublicKey(fromHex(w.seed)))).toBe(w.publicKey)
    expect(toHex(sha256(Uint8Array.from([...utf8.encode(w.name), 0x0a, 0x04, ...pk])).slice(0, 4))).toBe(w.keyId)
    expect(v.cosignature.message).toBe(`cosignature/v1\ntime ${v.cosignature.timestamp}\n${v.checkpoint.text}`)
    const blob = b64(/^\u2014 \S+ (\S+)\n$/.exec(v.cosignature.line)![1]!)
    expect(toHex(blob.slice(0, 4))).toBe(w.keyId)
    expect(Number(Buffer.from(blob.slice(4, 12)).readBigUInt64BE())).toBe(v.cosignature.timestamp)
    expect(ed25519.verify(blob.slice(12), utf8.encode(v.cosignature.message), pk)).toBe(true)
    expect(v.cosignature.cosignedNote).toBe(v.checkpoint.note + v.cosignature.line)
  })

  it('the add-checkpoint body carries the consistency proof of the merkle vectors', () => {
    const c = file.merkle.consistency
    expect(v.addCheckpoint.proof.map((p: string) => toHex(b64(p)))).toEqual(c.proof)
    expect(v.addCheckpoint.body).toBe(`old ${c.oldSize}\n${v.addCheckpoint.proof.map((p: string) => `${p}\n`).join('')}\n${v.checkpoint.note}`)
  })
})
