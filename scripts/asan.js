// npm run test:asan: the addon built with -fsanitize=address,undefined and
// the suite (all but the few files named below) run against it, once per
// engine, with the sanitizer runtimes preloaded into node (which is not
// built with them). Any report fails the run.
//
// The normal build is left alone: a mirror of the package in .asan/ (the
// sources, lib/, test/ and config copied, node_modules linked) gets its own
// build/, so lib/binding.ts there loads the sanitized addon.
'use strict'
const { execFileSync, spawnSync } = require('node:child_process')
const { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } = require('node:fs')
const { join } = require('node:path')

const root = join(__dirname, '..')
const mirror = join(root, '.asan')
const tap = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
const nodeGyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

function runtime (name) {
  const path = execFileSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim()
  // gcc prints the bare name back when it has no such file.
  if (!path.startsWith('/') || !existsSync(path)) {
    console.error(`${name} not found (gcc -print-file-name=${name}); install the sanitizer runtimes (libasan8, libubsan1)`)
    process.exit(1)
  }
  return path
}
const preload = [runtime('libasan.so'), runtime('libubsan.so')].join(':')

console.log('# asan: building the addon with -fsanitize=address,undefined in .asan/')
rmSync(mirror, { recursive: true, force: true })
mkdirSync(mirror)
for (const entry of ['binding.gyp', 'native', 'lib', 'test', 'package.json', 'tsconfig.json', '.taprc']) {
  cpSync(join(root, entry), join(mirror, entry), { recursive: true })
}
symlinkSync(join(root, 'node_modules'), join(mirror, 'node_modules'), 'dir')
// Left out of the sanitized runs: the SIGKILL trials (a killed child cannot
// print a report, so they only cost time) and the ports of Node's and
// sonic-boom's tests (argument handling and events in lib/; the native
// paths they reach are the ones test/file_handle*.ts, test/file_streams.ts
// and test/log_writer.ts drive).
const unsanitized = ['test/log_writer_kill.ts', 'test/write_kill.ts', 'test/node/**', 'test/sonic/**']
const taprc = join(mirror, '.taprc')
writeFileSync(taprc, readFileSync(taprc, 'utf8').replace(/^exclude:\n/m,
  (line) => line + unsanitized.map((glob) => `  - "${glob}"\n`).join('')))
const flags = '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -g -O1'
// The headers the normal build used (npm passes its nodedir setting on;
// without one, node-gyp downloads them).
const nodedir = process.env.npm_config_nodedir
execFileSync(process.execPath, [nodeGyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], {
  cwd: mirror,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, CFLAGS: flags, CXXFLAGS: flags, LDFLAGS: '-fsanitize=address,undefined' }
})
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: mirror, stdio: 'inherit' })

const env = {
  ...process.env,
  LD_PRELOAD: [preload, process.env.LD_PRELOAD].filter(Boolean).join(':'),
  // detect_leaks=0: node itself does not free everything at exit (V8's
  // isolate and platform, libuv's loop, OpenSSL), and LeakSanitizer would
  // report those in every process; use-after-free, overflows and
  // double-frees in the addon are still fatal.
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1:halt_on_error=1:print_summary=1',
  UBSAN_OPTIONS: 'halt_on_error=1:abort_on_error=1:print_stacktrace=1'
}
const engines = require('./engines').engines(mirror, env)
const REPORT = /ERROR: AddressSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer/

const failing = []
for (const engine of engines) {
  console.log(`\n# ===== asan, engine: ${engine} =====`)
  const run = spawnSync(process.execPath, [tap, '--disable-coverage', '--timeout=600', ...process.argv.slice(2)], {
    cwd: mirror, env: { ...env, AIO_BACKEND: engine }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024
  })
  process.stdout.write(run.stdout)
  process.stderr.write(run.stderr)
  const reported = REPORT.test(run.stdout) || REPORT.test(run.stderr)
  const summary = /# \{ total: (\d+), pass: (\d+)/.exec(run.stdout)
  console.log(`# asan ${engine}: ${summary ? `${summary[2]} of ${summary[1]} passed` : 'no summary'}; ` +
    `sanitizer reports: ${reported ? 'YES' : 'none'}`)
  if (run.status !== 0 || reported) {
    // Named again at the end, where a truncated log still shows them.
    const notOk = run.stdout.split('\n').filter((line) => /^\s*not ok /.test(line)).map((line) => line.trim())
    failing.push(`${engine} (${run.signal ?? `exit ${run.status}`}${notOk.length ? `: ${notOk.slice(0, 8).join(' | ')}` : ''})`)
  }
}
console.log(`\n# asan: engines run: ${engines.join(', ')}${failing.length ? `; failing: ${failing.join(', ')}` : '; no sanitizer reports, all passed'}`)
process.exitCode = failing.length === 0 ? 0 : 1
