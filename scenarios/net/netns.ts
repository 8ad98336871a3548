// Network-layer fault injection for real node processes: one Linux network namespace
// per validator, each with a veth into one bridge; a partition is a set of blackhole
// routes inside the namespaces (a packet to a peer in another group is dropped by the
// kernel, both ways), and a heal deletes them. The nodes' code is untouched: they see a
// network that stops delivering, as in production.
//
// Why namespaces and not a proxy on 127.0.0.1: libp2p's identify protocol replaces the
// peer store's addresses with the addresses a peer announces (its real listen address),
// so after the first connection every redial would bypass a proxy; the node has no
// "announce" option or connection-gater hook to prevent that. Why not delay, loss or
// duplication: that needs the netem queueing discipline, which the kernel here lacks
// (checked at runtime; this module only uses routes, veths and a bridge).
//
// Needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) and iproute2. Everything it creates is named
// after the runner's pid and a per-process run number k (synod-<pid>-<k>-<i>,
// sbr<pid>r<k>, sv<pid>r<k>n<i>: the kernel tears a namespace down lazily, so a next run
// in the same process must not reuse names), deleted at the end, and leftovers of dead
// runners are deleted at the next setup.
import { spawnSync } from 'node:child_process'

/** The /24 the namespaces share: 10.213.<subnet>.0/24, .254 is the bridge (the runner). */
const SUBNET_PREFIX = '10.213'
/** Time one `ip` command may take. */
const IP_COMMAND_MS_MAX = 10_000
/** Interface names are at most 15 bytes (IFNAMSIZ - 1). */
const IFNAME_BYTES_MAX = 15
/** Runs of this process so far (names must not repeat, see above). */
let runs = 0

export class NetnsError extends Error {
  override readonly name = 'NetnsError'
}

function ip(args: readonly string[], allowFail = false): string {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: IP_COMMAND_MS_MAX })
  if (r.error !== undefined) {
    if (allowFail) return ''
    throw new NetnsError(`ip ${args.join(' ')}: ${r.error.message}`)
  }
  if (r.status !== 0 && !allowFail) throw new NetnsError(`ip ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim()}`)
  return r.stdout
}

/** Whether this process can create network namespaces (and why not). */
export function netnsSupport(): { readonly ok: boolean, readonly reason: string } {
  if (process.env.SYNOD_NET_LOOPBACK === '1') return { ok: false, reason: 'SYNOD_NET_LOOPBACK=1 asks for nodes on 127.0.0.1 (crash/restart only)' }
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (run the net backend with sudo to express partitions)' }
  const probe = spawnSync('ip', ['-V'], { encoding: 'utf8', timeout: IP_COMMAND_MS_MAX })
  if (probe.error !== undefined || probe.status !== 0) return { ok: false, reason: 'iproute2 (the `ip` command) is not installed' }
  const name = `synod-probe-${process.pid}`
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8', timeout: IP_COMMAND_MS_MAX })
  if (add.status !== 0) return { ok: false, reason: `cannot create a network namespace: ${add.stderr.trim()}` }
  spawnSync('ip', ['netns', 'del', name], { timeout: IP_COMMAND_MS_MAX })
  return { ok: true, reason: '' }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes namespaces and bridges left by runners that are no longer alive. */
export function removeStaleNamespaces(): string[] {
  const removed: string[] = []
  for (const line of ip(['netns', 'list'], true).split('\n')) {
    const m = /^synod-(\d+)-(\d+)-\d+\b/.exec(line.trim())
    if (m === null || alive(Number(m[1]))) continue
    const name = line.trim().split(' ')[0]!
    ip(['netns', 'del', name], true)
    ip(['link', 'del', `sbr${m[1]}r${m[2]}`], true)
    removed.push(name)
  }
  return removed
}

export class NamespaceNetwork {
  readonly n: number
  readonly bridge: string
  readonly namespaces: readonly string[]
  /** Each validator's address on the bridge. */
  readonly hosts: readonly string[]
  readonly runnerHost: string
  readonly #veths: readonly string[]
  /** Blocked directed pairs, `${from}>${to}`. */
  readonly #blocked = new Set<string>()
  #up = false

  constructor(n: number) {
    if (n > 250) throw new RangeError(`at most 250 validators in one namespace network, got ${n}`)
    const pid = process.pid
    const run = runs++
    const subnet = 20 + ((pid + run) % 200)
    this.n = n
    this.bridge = `sbr${pid}r${run}`
    this.namespaces = Array.from({ length: n }, (_, i) => `synod-${pid}-${run}-${i}`)
    this.#veths = Array.from({ length: n }, (_, i) => `sv${pid}r${run}n${i}`)
    this.hosts = Array.from({ length: n }, (_, i) => `${SUBNET_PREFIX}.${subnet}.${i + 1}`)
    this.runnerHost = `${SUBNET_PREFIX}.${subnet}.254`
    const longest = [this.bridge, ...this.#veths].reduce((a, b) => (b.length > a.length ? b : a))
    if (longest.length > IFNAME_BYTES_MAX) throw new NetnsError(`interface name ${longest} is over ${IFNAME_BYTES_MAX} bytes (pid ${pid}, run ${run})`)
  }

  setup(): void {
    removeStaleNamespaces()
    try {
      ip(['link', 'add', this.bridge, 'type', 'bridge'])
      this.#up = true
      ip(['addr', 'add', `${this.runnerHost}/24`, 'dev', this.bridge])
      ip(['link', 'set', this.bridge, 'up'])
      for (let i = 0; i < this.n; i++) {
        const ns = this.namespaces[i]!
        const veth = this.#veths[i]!
        ip(['netns', 'add', ns])
        ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns])
        ip(['link', 'set', veth, 'master', this.bridge, 'up'])
        ip(['-n', ns, 'addr', 'add', `${this.hosts[i]}/24`, 'dev', 'eth0'])
        ip(['-n', ns, 'link', 'set', 'eth0', 'up'])
        ip(['-n', ns, 'link', 'set', 'lo', 'up'])
      }
    } catch (err) {
      this.teardown()
      throw err
    }
  }

  /** The command prefix that runs a program inside validator i's namespace. */
  exec(i: number): string[] {
    return ['ip', 'netns', 'exec', this.namespaces[i]!]
  }

  /** Cuts every pair of validators in different groups (validators in no group form one
   * more group); replaces the previous partition. */
  partition(groups: readonly (readonly number[])[]): void {
    const groupOf = Array.from({ length: this.n }, () => -1)
    groups.forEach((g, k) => { for (const i of g) groupOf[i] = k })
    const want = new Set<string>()
    for (let a = 0; a < this.n; a++) for (let b = 0; b < this.n; b++) if (a !== b && groupOf[a] !== groupOf[b]) want.add(`${a}>${b}`)
    // One `ip -batch` per namespace, so a partition takes effect within milliseconds.
    const batches = new Map<number, string[]>()
    const queue = (from: number, line: string) => batches.set(from, [...(batches.get(from) ?? []), line])
    for (const key of [...this.#blocked]) {
      if (want.has(key)) continue
      const [from, to] = key.split('>').map(Number) as [number, number]
      queue(from, `route del blackhole ${this.hosts[to]}/32`)
      this.#blocked.delete(key)
    }
    for (const key of want) {
      if (this.#blocked.has(key)) continue
      const [from, to] = key.split('>').map(Number) as [number, number]
      queue(from, `route add blackhole ${this.hosts[to]}/32`)
      this.#blocked.add(key)
    }
    for (const [from, lines] of batches) {
      const r = spawnSync('ip', ['-n', this.namespaces[from]!, '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8', timeout: IP_COMMAND_MS_MAX })
      if (r.status !== 0) throw new NetnsError(`ip -n ${this.namespaces[from]} -batch failed (exit ${r.status}): ${r.stderr.trim()}`)
    }
  }

  heal(): void {
    this.partition([])
  }

  /** Deletes the namespaces (their veths go with them) and the bridge. Idempotent. */
  teardown(): void {
    // Deleting a veth removes its peer at once; a namespace's own teardown is lazy.
    for (const veth of this.#veths) ip(['link', 'del', veth], true)
    for (const ns of this.namespaces) ip(['netns', 'del', ns], true)
    if (this.#up) ip(['link', 'del', this.bridge], true)
    this.#up = false
    this.#blocked.clear()
  }
}
