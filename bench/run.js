#!/usr/bin/env node
'use strict'
// npm run bench [-- --quick] [-- --only=<scenario>]: posix-aio against what a
// user would pick instead, side by side on this machine, in one run.
// Contenders take turns (the order rotates every round), and each scenario
// reports medians and the ratio to fs.promises: these machines are shared
// and noisy, so ratios from alternating runs mean more than absolute rates.
const { Worker } = require('node:worker_threads')
const { fork, execFileSync } = require('node:child_process')
const { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readSync } = require('node:fs')
const { join } = require('node:path')
const os = require('node:os')

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const only = (args.find((a) => a.startsWith('--only=')) || '').slice(7)
const ROUNDS = quick ? 3 : 7
const SECONDS = quick ? 0.5 : 1.5
const log = (...m) => process.stderr.write(m.join(' ') + '\n')

const ENGINES = ['io_uring', 'posix', 'threadpool']

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

function median (values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// `baseName`: the contender the ratios are to (default fs.promises).
async function compare (title, contenders, scenario, params, unit, baseName) {
  log(`\n${title}`)
  const rates = new Map(contenders.map((c) => [c.name, []]))
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
    for (const c of order) {
      const { rate, error } = await c.ask({ kind: c.kind, scenario, params })
      if (error) throw new Error(`${c.name}: ${error}`)
      rates.get(c.name).push(rate)
      log(`  round ${round + 1}/${ROUNDS} ${c.name.padEnd(34)} ${Math.round(rate).toLocaleString('en-US')} ${unit}`)
    }
  }
  const medians = contenders.map((c) => ({ name: c.name, value: median(rates.get(c.name)) }))
  const base = baseName
    ? medians.find((m) => m.name === baseName)
    : medians.find((m) => m.name.startsWith('fs.promises') && !m.name.includes('UV_USE_IO_URING'))
  return { title, unit, baseName: base ? base.name : 'fs.promises', rows: medians.map((m) => ({ ...m, ratio: base ? m.value / base.value : NaN })) }
}

function fio (label, file, { rw, bs, depth, engine, direct, seconds }) {
  try {
    const out = execFileSync('fio', ['--name=bench', `--filename=${file}`, `--rw=${rw}`, `--bs=${bs}`,
      `--iodepth=${depth}`, `--ioengine=${engine}`, `--direct=${direct ? 1 : 0}`, `--runtime=${seconds}`,
      '--time_based', '--output-format=json', '--invalidate=0'], { encoding: 'utf8' })
    const job = JSON.parse(out).jobs[0]
    return { name: label, value: job.read.iops || job.write.iops }
  } catch (error) {
    return null
  }
}

function hasFio () {
  try { execFileSync('fio', ['--version'], { stdio: 'ignore' }); return true } catch { return false }
}

async function main () {
  const engines = ENGINES.filter(engineWorks)
  log(`posix-aio bench: engines ${engines.join(', ')}; ${os.cpus().length} cores; ${os.release()}; node ${process.version}; ${quick ? 'quick' : 'full'} run`)
  // On the disk the project lives on (BENCH_DIR to choose another): a busy
  // /tmp can be far slower at creating files than the disk itself.
  const dir = mkdtempSync(join(process.env.BENCH_DIR || join(__dirname, '..'), '.bench-'))
  const results = []
  const ours = engines.map((e) => ({ name: `posix-aio ${e}`, kind: 'aio', env: { AIO_BACKEND: e } }))
  const fsPlain = { name: 'fs.promises', kind: 'fs' }
  const fsUring = { name: 'fs.promises UV_USE_IO_URING=1', kind: 'fs', env: { UV_USE_IO_URING: '1' }, child: true }
  const started = []
  const start = (spec) => { const c = startContender(spec); started.push(c); return c }
  try {
    const contenders = { ours: ours.map(start), fs: start(fsPlain), fsUring: start(fsUring) }
    // The io_uring engine hands completions to JS from the loop thread; this
    // contender routes them through the thread-safe-function queue instead,
    // to keep measuring that choice.
    const viaQueue = engines.includes('io_uring')
      ? [start({ name: 'posix-aio io_uring, completions via queue', kind: 'aio', env: { AIO_BACKEND: 'io_uring', AIO_URING_DELIVERY: 'queue' } })]
      : []

    if (!only || only === 'random-read') {
      const file = join(dir, 'random.bin')
      const size = 256 * 1024 * 1024
      log(`writing ${size >> 20} MiB test file…`)
      const chunk = Buffer.alloc(1 << 20)
      const fd = openSync(file, 'w')
      for (let i = 0; i < size >> 20; i++) { require('node:crypto').randomFillSync(chunk); require('node:fs').writeSync(fd, chunk) }
      closeSync(fd)
      // Read it once so it is in the page cache.
      const rfd = openSync(file, 'r'); while (readSync(rfd, chunk) > 0); closeSync(rfd)
      for (const depth of [1, 32]) {
        const r = await compare(`random 4 KiB reads, page cache, depth ${depth} (reads/s)`,
          [...contenders.ours, ...viaQueue, contenders.fs, contenders.fsUring], 'random-read',
          { file, size, depth, seconds: SECONDS, direct: false }, 'reads/s')
        if (hasFio()) {
          for (const engine of ['io_uring', 'posixaio', 'psync']) {
            const f = fio(`fio ${engine}`, file, { rw: 'randread', bs: '4k', depth, engine, direct: false, seconds: Math.ceil(SECONDS * 2) })
            if (f) r.rows.push({ ...f, ratio: f.value / r.rows.find((x) => x.name === 'fs.promises').value })
          }
        }
        results.push(r)
      }
      if (engines.includes('io_uring')) {
        const uring = contenders.ours[engines.indexOf('io_uring')]
        const r = await compare('random 4 KiB reads, O_DIRECT, depth 32 (reads/s)', [uring], 'random-read',
          { file, size, depth: 32, seconds: SECONDS, direct: true }, 'reads/s')
        const f = hasFio() && fio('fio io_uring --direct=1', file, { rw: 'randread', bs: '4k', depth: 32, engine: 'io_uring', direct: true, seconds: Math.ceil(SECONDS * 2) })
        if (f) { r.rows.push({ ...f, ratio: NaN }); r.note = `posix-aio / fio = ${(r.rows[0].value / f.value).toFixed(2)}` }
        results.push(r)
      }
    }

    if (!only || only === 'logs') {
      // A contender's worker runs any kind: these reuse the running ones.
      const as = (c, name, kind) => ({ name, kind, ask: c.ask })
      const logDir = mkdtempSync(join(dir, 'logs-'))
      const params = { dir: logDir, lines: quick ? 200000 : 1000000 }
      const lines = `${params.lines.toLocaleString('en-US')} lines of ~${require('./contenders').logLine(params.lines >> 1).length} bytes`
      results.push(await compare(`log lines, no durability: ${lines}, write all then end() (lines/s)`, [
        ...contenders.ours.map((c, i) => as(c, `LogWriter ${engines[i]}`, 'log-none')),
        as(contenders.fs, 'fs.createWriteStream', 'log-stream'),
        as(contenders.fs, 'SonicBoom', 'log-sonic')
      ], 'logs', params, 'lines/s', 'fs.createWriteStream'))
      results.push(await compare(`log lines, durable: ${lines}, write all then end() (lines/s)`, [
        ...contenders.ours.map((c, i) => as(c, `LogWriter durability 'data' ${engines[i]}`, 'log-data')),
        as(contenders.fs, 'SonicBoom minLength 4096 fsync', 'log-sonic-fsync')
      ], 'logs', params, 'lines/s', 'SonicBoom minLength 4096 fsync'))
    }

    if (!only || only === 'many-files') {
      const filesDir = mkdtempSync(join(dir, 'files-'))
      results.push(await compare('write 256 files of 4 KiB (files/s)', [...contenders.ours, contenders.fs], 'many-files',
        { dir: filesDir, count: 256, bytes: 4096, seconds: SECONDS }, 'files/s'))
    }
  } finally {
    for (const c of started) c.stop()
    rmSync(dir, { recursive: true, force: true })
  }

  for (const r of results) {
    console.log(`\n### ${r.title}\n`)
    console.log(`| contender | median | ratio to ${r.baseName} |`)
    console.log('|---|---:|---:|')
    for (const row of r.rows) {
      console.log(`| ${row.name} | ${Math.round(row.value).toLocaleString('en-US')} | ${Number.isNaN(row.ratio) ? '' : row.ratio.toFixed(2) + '×'} |`)
    }
    if (r.note) console.log(`\n${r.note}`)
  }
  if (!hasFio()) console.log('\nfio is not installed: `apt-get install fio` adds the machine\'s limit to the report.')
}

main().catch((error) => { console.error(error); process.exit(1) })
