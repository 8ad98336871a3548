// The chaos run's validators: real `synod start` processes (devnet/cluster.ts) whose
// every exit is accounted for. A validator ends only by the run's own SIGKILL (by pid) or
// by the final SIGTERM; any other exit is recorded as unexpected. Processes are killed by
// pid however the run ends (bench/bench-nodes.ts).
import { createClusterFiles, NodeProcess, type ClusterFiles } from '../../devnet/cluster.ts'
import { getJson } from '../../devnet/http-client.ts'
import { killNodesOnExit } from '../../bench/bench-nodes.ts'
import { CHAOS_LIMITS } from './limits.ts'

export interface UnexpectedExit {
  readonly node: number
  readonly code: number | null
  readonly atMs: number
}

/** What the final SIGTERM got from one validator. */
export interface FinalStop {
  readonly node: number
  /** Whether it was running when the run ended (if not, its exit is an unexpected one). */
  readonly wasRunning: boolean
  readonly code: number | null
}

export class ChaosNode {
  readonly index: number
  readonly process: NodeProcess
  readonly #onUnexpected: (exit: UnexpectedExit) => void
  /** Set while the run itself ends the process (SIGKILL or the final SIGTERM). */
  #ending = false
  starts = 0

  constructor(index: number, process: NodeProcess, onUnexpected: (exit: UnexpectedExit) => void) {
    this.index = index
    this.process = process
    this.#onUnexpected = onUnexpected
  }

  get running(): boolean {
    return this.process.running
  }

  get url(): string {
    return this.process.httpUrl
  }

  get pid(): number | undefined {
    return this.process.pid
  }

  async start(): Promise<void> {
    this.#ending = false
    this.starts++
    await this.process.start()
    const exited = this.process.exited
    void exited.then((code) => {
      if (!this.#ending) this.#onUnexpected({ node: this.index, code, atMs: Date.now() })
    })
  }

  /** SIGKILL by pid, and wait for the exit. */
  async kill(): Promise<void> {
    this.#ending = true
    await this.process.kill()
  }

  /** SIGTERM (then SIGKILL after the node's shutdown bound); resolves with the exit code. */
  async stop(): Promise<number | null> {
    this.#ending = true
    return this.process.stop()
  }
}

export interface ChaosCluster {
  readonly files: ClusterFiles
  readonly nodes: readonly ChaosNode[]
  readonly unexpectedExits: UnexpectedExit[]
}

/** Writes keys, genesis and configs under `dir` and starts every validator. */
export async function startChaosCluster(dir: string, chainId: string): Promise<ChaosCluster> {
  const files = await createClusterFiles({
    dir, nodes: CHAOS_LIMITS.nodes, agents: 0, chainId, logLevel: 'info',
    // The load is one local address whose agents commit above an agent's normal rate:
    // lift the API's rate limits, which are not what this run tests.
    httpRateLimits: { ipRatePerSecond: 1_000_000, ipBurst: 1_000_000, agentRatePerSecond: 1_000_000, agentBurst: 1_000_000 },
  })
  const unexpectedExits: UnexpectedExit[] = []
  const processes = files.nodes.map((f) => new NodeProcess(f))
  killNodesOnExit(processes)
  const nodes = processes.map((p, i) => new ChaosNode(i, p, (exit) => unexpectedExits.push(exit)))
  await Promise.all(nodes.map((n) => n.start()))
  await waitForPeers(nodes)
  return { files, nodes, unexpectedExits }
}

async function waitForPeers(nodes: readonly ChaosNode[]): Promise<void> {
  const deadline = Date.now() + CHAOS_LIMITS.peersWaitMs
  for (const node of nodes) {
    // Bounded by the deadline.
    for (;;) {
      const answer = await getJson(`${node.url}/healthz`, 2_000).catch(() => null)
      const peers = (answer?.body as { peers?: unknown } | null)?.peers
      if (typeof peers === 'number' && peers >= nodes.length - 1) break
      if (Date.now() > deadline) throw new Error(`validator ${node.index} has ${String(peers)} peers after ${CHAOS_LIMITS.peersWaitMs} ms`)
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}

/** Stops every validator with SIGTERM, in parallel; returns each exit code. */
export async function stopChaosCluster(cluster: ChaosCluster): Promise<FinalStop[]> {
  return Promise.all(cluster.nodes.map(async (n) => ({ node: n.index, wasRunning: n.running, code: n.running ? await n.stop().catch(() => null) : null })))
}
