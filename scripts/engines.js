// The engines that work on this machine, of those asked for
// (AIO_BACKEND=… asks for one; default: all). Shared by the scripts that run
// the suite once per engine.
'use strict'
const { spawnSync } = require('node:child_process')

const ENGINES = ['io_uring', 'posix', 'threadpool']

// `dir` holds the package (its dist/ and its addon); `env` is added to the probe's.
function works (engine, dir, env = {}) {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('./dist').AIO.backend)"], {
    cwd: dir, env: { ...process.env, ...env, AIO_BACKEND: engine }, encoding: 'utf8'
  })
  return probe.status === 0 && probe.stdout === engine
}

function engines (dir, env) {
  const wanted = process.env.AIO_BACKEND ? [process.env.AIO_BACKEND] : ENGINES
  const working = wanted.filter((engine) => works(engine, dir, env))
  const skipped = wanted.filter((engine) => !working.includes(engine))
  if (skipped.length > 0) console.log(`# engines not available here: ${skipped.join(', ')}`)
  if (working.length === 0) {
    console.error('no engine works on this machine (is the addon built? run npm ci)')
    process.exit(1)
  }
  return working
}

module.exports = { ENGINES, engines }
