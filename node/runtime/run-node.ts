// Assembles one validator process from its config: key, genesis, level store, logger
// (pino, to <dataDir>/node.log), the node, its HTTP API and metrics.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { pino, type Logger } from 'pino'
import { bytesEqual } from '../../src/codec/cbor.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { blockHash } from '../../src/log/block.ts'
import { createApiServer, type ApiServer } from '../api/server.ts'
import { NodeMetrics } from '../metrics/metrics.ts'
import { LevelStore } from '../store/index.ts'
import { ValidatorBackend } from './backend.ts'
import { readGenesis, type NodeConfig } from './config.ts'
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
 * hash and log of one committed block.
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
    return { height: header.height, hash: toHex(blockHash(header)), round: header.round, entryCount: header.entryCount, logSize: header.logSize, logRoot: toHex(header.logRoot) }
  })
}

export async function runNode(config: NodeConfig): Promise<RunningNode> {
  const key = await readKeyFile(config.keyFile)
  if (key.kind !== 'validator') throw new ConfigError(`${config.keyFile} holds an ${key.kind} key, not a validator key`)
  const genesis = await readGenesis(config.genesisFile)
  const index = genesis.validators.findIndex((v) => bytesEqual(v.publicKey, key.publicKey))
  if (index < 0) throw new ConfigError(`the key in ${config.keyFile} (${toHex(key.publicKey)}) is not a validator in ${config.genesisFile}`)
  const listen = config.listen ?? genesis.validators[index]!.addresses
  if (listen.length === 0) throw new ConfigError(`validator ${index} has no addresses in the genesis; set 'listen' in the config`)

  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const logFile = join(config.dataDir, 'node.log')
  const logger = pino({ level: config.logLevel, base: { validator: index } }, pino.destination({ dest: logFile, mkdir: true, sync: false }))
  const store = new LevelStore(join(config.dataDir, 'store'))
  const node = new ValidatorNode({ genesis, seed: key.seed, listen }, { store, logger })
  let fail!: (error: Error) => void
  const failed = new Promise<Error>((resolve) => { fail = resolve })
  node.onEvent((event) => { if (event.type === 'fatal') fail(event.error) })
  try {
    await node.start()
  } catch (err) {
    logger.fatal({ err }, 'the node failed to start')
    logger.flush()
    await node.stop().catch(() => {})
    if ((err as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN' || /LOCK/.test(String((err as { cause?: unknown }).cause))) {
      throw new ConfigError(`the store in ${config.dataDir} is in use by another process`)
    }
    throw err
  }

  let server: ApiServer | null = null
  let httpUrl: string | null = null
  if (config.http !== null) {
    const metrics = new NodeMetrics({ chainId: genesis.chainId, validator: index })
    bridgeMetrics(node, metrics)
    server = createApiServer(
      { host: config.http.host, port: config.http.port, limits: config.http.rateLimits, payloadBytesMax: genesis.params.payloadBytesMax, loggerInstance: logger },
      { backend: new ValidatorBackend(node), metrics },
    )
    addHeadRoutes(server, node)
    try {
      httpUrl = (await server.listen()).url
    } catch (err) {
      await node.stop()
      throw new ConfigError(`cannot listen for HTTP on ${config.http.host}:${config.http.port}: ${(err as Error).message}`)
    }
  }
  logger.info({ index, httpUrl, p2p: node.listenAddresses() }, 'node ready')

  let stopping: Promise<void> | null = null
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await server?.close().catch((err: unknown) => logger.error({ err }, 'HTTP server close failed'))
      await node.stop()
      logger.flush()
    })()
    return stopping
  }
  return { node, index, logFile, logger, httpUrl, p2pAddresses: node.listenAddresses(), failed, stop }
}
