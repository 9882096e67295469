// Ported from sonic-boom (MIT, pinojs contributors), test/destroy.test.js at
// 8d30006: each test's body as sonic-boom wrote it; only what constructs the
// stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common). Their
// `for (const sync in [true, false])` gives sync the strings '0' and '1',
// both truthy: sonic-boom runs every test of the loop that passes it in its
// sync mode; the loop's titles end in (sync: '0') and (sync: '1') to keep
// them apart.
import fs from 'node:fs'
import { SonicBoom, file, test, type Stream } from './common'

// Reset the umask for testing
process.umask(0o000)

for (const sync in [true, false]) {
  test(`destroy (sync: '${sync}')`, (t, end) => {
    t.plan(5)

    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, sync })

    stream.on('finish', () => {
      t.assert.fail('finish emitted')
    })

    stream.on('close', () => {
      t.assert.ok('close emitted')

      fs.readFile(dest, 'utf8', function (err, data) {
        t.assert.ifError(err)
        t.assert.equal(data, 'hello world\n')
        end()
      })
    })

    t.assert.ok(stream.write('hello world\n'))
    stream.destroy()
    t.assert.throws(() => { stream.write('hello world\n') })
  }, { timeout: 3000 })

  test(`destroy while opening (sync: '${sync}')`, (t, end) => {
    t.plan(1)

    const dest = file()
    const stream: Stream = new SonicBoom({ dest })

    stream.destroy()
    stream.on('close', () => {
      t.assert.ok('close emitted')
      end()
    })
  }, { timeout: 3000 })
}
