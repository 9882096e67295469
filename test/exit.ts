// process.exit() with IO in flight, and a loop kept alive until IO is
// delivered, in child processes.
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
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

const lib = JSON.stringify(require.resolve('../lib/index'))

// A script in a child of its own, run as the test runner runs this file.
function script (code: string, shell?: string): ReturnType<typeof spawnSync> {
  const args = [...process.execArgv, '-e', code]
  return shell === undefined
    ? spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 })
    : spawnSync('sh', ['-c', `"$0" "$@" ${shell}`, process.execPath, ...args], { encoding: 'utf8', timeout: 60_000 })
}

const MiB = 1024 * 1024

// A child's process.exit(0), saying when it was called; exitTook gives how
// long the exit took from there (the child's start-up, slow under a loaded
// test run, is not counted).
const EXIT_NOW = "() => { require('node:fs').writeSync(1, 'exiting ' + Date.now() + '\\n'); process.exit(0) }"
function exitTook (run: ReturnType<typeof spawnSync>): number {
  const called = /exiting (\d+)/.exec(String(run.stdout))
  return called === null ? Infinity : Date.now() - Number(called[1])
}

t.test(`process.exit() after unawaited writes: every byte is on disk (${backend})`, async (t) => {
  const dir = scratchDir(t)
  // `then`: exit a turn later (the writes reached the engine); `now`: in
  // the same tick (they were only asked for); `files`: AIO.write.
  for (const when of ['then', 'now', 'files']) {
    const path = join(dir, `${when}.bin`)
    const run = script(`
      const { open, AIO } = require(${lib})
      const path = ${JSON.stringify(path)}
      const chunk = (i) => Buffer.alloc(${MiB}, i)
      if (${JSON.stringify(when)} === 'files') {
        const files = {}
        for (let i = 0; i < 16; i++) files[path + i] = chunk(i)
        AIO.write(files)
        setImmediate(() => process.exit(0))
      } else {
        open(path, 'w').then((fh) => {
          for (let i = 0; i < 64; i++) fh.write(chunk(i), 0, ${MiB}, i * ${MiB})
          if (${JSON.stringify(when)} === 'now') process.exit(0)
          setImmediate(() => process.exit(0))
        })
      }`)
    t.equal(run.status, 0, String(run.stderr))
    const files = when === 'files'
      ? Array.from({ length: 16 }, (_, i) => [`${path}${i}`, 1, i] as const)
      : [[path, 64, -1] as const]
    for (const [file, chunks, fill] of files) {
      const data = readFileSync(file)
      t.equal(data.length, chunks * MiB, `${when}: ${data.length} bytes of ${chunks * MiB} on disk`)
      let intact = true
      for (let i = 0; i < chunks; i++) {
        const at = i * MiB
        const want = fill >= 0 ? fill : i
        if (data[at] !== want || data[at + MiB - 1] !== want) intact = false
      }
      t.ok(intact, `${when}: every chunk holds what was written`)
    }
  }
})

t.test(`process.exit() does not wait for reads that cannot finish (${backend})`, async (t) => {
  if (backend === 'threadpool') {
    // Its read is a libuv pool job blocked in read(2), and Node's exit joins
    // the pool's threads: fs.read of a FIFO hangs process.exit() the same
    // way (see the README). Nothing the addon can do ends a blocked read(2).
    t.skip('threadpool: a blocked read holds a libuv pool thread, which exit joins, as with fs')
    return
  }
  const fifo = join(scratchDir(t), 'fifo')
  execFileSync('mkfifo', [fifo])
  const run = script(`
    const { open } = require(${lib})
    open(${JSON.stringify(fifo)}, 'r+').then((fh) => {
      fh.read(Buffer.alloc(16), 0, 16, null)
      setTimeout(${EXIT_NOW}, 50)
    })`)
  t.equal(run.status, 0, String(run.stderr))
  // A read changes no file: exit is not held up by it (EXIT_WAIT_MS is 10 s).
  const took = exitTook(run)
  t.ok(took < 5000, `exit took ${took} ms`)
})

t.test(`process.exit() waits for a write, not for a read batched with it (${backend})`, async (t) => {
  if (backend === 'threadpool') {
    t.skip('threadpool: a blocked read holds a libuv pool thread, which exit joins, as with fs')
    return
  }
  const dir = scratchDir(t)
  const fifo = join(dir, 'fifo')
  const path = join(dir, 'file')
  execFileSync('mkfifo', [fifo])
  // One lio_listio chunk: a read that never finishes and a write that does.
  const run = script(`
    const { openSync } = require('node:fs')
    const { AIO, ControlBlock } = require(${lib})
    const pipe = openSync(${JSON.stringify(fifo)}, 'r+')
    const file = openSync(${JSON.stringify(path)}, 'w')
    AIO.lioListio(AIO.LIO_NOWAIT, [
      new ControlBlock({ fd: pipe, buffer: Buffer.alloc(16), opcode: AIO.LIO_READ }),
      new ControlBlock({ fd: file, buffer: Buffer.alloc(4096, 7), opcode: AIO.LIO_WRITE })
    ])
    setTimeout(${EXIT_NOW}, 100)`)
  t.equal(run.status, 0, String(run.stderr))
  const took = exitTook(run)
  t.ok(took < 5000, `exit took ${took} ms`)
  t.same(readFileSync(path), Buffer.alloc(4096, 7), 'the write is on disk')
})

t.test(`LogWriter: process.exit() on a full non-blocking pipe loses no line (${backend})`, async (t) => {
  // The child's stdout is a pipe its reader leaves full for a second, so
  // writes meet EAGAIN; the child exits while its writer waits to retry.
  const LINES = 5000
  const run = script(`
    const { LogWriter } = require(${lib})
    void process.stdout.fd // Node makes its stdout pipe non-blocking
    const writer = new LogWriter({ dest: 1 })
    for (let i = 0; i < ${LINES}; i++) writer.write(\`line \${i} ${'x'.repeat(40)}\\n\`)
    setTimeout(() => process.exit(0), 300)`, '| { sleep 1; cat; }')
  t.equal(run.status, 0, String(run.stderr))
  const lines = String(run.stdout).split('\n').filter(Boolean)
  t.equal(lines.length, LINES, `${lines.length} of ${LINES} lines arrived`)
  t.ok(lines.every((line, i) => line.startsWith(`line ${i} `)), 'each once, in order')
})
