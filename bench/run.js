#!/usr/bin/env node
'use strict'
// npm run bench [-- --quick] [-- --only=<scenario>]: posix-aio against what a
// user would pick instead, side by side on this machine, in one run.
// Contenders take turns (the order rotates every round), and each scenario
// reports medians and the ratio to a peer (fs.promises unless it says
// otherwise): these machines are shared and noisy, so ratios from
// alternating runs mean more than absolute rates. Progress goes to stderr;
// the tables to stdout and, with the machine's details, to bench/results.md
// and a chart to bench/results.svg.
//
// Scenarios (--only=): random-read, many-files, seq-write, streams, read-files, logs, pino.
const { Worker } = require('node:worker_threads')
const { fork, execFileSync } = require('node:child_process')
const { mkdtempSync, rmSync, openSync, closeSync, readSync, writeSync, writeFileSync } = require('node:fs')
const { randomFillSync } = require('node:crypto')
const { join } = require('node:path')
const os = require('node:os')
const { writeReport, machine } = require('./report')

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = (args.find((a) => a.startsWith('--only=')) || '').slice(7)
const ROUNDS = quick ? 2 : 5
const SECONDS = quick ? 0.25 : 1
const FIO_SECONDS = quick ? 1 : 2
const log = (...m) => process.stderr.write(m.join(' ') + '\n')
const wanted = (scenario) => !only || only === scenario

// Every engine of the addon's registry, in the order it tries them.
const ENGINES = require('../dist/binding').native.engines

function engineWorks (engine) {
  try {
    return execFileSync(process.execPath, ['-e', "process.stdout.write(require('..').AIO.backend)"],
      { cwd: __dirname, env: { ...process.env, AIO_BACKEND: engine }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) === engine
  } catch {
    return false
  }
}

// A contender lives in a worker (or a child process) for the whole run.
function startContender ({ name, kind, env = {}, child = false }) {
  const fullEnv = { ...process.env, ...env }
  if (child) {
    const proc = fork(join(__dirname, 'worker.js'), [], { env: fullEnv })
    return { name, kind, ask: (job) => new Promise((resolve) => { proc.once('message', resolve); proc.send(job) }), stop: () => proc.kill() }
  }
  const worker = new Worker(join(__dirname, 'worker.js'), { env: fullEnv })
  return { name, kind, ask: (job) => new Promise((resolve) => { worker.once('message', resolve); worker.postMessage(job) }), stop: () => worker.terminate() }
}

// The same worker doing another kind of job under another name.
function as (contender, name, kind) {
  return { name, kind, ask: contender.ask }
}

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// Runs `scenario` on every contender, ROUNDS times, rotating the order.
// `baseName`: the contender the ratios are to.
async function compare (title, contenders, scenario, params, unit, baseName = 'fs.promises') {
  log(`\n${title}`)
  const rates = new Map(contenders.map((c) => [c.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
    for (const c of order) {
      const { rate, error } = await c.ask({ kind: c.kind, scenario, params })
      if (error) throw new Error(`${c.name}: ${error}`)
      rates.get(c.name).push(rate)
      log(`  round ${round + 1}/${ROUNDS} ${c.name.padEnd(40)} ${Math.round(rate).toLocaleString('en-US')} ${unit}`)
    }
  }
  const rows = contenders.map((c) => ({ name: c.name, value: median(rates.get(c.name)) }))
  return withRatios({ title, unit, baseName, rows })
}

function withRatios (result) {
  const base = result.rows.find((row) => row.name === result.baseName)
  for (const row of result.rows) row.ratio = base ? row.value / base.value : NaN
  return result
}

let fioChecked
function hasFio () {
  if (fioChecked === undefined) {
    try { execFileSync('fio', ['--version'], { stdio: 'ignore' }); fioChecked = true } catch { fioChecked = false }
  }
  return fioChecked
}

// fio on the same file, as the machine's limit: IOPS (or MiB/s with `mib`).
function fio (name, file, { rw, bs, depth, engine, direct, seconds, size, endFsync }) {
  if (!hasFio()) return null
  const options = [`--name=${name}`, `--filename=${file}`, `--rw=${rw}`, `--bs=${bs}`,
    `--ioengine=${engine}`, `--direct=${direct ? 1 : 0}`, '--output-format=json', '--invalidate=0']
  // psync has no queue: its depth is that many threads, as fs.promises' is.
  if (engine === 'psync') options.push('--iodepth=1', `--numjobs=${depth}`, '--thread', '--group_reporting')
  else options.push(`--iodepth=${depth}`)
  if (size) options.push(`--size=${size}`, `--end_fsync=${endFsync ? 1 : 0}`)
  else options.push(`--runtime=${seconds}`, '--time_based')
  log(`  fio ${engine}${direct ? ' --direct=1' : ''} ${rw} depth ${depth}`)
  try {
    const out = execFileSync('fio', options, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const job = JSON.parse(out.slice(out.indexOf('{'))).jobs[0]
    const side = rw.includes('read') ? job.read : job.write
    return { name, value: size ? side.bw_bytes / 2 ** 20 : side.iops }
  } catch (error) {
    log(`  fio ${engine} failed: ${String(error.message).split('\n')[0]}`)
    return null
  }
}

// The machine's limit for many-files: the same files from plain C
// (bench/limits/create_files.c) on one thread, on one per core, and on as
// many as libuv's pool has (4), taking turns with the other contenders.
// Missing when there is no C compiler.
function plainC (dir) {
  const binary = cTool(dir, 'create_files')
  if (binary === null) return []
  const threads = [...new Set([1, os.cpus().length, 4])]
  return threads.map((n) => ({
    name: plainCName(n),
    ask: async ({ params }) => {
      const out = execFileSync(binary, [params.dir, params.count, params.bytes, params.batches, n].map(String), { encoding: 'utf8' })
      return { rate: Number(out) }
    }
  }))
}

// One of bench/limits' C tools, compiled into `dir`; null without a compiler.
function cTool (dir, name) {
  const binary = join(dir, name)
  try {
    execFileSync('cc', ['-O2', '-pthread', '-o', binary, join(__dirname, 'limits', `${name}.c`)], { stdio: 'ignore' })
    return binary
  } catch {
    log(`  no C compiler (cc): ${name} is missing, and what needs it`)
    return null
  }
}

const plainCName = (threads) => `C open+write+close, ${threads} thread${threads > 1 ? 's' : ''}`

// A file this slow to create (µs) means the disk, not the IO path, is
// being measured.
const SLOW_CREATE_US = 200

// The median time to create (and close) an empty file in a new directory
// under `dir`, in µs: a median, as the first creates in a block group also
// initialize it, and a new filesystem is busy doing that for a while. The
// files stay until the scenario's directory goes. Only a hint: it has
// missed a run where every contender's files were slow, and flagged one
// where they were not (its directory lands elsewhere than theirs).
function createMicroseconds (dir) {
  const probe = mkdtempSync(join(dir, 'probe-'))
  const times = []
  for (let i = 0; i < 64; i++) {
    const start = performance.now()
    closeSync(openSync(join(probe, `p${i}`), 'w'))
    times.push((performance.now() - start) * 1000)
  }
  return median(times)
}

function makeFile (file, size) {
  log(`writing ${size >> 20} MiB test file…`)
  const chunk = Buffer.alloc(1 << 20)
  const fd = openSync(file, 'w')
  for (let i = 0; i < size >> 20; i++) { randomFillSync(chunk); writeSync(fd, chunk) }
  closeSync(fd)
  // Read it once so that it is in the page cache.
  const rfd = openSync(file, 'r')
  while (readSync(rfd, chunk) > 0);
  closeSync(rfd)
}

async function main () {
  const engines = ENGINES.filter(engineWorks)
  const started = Date.now()
  // On the disk the project lives on (BENCH_DIR to choose another): a busy
  // /tmp can be far slower at creating files than the disk itself.
  const dir = mkdtempSync(join(process.env.BENCH_DIR || join(__dirname, '..'), '.bench-'))
  const about = machine(dir, engines)
  log(`posix-aio bench: engines ${engines.join(', ')}; ${about.cores} cores; Linux ${about.kernel}; node ${about.node}; ` +
    `libuv ${about.libuv}; ${about.filesystem}; ${quick ? 'quick' : 'full'} run`)
  const results = []
  const contenders = []
  const start = (spec) => { const c = startContender(spec); contenders.push(c); return c }
  try {
    const ours = engines.map((e) => start({ name: `posix-aio ${e}`, kind: 'aio', env: { AIO_BACKEND: e } }))
    const fsPlain = start({ name: 'fs.promises', kind: 'fs' })
    const fsUring = start({ name: 'fs.promises UV_USE_IO_URING=1', kind: 'fs', env: { UV_USE_IO_URING: '1' }, child: true })

    if (wanted('random-read')) {
      const file = join(dir, 'random.bin')
      const size = (quick ? 64 : 256) * 2 ** 20
      makeFile(file, size)
      for (const direct of [false, true]) {
        for (const depth of [1, 32]) {
          const where = direct ? 'O_DIRECT' : 'page cache'
          const r = await compare(`random 4 KiB reads, ${where}, depth ${depth}, ${size >> 20} MiB file (reads/s)`,
            [...ours, fsPlain, fsUring], 'random-read',
            { file, size, depth, seconds: SECONDS, direct }, 'reads/s')
          for (const engine of ['io_uring', 'posixaio', 'psync']) {
            const f = fio(`fio ${engine}`, file, { rw: 'randread', bs: '4k', depth, engine, direct, seconds: FIO_SECONDS })
            if (f) r.rows.push(f)
          }
          results.push(withRatios(r))
        }
      }
    }

    if (wanted('many-files')) {
      const filesDir = mkdtempSync(join(dir, 'files-'))
      const limits = plainC(dir)
      // Without plain C to tell how slow the scenario's own files were, a
      // probe before and after it.
      const createBefore = limits.length > 0 ? 0 : createMicroseconds(filesDir)
      const r = await compare('AIO.write of 256 new files of 4 KiB vs Promise.all(fs.promises.writeFile) (files/s)',
        [...ours, fsPlain, fsUring, ...limits], 'many-files',
        { dir: filesDir, count: 256, bytes: 4096, batches: quick ? 4 : 16 }, 'files/s')
      const slowCreate = limits.length > 0
        ? 1e6 / r.rows.find((row) => row.name === plainCName(1)).value
        : Math.max(createBefore, createMicroseconds(filesDir))
      if (slowCreate > SLOW_CREATE_US) {
        r.note = `A new file took ${Math.round(slowCreate)} µs to create in this scenario ` +
          '(usually tens of µs). ext4 without a journal is slow to create files next to ones deleted in the last few ' +
          'minutes (an earlier run\'s, say), so these figures measure that: run again in five minutes, or set BENCH_DIR.'
        log(`  note: ${r.note}`)
      }
      results.push(r)
      rmSync(filesDir, { recursive: true, force: true })
    }

    if (wanted('seq-write')) {
      const size = (quick ? 64 : 256) * 2 ** 20
      const file = join(dir, 'sequential.bin')
      const r = await compare(`sequential 1 MiB writes, 8 in flight, ${size >> 20} MiB then fsync (MiB/s)`,
        [...ours, fsPlain, fsUring], 'seq-write', { file, size, chunk: 2 ** 20, depth: 8 }, 'MiB/s')
      for (const engine of ['io_uring', 'posixaio', 'psync']) {
        const f = fio(`fio ${engine}`, join(dir, `fio-${engine}.bin`), { rw: 'write', bs: '1m', depth: 8, engine, size: `${size >> 20}m`, endFsync: true })
        if (f) r.rows.push(f)
      }
      results.push(withRatios(r))
    }

    if (wanted('streams')) {
      const size = (quick ? 256 : 1024) * 2 ** 20
      const file = join(dir, 'stream.bin')
      makeFile(file, size)
      const dropCache = cTool(dir, 'drop_cache')
      const streamers = [...ours.map((c, i) => as(c, `fh.createReadStream ${engines[i]}`, 'aio')), as(fsPlain, 'fs.createReadStream', 'fs')]
      if (dropCache) {
        results.push(await compare(`read stream of a ${size >> 20} MiB file, page cache dropped first (MiB/s)`,
          streamers, 'stream-read', { file, size, dropCache }, 'MiB/s', 'fs.createReadStream'))
      }
      results.push(await compare(`read stream of a ${size >> 20} MiB file in the page cache (MiB/s)`,
        streamers, 'stream-read', { file, size }, 'MiB/s', 'fs.createReadStream'))
      rmSync(file)
      results.push(await compare(`write stream of ${size >> 20} MiB in 64 KiB writes, to 'close' (MiB/s)`, [
        ...ours.map((c, i) => as(c, `fh.createWriteStream ${engines[i]}`, 'aio')), as(fsPlain, 'fs.createWriteStream', 'fs')
      ], 'stream-write', { file, size, chunk: 64 * 1024 }, 'MiB/s', 'fs.createWriteStream'))
    }

    if (wanted('read-files')) {
      const filesDir = mkdtempSync(join(dir, 'read-'))
      const paths = Array.from({ length: 1000 }, (_, i) => join(filesDir, `f${i}`))
      const small = Buffer.alloc(4096, 0x62)
      for (const path of paths) writeFileSync(path, small)
      const readers = [...ours.map((c, i) => as(c, `posix-aio/promises readFile ${engines[i]}`, 'aio')), as(fsPlain, 'fs.promises.readFile', 'fs')]
      results.push(await compare('Promise.all of 1,000 readFile()s of 4 KiB files (files/s)',
        readers, 'read-files', { paths, bytes: 4096, rounds: quick ? 4 : 16 }, 'files/s', 'fs.promises.readFile'))
      const big = join(dir, 'big.bin')
      makeFile(big, 64 * 2 ** 20)
      results.push(await compare('one readFile() of a 64 MiB file in the page cache (MiB/s)',
        readers, 'read-files', { paths: [big], bytes: 64 * 2 ** 20, rounds: quick ? 4 : 16, mib: true }, 'MiB/s', 'fs.promises.readFile'))
      rmSync(filesDir, { recursive: true, force: true })
      rmSync(big)
    }

    if (wanted('logs')) {
      const logDir = mkdtempSync(join(dir, 'logs-'))
      const params = { dir: logDir, lines: quick ? 200000 : 1000000 }
      const lines = `${params.lines.toLocaleString('en-US')} lines of ~${require('./contenders').logLine(params.lines >> 1).length} bytes`
      results.push(await compare(`log lines, no durability: ${lines}, write all then end() (lines/s)`, [
        ...ours.map((c, i) => as(c, `LogWriter ${engines[i]}`, 'log-none')),
        as(fsPlain, 'fs.createWriteStream', 'log-stream'),
        as(fsPlain, 'SonicBoom', 'log-sonic')
      ], 'logs', params, 'lines/s', 'fs.createWriteStream'))
      results.push(await compare(`log lines, durable: ${lines}, write all then end() (lines/s)`, [
        ...ours.map((c, i) => as(c, `LogWriter durability 'data' ${engines[i]}`, 'log-data')),
        as(fsPlain, 'SonicBoom minLength 4096 fsync', 'log-sonic-fsync')
      ], 'logs', params, 'lines/s', 'SonicBoom minLength 4096 fsync'))
      rmSync(logDir, { recursive: true, force: true })
    }

    if (wanted('pino')) {
      const logDir = mkdtempSync(join(dir, 'pino-'))
      const params = { dir: logDir, records: quick ? 100000 : 300000 }
      const records = `${params.records.toLocaleString('en-US')} records`
      results.push(await compare(`pino end to end, no durability: ${records}, then end() (records/s)`, [
        ...ours.map((c, i) => as(c, `pino → LogWriter ${engines[i]}`, 'pino-aio')),
        as(fsPlain, 'pino → pino.destination minLength 4096', 'pino-sonic'),
        as(fsPlain, 'pino → a destination that only counts (pino\'s own ceiling)', 'pino-counter')
      ], 'pino', params, 'records/s', 'pino → pino.destination minLength 4096'))
      results.push(await compare(`pino end to end, durable: ${records}, then end() (records/s)`, [
        ...ours.map((c, i) => as(c, `pino → LogWriter durability 'data' ${engines[i]}`, 'pino-aio-data')),
        as(fsPlain, 'pino → pino.destination minLength 4096 fsync', 'pino-sonic-fsync')
      ], 'pino', params, 'records/s', 'pino → pino.destination minLength 4096 fsync'))
      rmSync(logDir, { recursive: true, force: true })
    }
  } finally {
    for (const c of contenders) c.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  const seconds = Math.round((Date.now() - started) / 1000)
  const { markdown, files } = writeReport(results, { ...about, quick, seconds, fio: hasFio() })
  console.log(markdown)
  log(`\n${seconds} s; wrote ${files.join(' and ')}`)
}

main().catch((error) => { console.error(error); process.exit(1) })
