// Worker threads terminated with a LogWriter's batches in flight and a file
// handle open: the env cleanup hook closes what the engine opened.
import t from 'tap'
import { join } from 'node:path'
import { backend, terminateWorkers } from './helpers'

const logWorker = join(__dirname, 'fixtures', 'log_worker.ts')

t.test(`workers terminated with a LogWriter's batches in flight and a file handle open (${backend})`, async (t) => {
  // Both descriptors were opened by engine ops, not by fs.open: Node's
  // trackUnmanagedFds does not know them, and no 'exit' event runs in a
  // terminated thread. The addon's env teardown closes them.
  await terminateWorkers(t, logWorker, "a LogWriter's batches (and a file handle open)")
})
