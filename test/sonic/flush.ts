// Ported from sonic-boom (MIT, pinojs contributors), test/flush.test.js at
// 8d30006: each test's body as sonic-boom wrote it; only what constructs the
// stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common). Their
// `for (const sync in [true, false])` gives sync the strings '0' and '1',
// both truthy: sonic-boom runs every test of the loop that passes it in its
// sync mode; the loop's titles end in (sync: '0') and (sync: '1') to keep
// them apart.
//
// Not ported (sonic-boom's tests that replace its `fs` with proxyquire;
// LogWriter's IO goes through the project's engine, not through `fs`, and no
// real kernel condition gives what the fake does):
// Not ported: call flush cb with error when fsync failed: the fake fs.fsync
//   fails (code 'other') after a write that succeeded. fsync(2) of a regular
//   file fails only with a failing device or a remote file system; what a
//   descriptor gives for sure (EINVAL on a pipe or a tty, EROFS) both writers
//   take as "cannot be synced" and ignore.
// Not ported: call flush cb when finish writing when currently in the
//   middle: the fake fs.write / fs.writeSync calls flush() from inside the
//   write call. With their (truthy) sync the write is over when write()
//   returns: the only moment in the middle of it is inside fs.writeSync,
//   which nothing but the fake reaches.
//
// Ported with a real condition or observation for the fake's (each says how,
// above it):
// - only call fsyncSync and not fsync when fsync: true: the fakes count
//   fs.write(Sync) and fs.fsyncSync calls; here the flush callback reads the
//   file (the write was made) and sees its bytes written back (the fsync was
//   made), see writtenBack(). That fs.fsync is not called as well (a second,
//   redundant fsync) is not observable and is not checked.
// - call flush cb with an error when failed to flush: the fake fails one
//   write (code 'other'); here the destination is a FIFO whose reader has
//   gone (write(2): EPIPE), and the flush callback opens a reader again, so
//   the next write goes through as after the fake's one failure.
// - call flush cb when writing and trying to flush before ready (on async):
//   the fake fs.open puts off the real open by a tick and writes and flushes
//   in it; here the constructor's own open (a path: opened asynchronously) is
//   still in flight in the tick after it, and the same write and flush are
//   made there, before 'ready'.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { SonicBoom, file, test, type Context, type Stream } from './common'

const { O_RDONLY, O_NONBLOCK } = fs.constants

/** filefrag -v: whether some of the file's bytes are not written back yet (no blocks allocated). */
function delalloc (dest: string): boolean {
  return /\bdelalloc\b/.test(execFileSync('filefrag', ['-v', dest], { encoding: 'utf8' }))
}

let delallocShown: boolean | undefined

/**
 * Whether the file's bytes are written back: what an fsync (or fdatasync)
 * does, observed. ext4 (the file system here) allocates a new file's blocks
 * only when it writes the bytes back, and FIEMAP (filefrag -v) marks the
 * bytes it holds back `delalloc` until then; the kernel writes back by itself
 * only after 30 s (vm.dirty_expire_centisecs) or under memory pressure.
 * Checked first on a file written without fsync: a file system that does not
 * show it cannot tell, and the check throws.
 */
function writtenBack (dest: string): boolean {
  if (delallocShown === undefined) {
    const control = file()
    const fd = fs.openSync(control, 'wx')
    try {
      fs.writeSync(fd, 'not synced\n')
      delallocShown = delalloc(control)
    } finally {
      fs.closeSync(fd)
    }
  }
  if (!delallocShown) throw new Error('filefrag shows no delayed allocation here: whether a file was fsynced cannot be seen')
  return !delalloc(dest)
}

/**
 * The test, with an exception that nothing catches while it runs (an
 * 'error' event emitted with no listener) one of its failures rather than
 * the end of the file's process, and of every test after it. It stops
 * listening when the test ends, or after `ms` should it never end.
 */
function uncaughtAsFailure (ms: number, fn: (t: Context, end: () => void) => void): (t: Context, end: () => void) => void {
  return (t, end) => {
    const onUncaught = (error: Error): void => t.assert.fail(`uncaught: ${error.message}`)
    const stop = (): void => {
      clearTimeout(timer)
      process.off('uncaughtException', onUncaught)
    }
    const timer = setTimeout(stop, ms)
    process.on('uncaughtException', onUncaught)
    fn(t, () => {
      stop()
      end()
    })
  }
}

for (const sync in [true, false]) {
  // Reset the unmask for testing
  process.umask(0o000)

  test(`append (sync: '${sync}')`, (t, end) => {
    t.plan(4)

    const dest = file()
    fs.writeFileSync(dest, 'hello world\n')
    const stream: Stream = new SonicBoom({ dest, append: false, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('something else\n'))

    stream.flush()

    stream.on('drain', () => {
      fs.readFile(dest, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'something else\n')
        stream.end()
        end()
      })
    })
  }, { timeout: 3000 })

  test(`mkdir (sync: '${sync}')`, (t, end) => {
    t.plan(4)

    const dest = path.join(file(), 'out.log')
    const stream: Stream = new SonicBoom({ dest, mkdir: true, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))

    stream.flush()

    stream.on('drain', () => {
      fs.readFile(dest, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'hello world\n')
        stream.end()
        end()
      })
    })
  }, { timeout: 3000 })

  test(`flush (sync: '${sync}')`, (t, end) => {
    t.plan(5)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    stream.flush()

    stream.on('drain', () => {
      fs.readFile(dest, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'hello world\nsomething else\n')
        stream.end()
        end()
      })
    })
  }, { timeout: 3000 })

  test(`flush with no data (sync: '${sync}')`, (t, end) => {
    t.plan(2)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    stream.flush()

    stream.on('drain', () => {
      t.assert.ok('drain emitted')
      end()
    })
  }, { timeout: 3000 })

  test(`call flush cb after flushed (sync: '${sync}')`, (t, end) => {
    t.plan(4)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    stream.flush((err: Error | null | undefined) => {
      if (err) t.assert.fail(err as never)
      else t.assert.ok('flush cb called')
      end()
    })
  }, { timeout: 3000 })

  // Ported with observations for the fakes (see the top of the file): the
  // flush callback reads the file and sees its bytes written back.
  test(`only call fsyncSync and not fsync when fsync: true (sync: '${sync}')`, (t, end) => {
    t.plan(6)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({
      fd,
      sync,
      fsync: true,
      minLength: 4096
    })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))
    stream.flush((err: Error | null | undefined) => {
      if (err) t.assert.fail(err as never)
      else t.assert.ok('flush cb called')

      // In place of the fake fs.write(Sync)'s assertion: the write was made.
      t.assert.equal(fs.readFileSync(dest, 'utf8'), 'hello world\n')
      // In place of the fake fs.fsyncSync's: it was fsynced.
      t.assert.ok(writtenBack(dest), 'written back (fsynced) when the flush cb is called')

      process.nextTick(() => {
        // to make sure fsync is not called as well
        t.assert.ok('nextTick after flush called')
        end()
      })
    })
  }, { timeout: 3000 })

  test(`call flush cb even when have no data (sync: '${sync}')`, (t, end) => {
    t.plan(2)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')

      stream.flush((err: Error | null | undefined) => {
        if (err) t.assert.fail(err as never)
        else t.assert.ok('flush cb called')
        end()
      })
    })
  }, { timeout: 3000 })

  test(`call flush cb even when minLength is 0 (sync: '${sync}')`, (t, end) => {
    t.plan(1)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 0, sync })

    stream.flush((err: Error | null | undefined) => {
      if (err) t.assert.fail(err as never)
      else t.assert.ok('flush cb called')
      end()
    })
  }, { timeout: 3000 })

  test(`call flush cb with an error when trying to flush destroyed stream (sync: '${sync}')`, (t, end) => {
    t.plan(1)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })
    stream.destroy()

    stream.flush((err: Error | null | undefined) => {
      if (err) t.assert.ok(err)
      else t.assert.fail('flush cb called without an error')
      end()
    })
  }, { timeout: 3000 })

  // Ported with a real write failure for the fake's one (see the top of the
  // file): a FIFO without a reader, EPIPE; the fake fs.write(Sync)'s own
  // assertion is not kept (t.plan(4), theirs 5). sonic-boom's flush(cb)
  // listens for 'error' while it waits: an 'error' emitted with no listener
  // would be thrown, uncaught, hence uncaughtAsFailure().
  test(`call flush cb with an error when failed to flush (sync: '${sync}')`, uncaughtAsFailure(3000, (t, end) => {
    t.plan(4)

    const dest = file()
    execFileSync('mkfifo', [dest])
    // A reader while the writer opens (an open for writing waits for one), then none.
    const gone = fs.openSync(dest, O_RDONLY | O_NONBLOCK)
    const fd = fs.openSync(dest, 'w')
    fs.closeSync(gone)
    let reader: number | undefined
    const stream: Stream = new SonicBoom({
      fd,
      sync,
      minLength: 4096
    })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))
    stream.flush((err: NodeJS.ErrnoException | null | undefined) => {
      if (err) t.assert.equal(err.code, 'EPIPE')
      else t.assert.fail('flush cb called without an error')
      // As the fake gives the real fs.write(Sync) back: a reader again.
      reader = fs.openSync(dest, O_RDONLY | O_NONBLOCK)
    })

    stream.end()

    stream.on('close', () => {
      if (reader !== undefined) fs.closeSync(reader)
      t.assert.ok('close emitted')
      end()
    })
  }), { timeout: 3000 })

  // Ported without the fake fs.open (see the top of the file): the write and
  // flush are made in the tick after the constructor, while its open is in
  // flight; the fake's own assertion becomes "not ready yet".
  test(`call flush cb when writing and trying to flush before ready (on async) (sync: '${sync}')`, (t, end) => {
    t.plan(4)

    const dest = file()
    const stream: Stream = new SonicBoom({
      fd: dest,
      // only async as sync is part of the constructor so the user will not be able to call write/flush
      // before ready
      sync: false,

      // to not trigger write without calling flush
      minLength: 4096
    })

    let ready = false
    stream.on('ready', () => {
      ready = true
      t.assert.ok('ready emitted')
    })

    process.nextTick(() => {
      // try writing and flushing before ready and in the middle of opening
      t.assert.ok(!ready, 'not ready yet: the open is in flight')
      t.assert.ok(stream.write('hello world\n'))

      // calling flush
      stream.flush((err: Error | null | undefined) => {
        if (err) t.assert.fail(err as never)
        else t.assert.ok('flush cb called')
        end()
      })
    })
  }, { timeout: 3000 })
}
