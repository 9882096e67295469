// process.exit() with IO in flight, and a loop kept alive until IO is
// delivered, in child processes.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import type { AIO } from '../lib/index'
import { backend, scratchDir } from './helpers'

const busy = join(__dirname, 'fixtures', 'busy_worker.ts')

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
