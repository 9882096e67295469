#!/usr/bin/env node
// node scripts/parity.js [tap arguments, e.g. a file of test/node/ or test/sonic/]
//
// A peer's own tests, ported, run against the peer (PARITY_PEER=node) and
// against the project once per engine (AIO_BACKEND=io_uring, posix,
// threadpool); then a table of checks passed, failed and in all per run,
// and every check that fails on an engine. test/node/: Node's tests of
// FileHandle and fs.promises (the peer: Node's own); test/sonic/:
// sonic-boom's tests (the peer: sonic-boom, against LogWriter).
//
// A check is one top-level assertion of a ported file (see
// test/node/common.ts, test/sonic/common.ts). Counted from tap's TAP output: `ok` is passed;
// `not ok` is failed, a todo one (`not ok … # TODO why`, which tap itself
// does not count as a failure) included. `ok … # TODO` is a check that
// passes although it is marked todo: counted as passed, and listed, since
// its todo can go. The runs are sequential, one test file at a time.
'use strict'
const { spawnSync } = require('node:child_process')
const { join } = require('node:path')
const { pathToFileURL } = require('node:url')

const root = join(__dirname, '..')
const tap = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs')
const tsImport = pathToFileURL(join(root, 'node_modules', '@tapjs', 'typescript', 'dist', 'esm', 'import.mjs')).href
const ENGINES = ['io_uring', 'posix', 'threadpool']
const SEPARATOR = '⟶' // test/node/common.ts: between a failed check's title and why
const targets = process.argv.length > 2 ? process.argv.slice(2) : ['test/node/']
// test/sonic/ holds sonic-boom's tests: their peer is sonic-boom itself.
const PEER = targets.every((target) => target.startsWith('test/sonic')) ? 'sonic-boom' : 'node (fs.promises)'

// Whether AIO_BACKEND=engine works here (lib/ through tap's TypeScript loader).
function available (engine) {
  const run = spawnSync(process.execPath, ['--import', tsImport, '-e',
    "process.stdout.write(require('./lib/index').AIO.backend)"], {
    cwd: root, env: { ...process.env, AIO_BACKEND: engine, TS_NODE_TRANSPILE_ONLY: '1' }, encoding: 'utf8'
  })
  return run.status === 0 && run.stdout === engine
    ? true
    : (run.stderr.split('\n').find((line) => /Error/.test(line)) ?? `exit ${run.status}`).trim()
}

// One line of a check: `    ok 12 - [engine] title[ ⟶ why][ # TODO reason]`.
const CHECK = /^ {4}(not )?ok \d+ - (.*)$/
// tap escapes a '#' in a name as '\#'; an unescaped ' # ' starts the directive.
const DIRECTIVE = /(?<!\\) # (TODO|SKIP)\b ?(.*)$/

function parse (stdout) {
  const checks = []
  const files = []
  let file = '?'
  for (const line of stdout.split('\n')) {
    const subtest = /^# Subtest: (.*)$/.exec(line)
    if (subtest) { file = subtest[1]; continue }
    const fileEnd = /^(not )?ok \d+ - (\S+)/.exec(line)
    if (fileEnd) { files.push({ file: fileEnd[2], ok: !fileEnd[1], skip: / # SKIP/.test(line) }); continue }
    // The file's own diagnostics, after its `not ok`: how its process ended.
    const ended = /^ {2}(exitCode|signal): (.*)$/.exec(line)
    if (ended && files.length > 0) { files[files.length - 1][ended[1]] = ended[2]; continue }
    const m = CHECK.exec(line)
    if (!m) continue
    let name = m[2]
    let directive
    const d = DIRECTIVE.exec(name)
    if (d) {
      directive = { kind: d[1], reason: d[2] }
      name = name.slice(0, d.index)
    }
    let why
    const at = name.indexOf(` ${SEPARATOR} `)
    if (at >= 0) {
      why = name.slice(at + SEPARATOR.length + 2)
      name = name.slice(0, at)
    }
    name = name.replace(/^\[[^\]]*\] /, '').replace(/\\#/g, '#')
    checks.push({
      file: file.replace(/^test\/(node|sonic)\//, ''),
      title: name,
      ok: !m[1],
      todo: directive?.kind === 'TODO' ? directive.reason : undefined,
      skip: directive?.kind === 'SKIP',
      why
    })
  }
  return { checks, files }
}

function runTap (name, env) {
  const args = [tap, '--disable-coverage', '--reporter=tap', '--jobs=1', ...targets]
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024
  })
  const { checks, files } = parse(run.stdout ?? '')
  // A file that ended other than by its checks: a signal, an exit code
  // other than tap's 1 for failures, or a failure with no failed check.
  const crashed = files.filter((f) => !f.ok && ((f.signal !== undefined && f.signal !== 'null') ||
    (f.exitCode !== undefined && f.exitCode !== '1' && f.exitCode !== '0') ||
    !checks.some((c) => c.file === f.file.replace(/^test\/(node|sonic)\//, '') && !c.ok && c.todo === undefined)))
  return { name, status: run.status, checks, files, crashed, stderr: run.stderr ?? '' }
}

// What was measured: the commit, lib/ and native/ as they are, the addon.
// Others may change the tree while the runs go on; compared at the end.
function tree () {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? ''
  const diff = spawnSync('git', ['diff', 'HEAD', '--', 'lib', 'native'], { cwd: root, encoding: 'utf8' }).stdout ?? ''
  let addon = 'absent'
  try {
    const { mtime, size } = require('node:fs').statSync(join(root, 'build', 'Release', 'posix_aio.node'))
    addon = `${size} bytes, ${mtime.toISOString()}`
  } catch {}
  const untracked = git('ls-files', '--others', '--exclude-standard', '--', 'lib', 'native')
  return { head: git('rev-parse', '--short', 'HEAD'), diff: require('node:crypto').createHash('sha1').update(diff + untracked).digest('hex').slice(0, 12), dirty: diff !== '' || untracked !== '', addon }
}
const before = tree()
console.log(`# tree: ${before.head}${before.dirty ? ` + uncommitted lib/native changes (${before.diff})` : ''}; addon build/Release/posix_aio.node: ${before.addon}`)

const runs = []
console.log(`# ${targets.join(' ')}: ${PEER}, then the project on each engine`)
process.stdout.write(`# run: ${PEER} (PARITY_PEER=node) … `)
runs.push(runTap('node', { PARITY_PEER: 'node', AIO_BACKEND: '' }))
console.log('done')
for (const engine of ENGINES) {
  const works = available(engine)
  if (works !== true) {
    console.log(`# run: ${engine}: not available here (${works})`)
    runs.push({ name: engine, unavailable: works, checks: [], files: [], crashed: [] })
    continue
  }
  process.stdout.write(`# run: ${engine} (AIO_BACKEND=${engine}) … `)
  runs.push(runTap(engine, { AIO_BACKEND: engine, PARITY_PEER: '' }))
  console.log('done')
}

// ---------------------------------------------------------------- table

const rows = runs.map((run) => {
  const checks = run.checks.filter((c) => !c.skip)
  const passed = checks.filter((c) => c.ok).length
  const failed = checks.length - passed
  return {
    run: run.name === 'node' ? PEER : run.name,
    passed: run.unavailable ? '-' : passed,
    failed: run.unavailable ? '-' : failed,
    'of which todo': run.unavailable ? '-' : checks.filter((c) => !c.ok && c.todo !== undefined).length,
    total: run.unavailable ? '-' : checks.length,
    'todo, passes now': run.unavailable ? '-' : checks.filter((c) => c.ok && c.todo !== undefined).length,
    'files crashed': run.unavailable ? '-' : run.crashed.length
  }
})
console.log()
const columns = Object.keys(rows[0])
const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)))
const line = (cells) => '| ' + cells.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ') + ' |'
console.log(line(columns))
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|')
for (const row of rows) console.log(line(columns.map((c) => row[c])))
console.log('\n(failed counts todo checks too: `not ok … # TODO`; "todo, passes now": marked todo, yet passing)')

// ---------------------------------------------------------------- details

for (const run of runs) {
  if (run.unavailable) continue
  const failing = run.checks.filter((c) => !c.ok && !c.skip)
  const stale = run.checks.filter((c) => c.ok && c.todo !== undefined)
  if (failing.length === 0 && stale.length === 0 && run.crashed.length === 0) continue
  console.log(`\n## ${run.name}: ${failing.length} failing`)
  let file
  for (const c of failing) {
    if (c.file !== file) { file = c.file; console.log(`  ${file}`) }
    console.log(`    ✗ ${c.title}`)
    if (c.why) console.log(`        why: ${c.why}`)
    if (c.todo !== undefined) console.log(`        todo: ${c.todo}`)
  }
  for (const c of stale) console.log(`    ✓ passes, still marked todo (${c.todo}): ${c.file}: ${c.title}`)
  for (const f of run.crashed) console.log(`    ! ${f.file} ended badly (crash, timeout or unfinished): see its TAP output`)
}

// Checks whose outcome differs between the engines: an engine bug.
const engineRuns = runs.filter((r) => r.name !== 'node' && !r.unavailable)
if (engineRuns.length > 1) {
  const key = (c) => `${c.file}\u0000${c.title}`
  const outcomes = new Map()
  for (const run of engineRuns) {
    for (const c of run.checks) {
      if (!outcomes.has(key(c))) outcomes.set(key(c), {})
      outcomes.get(key(c))[run.name] = c.ok
    }
  }
  const differing = [...outcomes].filter(([, byEngine]) => new Set(Object.values(byEngine)).size > 1 ||
    Object.keys(byEngine).length !== engineRuns.length)
  console.log(`\n## checks whose outcome differs between engines: ${differing.length}`)
  for (const [k, byEngine] of differing) {
    const [file, title] = k.split('\u0000')
    console.log(`    ${file}: ${title}: ` + engineRuns.map((r) => `${r.name} ${byEngine[r.name] === undefined ? 'absent' : byEngine[r.name] ? 'ok' : 'not ok'}`).join(', '))
  }
}

const after = tree()
if (JSON.stringify(after) !== JSON.stringify(before)) {
  console.log(`\n# WARNING: the tree changed during the runs (now ${after.head}${after.dirty ? ` + uncommitted (${after.diff})` : ''}; addon: ${after.addon}): run again`)
}

const broken = runs.filter((r) => !r.unavailable && (r.crashed.length > 0 || r.checks.length === 0))
process.exitCode = broken.length > 0 ? 1 : 0
