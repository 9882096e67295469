'use strict'
// What each contender does for each scenario. Runs inside a worker thread
// (one per contender, so each has its own posix-aio engine) or, for
// fs.promises with libuv's io_uring, a child process.
const fsp = require('node:fs/promises')
const { join } = require('node:path')
const { constants, createWriteStream, mkdirSync, readFileSync, rmSync, statSync } = require('node:fs')
const { createHash } = require('node:crypto')
const { EventEmitter } = require('node:events')
const { threadId } = require('node:worker_threads')

function aio () {
  return require('..')
}

// Random 4 KiB reads at a given depth for `seconds`: ops/s.
async function randomReads ({ file, size, depth, seconds, direct }, open) {
  const handle = await open(file, direct)
  const blocks = Math.floor(size / 4096)
  let done = 0
  const deadline = performance.now() + seconds * 1000
  async function lane (buffer) {
    while (performance.now() < deadline) {
      const position = Math.floor(Math.random() * blocks) * 4096
      const { bytesRead } = await handle.read(buffer, 0, 4096, position)
      if (bytesRead !== 4096) throw new Error(`short read: ${bytesRead}`)
      done++
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: depth }, () => lane(handle.buffer())))
  const elapsed = (performance.now() - start) / 1000
  await handle.close()
  return done / elapsed
}

// Writes `count` new files of `bytes` each as one call, `batches` times, each
// time into a fresh directory: files/s. Nothing is deleted until the whole
// scenario is over (run.js): on ext4 without a journal (this project's CI
// disk) an allocation skips, one by one, every inode freed in the last
// minutes, so deleting files between rounds made each create scan past
// thousands of them and the scenario measured that scan.
async function manyFiles ({ dir, count, bytes, batches }, writeAll) {
  const data = Buffer.alloc(bytes, 0x61)
  let busy = 0
  for (let batch = 0; batch < batches; batch++) {
    const batchDir = join(dir, `${process.pid}-${process.hrtime.bigint()}-${batch}`)
    mkdirSync(batchDir)
    const paths = Array.from({ length: count }, (_, i) => join(batchDir, `f${i}.bin`))
    const start = performance.now()
    await writeAll(paths, data)
    busy += performance.now() - start
  }
  return count * batches / (busy / 1000)
}

// Writes a `size`-byte file in `chunk`-byte writes with `depth` in flight,
// then fsyncs and closes it: MiB/s for the whole, sync included.
async function sequentialWrites ({ file, size, chunk, depth }, open) {
  const data = Buffer.alloc(chunk)
  require('node:crypto').randomFillSync(data)
  const start = performance.now()
  const handle = await open(file)
  let next = 0
  async function lane () {
    while (next < size) {
      const position = next
      next += chunk
      const { bytesWritten } = await handle.write(data, 0, chunk, position)
      if (bytesWritten !== chunk) throw new Error(`short write: ${bytesWritten}`)
    }
  }
  await Promise.all(Array.from({ length: depth }, lane))
  await handle.sync()
  await handle.close()
  const elapsed = (performance.now() - start) / 1000
  rmSync(file)
  return size / 2 ** 20 / elapsed
}

const openers = {
  aio: async (file, direct) => {
    const { open, alignedBuffer } = aio()
    const fh = await open(file, 'r', 0o666, { direct })
    return { read: (...a) => fh.read(...a), close: () => fh.close(), buffer: () => alignedBuffer(4096) }
  },
  fs: async (file, direct) => {
    const fh = await fsp.open(file, direct ? constants.O_RDONLY | constants.O_DIRECT : 'r')
    // O_DIRECT needs aligned memory; the same allocation serves both.
    return { read: (...a) => fh.read(...a), close: () => fh.close(), buffer: () => aio().alignedBuffer(4096) }
  }
}

const writeOpeners = {
  aio: (file) => aio().open(file, 'w'),
  fs: (file) => fsp.open(file, 'w')
}

const writers = {
  // The record is built inside the timing, with the loop the README
  // advises (Object.fromEntries took V8 ~0.3 ms more per 256 new paths).
  aio: (paths, data) => {
    const files = {}
    for (const path of paths) files[path] = data
    return aio().AIO.write(files)
  },
  fs: (paths, data) => Promise.all(paths.map((p) => fsp.writeFile(p, data)))
}

// Reads `file` through a read stream to its end, the page cache emptied of
// it first when `dropCache` names bench/limits' drop_cache: MiB/s.
async function streamRead ({ file, size, dropCache }, createStream) {
  if (dropCache) require('node:child_process').execFileSync(dropCache, [file])
  const start = performance.now()
  const stream = await createStream(file)
  let bytes = 0
  await new Promise((resolve, reject) => {
    stream.on('data', (chunk) => { bytes += chunk.length })
    stream.once('error', reject)
    stream.once('close', resolve)
  })
  const elapsed = (performance.now() - start) / 1000
  if (bytes !== size) throw new Error(`${file}: ${bytes} bytes read of ${size}`)
  return size / 2 ** 20 / elapsed
}

// Writes `size` bytes in `chunk`-byte writes through a write stream, heeding
// its backpressure, to 'close': MiB/s.
async function streamWrite ({ file, size, chunk }, createStream) {
  const data = Buffer.alloc(chunk)
  require('node:crypto').randomFillSync(data)
  const start = performance.now()
  const stream = await createStream(file)
  await new Promise((resolve, reject) => {
    stream.once('error', reject)
    stream.once('close', resolve)
    let written = 0
    const more = () => {
      while (written < size) {
        written += chunk
        if (!stream.write(data)) return stream.once('drain', more)
      }
      stream.end()
    }
    more()
  })
  const elapsed = (performance.now() - start) / 1000
  const onDisk = statSync(file).size
  rmSync(file)
  if (onDisk !== size) throw new Error(`${file}: ${onDisk} bytes on disk, ${size} written`)
  return size / 2 ** 20 / elapsed
}

const streams = {
  aio: { read: async (file) => (await aio().open(file)).createReadStream(), write: async (file) => (await aio().open(file, 'w')).createWriteStream() },
  fs: { read: async (file) => require('node:fs').createReadStream(file), write: async (file) => createWriteStream(file) }
}

// Reads every file of `paths` at once (Promise.all of readFile), `rounds`
// times: files/s (MiB/s with `mib`); each file's size is checked.
async function readFiles ({ paths, bytes, rounds, mib }, readFile) {
  let busy = 0
  for (let round = 0; round < rounds; round++) {
    const start = performance.now()
    const contents = await Promise.all(paths.map((path) => readFile(path)))
    busy += performance.now() - start
    for (const content of contents) if (content.length !== bytes) throw new Error(`read ${content.length} bytes of ${bytes}`)
  }
  return paths.length * rounds * (mib ? bytes / 2 ** 20 : 1) / (busy / 1000)
}

const fileReaders = {
  aio: (path) => require('../dist/promises').readFile(path),
  fs: (path) => fsp.readFile(path)
}

// A pino-like line of about 100 bytes (ASCII: its length is its bytes).
function logLine (i) {
  return `{"level":30,"time":${1700000000000 + i},"pid":4242,"hostname":"bench-host","msg":"request done","n":${i}}\n`
}

// Writes `lines` lines, as a pino user's destination gets them (all at once,
// no waiting for 'drain'), then end() and 'finish': lines/s including the
// open, the final flush and (for the durable ones) the syncs. The file's
// size is checked afterwards.
async function logs ({ dir, lines }, open) {
  const file = join(dir, `log-${process.pid}-${threadId}-${performance.now()}.log`)
  let bytes = 0
  const start = performance.now()
  const stream = open(file)
  for (let i = 0; i < lines; i++) {
    const line = logLine(i)
    bytes += line.length
    stream.write(line)
  }
  await new Promise((resolve, reject) => {
    stream.once('error', reject)
    stream.once('finish', resolve)
    stream.end()
  })
  const elapsed = (performance.now() - start) / 1000
  const size = statSync(file).size
  rmSync(file)
  if (size !== bytes) throw new Error(`${file}: ${size} bytes on disk, ${bytes} written`)
  return lines / elapsed
}

const logDestinations = {
  'log-none': (file) => new (aio().LogWriter)({ dest: file }),
  'log-data': (file) => new (aio().LogWriter)({ dest: file, durability: 'data' }),
  'log-stream': (file) => createWriteStream(file, { flags: 'a' }),
  'log-sonic': (file) => new (require('sonic-boom'))({ dest: file }),
  'log-sonic-fsync': (file) => new (require('sonic-boom'))({ dest: file, minLength: 4096, fsync: true })
}

// pino end to end: `records` records through pino into `open(file)`, then
// end() and 'finish': records/s, the open, the final flush and (for the
// durable ones) the syncs included. pino's time, pid and hostname are fixed,
// so every contender's file must hold the very bytes pino renders into a
// plain collector (checked afterwards, by size and sha256).
const pinoOptions = {
  base: { pid: 4242, hostname: 'bench-host' },
  timestamp: () => ',"time":1700000000000'
}

function pinoRecords (logger, records) {
  for (let i = 0; i < records; i++) logger.info({ n: i, path: '/api/items', status: 200 }, 'request done')
}

const expectedPino = new Map()
function pinoExpected (records) {
  if (!expectedPino.has(records)) {
    const hash = createHash('sha256')
    let bytes = 0
    pinoRecords(require('pino')(pinoOptions, { write (s) { bytes += Buffer.byteLength(s); hash.update(s) } }), records)
    expectedPino.set(records, { bytes, sha256: hash.digest('hex') })
  }
  return expectedPino.get(records)
}

async function pinoLogs ({ dir, records }, open) {
  const expected = pinoExpected(records)
  const file = join(dir, `pino-${process.pid}-${threadId}-${performance.now()}.log`)
  const start = performance.now()
  const dest = open(file)
  pinoRecords(require('pino')(pinoOptions, dest), records)
  await new Promise((resolve, reject) => {
    dest.once('error', reject)
    dest.once('finish', resolve)
    dest.end()
  })
  const elapsed = (performance.now() - start) / 1000
  // The ceiling: what pino renders, handed to a destination that only counts it.
  if (dest.counted !== undefined) {
    if (dest.counted() !== expected.bytes) throw new Error(`the counter: ${dest.counted()} bytes, pino rendered ${expected.bytes}`)
    return records / elapsed
  }
  const content = readFileSync(file)
  rmSync(file)
  const sha256 = createHash('sha256').update(content).digest('hex')
  if (content.length !== expected.bytes || sha256 !== expected.sha256) {
    throw new Error(`${file}: ${content.length} bytes (sha256 ${sha256}), pino rendered ${expected.bytes} (${expected.sha256})`)
  }
  return records / elapsed
}

// A destination that only counts (pino's output is ASCII here: its
// length is its bytes): pino's own cost, the most any destination can
// give. Only its byte count is checked; keeping or hashing the strings
// would cost more than a real destination does.
function counter () {
  let bytes = 0
  const dest = new EventEmitter()
  dest.write = (s) => { bytes += s.length; return true }
  dest.end = () => process.nextTick(() => dest.emit('finish'))
  dest.counted = () => bytes
  return dest
}

const pinoDestinations = {
  'pino-aio': (file) => new (aio().LogWriter)({ dest: file }),
  'pino-aio-data': (file) => new (aio().LogWriter)({ dest: file, durability: 'data' }),
  'pino-sonic': (file) => require('pino').destination({ dest: file, minLength: 4096 }),
  'pino-sonic-fsync': (file) => require('pino').destination({ dest: file, minLength: 4096, fsync: true }),
  'pino-counter': () => counter()
}

exports.logLine = logLine

exports.run = async function run (kind, scenario, params) {
  switch (scenario) {
    case 'random-read': return randomReads(params, openers[kind])
    case 'many-files': return manyFiles(params, writers[kind])
    case 'seq-write': return sequentialWrites(params, writeOpeners[kind])
    case 'logs': return logs(params, logDestinations[kind])
    case 'pino': return pinoLogs(params, pinoDestinations[kind])
    case 'stream-read': return streamRead(params, streams[kind].read)
    case 'stream-write': return streamWrite(params, streams[kind].write)
    case 'read-files': return readFiles(params, fileReaders[kind])
    default: throw new Error(`unknown scenario ${scenario}`)
  }
}

exports.backend = () => aio().AIO.backend
