// Ported from sonic-boom (MIT, pinojs contributors), test/periodicflush.test.js
// at 8d30006: each test's body as sonic-boom wrote it; only what constructs
// the stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common), and
// FakeTimers' (below). Their `for (const sync in [true, false])` gives sync
// the strings '0' and '1', both truthy: sonic-boom runs every test of the
// loop in its sync mode; the loop's titles end in (sync: '0') and
// (sync: '1') to keep them apart.
//
// FakeTimers: sonic-boom's tests take @sinonjs/fake-timers, which is not
// among the project's dev dependencies. The same calls here go to
// node:test's mock.timers (Node >= 20.4; it prints an ExperimentalWarning):
// install() fakes setTimeout, setInterval, setImmediate (and their clear
// functions) and Date, from 0 as fake-timers' does; tick(ms) runs what falls
// due, in order; uninstall() drops what is still pending, as fake-timers'.
// A test whose body throws before its clock.uninstall() (a constructor that
// refuses an option) would leave the clock installed for the tests after it,
// and the harness's own timers with it: withClock() uninstalls it then.
import fs from 'node:fs'
import { mock } from 'node:test'
import { SonicBoom, file, test, type Context, type Stream } from './common'

interface Clock {
  tick: (ms: number) => void
  uninstall: () => void
}

let installed: Clock | undefined

/** @sinonjs/fake-timers' install(), tick() and uninstall(), on node:test's mock.timers. */
const FakeTimers = {
  install (): Clock {
    mock.timers.enable()
    const clock: Clock = {
      tick: (ms) => mock.timers.tick(ms),
      uninstall: () => {
        if (installed !== clock) return
        installed = undefined
        mock.timers.reset()
      }
    }
    installed = clock
    return clock
  }
}

/** The test, and the clock uninstalled should it throw before its body does. */
function withClock (fn: (t: Context, end: () => void) => void): (t: Context, end: () => void) => void {
  return (t, end) => {
    try {
      fn(t, end)
    } finally {
      installed?.uninstall()
    }
  }
}

for (const sync in [true, false]) {
  // Reset the umask for testing
  process.umask(0o000)

  test(`periodicflush_off (sync: '${sync}')`, withClock((t, end) => {
    t.plan(4)

    const clock = FakeTimers.install()
    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, sync, minLength: 5000 })

    t.assert.ok(stream.write('hello world\n'))

    setTimeout(function () {
      fs.readFile(dest, 'utf8', function (err, data) {
        t.assert.ifError(err)
        t.assert.equal(data, '')

        stream.destroy()
        t.assert.ok('file empty')
        end()
      })
    }, 2000)

    clock.tick(2000)
    clock.uninstall()
  }), { timeout: 3000 })

  test(`periodicflush_on (sync: '${sync}')`, withClock((t, end) => {
    t.plan(4)

    const clock = FakeTimers.install()
    const dest = file()
    const fd = fs.openSync(dest, 'w')
    const stream: Stream = new SonicBoom({ fd, sync, minLength: 5000, periodicFlush: 1000 })

    t.assert.ok(stream.write('hello world\n'))

    setTimeout(function () {
      fs.readFile(dest, 'utf8', function (err, data) {
        t.assert.ifError(err)
        t.assert.equal(data, 'hello world\n')

        stream.destroy()
        t.assert.ok('file not empty')
        end()
      })
    }, 2000)

    clock.tick(2000)
    clock.uninstall()
  }), { timeout: 3000 })
}
