#!/usr/bin/env node
// npm test: the whole tap suite, once per engine that works on this machine
// (AIO_BACKEND=io_uring|posix|threadpool). A test that passes on one engine
// and fails on another is a bug in that engine.
//
// Coverage is of lib/ (TypeScript), which is the same code whatever the
// engine; tap enforces it on the first engine's run and the other runs are
// behaviour-only. Extra arguments go to every tap run (e.g. a test file).
'use strict'
const { spawnSync } = require('node:child_process')
const { join } = require('node:path')

const root = join(__dirname, '..')
const tap = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
const ENGINES = ['io_uring', 'posix', 'threadpool']

function works (engine) {
  const probe = spawnSync(process.execPath, ['-e', "process.stdout.write(require('./dist').AIO.backend)"], {
    cwd: root, env: { ...process.env, AIO_BACKEND: engine }, encoding: 'utf8'
  })
  return probe.status === 0 && probe.stdout === engine
}

const wanted = process.env.AIO_BACKEND ? [process.env.AIO_BACKEND] : ENGINES
const engines = wanted.filter(works)
const skipped = wanted.filter((engine) => !engines.includes(engine))
if (skipped.length > 0) console.log(`# engines not available here: ${skipped.join(', ')}`)
if (engines.length === 0) {
  console.error('no engine works on this machine (is the addon built? run npm ci)')
  process.exit(1)
}

let passed = 0
let failed = 0
const failedEngines = []
engines.forEach((engine, i) => {
  console.log(`\n# ===== engine: ${engine} =====`)
  const args = [tap, ...(i === 0 ? [] : ['--disable-coverage']), ...process.argv.slice(2)]
  const run = spawnSync(process.execPath, args, {
    cwd: root, env: { ...process.env, AIO_BACKEND: engine }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']
  })
  process.stdout.write(run.stdout)
  // tap's closing summary: "# { total: N, pass: N[, fail: N][, …] }"
  const summary = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(run.stdout)
  const total = summary ? Number(summary[1]) : 0
  const pass = summary ? Number(summary[2]) : 0
  passed += pass
  failed += total - pass
  if (run.status !== 0) failedEngines.push(engine)
})

console.log(`\n# engines run: ${engines.join(', ')}${failedEngines.length ? `; failing: ${failedEngines.join(', ')}` : ''}`)
console.log(`${passed} passed, ${failed} failed`)
process.exit(failedEngines.length === 0 ? 0 : 1)
