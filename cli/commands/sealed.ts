// synod seal NAMESPACE JSON / synod open ID / synod erase ID: sealed decisions and their
// erasure from the command line (docs/formats.md section 14, docs/sdk.md "Sealed
// decisions"), through the SDK: every receipt verified, every blob and key checked
// against the entry's commitments. A key is read from and written to files (mode 0600),
// never taken as an argument, which other users of the machine could see.
import { readFileSync, writeFileSync } from 'node:fs'
import type { Command } from 'commander'
import { SynodClient } from '../../sdk/client.ts'
import { loadIdentity } from '../../sdk/identity-file.ts'
import { loadGenesis } from '../load.ts'
import { parseUrl } from '../parse.ts'
import { devnetFor, flagOrDevnet } from '../devnet-defaults.ts'

interface SealedFlags {
  nodes?: string
  genesis?: string
  identity?: string
  keyFile?: string
  keyOut?: string
  depositKey?: boolean
  reason?: string
  json?: boolean
}

const ID_HEX = /^[0-9a-f]{64}$/
const KEY_FILE_BYTES_MAX = 1024

function checkedId(id: string): string {
  if (!ID_HEX.test(id)) throw new Error(`the entry id must be 64 lower-case hex characters, got '${id.slice(0, 80)}'`)
  return id
}

function readKeyFile(file: string): string {
  const text = readFileSync(file, 'utf8')
  if (text.length > KEY_FILE_BYTES_MAX) throw new Error(`${file} is not a key file (over ${KEY_FILE_BYTES_MAX} bytes)`)
  const key = text.trim()
  if (!ID_HEX.test(key)) throw new Error(`${file} must hold the 32-byte key as 64 lower-case hex characters`)
  return key
}

function clientFor(command: string, opts: SealedFlags, needsIdentity: boolean): SynodClient {
  const devnet = devnetFor(opts.nodes === undefined || opts.genesis === undefined, command)
  const nodeList = flagOrDevnet(opts.nodes, devnet, (d) => d.nodes.join(','), '--nodes URLS', command)
  const nodes = nodeList.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((u) => parseUrl(u, '--nodes').href.replace(/\/+$/, ''))
  if (nodes.length === 0) throw new Error('--nodes needs at least one URL')
  const genesis = loadGenesis(flagOrDevnet(opts.genesis, devnet, (d) => d.genesisFile, '--genesis FILE', command))
  if (needsIdentity && opts.identity === undefined) throw new Error(`${command} needs --identity FILE (your agent identity, e.g. from synod keygen)`)
  const identity = opts.identity === undefined ? undefined : loadIdentity(opts.identity)
  return new SynodClient({ nodes, genesis, identity, onNodeFault: (fault) => process.stderr.write(`${command}: node fault: ${fault.name}: ${fault.message}\n`) })
}

function withConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--nodes <urls>', 'comma-separated node API URLs; default: the running devnet\'s (devnet.json)')
    .option('--genesis <file>', 'genesis file (JSON); default: the running devnet\'s')
    .option('--json', 'print the result as one JSON object')
}

export function registerSealed(program: Command): void {
  withConnectionFlags(program.command('seal')
    .description('commit a sealed decision: the payload encrypted (AES-256-GCM), only its commitments in the log, the sealed blob uploaded to every node')
    .argument('<namespace>', 'the namespace')
    .argument('<json>', 'the payload, a JSON text')
    .requiredOption('--identity <file>', 'your agent identity file (mode 0600)')
    .option('--key-file <file>', 'seal under this key (64 hex characters; e.g. one key per data subject); default: a fresh key')
    .option('--key-out <file>', 'write the key here (mode 0600) instead of printing it')
    .option('--deposit-key', 'deposit the key with the nodes: anyone who can ask a node reads the payload until it is erased'))
    .action(async (namespace: string, json: string, opts: SealedFlags) => {
      let payload: unknown
      try {
        payload = JSON.parse(json)
      } catch (err) {
        throw new Error(`the payload is not JSON: ${(err as Error).message}`, { cause: err })
      }
      const client = clientFor('synod seal', opts, true)
      const sealed = await client.commitSealed(namespace, payload as never, {
        ...(opts.keyFile === undefined ? {} : { key: readKeyFile(opts.keyFile) }),
        depositKey: opts.depositKey === true,
      })
      if (opts.keyOut !== undefined) writeFileSync(opts.keyOut, sealed.key + '\n', { mode: 0o600 })
      for (const e of sealed.errors) process.stderr.write(`synod seal: ${e.message}\n`)
      const key = opts.keyOut === undefined ? sealed.key : null
      if (opts.json) process.stdout.write(JSON.stringify({ id: sealed.decision.id, index: sealed.decision.index, key, storedOn: sealed.storedOn }) + '\n')
      else process.stdout.write(`SEALED ${sealed.decision.id} committed at log index ${sealed.decision.index} (receipt verified); blob on ${sealed.storedOn.length} of ${client.nodes.length} nodes${key === null ? `; key in ${opts.keyOut}` : `\nkey ${key}`}\n`)
      if (sealed.storedOn.length === 0) process.exitCode = 3
    })

  withConnectionFlags(program.command('open')
    .description('read a sealed decision: its receipt verified, its blob from any node, checked against the entry and decrypted')
    .argument('<id>', 'the sealed entry\'s id (64 hex characters)')
    .option('--key-file <file>', 'the key (64 hex characters); default: the key a node holds, if the writer deposited it'))
    .action(async (id: string, opts: SealedFlags) => {
      const client = clientFor('synod open', opts, false)
      const opened = await client.getSealed(checkedId(id), opts.keyFile === undefined ? {} : { key: readKeyFile(opts.keyFile) })
      if (opts.json) process.stdout.write(JSON.stringify({ id, payload: opened.payload, servedBy: opened.servedBy }) + '\n')
      else process.stdout.write(`${opened.payloadText}\n`)
    })

  withConnectionFlags(program.command('erase')
    .description('erase a sealed decision: commit an erase entry, after which every honest node deletes its blob and key and refuses them again (the entry itself stays in the log)')
    .argument('<id>', 'the sealed entry\'s id (64 hex characters)')
    .requiredOption('--identity <file>', 'your agent identity file: the entry\'s author, or a writer of its namespace when the write policy governs it')
    .option('--reason <text>', 'a reason, recorded in the log in clear: never repeat what is erased'))
    .action(async (id: string, opts: SealedFlags) => {
      const client = clientFor('synod erase', opts, true)
      const erased = await client.erase(checkedId(id), opts.reason === undefined ? {} : { reason: opts.reason })
      if (opts.json) process.stdout.write(JSON.stringify({ id, erase: erased.erase.id, index: erased.erase.index }) + '\n')
      else process.stdout.write(`ERASED ${id}: erase ${erased.erase.id} committed at log index ${erased.erase.index} (receipt verified)\n`)
    })
}
