// synod approve ID / synod reject ID / synod decision ID: what a human approver needs,
// with nothing but an identity file (docs/formats.md section 12, docs/sdk.md
// "Decisions"). The vote is committed through the SDK (verified receipt); `decision`
// prints the state the nodes report and, once approved, verifies the approval proof.
import type { Command } from 'commander'
import { SynodClient } from '../../sdk/client.ts'
import { SynodDecisions } from '../../sdk/approvals.ts'
import { loadIdentity } from '../../sdk/identity-file.ts'
import type { JsonData } from '../../sdk/types.ts'
import { loadGenesis } from '../load.ts'
import { integerFlag, parseUrl } from '../parse.ts'
import { devnetFor, flagOrDevnet } from '../devnet-defaults.ts'

interface DecisionFlags {
  nodes?: string
  genesis?: string
  identity?: string
  namespace?: string
  note?: string
  json?: boolean
  wait?: number
}

const ID_HEX = /^[0-9a-f]{64}$/

function checkedId(id: string): string {
  if (!ID_HEX.test(id)) throw new Error(`the decision id must be 64 lower-case hex characters, got '${id.slice(0, 80)}'`)
  return id
}

function open(command: string, opts: DecisionFlags, needsIdentity: boolean): SynodDecisions {
  const devnet = devnetFor(opts.nodes === undefined || opts.genesis === undefined || (needsIdentity && opts.identity === undefined), command)
  const nodeList = flagOrDevnet(opts.nodes, devnet, (d) => d.nodes.join(','), '--nodes URLS', command)
  const nodes = nodeList.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((u) => parseUrl(u, '--nodes').href.replace(/\/+$/, ''))
  if (nodes.length === 0) throw new Error('--nodes needs at least one URL')
  const genesis = loadGenesis(flagOrDevnet(opts.genesis, devnet, (d) => d.genesisFile, '--genesis FILE', command))
  // A human's vote is theirs: the identity is never taken from the devnet's tools key.
  if (needsIdentity && opts.identity === undefined) throw new Error(`${command} needs --identity FILE (your agent identity, e.g. from synod keygen)`)
  const identity = opts.identity === undefined ? undefined : loadIdentity(opts.identity)
  const client = new SynodClient({
    nodes,
    genesis,
    identity,
    onNodeFault: (fault) => process.stderr.write(`${command}: node fault: ${fault.name}: ${fault.message}\n`),
  })
  return new SynodDecisions(client, { onNodeFault: (fault) => process.stderr.write(`${command}: node fault: ${fault.name}: ${fault.message}\n`) })
}

function withConnectionFlags(cmd: Command): Command {
  return cmd
    .option('--nodes <urls>', 'comma-separated node API URLs (give at least f+1); default: the running devnet\'s (devnet.json)')
    .option('--genesis <file>', 'genesis file (JSON); default: the running devnet\'s')
    .option('--json', 'print the result as one JSON object')
}

function registerVote(program: Command, kind: 'approve' | 'reject'): void {
  withConnectionFlags(program.command(kind)
    .description(`${kind} a decision: commit your ${kind === 'approve' ? 'approval' : 'rejection'} (signed with your identity file) and wait for its verified receipt`)
    .argument('<id>', 'the decision\'s entry id (64 hex characters)')
    .requiredOption('--identity <file>', 'your agent identity file (mode 0600)')
    .option('--namespace <ns>', 'namespace of the vote entry (default: the decision\'s)')
    .option('--note <text>', 'a reason, recorded with the vote'))
    .action(async (id: string, opts: DecisionFlags) => {
      const decisions = open(`synod ${kind}`, opts, true)
      const options = { ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }), ...(opts.note === undefined ? {} : { note: opts.note as JsonData }) }
      const vote = kind === 'approve' ? await decisions.approve(checkedId(id), options) : await decisions.reject(checkedId(id), options)
      if (opts.json) process.stdout.write(JSON.stringify({ decision: id, vote: vote.id, kind, index: vote.index, namespace: vote.namespace }) + '\n')
      else process.stdout.write(`${kind === 'approve' ? 'APPROVED' : 'REJECTED'} decision ${id}: vote ${vote.id} committed at log index ${vote.index} (receipt verified)\n`)
    })
}

function registerStatus(program: Command): void {
  withConnectionFlags(program.command('decision')
    .description('a decision\'s state as the nodes report it; once approved, its approval proof verified against the genesis')
    .argument('<id>', 'the decision\'s entry id (64 hex characters)')
    .option('--wait <seconds>', 'wait up to this long for the outcome (approved with a verified proof, or rejected/expired as f+1 nodes say)', integerFlag('--wait', 1, 86_400)))
    .action(async (id: string, opts: DecisionFlags) => {
      const decisions = open('synod decision', opts, false)
      checkedId(id)
      if (opts.wait !== undefined) {
        try {
          const approved = await decisions.awaitDecision(id, { timeoutMs: opts.wait * 1000 })
          if (opts.json) process.stdout.write(JSON.stringify({ id, status: 'approved', verified: true, approvers: approved.approvers, threshold: approved.spec.threshold }) + '\n')
          else process.stdout.write(`APPROVED decision ${id}: proof verified (${approved.approvers.length} of ${approved.spec.approvers.length} approvers, threshold ${approved.spec.threshold})\n`)
          return
        } catch (err) {
          const e = err as { name?: string, status?: string, message: string }
          if (e.name !== 'DecisionNotApprovedError' && e.name !== 'DecisionTimeoutError') throw err
          const status = e.name === 'DecisionTimeoutError' ? 'undecided' : e.status
          if (opts.json) process.stdout.write(JSON.stringify({ id, status, verified: false, reason: e.message }) + '\n')
          else process.stdout.write(`${String(status).toUpperCase()}: ${e.message}\n`)
          process.exitCode = 3
          return
        }
      }
      const { answers, errors } = await decisions.status(id)
      for (const e of errors) process.stderr.write(`synod decision: ${e.message}\n`)
      if (opts.json) process.stdout.write(JSON.stringify({ id, answers: answers.map((a) => ({ node: a.node, status: a.status, height: a.height, proofVerified: a.proof !== null })) }) + '\n')
      else for (const a of answers) process.stdout.write(`${a.node}: ${a.status} at height ${a.height}${a.proof !== null ? ' (approval proof verified)' : ''}\n`)
      if (answers.length === 0) process.exitCode = 2
    })
}

export function registerDecisions(program: Command): void {
  registerVote(program, 'approve')
  registerVote(program, 'reject')
  registerStatus(program)
}
