// OS errors are shaped exactly like the ones fs throws for the same failure.
import t from 'tap'
import { constants as osConstants } from 'node:os'
import { promises as fsp, closeSync, openSync } from 'node:fs'
import { join } from 'node:path'
import { AIO, ControlBlock } from '../lib/index'
import { systemError } from '../lib/errors'
import { backend, scratchDir } from './helpers'

const { errno } = osConstants

function shape (e: unknown): Record<string, unknown> {
  const { message, errno, code, syscall, path } = e as Record<string, unknown>
  return { message, errno, code, syscall, path, isError: e instanceof Error, keys: Object.keys(e as object) }
}

t.test(`ENOENT matches fs.promises exactly (${backend})`, async (t) => {
  const missing = join(scratchDir(t), 'nope', 'x')
  const ours = await AIO.read([missing]).catch((e: unknown) => e)
  const theirs = await fsp.readFile(missing).catch((e: unknown) => e)
  const mine = shape(ours)
  // Ours also carries the batch's results: the one extra own property.
  t.same(mine.keys, [...(shape(theirs).keys as string[]), 'results'])
  t.same({ ...mine, keys: null }, { ...shape(theirs), keys: null })
  t.equal((ours as Error).message, `ENOENT: no such file or directory, open '${missing}'`)
})

t.test(`EBADF matches fs.read's (${backend})`, async (t) => {
  const fd = openSync(join(scratchDir(t), 'closed'), 'w')
  closeSync(fd)
  const theirs = await new Promise((resolve) => {
    // fs.read on a closed fd: 'EBADF: bad file descriptor, read'
    require('node:fs').read(fd, Buffer.alloc(1), 0, 1, 0, resolve)
  })
  const ours = await AIO.read(new ControlBlock({ fd, buffer: Buffer.alloc(1) })).catch((e: unknown) => e)
  t.same({ ...shape(ours), message: undefined, syscall: undefined },
    { ...shape(theirs), message: undefined, syscall: undefined })
  t.equal((theirs as Error).message, 'EBADF: bad file descriptor, read')
  t.equal((ours as Error).message, 'EBADF: bad file descriptor, aio_read', 'the call named is the POSIX one')
})

t.test('errnos libuv cannot name still make fs-shaped errors', async (t) => {
  t.match(systemError(-errno.EINPROGRESS, 'aio_return'), {
    message: 'EINPROGRESS: operation now in progress, aio_return', code: 'EINPROGRESS', errno: -errno.EINPROGRESS
  })
  // No platform has an errno this large: nothing names it.
  t.match(systemError(-65535, 'read', '/dev/x'), {
    message: "UNKNOWN: unknown error, read '/dev/x'", code: 'UNKNOWN', errno: -65535, syscall: 'read', path: '/dev/x'
  })
})
