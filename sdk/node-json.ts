// One GET of a node's JSON answer, for the SDK's readers that ask each node on their own
// (decisions, policies): its failures as the SDK's node errors, so the caller can tell an
// unreachable node from a malformed answer and from an error the node reported.
import { InvalidProofError, MalformedResponseError, NodeError, NodeResponseError, NodeUnreachableError } from './errors.ts'
import type { FetchLike } from './node-api.ts'
import type { NodeFault } from './options.ts'
import { isObject } from './node-answers.ts'
import { anySignal, isAbortOf } from './util.ts'

/** GET `path` of `node` within `timeoutMs`: the parsed JSON of a 2xx answer. The caller's
 * own abort is rethrown as it is. */
export async function getNodeJson(fetch: FetchLike, node: string, path: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(`${node}${path}`, { signal: anySignal([signal], timeoutMs) })
  } catch (err) {
    if (isAbortOf(err, signal)) throw err
    throw new NodeUnreachableError(node, `GET ${path}: ${(err as Error).message}`, { cause: err })
  }
  let body: unknown
  try {
    body = await res.json()
  } catch {
    throw new MalformedResponseError(node, `GET ${path}: the answer is not JSON`)
  }
  if (!res.ok) {
    const error = isObject(body) && isObject(body.error) ? body.error : {}
    throw new NodeResponseError(node, res.status, typeof error.code === 'string' ? error.code : 'unknown', typeof error.message === 'string' ? error.message : '', null)
  }
  return body
}

/** A node's failure as a NodeError, reporting the faults that are the node's (a bad proof,
 * a malformed answer) to `onFault`. */
export function asNodeError(node: string, err: unknown, onFault: ((fault: NodeFault) => void) | undefined): NodeError {
  if (err instanceof InvalidProofError || err instanceof MalformedResponseError) onFault?.(err)
  if (err instanceof NodeError) return err
  return new MalformedResponseError(node, (err as Error).message)
}
