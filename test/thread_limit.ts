// A process that may start few threads (RLIMIT_NPROC, as an unprivileged
// user: root is exempt). glibc's POSIX AIO starts a thread for each
// SIGEV_THREAD notification and ignores it when that fails; every batch
// must settle anyway, with its result or an error, on every engine.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs'
import { userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { backend, scratchDir } from './helpers'

const root = join(__dirname, '..')
const BATCHES = 400

// The package as an unprivileged user can load it: its compiled JS, the
// addon this suite runs against and its loader, in a world-readable copy.
function installFor (dir: string): string {
  const pkg = join(dir, 'pkg')
  cpSync(join(root, 'dist'), join(pkg, 'dist'), { recursive: true })
  copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'))
  mkdirSync(join(pkg, 'build', 'Release'), { recursive: true })
  copyFileSync(join(root, 'build', 'Release', 'posix_aio.node'), join(pkg, 'build', 'Release', 'posix_aio.node'))
  const loader = dirname(require.resolve('node-gyp-build/package.json'))
  cpSync(loader, join(pkg, 'node_modules', 'node-gyp-build'), { recursive: true })
  return pkg
}

function nobody (): { uid: number, gid: number } | undefined {
  const run = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' })
  const group = spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' })
  if (run.status !== 0 || group.status !== 0) return undefined
  return { uid: Number(run.stdout), gid: Number(group.stdout) }
}

// Not the test runner's environment (its loader writes where nobody may);
// the sanitizer runtimes, if the suite runs under them, stay.
function childEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, AIO_BACKEND: backend }
  for (const name of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS', 'UV_THREADPOOL_SIZE']) {
    if (process.env[name] !== undefined) env[name] = process.env[name]
  }
  return env
}

const child = `
  const { AIO, ControlBlock, open } = require(process.argv[1] + '/dist/index')
  open(process.argv[2], 'r').then(async (fh) => {
    let resolved = 0
    let rejected = 0
    const batches = []
    for (let i = 0; i < ${BATCHES}; i++) {
      const blocks = [0, 1, 2, 3].map((k) =>
        new ControlBlock({ fd: fh.fd, buffer: Buffer.alloc(512), offset: k * 512, opcode: AIO.LIO_READ }))
      batches.push(AIO.lioListio(AIO.LIO_NOWAIT, blocks).then(() => resolved++, () => rejected++))
    }
    const report = () => console.log(JSON.stringify({ backend: AIO.backend, resolved, rejected }))
    // Long enough for a lost notification to be noticed many times over.
    const timer = setTimeout(() => { report(); process.exit(0) }, 20000)
    await Promise.all(batches)
    clearTimeout(timer)
    report()
    await fh.close()
  })`

t.test(`every batch settles under a thread limit (${backend})`, async (t) => {
  const user = nobody()
  if (process.getuid?.() !== 0 || user === undefined) {
    t.skip('needs root, to run the child as the unprivileged user nobody')
    return
  }
  const dir = scratchDir(t)
  chmodSync(dir, 0o755)
  const pkg = installFor(dir)
  const data = join(dir, 'data')
  writeFileSync(data, Buffer.alloc(4096, 1))
  chmodSync(data, 0o644)
  t.equal(userInfo().uid, 0)
  for (const limit of [16, 24, 40]) {
    // env -i: the test runner adds its loader to every child's environment.
    const env = Object.entries(childEnv()).map(([name, value]) => `${name}=${value}`)
    const run = spawnSync('env', ['-i', ...env, 'prlimit', `--nproc=${limit}`, process.execPath, '-e', child, pkg, data], {
      uid: user.uid, gid: user.gid, encoding: 'utf8', timeout: 60_000
    })
    t.equal(run.status, 0, `RLIMIT_NPROC ${limit}: exit code`)
    t.equal(run.stderr, '', 'nothing on stderr')
    const report = JSON.parse(run.stdout) as { backend: string, resolved: number, rejected: number }
    t.equal(report.backend, backend)
    t.equal(report.resolved + report.rejected, BATCHES,
      `RLIMIT_NPROC ${limit}: ${report.resolved} resolved, ${report.rejected} rejected, of ${BATCHES}`)
  }
})
