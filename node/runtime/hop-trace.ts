// Trace lines for following one commit across processes (bench/trace-commit.ts): each
// carries the wall clock in fractional milliseconds (all validators of a local cluster
// share it, so lines of different processes line up) and the process's CPU time. Only
// written when the logger is at level 'trace'; nothing here is read by the protocol.
import type { Action, Message } from '../../src/consensus/types.ts'
import { toHex } from '../../src/crypto/hash.ts'
import { entryId, type Entry } from '../../src/log/entry.ts'

/** Wall-clock milliseconds with sub-millisecond precision. */
export function traceWallMs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000
}

/** CPU microseconds (user + system) this process has used. */
export function traceCpuUs(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** Entry ids a trace names (first 16 hex digits each, at most 4 per line). */
const TRACE_IDS_MAX = 4

export function traceIds(entries: readonly Entry[]): string[] {
  return entries.slice(0, TRACE_IDS_MAX).map((e) => toHex(entryId(e)).slice(0, 16))
}

/** A message in a trace line: its type and what identifies it (round, height, entries). */
export function traceMessage(message: Message): string {
  switch (message.type) {
    case 'proposal': {
      const h = message.block.header
      return `proposal r${h.round} h${h.height} n${message.block.entries.length}${message.cc === null ? '' : ` cc${message.cc.height}`} [${traceIds(message.block.entries).join(',')}]`
    }
    case 'vote':
      return `vote r${message.round} h${message.height}${message.commit === null ? '' : ` commit${message.commit.height}`}`
    case 'timeout':
      return `timeout r${message.round}`
    case 'sync-info':
      return `sync-info qc${message.highQc.round}${message.highCc === null ? '' : ` cc${message.highCc.height}`}`
    case 'entries':
      return `entries n${message.entries.length} [${traceIds(message.entries).join(',')}]`
    default:
      return message.type
  }
}

export function traceAction(action: Action): string {
  switch (action.type) {
    case 'send':
      return `send ${traceMessage(action.message)} to ${action.to}`
    case 'broadcast':
      return `broadcast ${traceMessage(action.message)}`
    case 'commit':
      return `commit h${action.blocks[action.blocks.length - 1]?.header.height ?? '?'}${action.cc === null ? '' : ` cc${action.cc.height}`}`
    case 'store-commit-certificate':
      return `store-cc h${action.cc.height}`
    case 'set-timer':
      return `set-timer ${action.kind} ${action.delayMs}ms`
    default:
      return action.type
  }
}
