// A run's options: what `synod simulate` derives from a seed, or the scenario DSL compiles
// to, and the keys and genesis every run of a seed shares.
import { publicKeyFromSeed } from '../../src/crypto/ed25519.ts'
import { DEFAULT_PARAMS, type Genesis, type GenesisGovernance, type ProtocolParams } from '../../src/log/genesis.ts'
import type { GovernanceWorkloadPlan } from './governance-workload.ts'
import { faultTolerance } from '../../src/log/validator-set.ts'
import type { BehaviourName } from '../behaviours/index.ts'
import { Prng } from './prng.ts'
import type { SignatureMode } from './standin-signatures.ts'
import type { SimSchedule } from './schedule.ts'

export interface SimOptions {
  readonly seed: number
  readonly nodes: number
  /** Byzantine identities (they run `behaviour`); the rest are honest. */
  readonly byzantine: number
  readonly behaviour: BehaviourName
  readonly faultsStopMs: number
  readonly livenessBoundMs: number
  readonly agents: number
  /** Mean interval between workload bursts (1-4 entries) during the safety phase. */
  readonly entryIntervalMs: number
  /** Network fault rates during the safety phase. */
  readonly lossRate: number
  readonly duplicateRate: number
  readonly partitions: number
  readonly crashes: number
  /** Probability that a step is cut short by a crash after a random prefix of its actions. */
  readonly midStepCrashRate: number
  /** Round-trip every message through encodeMessage/decodeMessage. */
  readonly wireEncoding: boolean
  /** How the run signs: real Ed25519 (the default here, so tests keep it) or the
   * stand-in keyed hashes of standin-signatures.ts (what `synod simulate` defaults to). */
  readonly signatures: SignatureMode
  readonly params: ProtocolParams
  /** An explicit schedule: when present, `byzantine`, `behaviour`, `partitions`,
   * `crashes`, `lossRate`, `duplicateRate`, `agents` and `entryIntervalMs` are ignored. */
  readonly schedule?: SimSchedule
  /** Namespace governance traffic (governance-workload.ts); absent: none, and the genesis
   * has no governance member. */
  readonly governance?: GovernanceWorkloadPlan
}

export const SIM_PARAMS: ProtocolParams = {
  ...DEFAULT_PARAMS,
  roundTimeoutMs: 400,
  roundTimeoutMaxMs: 3000,
  backoffPercent: 150,
  proposalDelayMs: 5,
  blockEntriesMax: 64,
  blockBytesMax: 256 * 1024,
  payloadBytesMax: 1024,
}

/** Every option not given is derived from the seed. */
export function deriveOptions(seed: number, given: Partial<SimOptions> = {}): SimOptions {
  const rng = new Prng(seed ^ 0x5eed)
  const nodes = given.nodes ?? rng.pick([4, 4, 5, 7, 10])
  const f = faultTolerance(nodes)
  const byzantine = given.byzantine ?? rng.int(f + 1)
  const harsh = rng.chance(0.3)
  return {
    seed,
    nodes,
    byzantine,
    behaviour: given.behaviour ?? 'mixed',
    faultsStopMs: given.faultsStopMs ?? rng.range(3000, 8000),
    livenessBoundMs: given.livenessBoundMs ?? 20_000,
    agents: given.agents ?? rng.range(2, 6),
    entryIntervalMs: given.entryIntervalMs ?? rng.range(150, 500),
    lossRate: given.lossRate ?? (harsh ? rng.float() * 0.2 : rng.float() * 0.03),
    duplicateRate: given.duplicateRate ?? rng.float() * 0.05,
    partitions: given.partitions ?? rng.int(harsh ? 4 : 2),
    crashes: given.crashes ?? rng.int(harsh ? 4 : 2),
    midStepCrashRate: given.midStepCrashRate ?? 0.002,
    wireEncoding: given.wireEncoding ?? false,
    signatures: given.signatures ?? 'ed25519',
    params: given.params ?? SIM_PARAMS,
    ...(given.schedule === undefined ? {} : { schedule: given.schedule }),
    ...(given.governance === undefined ? {} : { governance: given.governance }),
  }
}

export const CHAIN_ID = 'sim'

export function simSeeds(seed: number, n: number): Uint8Array[] {
  const rng = new Prng(seed ^ 0x7a11da7e)
  return Array.from({ length: n }, () => rng.bytes(32))
}

export function simGenesis(seeds: readonly Uint8Array[], params: ProtocolParams, governance?: GenesisGovernance): Genesis {
  return {
    chainId: CHAIN_ID,
    validators: seeds.map((s, i) => ({ name: `v${i}`, publicKey: publicKeyFromSeed(s), addresses: [] })),
    params,
    policy: { open: true, namespaces: {} },
    ...(governance === undefined ? {} : { governance }),
  }
}

export function replayCommand(o: SimOptions): string {
  return `npx synod simulate --nodes ${o.nodes} --byzantine ${o.byzantine} --behaviour ${o.behaviour} --runs 1 --seed ${o.seed} --signatures ${o.signatures}`
}
