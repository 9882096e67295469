'use strict'
// What each contender does for each scenario. Runs inside a worker thread
// (one per contender, so each has its own posix-aio engine) or, for
// fs.promises with libuv's io_uring, a child process.
const fsp = require('node:fs/promises')
const { join } = require('node:path')
const { mkdirSync, rmSync, statSync, createWriteStream } = require('node:fs')
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

// Writes `count` new files of `bytes` each, as one call, again and again for
// `seconds`: files/s. Each round writes into a fresh directory, removed
// afterwards outside the timed part, so every round creates its files.
async function manyFiles ({ dir, count, bytes, seconds }, writeAll) {
  const data = Buffer.alloc(bytes, 0x61)
  let files = 0
  let busy = 0
  for (let round = 0; busy < seconds * 1000; round++) {
    const roundDir = join(dir, `round-${process.pid}-${round}`)
    mkdirSync(roundDir)
    const paths = Array.from({ length: count }, (_, i) => join(roundDir, `f${i}.bin`))
    const start = performance.now()
    await writeAll(paths, data)
    busy += performance.now() - start
    files += count
    rmSync(roundDir, { recursive: true })
  }
  return files / (busy / 1000)
}

const openers = {
  aio: async (file, direct) => {
    const { open, alignedBuffer } = aio()
    const fh = await open(file, 'r', 0o666, { direct })
    return { read: (...a) => fh.read(...a), close: () => fh.close(), buffer: () => alignedBuffer(4096) }
  },
  fs: async (file) => {
    const fh = await fsp.open(file, 'r')
    return { read: (...a) => fh.read(...a), close: () => fh.close(), buffer: () => Buffer.alloc(4096) }
  }
}

const writers = {
  aio: (paths, data) => aio().AIO.write(Object.fromEntries(paths.map((p) => [p, data]))),
  fs: (paths, data) => Promise.all(paths.map((p) => fsp.writeFile(p, data)))
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

exports.logLine = logLine

exports.run = async function run (kind, scenario, params) {
  switch (scenario) {
    case 'random-read': return randomReads(params, openers[kind])
    case 'many-files': return manyFiles(params, writers[kind])
    case 'logs': return logs(params, logDestinations[kind])
    default: throw new Error(`unknown scenario ${scenario}`)
  }
}

exports.backend = () => aio().AIO.backend
