// Ported from Node.js v20.11.1, test/parallel/test-fs-promises-readfile-empty.js
// (MIT, Node.js contributors). `fs` (require('fs').promises) is common.fsp;
// each readFile and the assert its `then` makes is a check of its own (see
// common.ts).
import assert from 'node:assert'
import * as common from './common'

const { fixtures, check } = common
const fs = common.fsp

const fn = fixtures.path('empty.txt')

common.run(async () => {
  await check('fs.readFile(fn).then(assert.ok)', () =>
    fs.readFile(fn)
      .then(assert.ok))

  await check("fs.readFile(fn, 'utf8').then(assert.strictEqual.bind(this, ''))", () =>
    fs.readFile(fn, 'utf8')
      .then(assert.strictEqual.bind(undefined, '')))

  await check("fs.readFile(fn, { encoding: 'utf8' }).then(assert.strictEqual.bind(this, ''))", () =>
    fs.readFile(fn, { encoding: 'utf8' })
      .then(assert.strictEqual.bind(undefined, '')))
})
