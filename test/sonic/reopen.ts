// Ported from sonic-boom 8d30006 (pinojs/sonic-boom, MIT, Matteo Collina
// and contributors), test/reopen.test.js: the same tests, the stream made by
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
import fs from 'node:fs'
import { test, SonicBoom, file } from './common'

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
