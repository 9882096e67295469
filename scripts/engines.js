// The engines that work on this machine, of those asked for
// (AIO_BACKEND=… asks for one; default: every engine in the addon's
// registry). Shared by the scripts that run the suite once per engine.
'use strict'
const { spawnSync } = require('node:child_process')

// Each probe is a child process: the sanitized build loads only with its
// runtimes preloaded (`env`), which this process does not have.
function probe (dir, env, code, extra = {}) {
  return spawnSync(process.execPath, ['-e', code], {
    cwd: dir, env: { ...process.env, ...env, ...extra }, encoding: 'utf8'
  })
}

// The registry's names, in the order the addon tries them.
function registry (dir, env) {
  const run = probe(dir, env, "process.stdout.write(JSON.stringify(require('./dist/binding').native.engines))")
  if (run.status !== 0) {
    console.error(`cannot load the addon (is it built? run npm ci):\n${run.stderr}`)
    process.exit(1)
  }
  return JSON.parse(run.stdout)
}

// `dir` holds the package (its dist/ and its addon); `env` is added to the probes'.
function works (engine, dir, env) {
  const run = probe(dir, env, "process.stdout.write(require('./dist').AIO.backend)", { AIO_BACKEND: engine })
  return run.status === 0 && run.stdout === engine
}

function engines (dir, env = {}) {
  const wanted = process.env.AIO_BACKEND ? [process.env.AIO_BACKEND] : registry(dir, env)
  const working = wanted.filter((engine) => works(engine, dir, env))
  const skipped = wanted.filter((engine) => !working.includes(engine))
  if (skipped.length > 0) console.log(`# engines not available here: ${skipped.join(', ')}`)
  if (working.length === 0) {
    console.error('no engine works on this machine (is the addon built? run npm ci)')
    process.exit(1)
  }
  return working
}

module.exports = { engines }
