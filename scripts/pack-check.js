#!/usr/bin/env node
// Pack-and-install check: what `npm pack` ships installs and works in a fresh
// project on a machine with no compiler.
//
// 1. Packs a copy of the sources (so this repo's build/, dist/ and prebuilds/
//    are left alone), which runs prepack: dist/ compiled afresh and a
//    prebuild for this platform made by prebuildify. Checks the file list.
// 2. Installs the tarball into a fresh project with a PATH holding only node,
//    npm, npx and sh: no cc, make or python, so the install must use the
//    prebuild.
// 3. Uses the package from ESM (index.mjs) and from CommonJS, with
//    PREBUILDS_ONLY=1, doing real IO; checks that both entries are one module
//    instance over one engine.
// 4. Type-checks strict TypeScript, CommonJS and ESM, against the shipped
//    types with this repo's own typescript and @types/node.
// 5. Installs the same package without prebuilds/, compiler on PATH: the
//    install compiles it from the shipped sources, and it works.
//
// PACK_CHECK_KEEP=1 keeps the temp dir; it is kept anyway when a step fails.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const root = path.join(__dirname, '..')
const pkg = require(path.join(root, 'package.json'))
const started = Date.now()
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'posix-aio-pack-'))
const target = `${process.platform}-${process.arch}`
const prebuild = `prebuilds/${target}/${pkg.name}.node`

function step (message) {
  console.log(`# pack-check [${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`)
}

function fail (message, output) {
  if (output) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`)
  console.error(`pack-check: FAILED: ${message}`)
  console.error(`pack-check: temp files kept in ${work}`)
  process.exit(1)
}

// Runs a command; fails the check (printing its output) if it does not exit 0.
function run (what, command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options })
  const output = `${result.stdout || ''}${result.stderr || ''}`
  if (result.error) fail(`${what}: ${result.error.message}`, output)
  if (result.status !== 0) fail(`${what}: exit ${result.status ?? result.signal}`, output)
  return result.stdout
}

// The first executable called `name` on `PATH`, or null.
function which (name, PATH) {
  for (const dir of PATH.split(path.delimiter)) {
    const file = path.join(dir, name)
    try {
      fs.accessSync(file, fs.constants.X_OK)
      if (fs.statSync(file).isFile()) return file
    } catch {}
  }
  return null
}

// The environment without the npm_* variables of an enclosing `npm run`
// (they would leak into the nested npm), with PATH and extras set.
function env (PATH, extra = {}) {
  const clean = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD' && !/^path$/i.test(key)) clean[key] = value
  }
  return { ...clean, PATH, ...extra }
}

// -- 1. pack -----------------------------------------------------------------
step(`packing ${pkg.name}@${pkg.version} (prepack: tsc, prebuildify for ${target})`)
const src = path.join(work, 'src')
const skip = new Set(['node_modules', 'build', 'prebuilds', 'dist', '.git', '.tap', 'coverage'])
fs.cpSync(root, src, {
  recursive: true,
  filter: (from) => path.relative(root, from).split(path.sep).every((part) => !skip.has(part)) && !from.endsWith('.tgz')
})
fs.symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'), 'dir')
const npmPath = process.env.PATH || ''
const packOut = run('npm pack', 'npm', ['pack', '--json', '--pack-destination', work], { cwd: src, env: env(npmPath) })
// The prepack scripts' own output (node-gyp's) comes first; npm's JSON last.
const packed = JSON.parse(packOut.slice(packOut.lastIndexOf('\n[\n') + 1))[0]
const tarball = path.join(work, packed.filename)
const files = packed.files.map((file) => file.path).sort()
step(`packed ${packed.filename}: ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB (unpacked ${(packed.unpackedSize / 1024).toFixed(0)} KiB)`)
for (const file of files) console.log(`#   ${file}`)

const required = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'binding.gyp', 'index.mjs', 'index.d.mts',
  'promises.mjs', 'promises.d.mts', 'dist/promises.js', 'dist/promises.d.ts', 'dist/index.js', 'dist/index.d.ts', 'dist/binding.js', 'native/addon.cc', 'native/engine.h', prebuild]
const missing = required.filter((file) => !files.includes(file))
if (missing.length > 0) fail(`the tarball lacks ${missing.join(', ')}`)
// Sources, tests, build output and source maps stay out.
const stray = files.filter((file) => /^(lib|test|bench|scripts|build|node_modules|\.tap)\//.test(file) ||
  file.endsWith('.map') || (/\.m?ts$/.test(file) && !/\.d\.m?ts$/.test(file)))
if (stray.length > 0) fail(`the tarball should not ship ${stray.join(', ')}`)

// -- 2. install with no compiler -----------------------------------------------
const bin = path.join(work, 'bin')
fs.mkdirSync(bin)
const npmCli = fs.realpathSync(which('npm', npmPath) || fail('npm is not on PATH'))
const npxCli = fs.realpathSync(which('npx', npmPath) || fail('npx is not on PATH'))
fs.symlinkSync(process.execPath, path.join(bin, 'node'))
fs.symlinkSync(npmCli, path.join(bin, 'npm'))
fs.symlinkSync(npxCli, path.join(bin, 'npx'))
fs.symlinkSync('/bin/sh', path.join(bin, 'sh')) // npm runs install scripts with sh
const PATH = bin
for (const tool of ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python3', 'python']) {
  if (which(tool, PATH)) fail(`${tool} is on the install PATH`)
}
if (!which('node', PATH) || !which('npm', PATH)) fail('node or npm is missing from the install PATH')
step(`installing the tarball into a fresh project; PATH=${PATH} (node, npm, npx, sh; no cc, make, python3)`)

const app = path.join(work, 'app')
fs.mkdirSync(app)
fs.writeFileSync(path.join(app, 'package.json'),
  JSON.stringify({ name: 'posix-aio-pack-check', version: '1.0.0', private: true }, null, 2))
run('npm install <tarball>', 'npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: app, env: env(PATH) })
const installed = path.join(app, 'node_modules', pkg.name)
if (!fs.existsSync(path.join(installed, prebuild))) fail(`the installed package has no ${prebuild}`)
// The install script (node-gyp-build) found the prebuild instead of compiling.
if (fs.existsSync(path.join(installed, 'build'))) fail('the install compiled the addon instead of using the prebuild')
step(`installed ${path.relative(app, installed)}: prebuild used, nothing compiled`)

// -- 3. use it from ESM and CommonJS -----------------------------------------
fs.writeFileSync(path.join(app, 'esm.mjs'), `
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { AIO, ControlBlock, LogWriter, open } from 'posix-aio'

assert.match(import.meta.resolve('posix-aio'), /\\/node_modules\\/posix-aio\\/index\\.mjs$/)
const dir = process.argv[2]
const a = join(dir, 'esm-a.txt')
const b = join(dir, 'esm-b.bin')
assert.deepEqual(await AIO.write({ [a]: 'hello from esm', [b]: Buffer.from([1, 2, 3, 4]) }, { sync: 'data' }),
  { [a]: 14, [b]: 4 })
const back = await AIO.read([a, b])
assert.equal(back[a].toString(), 'hello from esm')
assert.deepEqual([...back[b]], [1, 2, 3, 4])
assert.equal(readFileSync(a, 'utf8'), 'hello from esm')

// POSIX level: aio_read of a ControlBlock on an open() handle's fd
const fh = await open(a, 'r')
const buffer = Buffer.alloc(4)
assert.equal(await AIO.read(new ControlBlock({ fd: fh.fd, buffer, offset: 6 })), 4)
assert.equal(buffer.toString(), 'from')
await fh.close()

// LogWriter: lines written, flushed durably, ended
const logPath = join(dir, 'esm.log')
const logger = new LogWriter({ dest: logPath, durability: 'data' })
logger.write('one\\n')
logger.write(Buffer.from('two\\n'))
await logger.flush()
assert.equal(readFileSync(logPath, 'utf8'), 'one\\ntwo\\n')
await new Promise((resolve) => logger.end(resolve))

// One module instance and one engine behind both entries
const cjs = createRequire(import.meta.url)('posix-aio')
assert.equal(cjs.AIO, AIO)
assert.equal(cjs.ControlBlock, ControlBlock)
const before = cjs.AIO.stats()
await AIO.write({ [a]: 'again' })
const after = cjs.AIO.stats()
assert.ok(after.submitted > before.submitted, 'stats through require() see the submissions made through import')
assert.deepEqual(AIO.stats(), after)

// 'posix-aio/promises': fs.promises' shape, default export included
const fsp = await import('node:fs/promises')
const promises = await import('posix-aio/promises')
assert.match(import.meta.resolve('posix-aio/promises'), /\\/node_modules\\/posix-aio\\/promises\\.mjs$/)
for (const name of Object.keys(fsp)) assert.equal(typeof promises[name], typeof fsp[name], name)
await promises.writeFile(join(dir, 'esm-p.txt'), 'promised')
assert.equal(await promises.default.readFile(join(dir, 'esm-p.txt'), 'utf8'), 'promised')
console.log(\`esm: ok (engine \${AIO.backend}, stats \${JSON.stringify(after)})\`)
`)

fs.writeFileSync(path.join(app, 'cjs.cjs'), `
'use strict'
const assert = require('node:assert/strict')
const { readFileSync } = require('node:fs')
const { join, dirname } = require('node:path')
const { AIO, ControlBlock, open } = require('posix-aio')

assert.match(require.resolve('posix-aio'), /\\/node_modules\\/posix-aio\\/dist\\/index\\.js$/)
// node-gyp-build (the loader) picks the shipped prebuild
const pkgDir = dirname(require.resolve('posix-aio/package.json'))
assert.match(require('node-gyp-build').resolve(pkgDir), /\\/prebuilds\\/${target}\\/posix-aio\\.node$/)

async function main () {
  const dir = process.argv[2]
  const a = join(dir, 'cjs-a.txt')
  const b = join(dir, 'cjs-b.txt')
  assert.deepEqual(await AIO.write({ [a]: 'hello from cjs', [b]: 'second file' }), { [a]: 14, [b]: 11 })
  const back = await AIO.read([a, b])
  assert.equal(back[a].toString(), 'hello from cjs')
  assert.equal(back[b].toString(), 'second file')
  assert.equal(readFileSync(b, 'utf8'), 'second file')

  // lio_listio(LIO_WAIT): two reads in one batch, blocking like POSIX
  const fa = await open(a, 'r')
  const fb = await open(b, 'r')
  const one = Buffer.alloc(5)
  const two = Buffer.alloc(6)
  const blocks = [new ControlBlock({ fd: fa.fd, buffer: one, opcode: AIO.LIO_READ }),
    new ControlBlock({ fd: fb.fd, buffer: two, opcode: AIO.LIO_READ })]
  assert.deepEqual(AIO.lioListio(AIO.LIO_WAIT, blocks), [5, 6])
  assert.equal(one.toString() + two.toString(), 'hellosecond')
  await fa.close()
  await fb.close()
  const promises = require('posix-aio/promises')
  assert.match(require.resolve('posix-aio/promises'), /\\/node_modules\\/posix-aio\\/dist\\/promises\\.js$/)
  await promises.appendFile(a, '!')
  assert.equal(await promises.readFile(a, 'utf8'), 'hello from cjs!')
  console.log(\`cjs: ok (engine \${AIO.backend}, stats \${JSON.stringify(AIO.stats())})\`)
}
main().catch((err) => { console.error(err); process.exit(1) })
`)

const data = path.join(work, 'data')
fs.mkdirSync(data)
// PREBUILDS_ONLY: node-gyp-build ignores build/ and loads only a prebuild
const useEnv = env(PATH, { PREBUILDS_ONLY: '1' })
for (const script of ['esm.mjs', 'cjs.cjs']) {
  step(`PREBUILDS_ONLY=1 node ${script}`)
  process.stdout.write(`#   ${run(`node ${script}`, 'node', [script, data], { cwd: app, env: useEnv })}`)
}

// -- 4. the shipped types, under strict TypeScript -----------------------------
// The same code as CommonJS (.ts: "require" types, dist/index.d.ts) and as
// ESM (.mts: "import" types, index.d.mts). The @ts-expect-error lines fail
// the check if the types were too loose (any) to catch a mistake.
const typed = `
import { AIO, ControlBlock, LogWriter, open } from 'posix-aio'
import type { AioFileHandle, AioStats, LogWriterOptions, ReadResult } from 'posix-aio'
import { readFile, writeFile } from 'posix-aio/promises'

export async function check (path: string): Promise<number> {
  const fh: AioFileHandle = await open(path, 'w+')
  const blocks = [new ControlBlock({ fd: fh.fd, buffer: Buffer.from('typed'), opcode: AIO.LIO_WRITE })]
  const done: number[] = AIO.lioListio(AIO.LIO_WAIT, blocks)
  const later: Promise<number[]> = AIO.lioListio(AIO.LIO_NOWAIT, blocks)
  // @ts-expect-error LIO_WAIT returns number[], not a promise
  const wrong: Promise<number[]> = AIO.lioListio(AIO.LIO_WAIT, blocks)
  const read: ReadResult<Buffer> = await fh.read(Buffer.alloc(5), 0, 5, 0)
  const bytes: number = read.bytesRead
  const written: Record<string, number> = await AIO.write({ [path]: 'x' }, { sync: 'data' })
  const stats: AioStats = AIO.stats()
  const options: LogWriterOptions = { dest: path + '.log', durability: 'full' }
  const log = new LogWriter(options)
  const accepted: boolean = log.write('line\\n')
  await log.flush()
  // @ts-expect-error durability is 'none' | 'data' | 'full'
  new LogWriter({ dest: path, durability: 'always' })
  log.end()
  // @ts-expect-error open() takes a path, not a number
  await open(42)
  await fh.close()
  await writeFile(path, 'typed')
  const text: string | Buffer = await readFile(path, 'utf8')
  return text.length + done[0] + bytes + written[path] + stats.submitted + (accepted ? 1 : 0)
}
`
fs.writeFileSync(path.join(app, 'typed.ts'), typed)
fs.writeFileSync(path.join(app, 'typed.mts'), typed)
step('tsc --noEmit --strict typed.ts typed.mts (module nodenext)')
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const listed = run('tsc', process.execPath, [tsc, '--noEmit', '--strict', '--listFiles',
  '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022',
  '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'),
  'typed.ts', 'typed.mts'], { cwd: app, env: useEnv }).split('\n')
// Both were resolved through the installed package's exports map.
for (const file of ['index.d.mts', 'dist/index.d.ts', 'promises.d.mts', 'dist/promises.d.ts']) {
  if (!listed.includes(path.join(installed, file))) fail(`tsc did not use the installed ${file}`)
}

// -- 5. no prebuild fits: compiled from the shipped sources -------------------
// The same package without prebuilds/, installed with the usual PATH (a
// compiler): node-gyp-build's install script builds it with node-gyp.
step('no prebuild: packing without prebuilds/, installing with a compiler on PATH')
fs.rmSync(path.join(src, 'prebuilds'), { recursive: true, force: true })
const bare = path.join(work, 'bare')
fs.mkdirSync(bare)
// dist/ is already compiled in src; --ignore-scripts keeps prepack from making a prebuild again
run('npm pack --ignore-scripts', 'npm', ['pack', '--ignore-scripts', '--pack-destination', bare], {
  cwd: src, env: env(npmPath)
})
const appSrc = path.join(work, 'app-src')
fs.mkdirSync(appSrc)
fs.writeFileSync(path.join(appSrc, 'package.json'),
  JSON.stringify({ name: 'posix-aio-pack-check-src', version: '1.0.0', private: true }, null, 2))
run('npm install <tarball without prebuilds>', 'npm', ['install', '--no-audit', '--no-fund',
  path.join(bare, packed.filename)], { cwd: appSrc, env: env(npmPath) })
fs.writeFileSync(path.join(appSrc, 'source.cjs'), `
'use strict'
const assert = require('node:assert/strict')
const { join, dirname } = require('node:path')
const { AIO } = require('posix-aio')

const pkgDir = dirname(require.resolve('posix-aio/package.json'))
assert.match(require('node-gyp-build').resolve(pkgDir), /\\/build\\/Release\\/posix_aio\\.node$/)
const a = join(process.argv[2], 'src-a.txt')
const b = join(process.argv[2], 'src-b.txt')
AIO.write({ [a]: 'built', [b]: 'here' }).then(() => AIO.read([a, b])).then((back) => {
  assert.equal(back[a].toString() + back[b].toString(), 'builthere')
  console.log(\`source build: ok (engine \${AIO.backend})\`)
}).catch((err) => { console.error(err); process.exit(1) })
`)
process.stdout.write(`#   ${run('node source.cjs', 'node', ['source.cjs', data], { cwd: appSrc, env: env(npmPath) })}`)

if (process.env.PACK_CHECK_KEEP === '1') step(`temp files kept in ${work}`)
else fs.rmSync(work, { recursive: true, force: true })
step('passed')
