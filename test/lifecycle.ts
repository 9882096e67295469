// Worker threads with IO in flight: per-env state and the env cleanup hook
// mean terminating one crashes nothing, and each thread has its own engine.
import t from 'tap'
import { join } from 'node:path'
import { backend, terminateWorkers } from './helpers'

const busy = join(__dirname, 'fixtures', 'busy_worker.ts')

t.test(`workers terminated with IO in flight (${backend})`, async (t) => {
  await terminateWorkers(t, busy, 'IO')
})
