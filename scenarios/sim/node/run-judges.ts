// Judges a finished node simulation from what each node's disk durably holds (as a
// restart would find it): the safety and liveness checkers of scenarios/checkers, and
// the runtime's own promises: no read ever failed, no node stopped but for a full
// disk, and once the chain is idle every node holds the commit certificate of its head
// (its default export passes `synod audit`) and does not log warnings in a loop.
import { toHex } from '../../../src/crypto/hash.ts'
import { ED25519 } from '../../../src/crypto/signature-scheme.ts'
import { blockHash, type Block } from '../../../src/log/block.ts'
import type { CommitCertificate } from '../../../src/log/certificates.ts'
import { entryId } from '../../../src/log/entry.ts'
import { ChainStore } from '../../../node/store/chain-store.ts'
import { MemoryKv } from '../../../node/store/kv.ts'
import { SAFETY_CHECKERS, checkLiveness, type NodeChain, type RunRecord } from '../../checkers/index.ts'
import type { SimDisk } from './sim-disk.ts'
import type { NodeSimRun } from './node-sim.ts'

/** Warn or error lines a node may log in the idle tail (a reconnect, a late frame);
 * more is a loop of noise. */
const IDLE_WARN_LINES_MAX = 3

export interface NodeSimVerdict {
  readonly violations: readonly string[]
  readonly heights: readonly number[]
  readonly certifiedHeights: readonly number[]
  readonly entriesCommitted: number
}

/** The chain on a node's disk, read through a fresh store as a restart would. */
async function durableChain(disk: SimDisk, run: NodeSimRun): Promise<{ chain: NodeChain, latestCc: number }> {
  const kv = new MemoryKv()
  await kv.open()
  const rows = await disk.durable.scan({ limit: Number.MAX_SAFE_INTEGER })
  await kv.write(rows.map(([key, value]) => ({ type: 'put', key, value })), true)
  const store = new ChainStore(kv)
  await store.open(run.genesis)
  const committed: Block[] = []
  const hashes: string[] = []
  const ccs = new Map<number, CommitCertificate>()
  const ids = new Set<string>()
  for (let h = 0; h <= store.head.height; h++) {
    const block = await store.blockAt(h)
    if (block === undefined) throw new Error(`node ${disk.node}: block ${h} below the head ${store.head.height} is missing`)
    committed.push(block)
    hashes.push(toHex(blockHash(block.header)))
    for (const e of block.entries) ids.add(toHex(entryId(e)))
    const cc = await store.commitCertificate(h)
    if (cc !== undefined) ccs.set(h, cc)
  }
  const latestCc = (await store.latestCommitCertificate())?.height ?? 0
  await store.close()
  return { chain: { name: `node ${disk.node}`, index: disk.node, committed, hashes, ccs, ids }, latestCc }
}

function faultless(run: NodeSimRun): boolean {
  const o = run.options
  return o.lossRate === 0 && o.partitions === 0 && o.crashes === 0 && o.diskFulls === 0 && o.disk.crashPerCallRate === 0
}

export async function judgeNodeSim(run: NodeSimRun): Promise<NodeSimVerdict> {
  const violations: string[] = [...run.errors]
  const chains: NodeChain[] = []
  const latest: number[] = []
  for (const slot of run.slots) {
    try {
      const { chain, latestCc } = await durableChain(slot.disk, run)
      chains.push(chain)
      latest.push(latestCc)
    } catch (err) {
      violations.push(`store: node ${slot.index}'s durable store does not read back: ${(err as Error).message}`)
    }
  }
  if (chains.length === run.slots.length) {
    const record: RunRecord = {
      genesis: run.genesis, signatures: ED25519, honest: chains, submitted: run.submitted, probes: run.probes,
      convergenceMs: run.convergenceMs, livenessBoundMs: run.options.livenessBoundMs,
    }
    for (const check of SAFETY_CHECKERS) violations.push(...check(record))
    violations.push(...checkLiveness(record))
    chains.forEach((chain, i) => {
      const head = chain.committed.length - 1
      const views = run.views[i]
      if (views === null || views === undefined) violations.push(`health: node ${i} is not running at the end`)
      else if (views.height !== head || views.ccHeight !== latest[i] || views.certifiedHeight < head) {
        violations.push(`health: node ${i} reports height ${views.height}, certificate at ${views.ccHeight}, certified ${views.certifiedHeight}; its store holds height ${head}, certificate at ${latest[i]}`)
      }
      // An idle chain converges: a node behind pulls the head from its peers (status polls).
      const top = Math.max(...chains.map((c) => c.committed.length - 1))
      if (head < top) violations.push(`heads: node ${i} holds height ${head} after ${run.options.idleMs} idle ms while another holds ${top}`)
      if (latest[i]! < head) violations.push(`certified tail: node ${i} holds no commit certificate for its head ${head} after ${run.options.idleMs} idle ms (latest at ${latest[i]})`)
    })
  }
  // Without faults nothing is wrong, so nothing deserves a warning.
  if (faultless(run)) {
    for (const slot of run.slots) {
      const lines = slot.log.warnLines + slot.log.errorLines
      if (lines > 0) violations.push(`log noise: node ${slot.index} logged ${lines} warn/error lines in a run without faults (first: ${slot.log.kept[0]?.msg ?? '?'})`)
    }
  }
  run.idleWarnLines.forEach((lines, i) => {
    if (lines > IDLE_WARN_LINES_MAX) {
      const sample = run.slots[i]!.log.kept.filter((l) => l.level >= 40).slice(-3).map((l) => `${l.atMs} ms: ${l.msg}`)
      violations.push(`log noise: node ${i} logged ${lines} warn/error lines in ${run.options.idleMs} idle ms (last: ${sample.join('; ')})`)
    }
  })
  return {
    violations,
    heights: chains.map((c) => c.committed.length - 1),
    certifiedHeights: latest,
    entriesCommitted: Math.max(0, ...chains.map((c) => c.ids.size)),
  }
}
