// LogWriter under SIGKILL: a child process writes with durability 'data'
// and is killed at random moments; every line a resolved flush()
// acknowledged must be in the file. (A file of its own: it takes a while.)
import t from 'tap'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { backend, killWhenReady, logLine, logLines, scratchDir } from './helpers'

const child = join(__dirname, 'fixtures', 'log_child.ts')

t.test(`lines a resolved flush() acknowledged survive SIGKILL (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const TRIALS = 20
  for (let trial = 0; trial < TRIALS; trial++) {
    const path = join(dir, `kill-${trial}.log`)
    const env = { ...process.env, LOG_CHILD: JSON.stringify({ mode: 'kill', dest: path }) }
    const { ended, stderr } = await killWhenReady([...process.execArgv, child], env, 20)
    t.equal(ended, 'SIGKILL', stderr)
    const acks = readFileSync(`${path}.acks`, 'utf8')
    const acked = Math.max(0, ...[...acks.matchAll(/acked (\d+)/g)].map((m) => Number(m[1])))
    const text = readFileSync(path, 'utf8')
    const expected = logLines(0, acked)
    if (text.slice(0, expected.length) !== expected) {
      t.fail(`trial ${trial}: the first ${acked} lines are not all there`)
    }
    t.ok(acked > 0, `trial ${trial}: ${acked} lines acknowledged, ${text.length} bytes on disk`)
    rmSync(path)
    rmSync(`${path}.acks`)
  }
})
