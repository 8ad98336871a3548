// Backend calls with a deadline: a handler's call to the NodeBackend gets a signal that
// aborts when the client goes or the deadline passes, and answers 503 'timeout' when the
// deadline passes even if the backend ignores the signal.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, httpAnswerOf } from './errors.ts'

/** The server's backend call (handed to each route module). */
export type BackendCall = <T>(request: FastifyRequest, run: (signal: AbortSignal) => Promise<T>, timeoutMs?: number) => Promise<T>

/** Installs the hook that tracks when a request's client goes, and answers the call
 * function, with `backendTimeoutMs` as its default deadline. */
export function installBackendCall(app: FastifyInstance, backendTimeoutMs: number): BackendCall {
  // fastify 5's request.signal aborts on the IncomingMessage's 'close', which Node emits
  // as soon as the body has been read, not when the client leaves. The client has gone
  // when the *response* closes (finished, or the connection dropped), so track that.
  const clientGone = new WeakMap<FastifyRequest, AbortSignal>()
  app.addHook('onRequest', async (request, reply) => {
    const controller = new AbortController()
    reply.raw.once('close', () => controller.abort())
    clientGone.set(request, controller.signal)
  })

  return async function call<T>(request: FastifyRequest, run: (signal: AbortSignal) => Promise<T>, timeoutMs = backendTimeoutMs): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs)
    const signal = AbortSignal.any([clientGone.get(request) ?? deadline, deadline])
    const timedOut = (): ApiError => new ApiError(503, 'timeout', `the node did not answer within ${timeoutMs} ms`, 1000)
    if (signal.aborted) throw timedOut()
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(timedOut())
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([run(signal), aborted])
    } catch (err) {
      // A backend that honours the signal rejects with its reason: report the deadline.
      if (deadline.aborted && !(err instanceof ApiError) && httpAnswerOf(err) === null) throw timedOut()
      throw err
    } finally {
      signal.removeEventListener('abort', onAbort!)
      aborted.catch(() => {})
    }
  }
}
