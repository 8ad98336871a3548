// synod devnet: a local cluster of real validator processes with a demo workload.
import type { Command } from 'commander'
import { runDevnet } from '../../devnet/devnet.ts'
import { ConfigError } from '../../node/runtime/errors.ts'

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value: string) => {
    if (!/^[0-9]+$/.test(value)) throw new ConfigError(`${name} must be a whole number, not '${value}'`)
    const n = Number(value)
    if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, not ${n}`)
    return n
  }
}

function seconds(value: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(value)) throw new ConfigError(`--duration must be a number of seconds, not '${value}'`)
  const n = Number(value)
  if (n <= 0 || n > 86_400) throw new ConfigError(`--duration must be above 0 and at most 86400 seconds, not ${n}`)
  return n
}

export function registerDevnet(program: Command): void {
  program.command('devnet')
    .description('run a local cluster of validator processes with a demo workload; Ctrl-C stops it')
    .option('--nodes <n>', 'validators (4-16)', integer('--nodes', 4, 16), 4)
    .option('--agents <n>', 'agents committing decisions (0-64)', integer('--agents', 0, 64), 3)
    .option('--duration <seconds>', 'stop after this long (default: run until Ctrl-C)', seconds)
    .option('--window <n>', 'entries each agent keeps in flight (1-256)', integer('--window', 1, 256), 16)
    .option('--dir <dir>', 'data directory, new or empty (default: ./devnet-data/<time>)')
    .option('--json', 'print the summary as one JSON object on the last line of stdout')
    .action(async (opts: { nodes: number, agents: number, duration?: number, window: number, dir?: string, json?: boolean }) => {
      const summary = await runDevnet(
        { nodes: opts.nodes, agents: opts.agents, durationS: opts.duration ?? null, dir: opts.dir ?? null, window: opts.window, json: opts.json === true },
        { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), tty: process.stdout.isTTY === true },
      )
      process.exitCode = summary.ok ? 0 : 1
    })
}
