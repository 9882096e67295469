// Ported from sonic-boom (MIT, pinojs contributors), test/minlength.test.js
// at 8d30006: each test's body as sonic-boom wrote it; only what constructs
// the stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common).
import fs from 'node:fs'
import { SonicBoom, file, test, type Stream } from './common'

const MAX_WRITE = 16 * 1024

test('drain deadlock', (t, end) => {
  t.plan(4)

  const dest = file()
  const stream: Stream = new SonicBoom({ dest, sync: false, minLength: 9999 })

  t.assert.ok(stream.write(Buffer.alloc(1500).fill('x').toString()))
  t.assert.ok(stream.write(Buffer.alloc(1500).fill('x').toString()))
  t.assert.ok(!stream.write(Buffer.alloc(MAX_WRITE).fill('x').toString()))
  stream.on('drain', () => {
    t.assert.ok('pass')
    end()
  })
}, { timeout: 3000 })

test('should throw if minLength >= maxWrite', (t) => {
  t.plan(1)
  t.assert.throws(() => {
    const dest = file()
    const fd = fs.openSync(dest, 'w')

    SonicBoom({
      fd,
      minLength: MAX_WRITE
    })
  })
})
