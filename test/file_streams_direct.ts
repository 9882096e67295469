// Streams on an O_DIRECT handle ({ direct: true }): the same bytes as fs's
// streams on a plain handle give or leave, whatever the sizes, ranges and
// chunking, although every read and write the kernel sees is of whole,
// aligned blocks (or O_DIRECT would refuse it with EINVAL).
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { createReadStream as fsCreateReadStream, readFileSync, statSync, writeFileSync, type ReadStream } from 'node:fs'
import { open as fsOpen } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { open } from '../lib/index'
import { backend, diskDir } from './helpers'

async function bytesOf (stream: ReadStream | AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

// Writes `data` in chunks of `chunk` bytes to a stream on `fh`, and waits for its close.
async function writeAll (stream: NodeJS.WritableStream, data: Buffer, chunk: number): Promise<void> {
  const chunks = []
  for (let at = 0; at < data.length; at += chunk) chunks.push(data.subarray(at, at + chunk))
  await pipeline(Readable.from(chunks), stream)
}

const SIZES = [0, 1, 4095, 4096, 4097, 16383, 16384, 16385, 65536 + 4096 + 7, 1024 * 1024 - 1, 1024 * 1024, 3 * 1024 * 1024 + 123]

t.test(`a read stream on an O_DIRECT handle gives fs's bytes for many sizes and ranges (${backend})`, async (t) => {
  const dir = diskDir(t)
  const cases: Array<Record<string, number>> = [{}, { highWaterMark: 4096 }, { highWaterMark: 1000 }, { start: 1, end: 4096 },
    { start: 4095, end: 70000 }, { start: 100000 }, { end: 0 }, { start: 5000, highWaterMark: 3000 }]
  for (const size of SIZES) {
    const path = join(dir, `r${size}`)
    writeFileSync(path, randomBytes(size))
    for (const options of cases) {
      const theirs = await bytesOf(fsCreateReadStream(path, options))
      const fh = await open(path, 'r', 0o666, { direct: true })
      const ours = await bytesOf(fh.createReadStream(options))
      t.equal(fh.fd, -1, 'autoClose closes the handle')
      t.ok(ours.equals(theirs), `${size} bytes, ${JSON.stringify(options)}: ${ours.length} bytes as fs's ${theirs.length}`)
    }
  }
})

t.test(`a write stream on an O_DIRECT handle leaves fs's file, in every chunking (${backend})`, async (t) => {
  const dir = diskDir(t)
  for (const size of SIZES) {
    const data = randomBytes(size)
    for (const chunk of [1000, 4096, 65536 + 1]) {
      const path = join(dir, `w${size}-${chunk}`)
      const fh = await open(path, 'w', 0o644, { direct: true })
      await writeAll(fh.createWriteStream(), data, chunk)
      t.equal(fh.fd, -1, 'autoClose closes the handle')
      const back = readFileSync(path)
      t.ok(back.equals(data), `${size} bytes in chunks of ${chunk}: the file has ${back.length} bytes, all of them`)
    }
  }
})

t.test(`a write stream with a start inside a file on an O_DIRECT handle keeps the bytes around it, as fs's (${backend})`, async (t) => {
  const dir = diskDir(t)
  const before = randomBytes(3 * 4096 + 500)
  // Inside, across the end, past the end (a hole), within one block, at a block's edges.
  const cases: Array<[number, number]> = [[100, 50], [4000, 5000], [10000, 8000], [20000, 10], [4096, 4096], [4095, 2], [0, 1]]
  for (const [start, length] of cases) {
    const data = randomBytes(length)
    const expected = join(dir, `fs-${start}-${length}`)
    const path = join(dir, `aio-${start}-${length}`)
    writeFileSync(expected, before)
    writeFileSync(path, before)
    await writeAll((await fsOpen(expected, 'r+')).createWriteStream({ start }), data, 999)
    const fh = await open(path, 'r+', 0o644, { direct: true })
    await writeAll(fh.createWriteStream({ start }), data, 999)
    const theirs = readFileSync(expected)
    const ours = readFileSync(path)
    t.equal(ours.length, theirs.length, `${length} bytes at ${start}: the file's size, ${ours.length}`)
    t.ok(ours.equals(theirs), `${length} bytes at ${start}: the same bytes`)
  }
})

t.test(`flush, pipeline and readLines on O_DIRECT streams (${backend})`, async (t) => {
  const dir = diskDir(t)
  const data = randomBytes(5 * 1024 * 1024 + 3)
  const source = join(dir, 'source')
  writeFileSync(source, data)
  // Node's own read stream into ours, ours into a file through fs's.
  const copy = join(dir, 'copy')
  const fh = await open(copy, 'w', 0o644, { direct: true })
  await pipeline(fsCreateReadStream(source), fh.createWriteStream({ flush: true }))
  t.ok(readFileSync(copy).equals(data), 'fs read stream -> O_DIRECT write stream: the same bytes')
  const reader = await open(copy, 'r', 0o666, { direct: true })
  const chunks: Buffer[] = []
  await pipeline(reader.createReadStream({ highWaterMark: 7000 }), async function * (source) {
    for await (const chunk of source) chunks.push(chunk as Buffer)
  })
  t.ok(Buffer.concat(chunks).equals(data), 'O_DIRECT read stream -> a pipeline: the same bytes')

  // Text in odd chunks; readLines reads it back.
  const lines = join(dir, 'lines')
  const writer = await open(lines, 'w+', 0o644, { direct: true })
  const text = Array.from({ length: 3000 }, (_, i) => `line ${i}\n`).join('')
  await writeAll(writer.createWriteStream(), Buffer.from(text), 333)
  t.equal(statSync(lines).size, text.length, 'the file ends where the bytes do')
  const read = []
  for await (const line of (await open(lines, 'r', 0o666, { direct: true })).readLines()) read.push(line)
  t.equal(read.join('\n') + '\n', text, 'readLines on an O_DIRECT handle')
})

t.test(`readableWebStream on an O_DIRECT handle, both types (${backend})`, async (t) => {
  const dir = diskDir(t)
  for (const size of [0, 100, 4096, 70000, 1024 * 1024 + 5]) {
    const path = join(dir, `web${size}`)
    const data = randomBytes(size)
    writeFileSync(path, data)
    const fh = await open(path, 'r', 0o666, { direct: true })
    t.ok((await bytesOf(fh.readableWebStream())).equals(data), `${size} bytes, default type`)
    await fh.close()
    const bytes = await open(path, 'r', 0o666, { direct: true })
    const reader = bytes.readableWebStream({ type: 'bytes' }).getReader({ mode: 'byob' })
    const chunks: Buffer[] = []
    // Views of odd sizes, none of them aligned.
    for (let n = 1; ; n = (n * 7 + 3) % 20000 + 1) {
      const { value, done } = await reader.read(new Uint8Array(n + 1).subarray(1))
      if (done) break
      chunks.push(Buffer.from(value))
    }
    t.ok(Buffer.concat(chunks).equals(data), `${size} bytes, type 'bytes' into unaligned views`)
    await bytes.close()
  }
})

t.test(`a failing O_DIRECT write stream errors as fs's does (${backend})`, async (t) => {
  const dir = diskDir(t)
  // A read-only handle: the first whole stage's write fails with EBADF.
  const path = join(dir, 'readonly')
  writeFileSync(path, '')
  const fh = await open(path, 'r', 0o666, { direct: true })
  const stream = fh.createWriteStream()
  await t.rejects(writeAll(stream, randomBytes(3 * 1024 * 1024), 65536), { code: 'EBADF', syscall: 'write' })
  t.equal(statSync(path).size, 0, 'nothing written')
})
