// Backend calls with a deadline: a handler's call to the NodeBackend gets a signal that
// aborts when the client goes or the deadline passes, and answers 503 'timeout' when the
// deadline passes even if the backend ignores the signal.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ApiError, httpAnswerOf } from './errors.ts'

/** The server's backend call (handed to each route module). */
export type BackendCall = <T>(request: FastifyRequest, run: (signal: AbortSignal) => Promise<T>, timeoutMs?: number) => Promise<T>

/** Whether a request's response has closed, and the calls to abort when it does (a
 * batch request runs several at once). */
interface ResponseWatch {
  closed: boolean
  readonly onClose: Set<() => void>
}

/** Installs the hook that tracks when a request's client goes, and answers the call
 * function, with `backendTimeoutMs` as its default deadline. */
export function installBackendCall(app: FastifyInstance, backendTimeoutMs: number): BackendCall {
  // fastify 5's request.signal aborts on the IncomingMessage's 'close', which Node emits
  // as soon as the body has been read, not when the client leaves. The client has gone
  // when the *response* closes (finished, or the connection dropped), so track that.
  // Only a call still running then is aborted: aborting a signal on every response's
  // close (as this did) builds an AbortError with its stack and dispatches it through
  // the derived signals for each request, most of which ended long before.
  const watches = new WeakMap<FastifyRequest, ResponseWatch>()
  app.addHook('onRequest', (request, reply, done) => {
    const watch: ResponseWatch = { closed: false, onClose: new Set() }
    reply.raw.once('close', () => {
      watch.closed = true
      for (const abort of [...watch.onClose]) abort()
    })
    watches.set(request, watch)
    done()
  })

  return async function call<T>(request: FastifyRequest, run: (signal: AbortSignal) => Promise<T>, timeoutMs = backendTimeoutMs): Promise<T> {
    const timedOut = (): ApiError => new ApiError(503, 'timeout', `the node did not answer within ${timeoutMs} ms`, 1000)
    const watch = watches.get(request)
    if (watch?.closed === true) throw timedOut()
    const controller = new AbortController()
    let deadlinePassed = false
    let reject: ((err: Error) => void) | undefined
    const aborted = new Promise<never>((_resolve, fail) => { reject = fail })
    const abort = (): void => {
      if (controller.signal.aborted) return
      controller.abort()
      reject!(timedOut())
    }
    const timer = setTimeout(() => {
      deadlinePassed = true
      abort()
    }, timeoutMs)
    watch?.onClose.add(abort)
    try {
      return await Promise.race([run(controller.signal), aborted])
    } catch (err) {
      // A backend that honours the signal rejects with its reason: report the deadline.
      if (deadlinePassed && !(err instanceof ApiError) && httpAnswerOf(err) === null) throw timedOut()
      throw err
    } finally {
      clearTimeout(timer)
      watch?.onClose.delete(abort)
      aborted.catch(() => {})
    }
  }
}
