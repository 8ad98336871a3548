// Free TCP ports on 127.0.0.1, found by binding port 0 and closing again. Another process
// may take a port between this check and its use; callers that start servers on them
// retry or fail clearly.
import { createServer } from 'node:net'

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, host, () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port was assigned'))))
    })
  })
}

/** `count` distinct free ports (at most 1024). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  if (!Number.isInteger(count) || count < 0 || count > 1024) throw new RangeError(`cannot find ${count} ports`)
  const ports = new Set<number>()
  // Each attempt usually yields a new port; the bound keeps a busy machine from looping.
  for (let attempt = 0; ports.size < count && attempt < count * 10; attempt++) ports.add(await freePort(host))
  if (ports.size < count) throw new Error(`found only ${ports.size} of ${count} free ports`)
  return [...ports]
}
