// C2SP signed notes and cosignatures against the published examples: the signed-note
// spec's verifier key and note, and golang.org/x/mod/sumdb/note's documented signer
// key, text and signature line (reproduced byte for byte: Ed25519 is deterministic).
import { describe, expect, it } from 'vitest'
import { fromBase64, toBase64 } from '../../src/codec/base64.ts'
import { publicKeyFromSeed, signMessage } from '../../src/crypto/ed25519.ts'
import { cosign, cosignatureMessage, cosignatureTimestamp, cosignatureVerifier, formatAddCheckpoint, parseAddCheckpoint, parseSignatureLines } from '../../src/log/cosignature.ts'
import {
  ed25519NoteVerifier, formatNote, formatSignatureLine, formatVerifierKey, keyIdHex, NOTE_SIG_ED25519, noteKeyId, openNote, parseNote, parseVerifierKey,
} from '../../src/log/note.ts'
import { formatCheckpoint, parseCheckpoint } from '../../src/log/checkpoint-note.ts'

const SPEC_VKEY = 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'
const SPEC_NOTE = 'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n'
const GO_SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'
const GO_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
const GO_TEXT = 'If you think cryptography is the answer to your problem,\nthen you don\'t know what your problem is.\n'
const GO_LINE = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n'

function goSeed(): Uint8Array {
  const material = fromBase64(GO_SKEY.split('+')[4]! + '+' + GO_SKEY.split('+').slice(5).join('+'))
  expect(material[0]).toBe(NOTE_SIG_ED25519)
  return material.slice(1)
}

describe('signed notes', () => {
  it('verifies the signed-note spec example with its verifier key', () => {
    const k = parseVerifierKey(SPEC_VKEY)
    expect(k.name).toBe('example.com/foo')
    expect(keyIdHex(k.keyId)).toBe('530d903a')
    const opened = openNote(SPEC_NOTE, [ed25519NoteVerifier(k.name, k.publicKey)], 1)
    expect(opened?.text).toBe('This is an example message.\n')
  })

  it('reproduces x/mod note\'s example signature line and verifier key byte for byte', () => {
    const seed = goSeed()
    const publicKey = publicKeyFromSeed(seed)
    expect(formatVerifierKey('PeterNeumann', NOTE_SIG_ED25519, publicKey)).toBe(GO_VKEY)
    const keyId = noteKeyId('PeterNeumann', NOTE_SIG_ED25519, publicKey)
    expect(keyIdHex(keyId)).toBe('c74f20a3')
    const signature = signMessage(seed, new TextEncoder().encode(GO_TEXT))
    expect(formatSignatureLine({ name: 'PeterNeumann', keyId, signature })).toBe(GO_LINE)
    expect(formatNote(GO_TEXT, [{ name: 'PeterNeumann', keyId, signature }])).toBe(`${GO_TEXT}\n${GO_LINE}`)
  })

  it('ignores unknown keys, rejects a failing known key, a known key twice, and counts the threshold', () => {
    const seed = goSeed()
    const v = ed25519NoteVerifier('PeterNeumann', publicKeyFromSeed(seed))
    const spec = parseVerifierKey(SPEC_VKEY)
    const other = ed25519NoteVerifier(spec.name, spec.publicKey)
    const note = `${GO_TEXT}\n${GO_LINE}`
    expect(openNote(note, [v], 1)?.verified).toEqual([v])
    expect(openNote(note, [v, other], 2)).toBeNull()
    expect(openNote(note, [other], 1)).toBeNull()
    // Same name, another key ID: unknown, ignored.
    const unknown = `\u2014 PeterNeumann ${toBase64(new Uint8Array(68).fill(7))}\n`
    expect(openNote(`${GO_TEXT}\n${unknown}${GO_LINE}`, [v], 1)).not.toBeNull()
    // Known key, bad signature: the note is refused.
    const badSig = GO_LINE.replace('x08go/ZJ', 'x08go/ZK')
    expect(openNote(`${GO_TEXT}\n${badSig}`, [v], 1)).toBeNull()
    expect(openNote(`${GO_TEXT}\n${GO_LINE}${GO_LINE}`, [v], 1)).toBeNull()
    // Text changed: refused.
    expect(openNote(`${GO_TEXT.replace('If', 'if')}\n${GO_LINE}`, [v], 1)).toBeNull()
  })

  it('parses strictly: malformed notes are refused', () => {
    const sig = GO_LINE
    const bad = [
      '', 'no newline', `${GO_TEXT}${sig}`, `${GO_TEXT}\n`, `${GO_TEXT}\n${sig.slice(0, -1)}`,
      `${GO_TEXT}\n${sig}\n`, `${GO_TEXT}\n- PeterNeumann AAAAAAA=\n`, `${GO_TEXT}\n\u2014  PeterNeumann ${sig.split(' ')[2]}`,
      `${GO_TEXT}\n\u2014 Peter+Neumann ${sig.split(' ')[2]}`, `${GO_TEXT}\n\u2014 Peter\u00a0Neumann ${sig.split(' ')[2]}`,
      `${GO_TEXT}\n\u2014 PeterNeumann AAAA\n`, `${GO_TEXT}\n\u2014 PeterNeumann AAAAAAB=\n`, `${GO_TEXT}\n\u2014 PeterNeumann AAAAAAA\n`,
      `a\tb\n\n${sig}`, `a\rb\n\n${sig}`, `${GO_TEXT}\n\u2014 PeterNeumann\n`,
    ]
    for (const note of bad) expect(() => parseNote(note), JSON.stringify(note)).toThrow()
    expect(() => parseNote(Uint8Array.of(0xff, 0x0a, 0x0a))).toThrow()
    // The text may hold empty lines; the last blank line separates the signatures.
    expect(parseNote(`a\n\nb\n\n${sig}`).text).toBe('a\n\nb\n')
  })

  it('rejects mangled verifier keys', () => {
    expect(() => parseVerifierKey(SPEC_VKEY.replace('530d903a', '530d903b'))).toThrow()
    expect(() => parseVerifierKey(SPEC_VKEY.replace('+A', '+B'))).toThrow()
    expect(() => parseVerifierKey(`${SPEC_VKEY}+x`)).toThrow()
  })

  it('regression: reads a verifier key whose base64 holds a \'+\' (it was split at every \'+\' and refused)', () => {
    // The first of the seeds 0, 1, 2... whose key's base64 has a '+' (about one in four).
    let vkey = ''
    for (let i = 0; i < 1000 && vkey.split('+').length <= 3; i++) {
      vkey = formatVerifierKey('witness.example', NOTE_SIG_ED25519, publicKeyFromSeed(new Uint8Array(32).fill(i)))
    }
    expect(vkey.split('+').length).toBeGreaterThan(3)
    const parsed = parseVerifierKey(vkey)
    expect(formatVerifierKey(parsed.name, parsed.type, parsed.publicKey)).toBe(vkey)
  })
})

describe('checkpoints and cosignatures', () => {
  const text = formatCheckpoint({ origin: 'example.com/behind-the-sofa', size: 20852163, rootHash: fromBase64('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I='), extensions: [] })

  it('formats and parses the tlog-checkpoint example text', () => {
    expect(text).toBe('example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n')
    expect(parseCheckpoint(text).size).toBe(20852163)
    for (const bad of ['a\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'a\n1\nCsUY\n', '\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n', 'a\n1\n', 'a\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n']) {
      expect(() => parseCheckpoint(bad), bad).toThrow()
    }
  })

  it('round-trips a cosignature/v1 and refuses a changed timestamp or checkpoint', () => {
    const seed = new Uint8Array(32).fill(9)
    const line = cosign(seed, 'witness.example/w1', 1679315147n, text)
    const w = cosignatureVerifier('witness.example/w1', publicKeyFromSeed(seed))
    expect(line.keyId).toBe(w.keyId)
    const note = formatNote(text, [line])
    expect(openNote(note, [w], 1)).not.toBeNull()
    // An Ed25519 note key of the same name and public key has another key ID (type 0x01).
    expect(openNote(note, [ed25519NoteVerifier('witness.example/w1', publicKeyFromSeed(seed))], 1)).toBeNull()
    const shifted = new Uint8Array(line.signature)
    shifted[7]! ^= 1
    expect(openNote(formatNote(text, [{ ...line, signature: shifted }]), [w], 1)).toBeNull()
    const other = text.replace('20852163', '20852164')
    expect(openNote(formatNote(other, [line]), [w], 1)).toBeNull()
    expect(parseSignatureLines(formatSignatureLine(line))).toEqual([line])
  })

  it('reads the tlog-cosignature spec example line: 4-byte key ID, u64 timestamp 1679315147 (its "time" line), 64-byte signature', () => {
    const line = '\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=='
    const sig = parseSignatureLines(`${line}\n`)[0]!
    expect(sig.signature.length).toBe(72)
    expect(cosignatureTimestamp(sig.signature)).toBe(1679315147n)
    expect(new TextDecoder().decode(cosignatureMessage(1679315147n, text))).toBe(`cosignature/v1\ntime 1679315147\n${text}`)
  })

  it('formats and parses the witness add-checkpoint body', () => {
    const seed = new Uint8Array(32).fill(3)
    const note = formatNote(text, [cosign(seed, 'w', 1n, text)])
    const proof = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)]
    const body = formatAddCheckpoint({ oldSize: 20852014, proof, checkpoint: note })
    expect(body.startsWith(`old 20852014\n${toBase64(proof[0]!)}\n${toBase64(proof[1]!)}\n\n${text}`)).toBe(true)
    expect(parseAddCheckpoint(body)).toEqual({ oldSize: 20852014, proof, checkpoint: note })
    expect(parseAddCheckpoint(`old 0\n\n${note}`).proof).toEqual([])
    for (const bad of [`old 00\n\n${note}`, `old 0\n${toBase64(proof[0]!)}\n\n${note}`, `old 1\nAAAA\n\n${note}`, `new 1\n\n${note}`]) {
      expect(() => parseAddCheckpoint(bad), bad).toThrow()
    }
  })
})
