// From the transport to the mailbox: each received message is queued for the loop, in
// arrival order, waiting for room (back-pressure on the transport's inbox). A sync
// response the replica may be waiting for has its signature check started on the way.
import type { Replica } from '../../src/consensus/replica.ts'
import type { Message } from '../../src/consensus/types.ts'
import type { Transport } from '../net/transport.ts'
import { traceMessage } from './hop-trace.ts'
import type { Mailbox } from './mailbox.ts'
import type { SyncSignatureChecker } from './sync-signatures.ts'

export interface NetworkPumpDependencies {
  readonly transport: Transport<Message>
  readonly replica: Replica
  readonly syncSignatures: SyncSignatureChecker
  readonly mailbox: Mailbox<Message>
  readonly stopping: () => boolean
  readonly tracing: () => boolean
  readonly traceHop: (hop: string, fields: Readonly<Record<string, unknown>>) => void
}

/** Runs until the transport's inbox ends or the node stops. */
export async function pumpNetwork(d: NetworkPumpDependencies): Promise<void> {
  const { transport, replica, syncSignatures } = d
  for await (const received of transport.received) {
    if (d.tracing()) d.traceHop('received', { message: traceMessage(received.message), from: received.from })
    // A sync response the replica may be waiting for has its entry signatures checked
    // on worker threads from now on, while the loop steps the replica through what is
    // ahead of it in the mailbox; the loop waits for the check when it gets there.
    let checked: Promise<void> | undefined
    if (replica.fetching && syncSignatures.wants(received.message)) {
      await syncSignatures.roomForCheck()
      checked = syncSignatures.check(received.message)
    }
    await d.mailbox.roomForNetwork()
    if (d.stopping()) break
    d.mailbox.pushNetwork({ type: 'network', from: received.from, bulk: received.message.type === 'entries', message: received.message, bytes: received.bytes, checked })
  }
}
