// Worker threads and process exit with IO in flight: per-env state and the
// env cleanup hook mean neither crashes, and each thread has its own engine.
import t, { type Test } from 'tap'
import { readdirSync, readlinkSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { AIO } from '../lib/index'
import { backend, scratchDir } from './helpers'

const busy = join(__dirname, 'fixtures', 'busy_worker.ts')
const logWorker = join(__dirname, 'fixtures', 'log_worker.ts')

// The descriptors open in this process, by number.
function openFds (): string[] {
  return readdirSync('/proc/self/fd').sort((a, b) => Number(a) - Number(b))
}

// Starts WORKERS workers of this fixture one after another, each
// terminated once it reports IO in flight; the process goes on, this
// thread's engine is untouched and /proc/self/fd is as it was.
async function terminateWorkers (t: Test, fixture: string, what: string): Promise<void> {
  const dir = scratchDir(t)
  const mainStats = AIO.stats()
  const before = openFds()
  const WORKERS = 20
  for (let i = 0; i < WORKERS; i++) {
    const worker = new Worker(fixture, { workerData: { dir, mode: 'terminate' } })
    const report = await new Promise<{ backend: string, inFlight: number, lines?: number }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    t.equal(report.backend, backend, 'the worker has its own engine, chosen the same way')
    t.ok(report.inFlight > 0, `worker ${i} had ${report.inFlight} ops in flight` +
      (report.lines === undefined ? '' : ` (${report.lines} lines written)`))
    t.equal(await worker.terminate(), 1, 'terminated')
  }
  t.same(AIO.stats(), mainStats, "the workers' ops never touched this thread's engine")
  // Node closes the worker's own file as the thread goes (trackUnmanagedFds);
  // the engine's ring and eventfd, and every file its ops opened, must go too.
  const after = openFds()
  const leaked = after.filter((fd) => !before.includes(fd)).map((fd) => readlinkSync(`/proc/self/fd/${fd}`).replace(dir, '<dir>'))
  t.same(after, before, `/proc/self/fd: ${before.length} before ${WORKERS} workers, ${after.length} after` +
    (leaked.length > 0 ? ` (left open: ${leaked.slice(0, 3).join(', ')}${leaked.length > 3 ? ', …' : ''})` : ''))
  t.comment(`${WORKERS} workers terminated with ${what} in flight; fds before ${before.length}, after ${after.length}`)
}

t.test(`workers terminated with IO in flight (${backend})`, async (t) => {
  await terminateWorkers(t, busy, 'IO')
})

t.test(`workers terminated with a LogWriter's batches in flight and a file handle open (${backend})`, async (t) => {
  // Both descriptors were opened by engine ops, not by fs.open: Node's
  // trackUnmanagedFds does not know them, and no 'exit' event runs in a
  // terminated thread. The addon's env teardown closes them.
  await terminateWorkers(t, logWorker, "a LogWriter's batches (and a file handle open)")
})

function child (dir: string, mode: string): ReturnType<typeof spawnSync> {
  return spawnSync(process.execPath, [...process.execArgv, busy], {
    env: { ...process.env, BUSY_OPTIONS: JSON.stringify({ dir, mode }) },
    encoding: 'utf8',
    timeout: 60_000
  })
}

t.test(`process.exit with hundreds of ops in flight (${backend})`, async (t) => {
  const dir = scratchDir(t)
  for (let i = 0; i < 5; i++) {
    const run = child(dir, 'exit')
    t.equal(run.signal, null, 'no signal')
    t.equal(run.status, 0, 'exit code 0')
    t.match(run.stdout, /^in flight: [1-9]\d*$/m)
    t.equal(run.stderr, '', 'nothing on stderr')
  }
})

t.test(`the loop stays alive until IO is delivered (${backend})`, async (t) => {
  const run = child(scratchDir(t), 'finish')
  t.equal(run.status, 0)
  const stats = JSON.parse(String(run.stdout).replace(/^done: /, '')) as ReturnType<typeof AIO.stats>
  t.equal(stats.inFlight, 0)
  t.equal(stats.completed, stats.submitted)
  t.ok(stats.submitted >= 512 + 32 + 8, `${stats.submitted} ops submitted`)
})
