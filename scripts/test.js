#!/usr/bin/env node
// npm test: the whole tap suite, once per engine that works on this machine
// (AIO_BACKEND=io_uring|posix|threadpool). A test that passes on one engine
// and fails on another is a bug in that engine.
//
// Coverage is of lib/ (TypeScript) over all the engines' runs together:
// some paths only an engine can reach (a pipe read io_uring can cancel and
// glibc cannot). Each run keeps its coverage data; `tap report` then checks
// the merged total. Extra arguments go to every tap run (e.g. a test file).
'use strict'
const { spawnSync } = require('node:child_process')
const { cpSync, mkdtempSync, readdirSync, rmSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')

const root = join(__dirname, '..')
const tap = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
const engines = require('./engines').engines(root)

let passed = 0
let failed = 0
let skipped = 0
let todo = 0
const failedEngines = []
const coverage = join(root, '.tap', 'coverage')
const kept = mkdtempSync(join(tmpdir(), 'posix-aio-coverage-'))
engines.forEach((engine) => {
  console.log(`\n# ===== engine: ${engine} =====`)
  const args = [tap, '--allow-incomplete-coverage', ...process.argv.slice(2)]
  const run = spawnSync(process.execPath, args, {
    cwd: root, env: { ...process.env, AIO_BACKEND: engine }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']
  })
  cpSync(coverage, kept, { recursive: true })
  process.stdout.write(run.stdout)
  // tap's closing summary: "# { total: N, pass: N[, fail: N][, …] }"
  const summary = /# \{ total: (\d+), pass: (\d+)(?:, fail: (\d+))?/.exec(run.stdout)
  const total = summary ? Number(summary[1]) : 0
  const pass = summary ? Number(summary[2]) : 0
  // A todo (a known bug, named in the test) is neither passed nor failed.
  const todos = Number(/# \{ total: \d+.*?, todo: (\d+)/.exec(run.stdout)?.[1] ?? 0)
  // A skip (a test for another engine or platform) is neither, too.
  const skips = Number(/# \{ total: \d+.*?, skip: (\d+)/.exec(run.stdout)?.[1] ?? 0)
  passed += pass
  todo += todos
  skipped += skips
  failed += total - pass - todos - skips
  if (run.status !== 0) failedEngines.push(engine)
})

// Every engine's coverage together: 100% of lib/ or the run fails (unless
// only some tests were asked for).
const subset = process.argv.length > 2
console.log('\n# coverage of lib/ across all engines')
cpSync(kept, coverage, { recursive: true })
rmSync(kept, { recursive: true, force: true })
// Captured and written like the runs' output, so it all comes out in order.
const report = spawnSync(process.execPath, [tap, 'report', 'text'], {
  cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit']
})
process.stdout.write(report.stdout)
const covered = subset || (report.status === 0 && readdirSync(coverage).length > 0)
console.log(covered ? '# coverage: complete' : '# coverage: INCOMPLETE')

console.log(`\n# engines run: ${engines.join(', ')}${failedEngines.length ? `; failing: ${failedEngines.join(', ')}` : ''}`)
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}${todo > 0 ? `, ${todo} todo` : ''}`)
// exitCode, not exit(): stdout may be a pipe (CI tees it), and exit() would
// drop whatever is still queued for it.
process.exitCode = failedEngines.length === 0 && covered ? 0 : 1
