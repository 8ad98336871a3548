// A sweep's worker thread (sweep.ts): runs the tasks it is sent, one digest per run,
// answering once per batch. It holds no state between batches but the loaded modules.
import { parentPort } from 'node:worker_threads'
import { runTask, type WorkerAnswer, type WorkerRequest } from './sweep.ts'

if (parentPort === null) throw new Error('sweep-worker.ts runs as a worker thread of runSweep (scenarios/run/sweep.ts)')
const port = parentPort
port.on('message', (request: WorkerRequest) => {
  const digests = request.tasks.map(runTask)
  port.postMessage({ type: 'digests', digests } satisfies WorkerAnswer)
})
