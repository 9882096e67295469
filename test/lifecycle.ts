// Worker threads and process exit with IO in flight: per-env state and the
// env cleanup hook mean neither crashes, and each thread has its own engine.
import t from 'tap'
import { readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { AIO } from '../lib/index'
import { backend, scratchDir } from './helpers'

const busy = join(__dirname, 'fixtures', 'busy_worker.ts')

function openFds (): number {
  return readdirSync('/proc/self/fd').length
}

t.test(`workers terminated with IO in flight (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const mainStats = AIO.stats()
  const before = openFds()
  for (let i = 0; i < 20; i++) {
    const worker = new Worker(busy, { workerData: { dir, mode: 'terminate' } })
    const report = await new Promise<{ backend: string, inFlight: number }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    t.equal(report.backend, backend, 'the worker has its own engine, chosen the same way')
    t.ok(report.inFlight > 0, `worker ${i} had ${report.inFlight} ops in flight`)
    t.equal(await worker.terminate(), 1, 'terminated')
  }
  t.same(AIO.stats(), mainStats, "the workers' ops never touched this thread's engine")
  // Only the worker's own files may stay open (the JS that would have closed
  // them was terminated); the engine itself keeps no descriptor per worker.
  t.ok(openFds() - before <= 20 * 33, `fds before ${before}, after ${openFds()}`)
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
  t.ok(stats.submitted >= 128 + 32 + 8, `${stats.submitted} ops submitted`)
})
