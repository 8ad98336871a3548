// synod reconfigure propose / approve / submit: a validator-set change for operators
// (docs/operations.md "Changing the validator set", docs/formats.md section 15.2).
//   synod reconfigure propose --genesis genesis.json --validators next.json --expires 5000 --out change.json
//       [--after previous-change.json]   (for epoch 2 on: the statement that started the current epoch)
//   synod reconfigure approve change.json --key validator.key.json --out v0.approval.json [--record FILE] [--node URL]
//   synod reconfigure submit change.json v0.approval.json v1.approval.json v2.approval.json --identity agent.key.json
//       --namespace ops/validators [--nodes URLS --genesis FILE]
// `approve` keeps the approving validator's record (default: <key file>.approvals.json),
// written durably before the approval: a second set for the same epoch is refused while
// the first can still take effect (docs/protocol.md: that is what makes a set change
// unique per epoch).
import { closeSync, existsSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs'
import type { Command } from 'commander'
import { toHex } from '../../src/crypto/hash.ts'
import { approveReconfiguration } from '../../src/log/epochs.ts'
import { quorumSize } from '../../src/log/validator-set.ts'
import { readKeyFile } from '../../node/runtime/key-file.ts'
import { writeNewFile } from '../../node/util/files.ts'
import { SynodClient } from '../../sdk/client.ts'
import { loadIdentity } from '../../sdk/identity-file.ts'
import { devnetFor, flagOrDevnet } from '../devnet-defaults.ts'
import { loadGenesis, readJsonFile } from '../load.ts'
import { committedHeightOf } from '../node-height.ts'
import { parseHeight, parseUrl } from '../parse.ts'
import {
  approvalFromJson, approvalBlocked, approvalToJson, approverIndex, assemble, makeStatement, recordFromJson, recordToJson, recordWith,
  statementFromJson, statementHash, statementOf, statementToJson, type ApprovalRecord,
} from '../reconfiguration-files.ts'
import { fromValidatorsFile } from './genesis.ts'

interface Flags {
  genesis?: string
  validators?: string
  expires?: number
  after?: string
  out?: string
  key?: string
  record?: string
  node?: string
  identity?: string
  namespace?: string
  nodes?: string
  json?: boolean
}

/** Writes `text` to `path` durably (a temporary file, fsync'd, renamed over it), so an
 * approval is never printed while its record could still be lost to a crash. */
function writeDurably(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`
  const fd = openSync(tmp, 'w', 0o600)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
}

async function committedHeight(node: string): Promise<number> {
  const height = await committedHeightOf(parseUrl(node, '--node'))
  if (height === null) throw new Error(`${node} gave no committed height (GET /healthz)`)
  return height
}

export function registerReconfigure(program: Command): void {
  const reconfigure = program.command('reconfigure').description('change the validator set through the log: propose a new set, approve it as a validator, submit it with a quorum of approvals')

  reconfigure.command('propose')
    .description('write the statement the current validators approve: the next epoch\'s set and the last height it can take effect at')
    .requiredOption('--genesis <file>', 'the chain\'s genesis file')
    .requiredOption('--validators <file>', 'the new set: [{ "name", "publicKey" | "keyFile", "addresses" }], as synod genesis --validators reads it')
    .requiredOption('--expires <height>', 'the last block height at which it can take effect', (v) => parseHeight(v, '--expires', 1))
    .requiredOption('--out <file>', 'where to write the statement (never overwritten)')
    .option('--after <file>', 'the statement that started the current epoch (for epoch 2 and later); default: the genesis set, epoch 1')
    .action(async (opts: Flags) => {
      const genesis = loadGenesis(opts.genesis!)
      const previous = opts.after === undefined ? null : statementFromJson(readJsonFile(opts.after, 'statement'), genesis, opts.after)
      const current = previous === null ? genesis.validators : previous.validators
      const statement = makeStatement(genesis, previous === null ? 1 : previous.epoch + 1, opts.expires!, current, await fromValidatorsFile(opts.validators!))
      await writeNewFile(opts.out!, JSON.stringify(statementToJson(statement), null, 2) + '\n')
      process.stdout.write(`PROPOSED epoch ${statement.epoch}: ${statement.current.length} -> ${statement.validators.length} validators, effective in a block at height <= ${statement.expires}; `
        + `statement ${statementHash(statement)} in ${opts.out}: ${quorumSize(statement.current.length)} of the ${statement.current.length} current validators must approve it (synod reconfigure approve)\n`)
    })

  reconfigure.command('approve')
    .description('approve a statement as a validator of the current epoch (at most one set per epoch while it can take effect)')
    .argument('<statement>', 'the statement file (synod reconfigure propose)')
    .requiredOption('--genesis <file>', 'the chain\'s genesis file')
    .requiredOption('--key <file>', 'your validator key file')
    .requiredOption('--out <file>', 'where to write the approval (never overwritten)')
    .option('--record <file>', 'your approval record; default: <key file>.approvals.json')
    .option('--node <url>', 'your validator\'s API: its committed height lets you approve another set once an earlier approval has expired')
    .action(async (file: string, opts: Flags) => {
      const genesis = loadGenesis(opts.genesis!)
      const statement = statementFromJson(readJsonFile(file, 'statement'), genesis, file)
      const key = await readKeyFile(opts.key!)
      if (key.kind !== 'validator') throw new Error(`${opts.key} is an ${key.kind} key: approvals are signed with a validator key`)
      const index = approverIndex(statement, key.publicKey)
      const recordPath = opts.record ?? `${opts.key}.approvals.json`
      const record: ApprovalRecord = existsSync(recordPath) ? recordFromJson(readJsonFile(recordPath, 'approval record'), recordPath) : { approvals: [] }
      const blocked = approvalBlocked(record, statement, opts.node === undefined ? null : await committedHeight(opts.node))
      if (blocked !== null) throw new Error(blocked)
      // The record first, durably: the signature exists only once the record says so.
      writeDurably(recordPath, JSON.stringify(recordToJson(recordWith(record, statement)), null, 2) + '\n')
      const signature = approveReconfiguration(key.seed, statement.chainId, statementOf(statement))
      await writeNewFile(opts.out!, JSON.stringify(approvalToJson({ chainId: statement.chainId, epoch: statement.epoch, statement: statementHash(statement), publicKey: toHex(key.publicKey), signature: toHex(signature) }), null, 2) + '\n')
      process.stdout.write(`APPROVED epoch ${statement.epoch} as validator ${index} (${statement.current[index]!.name}); approval in ${opts.out}, recorded in ${recordPath}\n`)
    })

  reconfigure.command('submit')
    .description('commit the reconfiguration entry: the statement with a quorum of approvals, checked as the validators check it')
    .argument('<statement>', 'the statement file')
    .argument('<approvals...>', 'approval files (synod reconfigure approve), at least a quorum of the current set')
    .requiredOption('--identity <file>', 'the agent identity that signs the entry (who submits does not matter: the approvals authorise it)')
    .requiredOption('--namespace <ns>', 'the namespace of the entry (the write policy applies)')
    .option('--nodes <urls>', 'comma-separated node API URLs; default: the running devnet\'s (devnet.json)')
    .option('--genesis <file>', 'genesis file (JSON); default: the running devnet\'s')
    .option('--json', 'print the result as one JSON object')
    .action(async (file: string, approvalFiles: string[], opts: Flags) => {
      const devnet = devnetFor(opts.nodes === undefined || opts.genesis === undefined, 'synod reconfigure submit')
      const genesis = loadGenesis(flagOrDevnet(opts.genesis, devnet, (d) => d.genesisFile, '--genesis FILE', 'synod reconfigure submit'))
      const nodes = flagOrDevnet(opts.nodes, devnet, (d) => d.nodes.join(','), '--nodes URLS', 'synod reconfigure submit')
        .split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((u) => parseUrl(u, '--nodes').href.replace(/\/+$/, ''))
      const statement = statementFromJson(readJsonFile(file, 'statement'), genesis, file)
      const approvals = approvalFiles.map((f) => approvalFromJson(readJsonFile(f, 'approval'), statement, f))
      const { payload } = assemble(statement, approvals, genesis)
      const client = new SynodClient({ nodes, genesis, identity: loadIdentity(opts.identity!), onNodeFault: (fault) => process.stderr.write(`synod reconfigure submit: node fault: ${fault.name}: ${fault.message}\n`) })
      const committed = await client.commit(opts.namespace!, JSON.parse(payload) as never)
      if (opts.json) process.stdout.write(JSON.stringify({ id: committed.id, index: committed.index, epoch: statement.epoch }) + '\n')
      else process.stdout.write(`SUBMITTED epoch ${statement.epoch}: entry ${committed.id} committed at log index ${committed.index} (receipt verified)\n`)
    })
}
