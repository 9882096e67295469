// The submission core, on every engine: a call's ops are one batch,
// submitted whole or not at all, so nothing a call leaves behind reaches
// another call; every cancel names its own ops, never another owner's; a
// close is never canceled, and no descriptor is left open.
import t, { type Test } from 'tap'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { closeSync, fstatSync, openSync, readlinkSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { AIO, ControlBlock, LogWriter, open } from '../lib/index'
import { kNative } from '../lib/control_block'
import { Batch, engine, OneOp } from '../lib/engine'
import { backend, openFds, scratchDir, statsDelta } from './helpers'

const LINE = 16

function line (i: number): Buffer {
  return Buffer.from(`line ${String(i).padStart(10, '0')}\n`)
}

// An ordinary lioListio of `count` writes and their reads back: what a call
// made after a failed one must see, exactly.
async function ordinaryList (t: Test, path: string, count: number): Promise<void> {
  const fd = openSync(path, 'w+')
  t.teardown(() => closeSync(fd))
  const writes = Array.from({ length: count }, (_, i) =>
    new ControlBlock({ fd, buffer: line(i), offset: i * LINE, opcode: AIO.LIO_WRITE }))
  const delta = await statsDelta(async () => {
    t.same(await AIO.lioListio(AIO.LIO_NOWAIT, writes), new Array(count).fill(LINE), 'every write, nothing else')
  })
  const { inFlight: _inFlight, ...counts } = delta
  t.same(counts, { submitted: count, completed: count, batches: 1, notifications: 1 }, 'one batch of exactly its own ops')
  const back = Array.from({ length: count }, () => Buffer.alloc(LINE))
  const reads = back.map((buffer, i) => new ControlBlock({ fd, buffer, offset: i * LINE }))
  t.same(await AIO.lioListio(AIO.LIO_NOWAIT, reads), new Array(count).fill(LINE))
  back.forEach((buffer, i) => t.equal(buffer.toString(), line(i).toString()))
}

function mkfifo (dir: string, name: string): string {
  const path = join(dir, name)
  execFileSync('mkfifo', [path])
  return path
}

t.test(`AIO.read with an offset near 2^53, then an ordinary lioListio (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const fifoA = mkfifo(dir, 'a')
  const fifoB = mkfifo(dir, 'b')
  // Each FIFO gets 5 bytes from a writer that then closes (end of file).
  const writers = [fifoA, fifoB].map((fifo) => {
    const writer = spawn('sh', ['-c', `printf hello > '${fifo}'`])
    return new Promise((resolve) => writer.once('exit', resolve))
  })
  const outcome = await AIO.read({
    [fifoA]: { offset: 0, length: 100 },
    [fifoB]: { offset: 2 ** 53 - 1, length: 100 }
  }).then((value) => ({ value }), (error: unknown) => ({ error }))
  await Promise.all(writers)
  // fifoB's second read would start past 2^53 - 1: that file fails, as
  // read(2) does past its maximum offset; fifoA is read in full.
  const error = (outcome as { error: NodeJS.ErrnoException & { results: Record<string, unknown> } }).error
  t.match(error, { code: 'EOVERFLOW', syscall: 'read', path: fifoB })
  t.equal(String(error.results[fifoA]), 'hello')
  t.equal(error.results[fifoB], error)
  t.equal(AIO.stats().inFlight, 0, 'nothing left in flight')
  await ordinaryList(t, join(dir, 'after'), 1)
  await ordinaryList(t, join(dir, 'after-many'), 40)
})

t.test(`calls that throw while describing their ops leave nothing behind (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'data')
  writeFileSync(path, 'x'.repeat(4096))
  const fd = openSync(path, 'r')
  t.teardown(() => closeSync(fd))
  const good = (): ControlBlock => new ControlBlock({ fd, buffer: Buffer.alloc(16) })
  const inFlight = new ControlBlock({ fd: openSync(mkfifo(dir, 'held'), 'r+'), buffer: Buffer.alloc(1) })
  const held = AIO.read(inFlight)
  const throwing: Array<[string, () => unknown]> = [
    ['lioListio: a bad block after good ones', () => AIO.lioListio(AIO.LIO_NOWAIT, [good(), good(), new ControlBlock()])],
    ['lioListio: a block in flight after good ones', () => AIO.lioListio(AIO.LIO_NOWAIT, [good(), inFlight])],
    ['LIO_WAIT: a bad block after good ones', () => AIO.lioListio(AIO.LIO_WAIT, [good(), new ControlBlock({ fd })])],
    ['AIO.write: a bad value after good ones', () => AIO.write({ [join(dir, 'w1')]: 'a', [join(dir, 'w2')]: 42 as unknown as string })],
    ['AIO.read: a bad request after good ones', () => AIO.read({ [path]: {}, [join(dir, 'r2')]: { offset: -1 } })],
    ['AIO.read of a block in flight', () => AIO.read(inFlight)]
  ]
  const delta = await statsDelta(() => {
    for (const [what, call] of throwing) t.throws(call, { code: /^ERR_/ }, what)
  })
  t.equal(delta.submitted, 0, 'nothing submitted')
  t.equal(delta.batches, 0)

  // The core itself: a batch one of whose ops the addon refuses is refused
  // whole, and its control blocks are left as they were.
  const block = new ControlBlock({ fd, buffer: Buffer.alloc(16) })
  const refused = await statsDelta(() => {
    for (const bad of [
      (batch: Batch) => batch.add('read', fd, Buffer.alloc(8), 4, 8, 0), // past the buffer's end
      (batch: Batch) => batch.add('read', -1, Buffer.alloc(8), 0, 8, 0), // not a descriptor
      (batch: Batch) => batch.add('open', 'no\u0000nul', 0, 0)
    ]) {
      const batch = new Batch()
      batch.add('read', fd, Buffer.alloc(16), 0, 16, 0)
      batch.addFor(block[kNative], 0, 'read', fd, Buffer.alloc(16), 0, 16, 0)
      bad(batch)
      t.throws(() => engine().submit(batch), { code: /^ERR_(OUT_OF_RANGE|INVALID_ARG_VALUE)$/ })
      t.equal(batch.token, 0, 'no token: the batch does not exist')
    }
  })
  t.equal(refused.submitted, 0, 'nothing of a refused batch is submitted')
  t.throws(() => AIO.error(block), { code: 'ERR_INVALID_STATE' }, 'its control block was never submitted')
  await ordinaryList(t, join(dir, 'after'), 8)
  writeSync(inFlight.fd, 'z')
  t.equal(await held, 1)
  closeSync(inFlight.fd)
})

t.test(`two LogWriters on one descriptor: flushSync() on one loses nothing of the other's (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const file = join(dir, 'shared.log')
  const run = spawnSync(process.execPath, [...process.execArgv, join(__dirname, 'fixtures', 'core_child.ts')], {
    env: { ...process.env, UV_THREADPOOL_SIZE: '1', CORE_CHILD: JSON.stringify({ mode: 'two-writers', fifo: mkfifo(dir, 'f'), file }) },
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(run.stderr, '')
  t.equal(run.status, 0)
  const report = JSON.parse(run.stdout) as { backend: string, errors: string[], text: string }
  t.equal(report.backend, backend)
  t.same(report.errors, [], 'no error on either writer')
  if (backend === 'io_uring') {
    // The pool does not hold io_uring's writes: B's may run in the kernel
    // while A's flushSync writes A's canceled line, in either order.
    t.same(report.text.split('\n').sort(), ['', 'line from A', 'line from B'], 'both lines, once each')
  } else {
    t.equal(report.text, 'line from A\nline from B\n', "A's line, written by its flushSync, then B's")
  }
})

t.test(`a worker terminated with reads on a FIFO the main thread reads too (${backend})`, async (t) => {
  await sharedFifo(t, 'terminate')
})

t.test(`AIO.cancel(fd) in a worker cancels only the worker's own reads (${backend})`, async (t) => {
  await sharedFifo(t, 'cancel')
})

// The main thread has 64 one-byte reads blocked or queued on a FIFO; a
// worker puts 64 of its own on the same descriptor, then is terminated or
// cancels. Then 64 bytes are written: each of the main thread's reads gets
// one, none is canceled.
async function sharedFifo (t: Test, mode: 'terminate' | 'cancel'): Promise<void> {
  const fd = openSync(mkfifo(scratchDir(t), 'shared'), 'r+')
  t.teardown(() => closeSync(fd))
  // Started first: a worker starting up needs the pool, which the main
  // thread's blocked reads may fill (threadpool).
  const worker = new Worker(join(__dirname, 'fixtures', 'shared_fd_worker.ts'), { workerData: { fd, mode } })
  const message = (): Promise<{ backend: string, said?: number, codes?: string[], inFlight?: number }> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
  await message()
  const mine = Promise.allSettled(Array.from({ length: 64 }, () => AIO.read(new ControlBlock({ fd, buffer: Buffer.alloc(1) }))))
  worker.postMessage('go')
  const report = await message()
  t.equal(report.backend, backend)
  if (mode === 'terminate') {
    t.ok(report.inFlight! >= 64, `the worker had ${report.inFlight} reads in flight`)
    t.equal(await worker.terminate(), 1, 'terminated')
  } else {
    // Each of the worker's reads was queued behind the main thread's (or
    // polled by io_uring): canceled, all of them.
    t.equal(report.said, AIO.AIO_CANCELED, 'AIO_CANCELED')
    t.same(report.codes, new Array(64).fill('ECANCELED'), "the worker's 64 reads")
    await worker.terminate()
  }
  t.equal(AIO.stats().inFlight, 64, "the main thread's 64 reads are still in flight")
  writeSync(fd, Buffer.alloc(64, 0x61))
  const outcomes = await mine
  t.same(outcomes.map((o) => o.status === 'fulfilled' ? o.value : (o.reason as { code: string }).code),
    new Array(64).fill(1), 'every one of them read its byte')
}

t.test(`a worker that closes 64 handles while the pool is busy, terminated, leaves no descriptor (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const threads = Number(process.env.UV_THREADPOOL_SIZE) || 4
  const fifos = Array.from({ length: threads }, (_, i) => mkfifo(dir, `fifo${i}`))
  const before = openFds()
  // The worker's LogWriter ends on it: closing it, even at the worker's teardown.
  const parentFd = openSync(join(dir, 'log'), 'a')
  const worker = new Worker(join(__dirname, 'fixtures', 'close_worker.ts'), { workerData: { dir, fifos, parentFd } })
  const report = await new Promise<{ backend: string, inFlight: number }>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  t.equal(report.backend, backend)
  // io_uring opens a FIFO without waiting for a writer, and closes in the
  // ring: nothing waits there.
  if (backend !== 'io_uring') t.ok(report.inFlight >= 64 + 1 + threads, `${report.inFlight} ops in flight`)
  // Terminated with the closes queued behind the FIFO opens; those are let
  // through once teardown has begun (it waits for ops that are running).
  const terminated = worker.terminate()
  await new Promise((resolve) => setTimeout(resolve, 300))
  const writers = fifos.map((fifo) => openSync(fifo, 'r+'))
  t.equal(await terminated, 1, 'terminated')
  for (const writer of writers) closeSync(writer)
  t.throws(() => fstatSync(parentFd), { code: 'EBADF' }, "the LogWriter's close ran, though queued at teardown")
  const after = openFds()
  const leaked = after.filter((fd) => !before.includes(fd)).map((fd) => readlinkSync(`/proc/self/fd/${fd}`).replace(dir, '<dir>'))
  t.same(leaked, [], `/proc/self/fd: ${before.length} before, ${after.length} after`)
})

t.test(`AIO.cancel(fd) after close(): the close runs, nothing stays open (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const run = spawnSync(process.execPath, [...process.execArgv, join(__dirname, 'fixtures', 'core_child.ts')], {
    env: {
      ...process.env,
      UV_THREADPOOL_SIZE: '1',
      CORE_CHILD: JSON.stringify({ mode: 'cancel-after-close', fifo: mkfifo(dir, 'f'), file: join(dir, 'file') })
    },
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(run.stderr, '')
  t.equal(run.status, 0)
  const report = JSON.parse(run.stdout) as { backend: string, said: number | string, closed: string, fd: number, before: number, after: number }
  t.equal(report.backend, backend)
  // The close is the handle's, not a POSIX request of the caller's: nothing
  // to cancel. On io_uring it has already run: the descriptor is gone.
  t.ok(report.said === AIO.AIO_ALLDONE || report.said === 'EBADF', `AIO.cancel said ${report.said}`)
  t.equal(report.closed, 'closed', 'close() resolved')
  t.equal(report.fd, -1)
  t.equal(report.after, report.before, `/proc/self/fd: ${report.before} before, ${report.after} after`)
})

t.test(`AIO.cancel(fd) leaves a file handle's ops on that fd alone (${backend})`, async (t) => {
  const fifo = mkfifo(scratchDir(t), 'owned')
  const fh = await open(fifo, 'r+')
  const writer = openSync(fifo, 'r+')
  t.teardown(() => closeSync(writer))
  const reading = fh.read(Buffer.alloc(4), 0, 4, null)
  await new Promise((resolve) => setImmediate(resolve))
  // A blocked read (one io_uring could cancel): the handle's, not a
  // POSIX-level request of the caller's, so aio_cancel never reaches it.
  t.equal(AIO.cancel(fh.fd), AIO.AIO_ALLDONE)
  writeSync(writer, 'ab')
  const { bytesRead, buffer } = await reading
  t.equal(buffer.subarray(0, bytesRead).toString(), 'ab', 'the read was not canceled')
  await fh.close()
})

t.test(`an op's handle cancels that op and no other (${backend})`, async (t) => {
  const fd = openSync(mkfifo(scratchDir(t), 'handles'), 'r+')
  t.teardown(() => closeSync(fd))
  const e = engine()
  const batches = [0, 1].map(() => {
    const batch = new Batch()
    const buffers = [Buffer.alloc(1), Buffer.alloc(1)]
    for (const buffer of buffers) batch.add('read', fd, buffer, 0, 1, -1)
    return { batch, buffers, done: e.submit(batch) }
  })
  // Blocked pipe reads: io_uring can cancel one; the pool engines have
  // threads stuck in read(2) for the first ones, and can cancel the rest.
  const said = e.cancel(batches[1].batch, 1)
  t.ok(said === AIO.AIO_CANCELED || said === AIO.AIO_NOTCANCELED, `cancel said ${said}`)
  t.equal(e.cancel(new Batch(), 0), AIO.AIO_ALLDONE, 'a batch never submitted has nothing to cancel')
  writeSync(fd, Buffer.alloc(4, 0x62))
  const [first, second] = await Promise.all(batches.map((b) => b.done))
  if (said === AIO.AIO_CANCELED) {
    t.same([...first, ...second], [1, 1, 1, -AIO.ECANCELED], 'only that op was canceled')
    // Its byte is still in the pipe.
    t.equal(await AIO.read(new ControlBlock({ fd, buffer: Buffer.alloc(1) })), 1)
  } else {
    t.same([...first, ...second], [1, 1, 1, 1])
  }
  t.equal(e.cancel(batches[1].batch, 1), AIO.AIO_ALLDONE, 'done: nothing left to cancel')
})

t.test(`an op of a tick that the addon refuses fails alone (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'tick')
  writeFileSync(path, 'abc')
  const fd = openSync(path, 'r')
  t.teardown(() => closeSync(fd))
  const e = engine()
  // Asked for in one tick, so submitted as one batch: the addon refuses it
  // whole, and each op goes again on its own.
  const good = e.soon(new OneOp('read', (batch) => batch.add('read', fd, Buffer.alloc(3), 0, 3, 0)))
  const bad = e.soon(new OneOp('read', (batch) => batch.add('read', fd, Buffer.alloc(3), 0, 5, 0)))
  const also = e.soon(new OneOp('fstat', (batch) => batch.add('fstatSize', fd)))
  await t.rejects(bad.promise, { code: 'ERR_OUT_OF_RANGE' })
  t.equal(await good.promise, 3)
  t.equal(await also.promise, 3)
})

t.test(`open() handles and LogWriter use the same batches (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const before = openFds()
  const handles = await Promise.all(Array.from({ length: 8 }, (_, i) => open(join(dir, `h${i}`), 'w+')))
  const log = new LogWriter({ dest: join(dir, 'log') })
  await new Promise((resolve) => log.once('ready', resolve))
  log.write('one line\n')
  await Promise.all(handles.map((handle, i) => handle.write(`handle ${i}`)))
  await log.flush()
  await Promise.all(handles.map((handle) => handle.close()))
  await new Promise((resolve) => log.end(resolve))
  t.same(openFds(), before, 'every descriptor closed')
})
