// The simulator's stand-in signatures (scenarios/sim/standin-signatures.ts): every kind
// of forgery fails under them exactly as under Ed25519 (the scheme alone, the core's
// Verifier with its typed rejection codes, and whole runs of the forging behaviours),
// and a stand-in run is as reproducible from its seed as an Ed25519 one. Seeds are printed.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { ED25519, type SignatureScheme } from '../../src/crypto/signature-scheme.ts'
import { Verifier } from '../../src/consensus/verifier.ts'
import { voteDataToCbor } from '../../src/log/certificates.ts'
import { signDomain } from '../../src/crypto/domain.ts'
import { signEntry } from '../../src/log/entry.ts'
import { validatorSetOf } from '../../src/log/genesis.ts'
import type { VoteMessage } from '../../src/consensus/types.ts'
import { runAdversary } from '../../scenarios/behaviours/adversaries/judge.ts'
import { fingerprint, recordOf, runOne } from '../../scenarios/runner.ts'
import { CHAIN_ID, deriveOptions, simGenesis, simSeeds, Simulation, SIM_PARAMS } from '../../scenarios/sim/simulator.ts'
import { Prng } from '../../scenarios/sim/prng.ts'
import { StandinSignatures } from '../../scenarios/sim/standin-signatures.ts'
import { runSweep, runTask, type RunDigest, type SweepTask } from '../../scenarios/run/sweep.ts'
import { signaturesOfRun } from '../../cli/commands/simulate.ts'
import { Replica } from '../../src/consensus/replica.ts'

const SEED = 31

/** Both schemes over the same keys: the stand-in with the run's seeds registered. */
function schemes(seeds: readonly Uint8Array[]): [string, SignatureScheme][] {
  const standin = new StandinSignatures()
  for (const s of seeds) standin.register(s)
  return [['ed25519', ED25519], ['standin', standin]]
}

describe('stand-in signatures: forgeries fail as with Ed25519', () => {
  const rng = new Prng(SEED)
  const [a, b] = [rng.bytes(32), rng.bytes(32)]
  const stranger = rng.bytes(32)
  const message = new TextEncoder().encode('synod/v1 vote 7')
  const other = new TextEncoder().encode('synod/v1 vote 8')

  for (const [name, scheme] of schemes([a, b])) {
    it(`${name}: only the holder's signature over exactly the message verifies (seed ${SEED})`, () => {
      const keyA = publicKeyFromSeed(a)
      const sig = scheme.sign(a, message)
      expect(sig).toHaveLength(64)
      expect(scheme.sign(a, message)).toEqual(sig) // deterministic
      expect(scheme.verify(keyA, message, sig)).toBe(true)
      const flipped = sig.slice()
      flipped[5]! ^= 0x10
      expect(scheme.verify(keyA, message, flipped)).toBe(false) // a flipped bit
      expect(scheme.verify(keyA, message, rng.bytes(64))).toBe(false) // random bytes
      expect(scheme.verify(keyA, other, sig)).toBe(false) // another message's signature
      expect(scheme.verify(publicKeyFromSeed(b), message, sig)).toBe(false) // checked under the wrong key
      expect(scheme.verify(keyA, message, scheme.sign(b, message))).toBe(false) // made with the wrong key
      expect(scheme.verify(rng.bytes(32), message, sig)).toBe(false) // a key nobody holds
      expect(scheme.verify(keyA, message, sig.subarray(0, 63))).toBe(false) // wrong length
      expect(scheme.verify(keyA, message, new Uint8Array(64))).toBe(false) // all zero
    })
  }

  it('a signer the run never registered signs validly once it signs (as a fresh Ed25519 key would), and a key without a holder never verifies', () => {
    const standin = new StandinSignatures()
    const sig = standin.sign(stranger, message)
    expect(standin.verify(publicKeyFromSeed(stranger), message, sig)).toBe(true)
    expect(standin.verify(publicKeyFromSeed(a), message, sig)).toBe(false)
    // An Ed25519 signature is no stand-in signature, and the other way round.
    expect(standin.verify(publicKeyFromSeed(stranger), message, ED25519.sign(stranger, message))).toBe(false)
    expect(ED25519.verify(publicKeyFromSeed(stranger), message, sig)).toBe(false)
  })

  it('a stand-in signature is SHA-512(seed || len(m) as 4 bytes big-endian || m), for short and long messages', () => {
    const standin = new StandinSignatures()
    for (const n of [0, 1, 100, 4096, 4097, 70_000]) {
      const m = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff)
      const length = Buffer.alloc(4)
      length.writeUInt32BE(n)
      const expected = createHash('sha512').update(a).update(length).update(m).digest()
      const sig = standin.sign(a, m)
      expect(Buffer.from(sig).equals(expected)).toBe(true)
      // Verified by recomputing (a copy of the signature, so not the object the scheme made).
      expect(standin.verify(publicKeyFromSeed(a), m, sig.slice())).toBe(true)
    }
  })
})

describe('the Verifier rejects forged stand-in signatures with the Ed25519 rejection codes', () => {
  const seeds = simSeeds(SEED, 4)
  const genesis = simGenesis(seeds, SIM_PARAMS)
  for (const [name, scheme] of schemes(seeds)) {
    it(`${name}: votes, entries and certificates`, () => {
      const verifier = new Verifier(genesis, validatorSetOf(genesis), 100, 100, { signatures: scheme })
      const block = new Uint8Array(32).fill(7)
      const vote = (voter: number, signer: number, round = 3): VoteMessage => ({
        type: 'vote', voter, round, height: 2, block, commit: null,
        sig: signDomain(seeds[signer]!, 'vote', CHAIN_ID, voteDataToCbor({ round, height: 2, block }), scheme),
      })
      expect(verifier.vote(vote(1, 1))).toBeNull()
      expect(verifier.vote(vote(1, 2))).toEqual({ code: 'vote-bad-signature', voter: 1 }) // another validator's key
      expect(verifier.vote({ ...vote(1, 1), round: 4 })).toEqual({ code: 'vote-bad-signature', voter: 1 }) // another statement
      expect(verifier.vote({ ...vote(1, 1), sig: new Prng(1).bytes(64) })).toEqual({ code: 'vote-bad-signature', voter: 1 })
      const agent = new Prng(2).bytes(32)
      const entry = signEntry({ agent: publicKeyFromSeed(agent), namespace: 'n', seq: 1, payload: '{}', refs: [], idempotencyKey: '' }, CHAIN_ID, agent, scheme)
      expect(verifier.entry(entry)).toHaveProperty('idHex')
      expect(verifier.entry({ ...entry, payload: '{"x":1}' })).toEqual({ code: 'entry-bad-signature' })
      const sigs = [0, 1, 2].map((i) => vote(i, i).sig)
      const qc = { round: 3, height: 2, block, signers: Uint8Array.of(0b0111), sigs }
      expect(verifier.qc(qc)).toBeNull()
      expect(verifier.qc({ ...qc, sigs: [sigs[0]!, sigs[2]!, sigs[1]!] })).toEqual({ code: 'certificate-bad-signature', signer: 1, certificate: 'QC' })
    })
  }
})

describe('the forging behaviours, in whole runs', () => {
  for (const behaviour of ['bad-signatures', 'adversaries'] as const) {
    it(`${behaviour} (n=4, K=1, seed ${SEED}): the same typed rejections in both modes`, () => {
      const runs = (['ed25519', 'standin'] as const).map((signatures) => runAdversary(SEED, behaviour, { nodes: 4, byzantine: 1, signatures }))
      for (const r of runs) {
        console.log(`${behaviour} seed ${SEED}: ${r.replay}: ${JSON.stringify([...r.rejections])}`)
        expect(r.problems, r.replay).toEqual([])
        for (const [key, count] of r.made) if (count > 0) expect(r.rejections.get(key), `${key} (${r.replay})`).toBeGreaterThan(0)
      }
      // The same kinds of forgery made and refused in both modes.
      const kinds = (r: (typeof runs)[number]) => [...r.made].filter(([, count]) => count > 0).map(([key]) => key)
      expect(kinds(runs[1]!)).toEqual(kinds(runs[0]!))
    }, 120_000)
  }

  it(`forge (n=4, K=1, seed ${SEED}): every bad-signature rejection kind of Ed25519 shows with the stand-in`, () => {
    const kinds = (signatures: 'ed25519' | 'standin') => {
      const sim = new Simulation(deriveOptions(SEED, { nodes: 4, byzantine: 1, behaviour: 'forge', signatures }))
      const result = sim.run()
      expect(result.errors, result.replay).toEqual([])
      expect(recordOf(sim, result).signatures.name).toBe(signatures)
      return new Set([...sim.rejections.keys()].filter((k) => k.includes('bad-signature')))
    }
    const real = kinds('ed25519')
    const standin = kinds('standin')
    console.log(`forge seed ${SEED}: bad-signature rejections ${JSON.stringify([...real])} / ${JSON.stringify([...standin])}`)
    expect(real.size).toBeGreaterThan(0)
    expect(standin).toEqual(real)
  }, 120_000)
})

describe('where each scheme is used', () => {
  it('a replica built without a scheme (as the node builds it) signs and verifies with Ed25519', () => {
    const seeds = simSeeds(SEED, 4)
    const replica = new Replica({ genesis: simGenesis(seeds, SIM_PARAMS), validatorIndex: 0, seed: seeds[0]! })
    expect(replica.verifier.signatures).toBe(ED25519)
    expect(new Simulation(deriveOptions(SEED, { nodes: 4 })).signatures).toBe(ED25519) // the tests' default
    expect(new Simulation(deriveOptions(SEED, { nodes: 4, signatures: 'standin' })).signatures).toBeInstanceOf(StandinSignatures)
  })

  it('a stand-in sweep runs its 50th, 100th, ... run with Ed25519, and a single run in the mode given', () => {
    const modes = Array.from({ length: 150 }, (_, i) => signaturesOfRun('standin', 50, i))
    expect(modes.flatMap((m, i) => m === 'ed25519' ? [i] : [])).toEqual([49, 99, 149])
    expect(signaturesOfRun('standin', 50, 0)).toBe('standin')
    expect(signaturesOfRun('standin', 0, 49)).toBe('standin')
    expect(signaturesOfRun('ed25519', 50, 3)).toBe('ed25519')
  })
})

describe('stand-in runs are reproducible', () => {
  it(`the same seed gives the same run twice (seed ${SEED}, mixed, n=4 K=1)`, () => {
    const options = deriveOptions(SEED, { nodes: 4, byzantine: 1, behaviour: 'mixed', signatures: 'standin' })
    const [x, y] = [new Simulation(options), new Simulation(options)]
    const [rx, ry] = [x.run(), y.run()]
    expect(fingerprint(y)).toBe(fingerprint(x))
    expect(ry).toEqual(rx)
    expect(rx.replay).toContain('--signatures standin')
    expect(rx.entriesCommitted).toBeGreaterThan(0)
  }, 60_000)

  it('a sweep over two worker threads reports what the runs give in this thread', async () => {
    const tasks: SweepTask[] = [0, 1, 2].map((i) => ({ seed: SEED + i, config: { nodes: 4, byzantine: 1, behaviour: 'forge' }, signatures: i === 2 ? 'ed25519' : 'standin', checkLive: true }))
    console.log(`sweep seeds ${tasks.map((t) => t.seed).join(',')}`)
    const digests: RunDigest[] = []
    await runSweep(tasks.length, (i) => tasks[i]!, { workers: 2, onDigest: (d) => digests.push(d) })
    digests.sort((p, q) => p.seed - q.seed)
    expect(digests).toEqual(tasks.map(runTask))
    expect(digests.every((d) => d.ok)).toBe(true)
    expect(runOne(SEED + 2, { nodes: 4, byzantine: 1, behaviour: 'forge' }).replay).toBe(digests[2]!.replay)
  }, 120_000)
})
