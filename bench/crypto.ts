// Crypto benchmark: Ed25519 sign/verify and SHA-256 with Node's built-in crypto (OpenSSL)
// and with @noble, and Ed25519 verify with libsodium (sodium-native, where it loads), on one
// core (everything runs synchronously on the main thread). `fastestVerifier` is the one the
// benchmarks' limits are computed from (bench/run.ts).
//
//   npm run bench:crypto                 # ~1 s per measurement
//   npx node bench/crypto.ts --seconds 3
//
// A human table goes to stderr; the last line of stdout is one JSON object.
// Verification goes through verifyWith (Synod's full rule: prechecks + equation). The node
// implementation caches parsed public keys, as a validator seeing the same signers would;
// the 64 keys used here are all cached after the warm-up.
import { cpus, arch, platform } from 'node:os'
import { parseArgs } from 'node:util'
import { nodeCrypto, sodiumCrypto, sodiumLoad } from '../src/crypto/impl-node.ts'
import { nobleCrypto } from '../src/crypto/impl-noble.ts'
import type { CryptoImpl } from '../src/crypto/impl.ts'
import { verifyWith } from '../src/crypto/ed25519.ts'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1' } } })
const seconds = Number(values.seconds)
if (!Number.isFinite(seconds) || seconds <= 0) {
  console.error(`--seconds must be a positive number, got ${values.seconds}`)
  process.exit(2)
}

/** Runs `op` in batches until `duration` seconds have passed; returns operations per second. */
function measure(op: (i: number) => void, duration: number): number {
  let count = 0
  let batch = 1
  const start = performance.now()
  const end = start + duration * 1000
  let now = start
  while (now < end) {
    for (let i = 0; i < batch; i++) op(count + i)
    count += batch
    now = performance.now()
    if (now - start < 50) batch *= 2 // grow batches so timing overhead stays negligible
  }
  return count / ((now - start) / 1000)
}

function run(op: (i: number) => void): number {
  measure(op, Math.min(0.2, seconds / 5)) // warm-up: JIT, key caches
  return measure(op, seconds)
}

// Deterministic inputs: 64 signers, 64 messages of 200 bytes (about an entry's size).
const SIGNERS = 64
const seeds = Array.from({ length: SIGNERS }, (_, i) => new Uint8Array(32).fill(i + 1))
const messages = Array.from({ length: SIGNERS }, (_, i) => Uint8Array.from({ length: 200 }, (_, j) => (i * 31 + j * 7) & 0xff))
const publicKeys = seeds.map((seed) => nodeCrypto.publicKeyFromSeed(seed))
const signatures = seeds.map((seed, i) => nodeCrypto.sign(seed, messages[i]!))

/** Every verifier this machine has; libsodium only where sodium-native loaded and passed its canaries. */
const verifiers: readonly CryptoImpl[] = sodiumCrypto === null ? [nodeCrypto, nobleCrypto] : [nodeCrypto, sodiumCrypto, nobleCrypto]
if (!sodiumLoad.ok) console.error(`libsodium: not measured (${sodiumLoad.reason})`)
for (let i = 0; i < SIGNERS; i++) {
  for (const impl of verifiers) {
    if (!verifyWith(impl, publicKeys[i]!, messages[i]!, signatures[i]!)) throw new Error(`${impl.name} rejected a valid signature`)
  }
}

type PerImpl = { node: number; noble: number }
const perImpl = (f: (impl: CryptoImpl) => number): PerImpl => ({ node: f(nodeCrypto), noble: f(nobleCrypto) })

const round = (n: number, digits = 0) => Number(n.toFixed(digits))

const verifyOp = (impl: CryptoImpl) => (i: number): void => {
  const k = i % SIGNERS
  if (!verifyWith(impl, publicKeys[k]!, messages[k]!, signatures[k]!)) throw new Error('verify failed')
}
/** Synod's full rule (prechecks + equation) per verifier; sodium is null where it did not load.
 * The verifiers take turns in VERIFY_SLICES slices, so a change in the shared machine's load
 * moves all of them alike and their ratios hold. */
const VERIFY_SLICES = 5
const verifyPerSec: PerImpl & { sodium: number | null } = { node: 0, noble: 0, sodium: null }
for (const impl of verifiers) measure(verifyOp(impl), Math.min(0.2, seconds / 5)) // warm-up
const verifySums = new Map<CryptoImpl['name'], number>()
for (let slice = 0; slice < VERIFY_SLICES; slice++) {
  for (const impl of verifiers) verifySums.set(impl.name, (verifySums.get(impl.name) ?? 0) + measure(verifyOp(impl), seconds / VERIFY_SLICES))
}
for (const impl of verifiers) verifyPerSec[impl.name] = round(verifySums.get(impl.name)! / VERIFY_SLICES)
const VERIFIER_LABELS = { node: 'node:crypto (OpenSSL)', sodium: 'sodium-native (libsodium)', noble: '@noble/curves' } as const
const fastest = verifiers.reduce((best, impl) => (verifyPerSec[impl.name]! > verifyPerSec[best.name]! ? impl : best))
const fastestVerifier = { name: fastest.name, label: VERIFIER_LABELS[fastest.name], perSec: verifyPerSec[fastest.name]! }
const signPerSec = perImpl((impl) => round(run((i) => {
  const k = i % SIGNERS
  impl.sign(seeds[k]!, messages[k]!)
})))

const sha256MBPerSec: Record<'1KiB' | '64KiB', PerImpl> = { '1KiB': { node: 0, noble: 0 }, '64KiB': { node: 0, noble: 0 } }
for (const [label, size] of [['1KiB', 1024], ['64KiB', 65536]] as const) {
  const data = Uint8Array.from({ length: size }, (_, j) => (j * 13) & 0xff)
  sha256MBPerSec[label] = perImpl((impl) => round((run(() => impl.sha256(data)) * size) / 1e6, 1))
}

const ratio = (p: PerImpl) => round(p.node / p.noble, 2)
const cpuList = cpus()
const result = {
  ed25519VerifyPerSec: verifyPerSec,
  ed25519SignPerSec: signPerSec,
  sha256MBPerSec,
  /** The fastest verifier here: the benchmarks' limits are computed from it. */
  fastestVerifier,
  /** node / noble: how many times faster the built-in implementation is (sodium / node for libsodium). */
  ratio: {
    ed25519Verify: ratio(verifyPerSec),
    ed25519VerifySodiumOverNode: verifyPerSec.sodium === null ? null : round(verifyPerSec.sodium / verifyPerSec.node, 2),
    ed25519Sign: ratio(signPerSec),
    sha256_1KiB: ratio(sha256MBPerSec['1KiB']),
    sha256_64KiB: ratio(sha256MBPerSec['64KiB']),
  },
  secondsPerMeasurement: seconds,
  machine: {
    cpus: cpuList.length,
    model: cpuList[0]?.model.trim() ?? 'unknown',
    node: process.version,
    openssl: process.versions.openssl,
    /** sodium-native 5.1.0 builds libsodium 1.0.21 (stable branch, commit e18eee6). */
    libsodium: sodiumLoad.ok ? 'sodium-native 5.1.0' : null,
    platform: platform(),
    arch: arch(),
  },
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1 })
const rows: [string, number, number, string][] = [
  ['Ed25519 verify (verifyWith) /s', verifyPerSec.node, verifyPerSec.noble, 'ops/s'],
  ['Ed25519 sign /s', signPerSec.node, signPerSec.noble, 'ops/s'],
  ['SHA-256, 1 KiB inputs', sha256MBPerSec['1KiB'].node, sha256MBPerSec['1KiB'].noble, 'MB/s'],
  ['SHA-256, 64 KiB inputs', sha256MBPerSec['64KiB'].node, sha256MBPerSec['64KiB'].noble, 'MB/s'],
]
const table = [
  `Synod crypto benchmark: one core, ${seconds} s per measurement, ${result.machine.model} (${result.machine.cpus} CPUs), Node ${process.version}, OpenSSL ${process.versions.openssl}`,
  '',
  `${'measurement'.padEnd(32)}${'node'.padStart(14)}${'noble'.padStart(14)}${'node/noble'.padStart(12)}  unit`,
  ...rows.map(([name, node, noble, unit]) => `${name.padEnd(32)}${fmt(node).padStart(14)}${fmt(noble).padStart(14)}${(round(node / noble, 2) + 'x').padStart(12)}  ${unit}`),
  ...(verifyPerSec.sodium === null ? [] : [`${'Ed25519 verify, libsodium /s'.padEnd(32)}${fmt(verifyPerSec.sodium).padStart(14)}${''.padStart(14)}${(round(verifyPerSec.sodium / verifyPerSec.node, 2) + 'x node').padStart(12)}  ops/s`]),
  '',
  `fastest verifier: ${fastestVerifier.label}, ${fmt(fastestVerifier.perSec)} verifies/s (MB = 10^6 bytes)`,
]
console.error(table.join('\n'))
console.log(JSON.stringify(result))
