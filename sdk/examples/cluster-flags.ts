// Where the examples find their cluster: `--nodes URL,URL --genesis FILE`, `--devnet DIR`
// (node configs or a manifest below it), or, with neither, the running devnet's
// devnet.json. One place, so that every example reads the same flags the same way.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { genesisFromJson, type Genesis } from '../../src/log/genesis.ts'
import { findDevnetFile } from '../devnet-file.ts'

export interface ClusterFlags {
  readonly devnet?: string | undefined
  readonly nodes?: string | undefined
  readonly genesis?: string | undefined
}

export interface Cluster {
  readonly nodes: string[]
  readonly genesis: Genesis
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'))
}

/**
 * Node URLs and genesis of a devnet directory: node config files (the JSON that
 * `synod start --config` reads: "http" and "genesisFile") anywhere two levels deep, or a
 * manifest with "nodes" (URLs or { http }) and "genesis"/"genesisFile".
 */
export function discoverDevnet(dir: string): { nodes: string[], genesis: Genesis } {
  const configs: string[] = []
  const walk = (d: string, depth: number): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name)
      const stat = statSync(path)
      if (stat.isDirectory() && depth < 2) walk(path, depth + 1)
      else if (stat.isFile() && name.endsWith('.json') && stat.size < 1 << 20) configs.push(path)
    }
  }
  walk(resolve(dir), 0)
  const nodes = new Set<string>()
  let genesisPath: string | null = null
  for (const path of configs.sort()) {
    let json: Record<string, unknown>
    try {
      json = readJson(path) as Record<string, unknown>
    } catch {
      continue
    }
    if (json === null || typeof json !== 'object') continue
    const http = json.http as { host?: string, port?: number } | string | null | undefined
    if (typeof json.genesisFile === 'string' && http !== null && typeof http === 'object' && typeof http.port === 'number') {
      const host = http.host === undefined || http.host === '0.0.0.0' || http.host === '::' ? '127.0.0.1' : http.host
      nodes.add(`http://${host.includes(':') ? `[${host}]` : host}:${http.port}`)
      genesisPath ??= resolve(dirname(path), json.genesisFile)
    }
    if (Array.isArray(json.nodes)) {
      for (const n of json.nodes) {
        const url = typeof n === 'string' ? n : typeof (n as { http?: unknown })?.http === 'string' ? (n as { http: string }).http : null
        if (url !== null) nodes.add(url.replace(/\/+$/, ''))
      }
      const g = json.genesisFile ?? json.genesis
      if (typeof g === 'string') genesisPath ??= resolve(dirname(path), g)
    }
    if (genesisPath === null && path.endsWith('genesis.json')) genesisPath = path
  }
  if (nodes.size === 0) throw new Error(`found no node configs (with "http" and "genesisFile") or manifest under '${dir}'; pass --nodes and --genesis`)
  if (genesisPath === null) throw new Error(`found no genesis under '${dir}'; pass --genesis`)
  return { nodes: [...nodes], genesis: genesisFromJson(readJson(genesisPath)) }
}

/** The cluster the flags name (see the top of this file); `log` hears which devnet was found. */
export function clusterFromFlags(values: ClusterFlags, log: (line: string) => void): Cluster {
  if (values.nodes !== undefined) {
    if (values.genesis === undefined) throw new Error('--nodes needs --genesis FILE')
    return { nodes: values.nodes.split(',').map((s) => s.trim()).filter(Boolean), genesis: genesisFromJson(readJson(values.genesis)) }
  }
  if (values.devnet !== undefined) {
    const found = discoverDevnet(values.devnet)
    return values.genesis === undefined ? found : { nodes: found.nodes, genesis: genesisFromJson(readJson(values.genesis)) }
  }
  // No flags: a running devnet's devnet.json ($SYNOD_DEVNET_DIR, ./devnet.json, the newest ./devnet-data/*/).
  const devnet = findDevnetFile()
  if (devnet === null) throw new Error('no running devnet found (no devnet.json in $SYNOD_DEVNET_DIR, ./devnet.json or ./devnet-data/*/): start `npm run devnet`, or give --devnet DIR or --nodes URL,URL --genesis FILE')
  log(`using the devnet of ${devnet.path}`)
  return { nodes: [...devnet.nodes], genesis: genesisFromJson(readJson(values.genesis ?? devnet.genesisFile)) }
}
