// Ported from sonic-boom (MIT, pinojs contributors), test/flush.test.js of
// sonic-boom 5.0.2 (the peer's, node_modules/sonic-boom/test; 8d30006's
// tests and the ones 5.0.2 adds after them): each test's body as sonic-boom
// wrote it; only what constructs the stream changed (the harness's
// SonicBoom: LogWriter, or sonic-boom with PARITY_PEER=node), the helper's
// and node:test's import (./common), and the message of the error after
// destroy(), which names the stream ('SonicBoom destroyed': DESTROYED, the
// project's 'LogWriter destroyed'). Their first loop,
// `for (const sync in [true, false])`, gives sync the strings '0' and '1',
// both truthy: sonic-boom runs every test of the loop that passes it in its
// sync mode; the loop's titles end in (sync: '0') and (sync: '1') to keep
// them apart. 5.0.2's own loop is `for (const sync of [false, true])`:
// booleans, (sync: false) and (sync: true).
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
// Not ported: end closes the stream after a failed fsync in flush (5.0.2):
//   the fake fs.fsync fails (Error 'flush failed') once; as for "call flush
//   cb with error when fsync failed", no real descriptor's fsync fails so.
// Not ported: flush ignores EBADF / ENOTSUP / EOPNOTSUPP / EROFS from fsync
//   (5.0.2): the fake fs.fsync fails with each code. EBADF for real is a
//   closed descriptor, which fails the write before it; no file system here
//   answers fsync with ENOTSUP, EOPNOTSUPP or EROFS. (EINVAL is ported.)
// Not ported: destroy with a write in flight fails a pending flush if data
//   is left (5.0.2): the fake fs.write writes 5 of 'hello world\n''s 12
//   bytes. A regular file takes a write whole, and a pipe one of at most
//   PIPE_BUF (4096) bytes whole or not at all (EAGAIN): no real 12-byte
//   write is partial.
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
// - flush ignores EINVAL from fsync (5.0.2, one of its loop over codes): the
//   fake fs.fsync fails with EINVAL; here the destination is /dev/null,
//   whose fsync(2) fails with EINVAL.
// - flush fsyncs stdout redirected to a regular file (5.0.2): the child's
//   stream goes through a fake fs.fsync that counts its calls ('1'); here
//   the child (LogWriter or sonic-boom, as this run measures) says its flush
//   cb was called, and the file's bytes are written back (writtenBack())
//   once it has exited.
// - destroy while waiting to retry EAGAIN fails a pending flush (5.0.2): the
//   fake fs.write fails with EAGAIN every time and counts its calls; here the
//   destination is a full non-blocking FIFO (fullPipe()); destroy() comes
//   30 ms after the write (not a setImmediate: a real write's EAGAIN comes
//   back from the thread pool), a page is read from the pipe then, and the
//   fake's count (1: the retry cancelled) becomes: nothing was written past
//   the fill 200 ms later.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { DESTROYED, PEER, SonicBoom, file, test, type Context, type Stream } from './common'

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants
const PAGE = 4096

function unlessEAGAIN (error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
}

/**
 * A FIFO with a reader (this process's: it reads only when told) and a
 * non-blocking writer `fd`, filled: any write fails with EAGAIN until a
 * page is read (flush-sync.ts's fullPipe(0)).
 */
function fullPipe (): { path: string, reader: number, fd: number, fill: number } {
  const path = file()
  execFileSync('mkfifo', [path])
  const reader = fs.openSync(path, O_RDONLY | O_NONBLOCK)
  const fd = fs.openSync(path, O_WRONLY | O_NONBLOCK)
  const page = Buffer.alloc(PAGE, '.')
  let fill = 0
  for (;;) {
    try {
      fill += fs.writeSync(fd, page)
    } catch (error) {
      unlessEAGAIN(error)
      break
    }
  }
  return { path, reader, fd, fill }
}

/** What is in the pipe, read up to its end (or to what is there, if a writer is still open). */
function pipeRest (reader: number): string {
  const chunks: Buffer[] = []
  const chunk = Buffer.alloc(65536)
  for (;;) {
    let n: number
    try {
      n = fs.readSync(reader, chunk)
    } catch (error) {
      unlessEAGAIN(error)
      break
    }
    if (n === 0) break
    chunks.push(Buffer.from(chunk.subarray(0, n)))
  }
  return Buffer.concat(chunks).toString()
}

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

// sonic-boom 5.0.2's tests from here on: `for…of`, so sync is a boolean.
for (const sync of [false, true]) {
  for (const contentMode of ['utf8', 'buffer']) {
    const toData = (str: string): string | Buffer => contentMode === 'buffer' ? Buffer.from(str) : str

    test(`flush with minLength 0 waits for the in-flight write (sync: ${sync}, ${contentMode})`, (t, end) => {
      t.plan(4)

      const dest = file()
      const fd = fs.openSync(dest, 'w')
      const stream: Stream = new SonicBoom({ fd, minLength: 0, sync, contentMode })

      let flushed = false
      t.assert.ok(stream.write(toData('hello world\n')))
      stream.flush((err: Error | null | undefined) => {
        t.assert.ifError(err)
        flushed = true
        t.assert.equal(fs.readFileSync(dest, 'utf8'), 'hello world\n')
        stream.end()
        end()
      })
      // in sync mode the write already completed, so the cb may run synchronously
      t.assert.equal(flushed, sync)
    }, { timeout: 3000 })

    test(`end waits for a pending flush (sync: ${sync}, ${contentMode})`, (t, end) => {
      t.plan(4)

      const dest = file()
      const fd = fs.openSync(dest, 'w')
      const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync, contentMode })

      let flushed = false
      t.assert.ok(stream.write(toData('hello world\n')))
      stream.flush((err: Error | null | undefined) => {
        t.assert.ifError(err)
        flushed = true
      })
      stream.on('close', () => {
        t.assert.ok(flushed, 'flush cb called before close')
        t.assert.equal(fs.readFileSync(dest, 'utf8'), 'hello world\n')
        end()
      })
      stream.end()
    }, { timeout: 3000 })
  }

  test(`concurrent flush calls are all called before close (sync: ${sync})`, (t, end) => {
    t.plan(4)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })

    let count = 0
    t.assert.ok(stream.write('hello world\n'))
    stream.flush((err: Error | null | undefined) => { t.assert.ifError(err); count++ })
    stream.flush((err: Error | null | undefined) => { t.assert.ifError(err); count++ })
    stream.on('close', () => {
      t.assert.equal(count, 2)
      end()
    })
    stream.end()
  }, { timeout: 3000 })

  // Ported with a real condition for the fake's (see the top of the file):
  // the destination is /dev/null, whose fsync(2) fails with EINVAL.
  test(`flush ignores EINVAL from fsync (sync: ${sync})`, (t, end) => {
    t.plan(2)

    const fd = fs.openSync('/dev/null', 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })

    t.assert.ok(stream.write('hello world\n'))
    stream.flush((err: Error | null | undefined) => {
      t.assert.ifError(err)
      stream.end()
      end()
    })
  }, { timeout: 3000 })
}

test('destroy while opening with a pending end does not throw', (t, end) => {
  t.plan(1)

  const stream: Stream = new SonicBoom({ dest: file(), sync: false })
  stream.end()
  stream.destroy()
  stream.on('close', () => {
    t.assert.ok('close emitted')
    end()
  })
}, { timeout: 3000 })

test('destroy while opening marks the stream as destroyed', (t, end) => {
  t.plan(5)

  const stream: Stream = new SonicBoom({ dest: file(), sync: false })
  stream.destroy()
  t.assert.equal(stream.destroyed, true)
  t.assert.throws(() => stream.write('hello world\n'), new RegExp(DESTROYED))
  t.assert.throws(() => stream.end(), new RegExp(DESTROYED))
  stream.flush((err: Error | null | undefined) => {
    t.assert.equal(err?.message, DESTROYED)
  })
  stream.on('close', () => {
    t.assert.ok('close emitted')
    end()
  })
}, {
  timeout: 3000
})

test('destroy while opening fails a pending flush with an error', (t, end) => {
  t.plan(3)

  const stream: Stream = new SonicBoom({ dest: file(), sync: false })
  stream.flush((err: Error | null | undefined) => {
    t.assert.equal(err?.message, DESTROYED)
  })
  stream.on('error', (err: Error) => {
    t.assert.equal(err.message, DESTROYED)
  })
  stream.on('close', () => {
    t.assert.ok('close emitted')
    end()
  })
  stream.destroy()
}, {
  timeout: 3000
})

test('destroy with a write in flight completes a pending flush once the data is written', (t, end) => {
  t.plan(2)

  const dest = file()
  const fd = fs.openSync(dest, 'w')
  const stream: Stream = new SonicBoom({ fd, minLength: 0, sync: false })

  stream.write('hello world\n')
  stream.flush((err: Error | null | undefined) => {
    t.assert.ifError(err)
    t.assert.equal(fs.readFileSync(dest, 'utf8'), 'hello world\n')
    end()
  })
  stream.destroy()
}, { timeout: 3000 })

test('destroy while reopening fails a pending flush', (t, end) => {
  t.plan(2)

  const dest = file()
  const stream: Stream = new SonicBoom({ dest, minLength: 4096, sync: false })

  stream.once('ready', () => {
    stream.write('hello world\n')
    stream.reopen()
    stream.flush((err: Error | null | undefined) => {
      t.assert.equal(err?.message, DESTROYED)
    })
    stream.on('close', () => {
      t.assert.ok('close emitted')
      end()
    })
    stream.destroy()
  })
}, {
  timeout: 3000
})

// Ported with an observation for the fake's (see the top of the file): the
// child is LogWriter or sonic-boom (whichever this run measures), loaded
// with this process's --import of tap's TypeScript loader; the fake's count
// of fs.fsync calls becomes: the file's bytes are written back once the
// child has exited (writtenBack()).
test('flush fsyncs stdout redirected to a regular file', (t) => {
  const dest = file()
  const fd = fs.openSync(dest, 'w')
  const construct = PEER === 'sonic-boom'
    ? 'require(\'sonic-boom\')'
    : `require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'index.ts'))}).LogWriter`
  const script = `
    const SonicBoom = ${construct}
    const stream = new SonicBoom({ fd: 1, minLength: 4096 })
    stream.write('hello world\\n')
    stream.flush((err) => {
      if (err) throw err
      process.stderr.write('flushed')
    })
  `
  const child = spawnSync(process.execPath, [...process.execArgv.filter((arg) => arg.includes('@tapjs/typescript')), '-e', script], {
    cwd: path.join(__dirname, '..', '..'),
    stdio: ['ignore', fd, 'pipe']
  })
  fs.closeSync(fd)
  t.assert.equal(child.status, 0, child.stderr.toString())
  // In place of the fake's fsync count ('1'): the flush cb was called, and the file was fsynced.
  t.assert.equal(child.stderr.toString(), 'flushed')
  t.assert.ok(writtenBack(dest), 'written back (fsynced) by the flush')
  t.assert.equal(fs.readFileSync(dest, 'utf8'), 'hello world\n')
}, { timeout: 10000 })

// Ported with a real EAGAIN for the fake's (see the top of the file).
test('destroy while waiting to retry EAGAIN fails a pending flush', (t, end) => {
  t.plan(2)

  const pipe = fullPipe()
  const fd = pipe.fd
  const stream: Stream = new SonicBoom({ fd, minLength: 0, sync: false })

  stream.on('error', (err: Error) => t.assert.fail(err as never))
  stream.write('hello world\n')
  stream.flush((err: Error | null | undefined) => {
    t.assert.equal(err?.message, DESTROYED)
  })
  // In place of setImmediate (the fake fails in a tick; a real write comes
  // back from the thread pool): 30 ms, the EAGAIN back, its retry 100 ms off.
  setTimeout(() => {
    stream.destroy()
    // Room in the pipe: a retry now would write.
    fs.readSync(pipe.reader, Buffer.alloc(PAGE))
    setTimeout(() => {
      // In place of the fake's count of writes (1): nothing past the fill.
      const written = pipeRest(pipe.reader).length - (pipe.fill - PAGE)
      fs.closeSync(pipe.reader)
      t.assert.equal(written, 0, 'retry cancelled')
      end()
    }, 200)
  }, 30)
}, { timeout: 3000 })
