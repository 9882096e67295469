// npm run test:stress: the long tests under test/stress/ (the 1M-op soak),
// once per engine, with --expose-gc so that memory is sampled after a full
// collection. Not part of npm test (about 15 s per engine); CI runs both.
// Extra arguments go to every tap run.
'use strict'
const { spawnSync } = require('node:child_process')
const { join } = require('node:path')

const root = join(__dirname, '..')
const tap = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
const engines = require('./engines').engines(root)

const failing = []
for (const engine of engines) {
  console.log(`\n# ===== stress, engine: ${engine} =====`)
  const run = spawnSync(process.execPath, [tap, '--disable-coverage', '--node-arg=--expose-gc', '--timeout=600',
    'test/stress/*.ts', ...process.argv.slice(2)], {
    cwd: root, env: { ...process.env, AIO_BACKEND: engine }, stdio: 'inherit'
  })
  if (run.status !== 0) failing.push(engine)
}
console.log(`\n# stress: engines run: ${engines.join(', ')}${failing.length ? `; failing: ${failing.join(', ')}` : '; all passed'}`)
process.exitCode = failing.length === 0 ? 0 : 1
