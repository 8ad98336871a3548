// The "c2sp" section of docs/test-vectors.json: the chain's checkpoint as a C2SP signed
// note, the validators' note keys, tiles and entry bundles of the vectors' log and of a
// synthetic 300-leaf tree (so that level-1 tiles appear), a witness cosignature and the
// witness add-checkpoint body. docs/formats.md section 11 specifies each byte.
import { toBase64 } from '../../src/codec/base64.ts'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { toHex } from '../../src/crypto/hash.ts'
import type { CommitCertificate } from '../../src/log/certificates.ts'
import { checkpointNoteOfCc, checkpointOrigin, commitNoteText } from '../../src/log/checkpoint-note.ts'
import { cosign, cosignatureMessage, formatAddCheckpoint } from '../../src/log/cosignature.ts'
import type { Genesis } from '../../src/log/genesis.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import { consistencyProof, leafHash, merkleRoot } from '../../src/log/merkle.ts'
import { formatSignatureLine, formatVerifierKey, keyIdHex, NOTE_SIG_COSIGNATURE_V1, NOTE_SIG_ED25519, noteKeyId, parseNote } from '../../src/log/note.ts'
import { encodeEntryBundle, encodeTile, tilePath, tileSubtrees, tileWidthAt, TILE_WIDTH } from '../../src/log/tiles.ts'
import { seedOf } from './chain-builder.ts'

const utf8 = new TextEncoder()

/** Every tile a tree of `size` leaves has, with its contents, from the leaf hashes. */
function tilesOf(leaves: readonly Uint8Array[], size: number): { path: string, hex: string }[] {
  const out: { path: string, hex: string }[] = []
  for (let level = 0; TILE_WIDTH ** level <= size; level++) {
    for (let index = 0; ; index++) {
      const width = tileWidthAt(level, index, size)
      if (width === null) break
      const hashes = tileSubtrees(level, index, width).map(({ treeLevel, k }) => merkleRoot(leaves.slice(k * 2 ** treeLevel, (k + 1) * 2 ** treeLevel)))
      out.push({ path: tilePath({ level, index, width }), hex: toHex(encodeTile(hashes)) })
    }
  }
  return out
}

export function buildC2spVectors(genesis: Genesis, entryCbors: readonly Uint8Array[], cc: CommitCertificate, oldSize: number) {
  const chainId = genesis.chainId
  const set = validatorSetOf(genesis)
  const origin = checkpointOrigin(chainId)
  const text = commitNoteText(chainId, cc)
  const note = checkpointNoteOfCc(chainId, set, cc)
  const leaves = entryCbors.map(leafHash)
  const synthetic = Array.from({ length: 300 }, (_, i) => leafHash(Uint8Array.of(i >> 8, i & 0xff)))
  const witnessSeed = seedOf('vectors/witness')
  const witnessName = 'witness.example/w1'
  const witnessKey = publicKeyFromSeed(witnessSeed)
  const timestamp = 1_700_000_000n
  const cosignature = cosign(witnessSeed, witnessName, timestamp, text)
  const proof = consistencyProof(oldSize, cc.logSize, (i) => leaves[i]!)
  return {
    description: 'C2SP interop (docs/formats.md section 11): checkpoint notes, note keys, tiles, cosignatures. Text fields are UTF-8 strings; hex fields bytes.',
    origin,
    noteKeys: genesis.validators.map((v) => ({
      name: origin,
      keyIdInput: toHex(new Uint8Array([...utf8.encode(origin), 0x0a, NOTE_SIG_ED25519, ...v.publicKey])),
      keyId: keyIdHex(noteKeyId(origin, NOTE_SIG_ED25519, v.publicKey)),
      vkey: formatVerifierKey(origin, NOTE_SIG_ED25519, v.publicKey),
    })),
    checkpoint: {
      description: 'the commit certificate of the vectors\' block 2 as a tlog-checkpoint signed note; its signatures are the CC\'s sigs',
      text,
      note,
      signatureLines: parseNote(note).signatures.map(formatSignatureLine),
    },
    tiles: {
      description: 'every tile of the vectors\' log (size 3) and of a synthetic tree of 300 leaves, leaf i = H(0x00 || u16be(i))',
      log: {
        size: cc.logSize,
        tiles: tilesOf(leaves, cc.logSize),
        entryBundles: [{ path: tilePath({ level: 'entries', index: 0, width: entryCbors.length }), hex: toHex(encodeEntryBundle(entryCbors)) }],
      },
      synthetic: { size: synthetic.length, root: toHex(merkleRoot(synthetic)), tiles: tilesOf(synthetic, synthetic.length) },
    },
    cosignature: {
      description: 'a witness cosignature/v1 over the checkpoint (witness seed = SHA-256("vectors/witness"))',
      witness: { name: witnessName, seed: toHex(witnessSeed), publicKey: toHex(witnessKey), keyId: keyIdHex(noteKeyId(witnessName, NOTE_SIG_COSIGNATURE_V1, witnessKey)), vkey: formatVerifierKey(witnessName, NOTE_SIG_COSIGNATURE_V1, witnessKey) },
      timestamp: Number(timestamp),
      message: new TextDecoder().decode(cosignatureMessage(timestamp, text)),
      line: formatSignatureLine(cosignature),
      cosignedNote: note + formatSignatureLine(cosignature),
    },
    addCheckpoint: {
      description: `the body a witness's add-checkpoint takes, from old size ${oldSize}`,
      body: formatAddCheckpoint({ oldSize, proof, checkpoint: note }),
      proof: proof.map(toBase64),
    },
  }
}
