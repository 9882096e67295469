// Ported from sonic-boom (MIT, pinojs contributors), test/flush-sync.test.js
// of sonic-boom 5.0.2 (the peer's; 8d30006's tests and the ones 5.0.2 adds
// after them): each test's body as sonic-boom wrote it; only what constructs
// the stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common). Their
// `for (const sync in [true, false])` gives sync the strings '0' and '1',
// both truthy: sonic-boom runs the loop's test in its sync mode; its titles
// end in (sync: '0') and (sync: '1') to keep them apart.
//
// Not ported (5.0.2's; they replace sonic-boom's `fs` with proxyquire, and
// no real kernel condition gives what the fake does):
// Not ported: flushSync while an async write is in flight writes the queued
//   data (utf8, buffer): the fake fs.write holds a write's bytes back until
//   the test lets it, so flushSync's bytes land first. A real write in
//   flight that a later one overtakes does not exist: on a blocking pipe the
//   synchronous write would wait behind it (and block the event loop that
//   would drain it), on a non-blocking one it is not in flight but EAGAIN.
// Not ported: flushSync from a 'write' listener writes the remainder of a
//   partial write first (sync: true / false; utf8, buffer): the fake writes
//   5 of 'hello world\n''s 12 bytes. A regular file takes a write whole, a
//   pipe one of at most PIPE_BUF bytes whole or not at all: no real 12-byte
//   write is partial.
//
// Ported with a real EAGAIN for the fake's (these tests replace sonic-boom's
// `fs` with proxyquire, and LogWriter's IO does not go through `fs`): the
// destination is a FIFO opened non-blocking and filled (fullPipe()), so
// fs.writeSync of it fails with EAGAIN until something reads from it, as the
// fake fs.writeSync fails once.
// - retry in flushSync on EAGAIN: the pipe has room for 'hello world\n' (12
//   bytes) and not for 'something else\n' (15), so flushSync meets EAGAIN and
//   retries; a reader (cat, into dest) starts 300 ms later, and dest, past the
//   fill, is what sonic-boom's test reads. The fake's assertion (fs.writeSync
//   called) becomes: flushSync returned only after that reader started.
// - throw error in flushSync on EAGAIN: the pipe is full, so flushSync's
//   write of 'hello world\n' fails with EAGAIN, which retryEAGAIN refuses;
//   then a page is read from the pipe (as the fake gives the real
//   fs.writeSync back) and the second flushSync writes. At 'finish' the
//   rest of the pipe, past the fill, stands for the file sonic-boom's test
//   reads. Their `t.assert.throws(…, err)` expects the fake's own Error; here
//   the real one: `{ code: 'EAGAIN' }`. Not kept: the fake fs.writeSync's and
//   fake fs.fsyncSync's assertions (t.plan(10), theirs 12): fsync of a pipe
//   does nothing to observe (EINVAL, which both writers ignore).
// - flushSync while waiting to retry EAGAIN writes everything in order
//   (5.0.2; utf8, buffer): the fake fs.write always fails with EAGAIN and
//   flushSync's fs.writeSync is the real one; here the pipe is full
//   (fullPipe(0)), the test waits 30 ms for the EAGAIN (not a setImmediate:
//   a real write comes back from the thread pool, not in a tick), and a page
//   is read just before flushSync, so its write goes through. Their
//   fs.readFileSync(dest) is what has come out of the pipe past the fill.
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import { SonicBoom, file, test, type Stream } from './common'

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants
const PAGE = 4096

function unlessEAGAIN (error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
}

/**
 * A FIFO with a reader (this process's: it reads only when told) and a
 * non-blocking writer `fd`, filled with `fill` dots so that `room` bytes
 * (less than a page) are left in its last page and it has no free one: a
 * write of at most `room` bytes goes into that page, a larger one (or any,
 * with room 0) fails with EAGAIN until a page is read.
 */
function fullPipe (room: number): { path: string, reader: number, fd: number, fill: number } {
  const path = file()
  execFileSync('mkfifo', [path])
  const reader = fs.openSync(path, O_RDONLY | O_NONBLOCK)
  const fd = fs.openSync(path, O_WRONLY | O_NONBLOCK)
  const page = Buffer.alloc(PAGE, '.')
  let fill = 0
  // A write of a page (PIPE_BUF: all of it or nothing) takes a page of its own.
  for (;;) {
    try {
      fill += fs.writeSync(fd, page)
    } catch (error) {
      unlessEAGAIN(error)
      break
    }
  }
  if (room > 0) {
    fill -= fs.readSync(reader, Buffer.alloc(PAGE))
    fill += fs.writeSync(fd, page, 0, PAGE - room)
  }
  return { path, reader, fd, fill }
}

/** What is left in the pipe, read up to its end (or to what is there, if a writer is still open). */
function rest (reader: number): string {
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

for (const sync in [true, false]) {
  // Reset the umask for testing
  process.umask(0o000)

  test(`flushSync (sync: '${sync}')`, (t, end) => {
    t.plan(4)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, minLength: 4096, sync })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    stream.flushSync()

    // let the file system settle down things
    setImmediate(function () {
      stream.end()
      const data = fs.readFileSync(dest, 'utf8')
      t.assert.equal(data, 'hello world\nsomething else\n')

      stream.on('close', () => {
        t.assert.ok('close emitted')
        end()
      })
    })
  }, { timeout: 3000 })
}

// A real EAGAIN for the fake's (see the top of the file).
test('retry in flushSync on EAGAIN', (t, end) => {
  t.plan(7)

  const dest = file()
  const pipe = fullPipe(13)
  // The reader: cat opens the FIFO itself and reads it into dest to its end.
  const started = Date.now()
  const cat = spawn('sh', ['-c', 'sleep 0.3; exec cat "$0" > "$1"', pipe.path, dest], { stdio: 'ignore' })
  const catDone = new Promise((resolve) => cat.on('close', resolve))
  const fd = pipe.fd
  const stream: Stream = new SonicBoom({ fd, sync: false, minLength: 0 })

  stream.on('ready', () => {
    t.assert.ok('ready emitted')
  })

  t.assert.ok(stream.write('hello world\n'))

  t.assert.ok(stream.write('something else\n'))

  stream.flushSync()
  // In place of the fake fs.writeSync's assertion: flushSync met EAGAIN and waited for the reader.
  t.assert.ok(Date.now() - started >= 200, 'flushSync returned after the reader started')
  stream.end()

  stream.on('finish', () => {
    void catDone.then(() => fs.readFile(dest, 'utf8', (err, data) => {
      fs.closeSync(pipe.reader)
      t.assert.ifError(err)
      t.assert.equal(data.slice(pipe.fill), 'hello world\nsomething else\n')
      end()
    }))
  })
  stream.on('close', () => {
    t.assert.ok('close emitted')
  })
}, { timeout: 5000 })

// A real EAGAIN for the fake's (see the top of the file).
test('throw error in flushSync on EAGAIN', (t, end) => {
  t.plan(10)

  const pipe = fullPipe(0)
  // Nothing reads the pipe but the test itself: should flushSync retry
  // rather than throw, it would wait forever. This reader empties the pipe
  // after 2 s, so that the test fails instead (killed when it ends).
  const safety = spawn('sh', ['-c', 'sleep 2; exec cat "$0" > /dev/null', pipe.path], { stdio: 'ignore' })
  process.on('exit', () => safety.kill())
  const fd = pipe.fd
  const stream: Stream = new SonicBoom({
    fd,
    sync: false,
    minLength: 1000,
    retryEAGAIN: (err: NodeJS.ErrnoException, writeBufferLen: number, remainingBufferLen: number) => {
      t.assert.equal(err.code, 'EAGAIN')
      t.assert.equal(writeBufferLen, 12)
      t.assert.equal(remainingBufferLen, 0)
      return false
    }
  })

  stream.on('ready', () => {
    t.assert.ok('ready emitted')
  })

  t.assert.ok(stream.write('hello world\n'))
  t.assert.throws(stream.flushSync.bind(stream), { code: 'EAGAIN' }, 'EAGAIN')

  // As the fake gives the real fs.writeSync back: a page read, the pipe has
  // room (EAGAIN: it is empty already, the safety reader has read it).
  try {
    fs.readSync(pipe.reader, Buffer.alloc(PAGE))
  } catch (error) {
    unlessEAGAIN(error)
  }
  t.assert.ok(stream.write('something else\n'))
  stream.flushSync()

  stream.end()

  stream.on('finish', () => {
    // In place of fs.readFile(dest): what is in the pipe past the fill.
    let err: Error | null = null
    let data = ''
    try {
      data = rest(pipe.reader).slice(pipe.fill - PAGE)
    } catch (error) {
      err = error as Error
    }
    safety.kill()
    fs.closeSync(pipe.reader)
    t.assert.ifError(err)
    t.assert.equal(data, 'hello world\nsomething else\n')
    end()
  })
  stream.on('close', () => {
    t.assert.ok('close emitted')
  })
}, { timeout: 5000 })

// sonic-boom 5.0.2's tests from here on.
for (const contentMode of ['utf8', 'buffer']) {
  const toData = (str: string): string | Buffer => contentMode === 'buffer' ? Buffer.from(str) : str

  // A real EAGAIN for the fake's (see the top of the file).
  test(`flushSync while waiting to retry EAGAIN writes everything in order (${contentMode})`, (t, end) => {
    t.plan(5)

    const pipe = fullPipe(0)
    const fd = pipe.fd
    const stream: Stream = new SonicBoom({ fd, minLength: 0, sync: false, contentMode })
    // In place of fs.readFileSync(dest): what has come out of the pipe past the fill.
    let data = ''
    const read = (): string => {
      data += rest(pipe.reader)
      return data.slice(pipe.fill - PAGE)
    }

    stream.on('ready', () => {
      stream.write(toData('hello\n'))
      // Wait for the EAGAIN to schedule the retry (in place of setImmediate:
      // a real write comes back from the thread pool, not in a tick).
      setTimeout(() => {
        t.assert.equal(stream._writing, true)
        stream.write(toData('world\n'))
        // A pending flush() completes once flushSync() takes over the write.
        stream.flush((err: Error | null | undefined) => {
          t.assert.ifError(err)
          stream.on('finish', () => {
            t.assert.equal(read(), 'hello\nworld\n')
            fs.closeSync(pipe.reader)
            end()
          })
          stream.end()
        })
        // As the fake gives the real fs.writeSync to flushSync: room in the pipe.
        fs.readSync(pipe.reader, Buffer.alloc(PAGE))
        stream.flushSync()
        t.assert.equal(stream._writing, false)
        t.assert.equal(read(), 'hello\nworld\n')
      }, 30)
    })
  }, { timeout: 3000 })
}

test('flushSync while reopening writes to the previous file', (t, end) => {
  t.plan(3)

  const dest = file()
  const stream: Stream = new SonicBoom({ dest, minLength: 4096, sync: false })

  stream.once('ready', () => {
    stream.write('before reopen\n')
    stream.reopen()
    t.assert.equal(stream._writing, true)
    stream.flushSync()
    t.assert.equal(fs.readFileSync(dest, 'utf8'), 'before reopen\n')
    stream.once('ready', () => {
      stream.on('finish', () => {
        t.assert.equal(fs.readFileSync(dest, 'utf8'), 'before reopen\n')
        end()
      })
      stream.end()
    })
  })
}, {
  timeout: 3000
})
