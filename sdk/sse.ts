// A server-sent events parser (WHATWG HTML, "Parsing an event stream") over a fetch body,
// so subscribe() works the same in browsers and Node without EventSource (which cannot
// send a Last-Event-ID of our choosing, nor be bounded). Bounded: an event longer than
// eventBytesMax is an error, so a node cannot grow the client's memory.

export interface SseEvent {
  /** The `id:` field, or null when the event had none. */
  readonly id: string | null
  /** The `event:` field; 'message' when absent. */
  readonly event: string
  readonly data: string
}

export class SseFormatError extends Error {
  override readonly name = 'SseFormatError'
}

/** Splits a byte stream into SSE events. Comments and `retry:` are skipped. */
export async function* parseSse(body: ReadableStream<Uint8Array>, eventBytesMax: number, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let id: string | null = null
  let event = ''
  let data: string[] = []
  let dataChars = 0
  const onAbort = (): void => {
    reader.cancel(signal?.reason).catch(() => {})
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      for (;;) {
        const lf = buffer.indexOf('\n')
        const cr = buffer.indexOf('\r')
        let end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr)
        if (end === -1) {
          if (buffer.length > eventBytesMax) throw new SseFormatError(`an SSE line is over ${eventBytesMax} characters`)
          break
        }
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (end === buffer.length - 1 && buffer[end] === '\r') break
        const line = buffer.slice(0, end)
        if (buffer[end] === '\r' && buffer[end + 1] === '\n') end += 1
        buffer = buffer.slice(end + 1)
        if (line === '') {
          if (data.length > 0) yield { id, event: event === '' ? 'message' : event, data: data.join('\n') }
          event = ''
          data = []
          dataChars = 0
          continue
        }
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon === -1 ? line : line.slice(0, colon)
        let value = colon === -1 ? '' : line.slice(colon + 1)
        if (value.startsWith(' ')) value = value.slice(1)
        if (field === 'data') {
          dataChars += value.length + 1
          if (dataChars > eventBytesMax) throw new SseFormatError(`an SSE event is over ${eventBytesMax} characters`)
          data.push(value)
        } else if (field === 'event') {
          event = value
        } else if (field === 'id') {
          if (!value.includes('\0')) id = value
        }
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    reader.cancel().catch(() => {})
  }
}
