// One `synod start` process of a scenario's cluster: started (optionally inside a network
// namespace), waited for until it prints its ready line, killed with SIGKILL by its pid
// (a crash: whatever it had not made durable is lost), and started again on the same
// data directory (a restart). Only processes this class started are ever signalled.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { SYNOD_BIN, VALIDATOR_NODE_FLAGS } from '../../devnet/cluster.ts'

/** Startup compiles TypeScript and loads libp2p: seconds, more when several start at once. */
export const NODE_READY_MS_MAX = 90_000
/** Bytes of stdout scanned for the ready line. */
const READY_SCAN_BYTES_MAX = 65_536

/** A start cut short by this class's own kill (a crash during startup): not a failure. */
export class NodeKilledError extends Error {
  override readonly name = 'NodeKilledError'
}

export interface NetNodeOptions {
  readonly index: number
  readonly dir: string
  readonly configFile: string
  readonly httpUrl: string
  /** Command prefix (e.g. `ip netns exec NS`), or none. */
  readonly prefix: readonly string[]
}

export class NetNode {
  readonly options: NetNodeOptions
  #child: ChildProcess | null = null
  #running = false
  #exited: Promise<number | null> = Promise.resolve(null)
  /** Exits this class did not cause (not a kill or stop): always a problem. */
  readonly unexpectedExits: string[] = []
  #expectingExit = false
  starts = 0

  constructor(options: NetNodeOptions) {
    this.options = options
  }

  get running(): boolean {
    return this.#running
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  async start(): Promise<void> {
    if (this.#running) throw new Error(`node ${this.options.index} is already running`)
    this.starts++
    const stderr = createWriteStream(join(this.options.dir, 'stderr.log'), { flags: 'a' })
    const [command, ...args] = [...this.options.prefix, process.execPath, ...VALIDATOR_NODE_FLAGS, SYNOD_BIN, 'start', '--config', this.options.configFile]
    // Its own process group, so a Ctrl-C in the terminal reaches only the runner, which
    // then kills the nodes by pid.
    const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    this.#child = child
    this.#running = true
    this.#expectingExit = false
    child.stderr!.pipe(stderr)
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#running = false
        if (!this.#expectingExit) this.unexpectedExits.push(`node ${this.options.index} exited by itself (code ${code}, signal ${signal}); see ${this.options.dir}/stderr.log`)
        resolve(code)
      })
    })
    await new Promise<void>((resolve, reject) => {
      let buffer = ''
      let ready = false
      const timer = setTimeout(() => reject(new Error(`node ${this.options.index} was not ready within ${NODE_READY_MS_MAX} ms (see ${this.options.dir}/stderr.log)`)), NODE_READY_MS_MAX)
      child.stdout!.setEncoding('utf8')
      child.stdout!.on('data', (chunk: string) => {
        if (ready) return // keep the pipe drained
        buffer = (buffer + chunk).slice(-READY_SCAN_BYTES_MAX)
        if (buffer.split('\n').some((line) => line.startsWith('{') && line.includes('"event":"ready"'))) {
          ready = true
          clearTimeout(timer)
          resolve()
        }
      })
      void this.#exited.then((code) => {
        clearTimeout(timer)
        if (ready) return
        if (this.#expectingExit) reject(new NodeKilledError(`node ${this.options.index} was killed while starting`))
        else reject(new Error(`node ${this.options.index} exited with code ${code} before it was ready (see ${this.options.dir}/stderr.log)`))
      })
    })
  }

  /** kill -9: the crash fault. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const pid = this.#child?.pid
    if (!this.#running || pid === undefined) return
    this.#expectingExit = true
    process.kill(pid, 'SIGKILL')
    await this.#exited
  }

  /** SIGKILL without waiting (exit handlers). */
  killNow(): void {
    const pid = this.#child?.pid
    if (!this.#running || pid === undefined) return
    this.#expectingExit = true
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}
