// Ported from sonic-boom (MIT, pinojs contributors), test/end.test.js at
// 8d30006: each test's body as sonic-boom wrote it; only what constructs the
// stream changed (the harness's SonicBoom: LogWriter, or sonic-boom with
// PARITY_PEER=node), the helper's and node:test's import (./common). Their
// `for (const sync in [true, false])` gives sync the strings '0' and '1',
// both truthy: sonic-boom runs every test of the loop in its sync mode; the
// loop's titles end in (sync: '0') and (sync: '1') to keep them apart.
//
// 'chunk data accordingly' forks sonic-boom's fixtures/firehose.js, which
// constructs its stream itself (require('..')). Its text is here, in
// firehose(), with the stream constructed as the harness does (sonic-boom,
// or LogWriter through tap's TypeScript loader); the child runs it with
// `node -e`, its stdin, stdout and stderr piped, as fork's { silent: true }.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PEER, SonicBoom, file, test, type Stream } from './common'

const root = join(__dirname, '..', '..')

/** fork(join(__dirname, '..', 'fixtures', 'firehose.js'), { silent: true }) */
function firehose (): ChildProcess {
  const constructor = PEER === 'sonic-boom'
    ? `const SonicBoom = require(${JSON.stringify(require.resolve('sonic-boom'))})`
    : `const { LogWriter: SonicBoom } = require(${JSON.stringify(join(root, 'lib', 'index'))})`
  // sonic-boom's fixtures/firehose.js, but for its require('..').
  const fixture = `'use strict'

${constructor}

const out = new SonicBoom({ fd: process.stdout.fd })
const str = Buffer.alloc(1000).fill('a').toString()

let i = 0

function write () {
  if (i++ === 10) {
    return
  }

  if (out.write(str)) {
    write()
  } else {
    out.once('drain', write)
  }
}

write()
`
  const loader = pathToFileURL(join(root, 'node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs')).href
  const args = PEER === 'sonic-boom' ? ['-e', fixture] : ['--import', loader, '-e', fixture]
  return spawn(process.execPath, args, { cwd: root, stdio: 'pipe', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' } })
}

for (const sync in [true, false]) {
  // Reset the umask for testing
  process.umask(0o000)

  test(`end after reopen (sync: '${sync}')`, (t, end) => {
    t.plan(4)

    const dest = file()
    const stream: Stream = new SonicBoom({ dest, minLength: 4096, sync })

    stream.once('ready', () => {
      t.assert.ok('ready emitted')
      const after = dest + '-moved'
      stream.reopen(after)
      stream.write('after reopen\n')
      stream.on('finish', () => {
        t.assert.ok('finish emitted')
        fs.readFile(after, 'utf8', (err, data) => {
          t.assert.ifError(err)
          t.assert.equal(data, 'after reopen\n')
          end()
        })
      })
      stream.end()
    })
  }, { timeout: 3000 })

  test(`end after 2x reopen (sync: '${sync}')`, (t, end) => {
    t.plan(4)

    const dest = file()
    const stream: Stream = new SonicBoom({ dest, minLength: 4096, sync })

    stream.once('ready', () => {
      t.assert.ok('ready emitted')
      stream.reopen(dest + '-moved')
      const after = dest + '-moved-moved'
      stream.reopen(after)
      stream.write('after reopen\n')
      stream.on('finish', () => {
        t.assert.ok('finish emitted')
        fs.readFile(after, 'utf8', (err, data) => {
          t.assert.ifError(err)
          t.assert.equal(data, 'after reopen\n')
          end()
        })
      })
      stream.end()
    })
  }, { timeout: 3000 })

  test(`end if not ready (sync: '${sync}')`, (t, end) => {
    t.plan(3)

    const dest = file()
    const stream: Stream = new SonicBoom({ dest, minLength: 4096, sync })
    const after = dest + '-moved'
    stream.reopen(after)
    stream.write('after reopen\n')
    stream.on('finish', () => {
      t.assert.ok('finish emitted')
      fs.readFile(after, 'utf8', (err, data) => {
        t.assert.ifError(err)
        t.assert.equal(data, 'after reopen\n')
        end()
      })
    })
    stream.end()
  }, { timeout: 3000 })

  test(`chunk data accordingly (sync: '${sync}')`, (t, end) => {
    t.plan(2)

    const child = firehose()
    const str = Buffer.alloc(10000).fill('a').toString()

    let data = ''

    child.stdout!.on('data', function (chunk) {
      data += chunk.toString()
    })

    child.stdout!.on('end', function () {
      t.assert.equal(data, str)
    })

    child.on('close', function (code) {
      t.assert.equal(code, 0)
      end()
    })
  })
}
