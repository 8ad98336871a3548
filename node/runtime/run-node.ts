// Assembles one validator process from its config: key, genesis, level store, logger
// (pino, to <dataDir>/node.log), the node, its HTTP API and metrics.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { cryptoImplName } from '../../src/crypto/ed25519.ts'
import { skipEntrySignaturesRefusal, skipEntrySignaturesWarning } from '../../src/consensus/unsafe-bench.ts'
import { blockHash } from '../../src/log/block.ts'
import { createApiServer, type ApiServer } from '../api/server.ts'
import { NodeMetrics } from '../metrics/metrics.ts'
import { LevelStore, StoreDamagedError } from '../store/index.ts'
import { assertNodeStoreIntact, rememberVerifiedTables, storeLayout } from '../store/store-check.ts'
import { ValidatorBackend } from './backend.ts'
import { readGenesis, witnessVerifiers, type NodeConfig } from './config.ts'
import { ConfigError } from './errors.ts'
import { readKeyFile } from './key-file.ts'
import { bridgeMetrics } from '../metrics/metrics-bridge.ts'
import { ValidatorNode } from './validator-node.ts'

export interface RunningNode {
  readonly node: ValidatorNode
  readonly index: number
  readonly logFile: string
  readonly logger: Logger
  /** The HTTP API's base URL, or null when the config turns it off. */
  readonly httpUrl: string | null
  readonly p2pAddresses: readonly string[]
  /** Resolves when the node fails (the process should exit non-zero). */
  readonly failed: Promise<Error>
  stop(): Promise<void>
}

/**
 * Two small read routes for operators and the devnet's agreement check (candidates for
 * node/api/server.ts): GET /v1/head, the committed head; GET /v1/blocks/:height, the
 * hash, epoch, proposer (its position in the epoch's set) and log of one committed block.
 */
function addHeadRoutes(server: ApiServer, node: ValidatorNode): void {
  server.app.get('/v1/head', async () => {
    const head = node.head
    return { height: head.height, hash: toHex(head.hash), logSize: head.logSize, logRoot: toHex(head.logRoot), round: node.round }
  })
  server.app.get('/v1/blocks/:height', async (request, reply) => {
    const text = (request.params as { height?: unknown }).height
    if (typeof text !== 'string' || !/^[0-9]{1,15}$/.test(text)) {
      return reply.code(400).send({ error: { code: 'invalid-parameter', message: 'height: expected a whole number' } })
    }
    const header = await node.store.headerAt(Number(text))
    if (header === undefined) return reply.code(404).send({ error: { code: 'not-found', message: `no committed block at height ${text}` } })
    return { height: header.height, hash: toHex(blockHash(header)), round: header.round, epoch: header.epoch ?? 0, proposer: header.proposer, entryCount: header.entryCount, logSize: header.logSize, logRoot: toHex(header.logRoot) }
  })
}

/** Resolves once the log lines so far are on disk: the process may exit next. An
 * asynchronous destination opens its file in the background; lines logged before that
 * are buffered, and flushing them needs the file open. */
async function flushDestination(destination: ReturnType<typeof pino.destination>): Promise<void> {
  if ((destination as unknown as { fd: number }).fd < 0) {
    await new Promise<void>((resolve) => {
      destination.once('ready', () => resolve())
      destination.once('error', () => resolve())
    })
  }
  try {
    destination.flushSync()
  } catch {
    // Nothing more can be done for the log; the caller reports the error on stderr too.
  }
}

/** Switches that are not in the config file, so that a copied config cannot carry them. */
export interface RunOptions {
  /** UNSAFE: entry-signature checks off; refused unless the genesis is a benchmark chain
   * (src/consensus/unsafe-bench.ts). */
  readonly unsafeSkipEntrySignatures?: boolean
  /** Where the warning for an unsafe switch goes besides the log (the CLI: stderr). */
  readonly warn?: (text: string) => void
}

export async function runNode(config: NodeConfig, options: RunOptions = {}): Promise<RunningNode> {
  const key = await readKeyFile(config.keyFile)
  if (key.kind !== 'validator') throw new ConfigError(`${config.keyFile} holds an ${key.kind} key, not a validator key`)
  const genesis = await readGenesis(config.genesisFile)
  const index = genesis.validators.findIndex((v) => bytesEqual(v.publicKey, key.publicKey))
  // Outside the genesis a key is a joining validator's, which only a node following
  // reconfigurations can be: it has no index until a committed reconfiguration names it.
  if (index < 0 && config.reconfigurations !== 'switch') {
    throw new ConfigError(`the key in ${config.keyFile} (${toHex(key.publicKey)}) is not a validator in ${config.genesisFile} (a joining validator needs "reconfigurations": "switch" in the config)`)
  }
  if (index < 0 && config.listen === null) throw new ConfigError(`the key in ${config.keyFile} is not in the genesis, which gives it no addresses; set 'listen' in the config`)
  const listen = config.listen ?? genesis.validators[index]!.addresses
  if (listen.length === 0) throw new ConfigError(`validator ${index} has no addresses in the genesis; set 'listen' in the config`)
  const skipEntrySignatures = options.unsafeSkipEntrySignatures === true
  if (skipEntrySignatures) {
    const refusal = skipEntrySignaturesRefusal(genesis.chainId)
    if (refusal !== null) throw new ConfigError(`--unsafe-skip-entry-signatures refused: ${refusal}`)
  }

  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const logFile = join(config.dataDir, 'node.log')
  const destination = pino.destination({ dest: logFile, mkdir: true, sync: false })
  const logger = pino({ level: config.logLevel, base: { validator: index < 0 ? 'joining' : index } }, destination)
  const flushLog = () => flushDestination(destination)
  const layout = storeLayout(config.dataDir)
  const store = new LevelStore(layout.store)
  if (skipEntrySignatures) {
    const warning = skipEntrySignaturesWarning(genesis.chainId)
    logger.warn({ unsafeSkipEntrySignatures: true }, warning)
    options.warn?.(warning)
  }
  const node = new ValidatorNode({ genesis, seed: key.seed, listen, unsafeSkipEntrySignatures: skipEntrySignatures, reconfigurations: config.reconfigurations }, { store, logger })
  let fail!: (error: Error) => void
  const failed = new Promise<Error>((resolve) => { fail = resolve })
  node.onEvent((event) => { if (event.type === 'fatal') fail(event.error) })
  try {
    // Before LevelDB opens the files: an open over damaged ones can delete them or abort.
    const check = await assertNodeStoreIntact(config.dataDir)
    logger.info({ storeCheck: { mode: check.mode, height: check.height, tables: check.tables, tablesChecksummed: check.tablesChecksummed, blocks: check.blocksChecked, entries: check.entriesChecked, ms: check.durationMs } }, 'store check passed')
    await node.start()
  } catch (err) {
    const findings = err instanceof StoreDamagedError ? err.findings : undefined
    logger.fatal({ err, findings }, err instanceof StoreDamagedError
      ? 'the store is damaged; the node refuses to start on it (run `synod store check`, then wipe the data directory and re-sync: docs/operations.md)'
      : 'the node failed to start')
    await node.stop().catch(() => {})
    await flushLog()
    throw err
  }

  let server: ApiServer | null = null
  let httpUrl: string | null = null
  if (config.http !== null) {
    const metrics = new NodeMetrics({ chainId: genesis.chainId, validator: index })
    bridgeMetrics(node, metrics)
    server = createApiServer(
      { host: config.http.host, port: config.http.port, limits: config.http.rateLimits, corsOrigins: config.http.corsOrigins, payloadBytesMax: genesis.params.payloadBytesMax, genesis, loggerInstance: logger },
      { backend: new ValidatorBackend(node, { witnesses: witnessVerifiers(config.http.witnesses ?? []) }), metrics },
    )
    addHeadRoutes(server, node)
    try {
      httpUrl = (await server.listen()).url
    } catch (err) {
      await node.stop()
      throw new ConfigError(`cannot listen for HTTP on ${config.http.host}:${config.http.port}: ${(err as Error).message}`)
    }
  }
  logger.info({ index, httpUrl, p2p: node.listenAddresses(), ed25519: cryptoImplName, unsafeSkipEntrySignatures: skipEntrySignatures }, 'node ready')

  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server?.close().catch((err: unknown) => logger.error({ err }, 'HTTP server close failed'))
      await node.stop()
      // The tables this process wrote need no checksum pass at the next start.
      await rememberVerifiedTables(layout.store, layout.verifiedTables).catch((err: unknown) => logger.warn({ err }, 'cannot record the verified store tables'))
      await flushLog()
    })()
    return stopping
  }
  return { node, index, logFile, logger, httpUrl, p2pAddresses: node.listenAddresses(), failed, stop }
}
