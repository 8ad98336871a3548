// synod start: run one validator until SIGINT or SIGTERM, then shut down cleanly.
// Prints one JSON line when ready: { "event": "ready", "index", "http", "p2p", "log" }.
import type { Command } from 'commander'
import { NODE_LIMITS } from '../../node/limits.ts'
import { readConfig } from '../../node/runtime/config.ts'
import { UNSAFE_BENCH_CHAIN_PREFIX } from '../../src/consensus/unsafe-bench.ts'

export function registerStart(program: Command): void {
  program.command('start')
    .description('run a validator node (stops cleanly on SIGINT or SIGTERM)')
    .requiredOption('--config <file>', 'node config file (JSON; see docs/operations.md)')
    .option('--unsafe-skip-entry-signatures', `UNSAFE, benchmarks only: do not verify entry signatures (consensus signatures stay on); refused unless the genesis chainId starts with '${UNSAFE_BENCH_CHAIN_PREFIX}'`)
    .action(async (opts: { config: string, unsafeSkipEntrySignatures?: boolean }) => {
      const config = await readConfig(opts.config)
      // Loaded here, not at the top: the other commands need none of libp2p, level or fastify.
      const { runNode } = await import('../../node/runtime/run-node.ts')
      const warn = (text: string): void => { process.stderr.write(`\n${'!'.repeat(78)}\nsynod: ${text}\n${'!'.repeat(78)}\n\n`) }
      const running = await runNode(config, { unsafeSkipEntrySignatures: opts.unsafeSkipEntrySignatures === true, warn })
      // The signal handlers go in before the ready line: a supervisor may send SIGTERM as soon
      // as it reads that line, and without a handler SIGTERM kills the process outright, its
      // buffered log lines and the clean stop with it (seen when a test stopped a node at once).
      const exitCodeSettled = new Promise<number>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          running.logger.info({ signal }, 'shutting down')
          resolve(0)
        }
        process.once('SIGINT', onSignal)
        process.once('SIGTERM', onSignal)
        void running.failed.then((err) => {
          process.stderr.write(`synod: the node failed: ${err.message}\n`)
          resolve(1)
        })
      })
      process.stdout.write(JSON.stringify({ event: 'ready', index: running.index, http: running.httpUrl, p2p: running.p2pAddresses, log: running.logFile }) + '\n')
      const exitCode = await exitCodeSettled
      // A clean stop finishes the step in progress, closes streams and the store; it is
      // bounded so a stuck peer or disk cannot keep the process alive.
      const deadline = setTimeout(() => {
        process.stderr.write(`synod: shutdown took over ${NODE_LIMITS.shutdownMsMax} ms; exiting\n`)
        process.exit(1)
      }, NODE_LIMITS.shutdownMsMax)
      deadline.unref()
      await running.stop()
      clearTimeout(deadline)
      process.stdout.write(JSON.stringify({ event: 'stopped', index: running.index }) + '\n')
      process.exit(exitCode)
    })
}
