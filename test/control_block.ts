// The POSIX level, one block at a time: aio_read/aio_write/aio_fsync,
// aio_error/aio_return, aio_cancel and aio_suspend, on real files and pipes.
import t from 'tap'
import { constants as osConstants } from 'node:os'
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { AIO, ControlBlock } from '../lib/index'
import { backend, scratchDir, statsDelta } from './helpers'

const { errno } = osConstants

t.test(`write then read back (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'rt.bin')
  const fd = openSync(path, 'w+')
  t.teardown(() => closeSync(fd))
  const data = Buffer.from('hello, asynchronous world\n')
  const w = new ControlBlock({ fd, buffer: data, offset: 100, opcode: AIO.LIO_WRITE })
  t.equal(await AIO.write(w), data.length)
  t.equal(AIO.error(w), 0)
  t.equal(AIO.return(w), data.length)
  t.same(readFileSync(path).subarray(100), data, 'bytes land at the file offset')
  t.equal(readFileSync(path).length, 100 + data.length)

  const back = Buffer.alloc(data.length)
  const r = new ControlBlock({ fd, buffer: back, offset: 100 })
  t.equal(r.opcode, AIO.LIO_READ, 'LIO_READ is the default opcode')
  t.equal(r.nbytes, data.length, 'nbytes defaults to the buffer length')
  t.equal(await AIO.read(r), data.length)
  t.same(back, data)

  // A short read at end of file reports the bytes that exist.
  const tail = new ControlBlock({ fd, buffer: Buffer.alloc(64), offset: 110 })
  t.equal(await AIO.read(tail), data.length - 10)
  // nbytes smaller than the buffer reads a window and leaves the rest alone.
  const window = Buffer.alloc(8, 0x2e)
  const part = new ControlBlock({ fd, buffer: window, nbytes: 5, offset: 100 })
  t.equal(await AIO.read(part), 5)
  t.equal(window.toString(), 'hello...')
  // A subarray view reads into exactly that part of the parent buffer.
  const parent = Buffer.alloc(12, 0x2d)
  t.equal(await AIO.read(new ControlBlock({ fd, buffer: parent.subarray(4, 9), offset: 100 })), 5)
  t.equal(parent.toString(), '----hello---')
})

t.test(`typed arrays and DataViews are byte views (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'views.bin')
  const fd = openSync(path, 'w+')
  t.teardown(() => closeSync(fd))
  const words = new Uint32Array([0x01020304, 0x05060708])
  t.equal(await AIO.write(new ControlBlock({ fd, buffer: words })), 8)
  t.same(readFileSync(path), Buffer.from(words.buffer))
  const view = new DataView(new ArrayBuffer(8))
  t.equal(await AIO.read(new ControlBlock({ fd, buffer: view })), 8)
  t.equal(view.getUint32(0, true), 0x01020304)
})

t.test(`fields, validate and reset (${backend})`, async (t) => {
  const cb = new ControlBlock()
  t.equal(cb.fd, -1)
  t.equal(cb.buffer, null)
  t.equal(cb.nbytes, 0)
  t.equal(cb.offset, 0)
  t.equal(cb.reqprio, 0)
  cb.fd = 0
  cb.buffer = Buffer.alloc(10)
  t.equal(cb.nbytes, 10)
  cb.nbytes = 4
  cb.offset = 2 ** 40
  cb.reqprio = 1
  cb.opcode = AIO.LIO_NOP
  t.equal(cb.validate(), cb, 'validate returns the block')
  t.equal(cb.nbytes, 4)
  t.equal(cb.reset(), cb)
  t.equal(cb.fd, -1)
  t.equal(cb.buffer, null)
  t.equal(cb.opcode, AIO.LIO_READ)
  t.throws(() => AIO.error(cb), { code: 'ERR_INVALID_STATE' }, 'reset forgets the last submission')
  cb.buffer = null
  t.equal(cb.nbytes, 0)
})

t.test(`a finished block can be submitted again (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'again.bin')
  writeFileSync(path, 'abcdef')
  const fd = openSync(path, 'r')
  t.teardown(() => closeSync(fd))
  const cb = new ControlBlock({ fd, buffer: Buffer.alloc(3) })
  t.equal(await AIO.read(cb), 3)
  cb.offset = 3
  t.equal(await AIO.read(cb), 3)
  t.equal(cb.buffer!.toString(), 'def')
})

t.test(`OS errors look like fs errors (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const fd = openSync(join(dir, 'ro'), 'w')
  closeSync(fd) // a closed descriptor: EBADF
  const cb = new ControlBlock({ fd, buffer: Buffer.alloc(1) })
  await t.rejects(AIO.read(cb), {
    message: 'EBADF: bad file descriptor, aio_read', code: 'EBADF', errno: -errno.EBADF, syscall: 'aio_read'
  })
  t.equal(AIO.error(cb), errno.EBADF, 'aio_error gives the errno')
  t.equal(AIO.return(cb), -1, 'aio_return gives -1')
  await t.rejects(AIO.write(cb), { code: 'EBADF', syscall: 'aio_write' })
  await t.rejects(AIO.fsync(AIO.O_SYNC, fd), { code: 'EBADF', syscall: 'aio_fsync' })

  // Reading a write-only descriptor.
  const wo = openSync(join(dir, 'wo'), 'w')
  t.teardown(() => closeSync(wo))
  const e = await AIO.read(new ControlBlock({ fd: wo, buffer: Buffer.alloc(1) })).catch((e: unknown) => e)
  t.match(e, { code: 'EBADF', errno: -errno.EBADF })
  t.type(e, Error)
})

t.test(`fsync by block and by fd (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'sync.bin')
  const fd = openSync(path, 'w')
  t.teardown(() => closeSync(fd))
  await AIO.write(new ControlBlock({ fd, buffer: Buffer.from('durable') }))
  const cb = new ControlBlock({ fd })
  t.equal(await AIO.fsync(AIO.O_SYNC, cb), undefined)
  t.equal(AIO.error(cb), 0)
  t.equal(await AIO.fsync(AIO.O_DSYNC, cb), undefined)
  t.equal(await AIO.fsync(AIO.O_DSYNC, fd), undefined)
  t.equal(await AIO.fsync(AIO.O_SYNC, fd), undefined)
  t.equal(readFileSync(path, 'utf8'), 'durable')
})

t.test(`one op is one batch and one notification (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'one.bin')
  const fd = openSync(path, 'w+')
  t.teardown(() => closeSync(fd))
  const delta = await statsDelta(() => AIO.write(new ControlBlock({ fd, buffer: Buffer.from('x') })))
  t.same(delta, { submitted: 1, completed: 1, batches: 1, notifications: 1, inFlight: 0 })
})

// A FIFO opened read-write: reads on it block until someone writes, which
// gives ops that are deterministically running (or queued behind running
// ones) for cancel and suspend.
function fifo (t: Parameters<Parameters<typeof t.test>[1]>[0]): number {
  const path = join(scratchDir(t), 'fifo')
  execFileSync('mkfifo', [path])
  const fd = openSync(path, 'r+')
  t.teardown(() => closeSync(fd))
  return fd
}

t.test(`cancel and suspend (${backend})`, async (t) => {
  const fd = fifo(t)
  // Enough blocked reads to occupy every worker the engine has for one fd
  // (glibc: one per fd; libuv's pool: four), so the last one waits in queue.
  const blockers = Array.from({ length: 6 }, () => new ControlBlock({ fd, buffer: Buffer.alloc(1) }))
  const blocked = blockers.map((cb) => AIO.read(cb))
  const last = new ControlBlock({ fd, buffer: Buffer.alloc(1) })
  const lastRead = AIO.read(last)
  t.equal(AIO.error(last), AIO.EINPROGRESS)
  t.throws(() => AIO.return(last), { code: 'EINPROGRESS', syscall: 'aio_return' })
  t.equal(AIO.stats().inFlight >= 7, true)

  await t.rejects(AIO.suspend([last], 50), { code: 'EAGAIN', syscall: 'aio_suspend' },
    'suspend times out while nothing completes')

  t.equal(AIO.cancel(fd, last), AIO.AIO_CANCELED, 'a queued op is canceled')
  await t.rejects(lastRead, { code: 'ECANCELED', syscall: 'aio_read', errno: -AIO.ECANCELED })
  t.equal(AIO.error(last), AIO.ECANCELED)
  t.equal(AIO.return(last), -1)
  t.equal(AIO.cancel(fd, last), AIO.AIO_ALLDONE, 'a finished op is all done')

  // Blocked pipe reads: glibc and libuv's pool have threads stuck in read(2)
  // that cannot be canceled; io_uring waits on the pipe by polling, and can.
  const all = AIO.cancel(fd)
  t.ok(all === AIO.AIO_NOTCANCELED || all === AIO.AIO_CANCELED, `cancel(fd) gave ${all}`)
  const suspended = AIO.suspend([null, ...blockers])
  writeSync(fd, Buffer.alloc(blockers.length, 0x41))
  await suspended
  const outcomes = await Promise.allSettled(blocked)
  let read = 0
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') read += outcome.value
    else t.match(outcome.reason, { code: 'ECANCELED' })
  }
  if (all === AIO.AIO_NOTCANCELED) t.ok(read >= 1, 'the running reads finish with data')
  else t.equal(read, 0, 'every read was canceled')
  // The canceled reads left their bytes in the pipe; drain them.
  const rest = blockers.length - read
  if (rest > 0) t.equal(await AIO.read(new ControlBlock({ fd, buffer: Buffer.alloc(rest) })), rest)
  t.equal(AIO.cancel(fd), AIO.AIO_ALLDONE, 'nothing left on the fd')
  t.equal(AIO.stats().inFlight, 0)
})

t.test(`suspend resolves at once when it can (${backend})`, async (t) => {
  await AIO.suspend([])
  await AIO.suspend([null, undefined])
  const path = join(scratchDir(t), 'done.bin')
  writeFileSync(path, 'x')
  const fd = openSync(path, 'r')
  t.teardown(() => closeSync(fd))
  const cb = new ControlBlock({ fd, buffer: Buffer.alloc(1) })
  await AIO.read(cb)
  await AIO.suspend([cb], 0)
  const p = AIO.read(cb)
  await AIO.suspend([cb], 10_000)
  t.equal(AIO.error(cb), 0)
  t.equal(await p, 1)
})

t.test(`cancel checks the block's fd (${backend})`, async (t) => {
  const fd = fifo(t)
  const cb = new ControlBlock({ fd, buffer: Buffer.alloc(1) })
  const p = AIO.read(cb)
  t.throws(() => AIO.cancel(fd + 1000, cb), { code: 'ERR_INVALID_ARG_VALUE' })
  writeSync(fd, 'z')
  t.equal(await p, 1)
  t.equal(AIO.cancel(fd, cb), AIO.AIO_ALLDONE)
  t.equal(AIO.cancel(fd, null), AIO.AIO_ALLDONE)
  t.throws(() => AIO.cancel(1_000_000), { code: 'EBADF', syscall: 'aio_cancel' })
})
