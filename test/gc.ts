// GC stress: thousands of ops whose buffers JavaScript drops while they are
// in flight, with a collection between submissions (see the fixture). Runs
// in a child node with --expose-gc, on this run's engine.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { backend, scratchDir } from './helpers'

t.test(`buffers dropped in flight, gc() between submissions (${backend})`, async (t) => {
  const started = Date.now()
  const run = spawnSync(process.execPath, [...process.execArgv, '--expose-gc',
    join(__dirname, 'fixtures', 'gc_stress.ts'), scratchDir(t)], { encoding: 'utf8', timeout: 100_000 })
  t.equal(run.signal, null, 'no crash')
  t.equal(run.status, 0, 'exit code 0')
  t.equal(run.stderr, '', 'nothing on stderr')
  const report = JSON.parse(run.stdout) as {
    backend: string, submissions: number, ops: number, gcs: number, readsChecked: number, wrong: string[], inFlight: number
  }
  t.equal(report.backend, backend)
  t.same(report.wrong, [], 'every byte written and read is right')
  t.equal(report.inFlight, 0)
  t.ok(report.ops >= 4000, `${report.ops} ops`)
  t.ok(report.readsChecked > 100, `${report.readsChecked} reads checked byte for byte`)
  t.comment(`${report.ops} ops in ${report.submissions} submissions, ${report.gcs} collections, ` +
    `${report.readsChecked} reads checked, ${report.wrong.length} wrong, ${Date.now() - started} ms`)
})
