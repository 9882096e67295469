// Ported from sonic-boom (MIT, pinojs contributors), test/mode.test.js at
// 8d30006: each test's body as sonic-boom wrote it; only what constructs the
// stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common). Their
// `for (const sync in [true, false])` gives sync the strings '0' and '1',
// both truthy: sonic-boom runs every test of the loop in its sync mode; the
// loop's titles end in (sync: '0') and (sync: '1') to keep them apart.
// Their node:test option { skip: isWindows } is not passed (the harness has
// no skip, and the project runs on POSIX systems only); isWindows is kept,
// for the body of 'mode on append'.
import fs from 'node:fs'
import path from 'node:path'
import { SonicBoom, file, test, type Stream } from './common'

const isWindows = process.platform === 'win32'

for (const sync in [true, false]) {
  // Reset the umask for testing
  process.umask(0o000)

  test(`mode (sync: '${sync}')`, (t, end) => {
    t.plan(6)

    const dest = file()
    const mode = 0o666
    const stream: Stream = new SonicBoom({ dest, sync, mode })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    stream.end()

    stream.on('finish', () => {
      fs.readFile(dest, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'hello world\nsomething else\n')
        t.assert.equal(fs.statSync(dest).mode & 0o777, stream.mode)
        end()
      })
    })
  }, { timeout: 3000 })

  test(`mode default (sync: '${sync}')`, (t, end) => {
    t.plan(6)

    const dest = file()
    const defaultMode = 0o666
    const stream: Stream = new SonicBoom({ dest, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))
    t.assert.ok(stream.write('something else\n'))

    stream.end()

    stream.on('finish', () => {
      fs.readFile(dest, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'hello world\nsomething else\n')
        t.assert.equal(fs.statSync(dest).mode & 0o777, defaultMode)
        end()
      })
    })
  }, { timeout: 3000 })

  test(`mode on mkdir (sync: '${sync}')`, (t, end) => {
    t.plan(5)

    const dest = path.join(file(), 'out.log')
    const mode = 0o666
    const stream: Stream = new SonicBoom({ dest, mkdir: true, mode, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('hello world\n'))

    stream.flush()

    stream.on('drain', () => {
      fs.readFile(dest, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'hello world\n')
        t.assert.equal(fs.statSync(dest).mode & 0o777, stream.mode)
        stream.end()
        end()
      })
    })
  }, { timeout: 3000 })

  test(`mode on append (sync: '${sync}')`, (t, end) => {
    t.plan(5)

    const dest = file()
    fs.writeFileSync(dest, 'hello world\n', 'utf8', 0o422 as never)
    const mode = isWindows ? 0o444 : 0o666
    const stream: Stream = new SonicBoom({ dest, append: false, mode, sync })

    stream.on('ready', () => {
      t.assert.ok('ready emitted')
    })

    t.assert.ok(stream.write('something else\n'))

    stream.flush()

    stream.on('drain', () => {
      fs.readFile(dest, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'something else\n')
        t.assert.equal(fs.statSync(dest).mode & 0o777, stream.mode)
        stream.end()
        end()
      })
    })
  }, { timeout: 3000 })
}
