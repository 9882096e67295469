// Engine selection: AIO_BACKEND forces one; otherwise the first that works.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { AIO } from '../lib/index'
import { backend, refusingShim } from './helpers'

const NAMES = ['io_uring', 'posix', 'threadpool']

function probe (env: Record<string, string | undefined>): { status: number | null, out: string, err: string } {
  const script = `
    const { AIO } = require(${JSON.stringify(require.resolve('../lib/index'))})
    try { console.log(JSON.stringify({ backend: AIO.backend, max: AIO.LISTIO_MAX })) }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, name: e.name })) }`
  const run = spawnSync(process.execPath, [...process.execArgv, '-e', script],
    { env: { ...process.env, ...env }, encoding: 'utf8' })
  return { status: run.status, out: run.stdout, err: run.stderr }
}

// A shim after whatever is preloaded already (npm run test:asan preloads the
// sanitizer runtimes, which must stay first).
t.test(`AIO_BACKEND is honoured (this run: ${backend})`, async (t) => {
  t.equal(AIO.backend, process.env.AIO_BACKEND ?? AIO.backend)
  const available: string[] = []
  for (const name of NAMES) {
    const run = probe({ AIO_BACKEND: name })
    t.equal(run.status, 0)
    const result = JSON.parse(run.out) as { backend?: string, code?: string, message?: string }
    if (result.backend !== undefined) {
      t.equal(result.backend, name)
      available.push(name)
    } else {
      t.equal(result.code, 'ERR_AIO_BACKEND_UNAVAILABLE')
      t.match(result.message, new RegExp(`AIO_BACKEND=${name} is not available here`))
    }
  }
  t.ok(available.includes('threadpool'), 'the thread pool works everywhere')
  if (process.platform === 'linux') t.ok(available.includes('posix'), 'glibc has POSIX AIO')
  // This project's machines run a kernel with io_uring; say so if one does not.
  if (process.platform === 'linux' && !available.includes('io_uring')) t.comment('io_uring is not available on this machine')

  const chosen = JSON.parse(probe({ AIO_BACKEND: '' }).out) as { backend: string }
  t.equal(chosen.backend, available[0], 'unset: the first engine that works, in order')
})

t.test('an unknown engine name is a clear error at first use', async (t) => {
  const result = JSON.parse(probe({ AIO_BACKEND: 'kqueue' }).out) as { code: string, message: string, name: string }
  t.equal(result.code, 'ERR_INVALID_ARG_VALUE')
  t.equal(result.name, 'TypeError')
  t.match(result.message, "The argument 'AIO_BACKEND' must be one of io_uring, posix, threadpool. Received 'kqueue'")
})

t.test('io_uring refused by the kernel: silent fallback, or a clear error when forced', {
  skip: process.platform !== 'linux' && 'io_uring is Linux only'
}, async (t) => {
  const preload = refusingShim(t)
  const unset = JSON.parse(probe({ AIO_BACKEND: '', LD_PRELOAD: preload, REFUSE_SETUP: '1' }).out) as { backend: string }
  t.equal(unset.backend, 'posix', 'the next engine takes over, silently')
  const forced = JSON.parse(probe({ AIO_BACKEND: 'io_uring', LD_PRELOAD: preload, REFUSE_SETUP: '1' }).out) as { code: string, message: string }
  t.equal(forced.code, 'ERR_AIO_BACKEND_UNAVAILABLE')
  t.match(forced.message, 'io_uring_setup: Operation not permitted')
})
