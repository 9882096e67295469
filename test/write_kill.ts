// AIO.write(…, { sync: 'data' }) under SIGKILL: a child writes batches of
// files and reports each call that resolved (synchronously, before the next
// one starts); it is killed at a random moment, and every file of every
// reported call must hold its full contents. (A file of its own: it takes
// a while.)
import t from 'tap'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { backend, killWhenReady, scratchDir } from './helpers'

const FILES = 8
const SIZE = 64 * 1024
// The byte file `k` of call `i` is filled with.
const fill = (i: number, k: number): number => (i * FILES + k) % 251

const child = `
  const { writeSync } = require('node:fs')
  const { AIO } = require(${JSON.stringify(require.resolve('../dist/index'))})
  const [dir] = process.argv.slice(1)
  ;(async () => {
    writeSync(2, 'ready\\n')
    for (let i = 0; ; i++) {
      const files = {}
      for (let k = 0; k < ${FILES}; k++) files[dir + '/f' + i + '-' + k] = Buffer.alloc(${SIZE}, (i * ${FILES} + k) % 251)
      await AIO.write(files, { sync: 'data' })
      writeSync(1, 'done ' + i + '\\n')
    }
  })()`

t.test(`files of a resolved AIO.write with sync survive SIGKILL (${backend})`, async (t) => {
  const TRIALS = 20
  let resolved = 0
  for (let trial = 0; trial < TRIALS; trial++) {
    const dir = scratchDir(t)
    // The compiled package: a child that starts in a moment, not through
    // the test runner's TypeScript loader.
    const { ended, stdout: reports, stderr } = await killWhenReady(['-e', child, dir], process.env, 50)
    t.equal(ended, 'SIGKILL', stderr)
    const done = [...reports.matchAll(/done (\d+)/g)].map((m) => Number(m[1]))
    let intact = 0
    for (const i of done) {
      for (let k = 0; k < FILES; k++) {
        const data = readFileSync(join(dir, `f${i}-${k}`))
        if (data.length === SIZE && data.every((byte) => byte === fill(i, k))) intact++
      }
    }
    t.equal(intact, done.length * FILES, `trial ${trial}: ${done.length} calls resolved, ${intact} of their ${done.length * FILES} files whole`)
    resolved += done.length
    rmSync(dir, { recursive: true, force: true })
  }
  t.ok(resolved > TRIALS, `${resolved} calls resolved in ${TRIALS} trials`)
})
