// Ported from sonic-boom 5.0.2 (pinojs/sonic-boom, MIT, Matteo Collina
// and contributors; the peer's node_modules/sonic-boom/test), its
// test/reopen.test.js: 8d30006's tests and the one 5.0.2 adds; the same tests, the stream made by
// the harness's SonicBoom (LogWriter, or sonic-boom with PARITY_PEER=node).
//
// sonic-boom's `for (const sync in [true, false])` is kept as it is: `sync`
// is the string '0', then '1' (both truthy: sonic-boom's sync mode both
// times); the titles say which iteration, to tell them apart.
//
// 'reopen throws an error' made the reopen's fs.open / fs.openSync fail
// through proxyquire; LogWriter opens through the project's engine, not fs,
// so here the open fails for real: once dest is renamed away, a directory
// is put in its place (opening it for writing: EISDIR). The fake's "fake
// fs.openSync called" assertion becomes one that the directory is there.
//
// 'reopen does not emit drain while a write is in flight' (sonic-boom
// 5.0.2) put off, through proxyquire, the write to the reopened file by a
// setImmediate; here that write waits for real: the reopened path is a
// FIFO whose reader (this process's) has let it fill (fullFifo()), so the
// write blocks until a timer reads a page of it, 50 ms after 'ready'. Its
// `fs.readFile(after)` becomes what is in the pipe past the fill.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { test, SonicBoom, file } from './common'

const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants
const PAGE = 4096

function unlessEAGAIN (error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error
}

/** A FIFO at `path` with a reader (reads only when told) and a writer `fd` of this process's, filled: no room. */
function fullFifo (path: string): { reader: number, fd: number, fill: number } {
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
  return { reader, fd, fill }
}

/** What is in the pipe now (a writer is still open: up to EAGAIN). */
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

  test(`reopen (sync: ${sync})`, (t, end) => {
    t.plan(9)

    const dest = file()
    const stream = new SonicBoom({ dest, sync })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    const after = dest + '-moved'

    stream.once('drain', () => {
      t.assert.ok('drain emitted')

      fs.renameSync(dest, after)
      stream.reopen()

      stream.once('ready', () => {
        t.assert.ok('ready emitted')
        t.assert.ok(stream.write('after reopen\n'))

        stream.once('drain', () => {
          fs.readFile(after, 'utf8', (err, data) => {
            t.assert.ifError(err)
            t.assert.equal(data, 'hello world\nsomething else\n')
            fs.readFile(dest, 'utf8', (err, data) => {
              t.assert.ifError(err)
              t.assert.equal(data, 'after reopen\n')
              stream.end()
              end()
            })
          })
        })
      })
    })
  }, { timeout: 3000 })

  test(`reopen with buffer (sync: ${sync})`, (t, end) => {
    t.plan(9)

    const dest = file()
    const stream = new SonicBoom({ dest, minLength: 4096, sync })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    const after = dest + '-moved'

    stream.once('ready', () => {
      t.assert.ok('drain emitted')

      stream.flush()
      fs.renameSync(dest, after)
      stream.reopen()

      stream.once('ready', () => {
        t.assert.ok('ready emitted')
        t.assert.ok(stream.write('after reopen\n'))
        stream.flush()

        stream.once('drain', () => {
          fs.readFile(after, 'utf8', (err, data) => {
            t.assert.ifError(err)
            t.assert.equal(data, 'hello world\nsomething else\n')
            fs.readFile(dest, 'utf8', (err, data) => {
              t.assert.ifError(err)
              t.assert.equal(data, 'after reopen\n')
              stream.end()
              end()
            })
          })
        })
      })
    })
  }, { timeout: 3000 })

  test(`reopen if not open (sync: ${sync})`, (t, end) => {
    t.plan(3)

    const dest = file()
    const stream = new SonicBoom({ dest, sync })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    stream.reopen()

    stream.end()
    stream.on('close', function () {
      t.assert.ok('ended')
      end()
    })
  }, { timeout: 3000 })

  test(`reopen with file (sync: ${sync})`, (t, end) => {
    t.plan(10)

    const dest = file()
    const stream = new SonicBoom({ dest, minLength: 0, sync })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    const after = dest + '-new'

    stream.once('drain', () => {
      t.assert.ok('drain emitted')

      stream.reopen(after)
      t.assert.equal(stream.file, after)

      stream.once('ready', () => {
        t.assert.ok('ready emitted')
        t.assert.ok(stream.write('after reopen\n'))

        stream.once('drain', () => {
          fs.readFile(dest, 'utf8', (err, data) => {
            t.assert.ifError(err)
            t.assert.equal(data, 'hello world\nsomething else\n')
            fs.readFile(after, 'utf8', (err, data) => {
              t.assert.ifError(err)
              t.assert.equal(data, 'after reopen\n')
              stream.end()
              end()
            })
          })
        })
      })
    })
  }, { timeout: 3000 })

  test(`reopen throws an error (sync: ${sync})`, (t, end) => {
    t.plan(sync ? 10 : 9)

    const dest = file()
    const stream = new SonicBoom({ dest, sync })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    const after = dest + '-moved'

    stream.on('error', () => {
      t.assert.ok('error emitted')
    })

    stream.once('drain', () => {
      t.assert.ok('drain emitted')

      fs.renameSync(dest, after)
      // In place of the fake fs.openSync (sync) / fs.open that fails: a
      // directory where dest was, for either.
      fs.mkdirSync(dest)
      t.assert.ok(fs.statSync(dest).isDirectory(), 'dest is a directory: opening it fails (EISDIR)')

      if (sync) {
        try {
          stream.reopen()
        } catch (err) {
          t.assert.ok('reopen throwed')
        }
      } else {
        stream.reopen()
      }

      setTimeout(() => {
        t.assert.ok(stream.write('after reopen\n'))

        stream.end()
        stream.on('finish', () => {
          fs.readFile(after, 'utf8', (err, data) => {
            t.assert.ifError(err)
            t.assert.equal(data, 'hello world\nsomething else\nafter reopen\n')
            end()
          })
        })
        stream.on('close', () => {
          t.assert.ok('close emitted')
        })
      }, 0)
    })
  }, { timeout: 3000 })

  test(`reopen emits drain (sync: ${sync})`, (t, end) => {
    t.plan(9)

    const dest = file()
    const stream = new SonicBoom({ dest, sync })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    const after = dest + '-moved'

    stream.once('drain', () => {
      t.assert.ok('drain emitted')

      fs.renameSync(dest, after)
      stream.reopen()

      stream.once('drain', () => {
        t.assert.ok('drain emitted')
        t.assert.ok(stream.write('after reopen\n'))

        stream.once('drain', () => {
          fs.readFile(after, 'utf8', (err, data) => {
            t.assert.ifError(err)
            t.assert.equal(data, 'hello world\nsomething else\n')
            fs.readFile(dest, 'utf8', (err, data) => {
              t.assert.ifError(err)
              t.assert.equal(data, 'after reopen\n')
              stream.end()
              end()
            })
          })
        })
      })
    })
  }, { timeout: 3000 })
}

// A write started by a 'ready' listener after reopen() must complete before
// 'drain' is emitted. Deferring the reopened file's write by one setImmediate
// makes the write land after the nextTick on which reopen() used to emit a
// premature 'drain'. Async mode only: sync mode writes before 'ready'.
// Ported with a real wait for the fake's (see the top of the file).
test('reopen does not emit drain while a write is in flight', (t, end) => {
  t.plan(5)

  const dest = file()
  const after = dest + '-new'
  const pipe = fullFifo(after)

  const stream = new SonicBoom({ dest, minLength: 0, sync: false })

  t.assert.ok(stream.write('hello world\n'))

  stream.once('drain', () => {
    stream.reopen(after)

    stream.once('ready', () => {
      t.assert.ok(stream.write('after reopen\n'))
      // In place of the fake's setImmediate: room in the pipe 50 ms later.
      setTimeout(() => fs.readSync(pipe.reader, Buffer.alloc(PAGE)), 50)

      stream.once('drain', () => {
        t.assert.equal(stream._writing, false)
        // In place of fs.readFile(after): what is in the pipe past the fill.
        let err: Error | null = null
        let data = ''
        try {
          data = rest(pipe.reader).slice(pipe.fill - PAGE)
        } catch (error) {
          err = error as Error
        }
        t.assert.ifError(err)
        t.assert.equal(data, 'after reopen\n')
        // The pipe's ends closed once the stream is (its write has room by then).
        stream.on('close', () => setTimeout(() => {
          fs.closeSync(pipe.fd)
          fs.closeSync(pipe.reader)
        }, 100))
        stream.end()
        end()
      })
    })
  })
}, {
  timeout: 3000
})
