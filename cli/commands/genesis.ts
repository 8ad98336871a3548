// synod genesis: the genesis file from the validators' public keys and addresses.
//   synod genesis --chain-id acme-prod --out genesis.json \
//     --key v0.key.json=/ip4/10.0.0.1/tcp/7000 --key <hex public key>=/dns4/v1.example/tcp/7000 ...
//   synod genesis --chain-id acme-prod --out genesis.json --validators validators.json
//     [--admin acme=acme-admin.key.json --admin globex=<hex public key> ...]   (namespace governance)
// validators.json: [{ "name": "...", "publicKey": "<hex>" | "keyFile": "...", "addresses": ["<multiaddr>", ...] }]
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import { toHex } from '../../src/crypto/hash.ts'
import { DEFAULT_PARAMS, genesisFromJson, genesisHash, genesisToJson, type GenesisJson } from '../../src/log/genesis.ts'
import { checkMultiaddr } from '../../node/runtime/config.ts'
import { ConfigError } from '../../node/runtime/errors.ts'
import { parseKeyFile } from '../../node/runtime/key-file.ts'
import { writeNewFile } from '../../node/util/files.ts'

interface ValidatorSpec { name: string, publicKey: string, addresses: string[] }

const HEX64 = /^[0-9a-f]{64}$/

async function publicKeyOf(source: string, where: string): Promise<string> {
  if (HEX64.test(source)) return source
  let text: string
  try {
    text = await readFile(source, 'utf8')
  } catch (err) {
    throw new ConfigError(`${where}: '${source}' is neither a 64-hex public key nor a readable key file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  return toHex(parseKeyFile(text, source).publicKey)
}

async function fromKeyOptions(keys: readonly string[]): Promise<ValidatorSpec[]> {
  const out: ValidatorSpec[] = []
  for (const [i, spec] of keys.entries()) {
    const cut = spec.indexOf('=')
    if (cut <= 0) throw new ConfigError(`--key '${spec}': expected <key file or hex public key>=<multiaddr>[,<multiaddr>...]`)
    const addresses = spec.slice(cut + 1).split(',').map((a, j) => checkMultiaddr(a, `--key #${i + 1} address ${j + 1}`))
    out.push({ name: `validator-${i}`, publicKey: await publicKeyOf(spec.slice(0, cut), `--key #${i + 1}`), addresses })
  }
  return out
}

export async function fromValidatorsFile(file: string): Promise<ValidatorSpec[]> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(file, 'utf8'))
  } catch (err) {
    throw new ConfigError(`--validators ${file}: ${(err as Error).message}`)
  }
  if (!Array.isArray(json)) throw new ConfigError(`--validators ${file}: expected a JSON list of validators`)
  const out: ValidatorSpec[] = []
  for (const [i, v] of json.entries()) {
    const where = `${file}[${i}]`
    if (typeof v !== 'object' || v === null) throw new ConfigError(`${where}: expected an object`)
    const o = v as Record<string, unknown>
    for (const k of Object.keys(o)) if (!['name', 'publicKey', 'keyFile', 'addresses'].includes(k)) throw new ConfigError(`${where}: unknown field '${k}'`)
    const source = typeof o.publicKey === 'string' ? o.publicKey : typeof o.keyFile === 'string' ? resolve(dirname(file), o.keyFile) : null
    if (source === null) throw new ConfigError(`${where}: needs 'publicKey' (hex) or 'keyFile'`)
    if (!Array.isArray(o.addresses) || o.addresses.length === 0) throw new ConfigError(`${where}: 'addresses' must be a non-empty list of multiaddrs`)
    out.push({
      name: typeof o.name === 'string' ? o.name : `validator-${i}`,
      publicKey: await publicKeyOf(source, where),
      addresses: o.addresses.map((a, j) => checkMultiaddr(a, `${where}.addresses[${j}]`)),
    })
  }
  return out
}

function parseParams(pairs: readonly string[]): Record<string, number> {
  const params: Record<string, number> = {}
  for (const pair of pairs) {
    const m = /^([A-Za-z]+)=([0-9]+)$/.exec(pair)
    if (m === null) throw new ConfigError(`--param '${pair}': expected name=<positive integer>`)
    if (!Object.hasOwn(DEFAULT_PARAMS, m[1]!)) throw new ConfigError(`--param '${m[1]}' is not a protocol parameter (${Object.keys(DEFAULT_PARAMS).join(', ')})`)
    params[m[1]!] = Number(m[2])
  }
  return params
}

/** `--admin namespace=key` pairs: the genesis admins of namespace governance
 * (docs/formats.md section 13), keys as hex or key files. A Map: namespaces come from the
 * command line. */
async function parseAdmins(pairs: readonly string[]): Promise<Map<string, string[]>> {
  const admins = new Map<string, string[]>()
  for (const [i, pair] of pairs.entries()) {
    const cut = pair.indexOf('=')
    if (cut <= 0) throw new ConfigError(`--admin '${pair}': expected <namespace>=<key file or hex public key>`)
    const namespace = pair.slice(0, cut)
    admins.set(namespace, [...(admins.get(namespace) ?? []), await publicKeyOf(pair.slice(cut + 1), `--admin #${i + 1}`)])
  }
  return admins
}

export async function buildGenesisJson(chainId: string, validators: readonly ValidatorSpec[], params: Record<string, number>, admins: ReadonlyMap<string, readonly string[]> = new Map()): Promise<GenesisJson> {
  const base = { chainId, validators, params: { ...DEFAULT_PARAMS, ...params }, policy: { open: true, namespaces: {} } }
  // Without --admin the genesis has no governance member: exactly the genesis of before.
  const json = admins.size === 0 ? base : { ...base, governance: { admins: Object.fromEntries([...admins].map(([ns, keys]) => [ns, [...keys]])) } }
  try {
    return genesisToJson(genesisFromJson(json))
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
}

export function registerGenesis(program: Command): void {
  program.command('genesis')
    .description('write a genesis file from the validators\' public keys and addresses')
    .requiredOption('--chain-id <id>', 'chain id: [a-z0-9][a-z0-9._-]*')
    .requiredOption('--out <file>', 'where to write the genesis (never overwritten)')
    .option('--validators <file>', 'JSON list of { name, publicKey | keyFile, addresses }')
    .option('--key <key=multiaddr>', 'a validator: key file or hex public key, =, its multiaddr(s) (repeat, in validator order)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--param <name=value>', `protocol parameter (repeatable): ${Object.keys(DEFAULT_PARAMS).join(', ')}`, (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--admin <namespace=key>', 'a genesis admin of a namespace for namespace governance: key file or hex public key (repeatable; none: no governance)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { chainId: string, out: string, validators?: string, key: string[], param: string[], admin: string[], json?: boolean }) => {
      if ((opts.validators === undefined) === (opts.key.length === 0)) throw new ConfigError('give the validators with either --validators FILE or --key (repeated), not both')
      if (existsSync(opts.out)) throw new ConfigError(`${opts.out} already exists; refusing to overwrite it`)
      const validators = opts.validators !== undefined ? await fromValidatorsFile(opts.validators) : await fromKeyOptions(opts.key)
      const json = await buildGenesisJson(opts.chainId, validators, parseParams(opts.param), await parseAdmins(opts.admin))
      await writeNewFile(opts.out, JSON.stringify(json, null, 2) + '\n')
      const hash = toHex(genesisHash(genesisFromJson(json)))
      if (opts.json === true) process.stdout.write(JSON.stringify({ file: opts.out, chainId: json.chainId, validators: json.validators.length, genesisHash: hash }) + '\n')
      else process.stdout.write(`wrote ${opts.out}: chain '${json.chainId}', ${json.validators.length} validators, genesis hash ${hash}\n`)
    })
}
