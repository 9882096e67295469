// Reads of pipes can pend forever; they must not hold up anyone else's IO.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { AIO, ControlBlock, open } from '../lib/index'
import { backend, scratchDir } from './helpers'

// The threadpool engine runs each read as a libuv pool job, and a pipe
// read with nothing to read keeps its thread: with as many of them as the
// pool has threads (4 unless UV_THREADPOOL_SIZE says otherwise), every
// other pool job waits, fs.read's included (see the README). So there it
// holds one fewer than the pool; the other engines hold 10,000.
const poolThreads = Math.max(1, Math.min(1024, Number(process.env.UV_THREADPOOL_SIZE ?? 4) || 4))
const PENDING = backend === 'threadpool' ? poolThreads - 1 : 10_000

function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<never>((_resolve, reject) =>
    setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms).unref())])
}

t.test(`${PENDING} pending pipe reads hold up no other IO (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const fifo = join(dir, 'fifo')
  execFileSync('mkfifo', [fifo])
  const path = join(dir, 'file')
  writeFileSync(path, Buffer.alloc(4096, 7))
  // r+: the FIFO has a writer (this process), so reads wait rather than end.
  const pipe = await open(fifo, 'r+')
  const file = await open(path, 'r')
  const pending = Array.from({ length: PENDING }, () => pipe.read(Buffer.alloc(1), 0, 1, null))
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(AIO.stats().inFlight, PENDING, `${PENDING} reads pending`)

  // A regular file's read, while they pend (a hang fails the test; how
  // long it takes is the benchmark's business, not this test's).
  const { bytesRead, buffer } = await within(file.read(Buffer.alloc(4096), 0, 4096, 0), 10_000, 'the file read')
  t.equal(bytesRead, 4096)
  t.ok(buffer.every((byte) => byte === 7), 'its bytes')
  // LIO_WAIT blocks this thread until its own ops are done, not the pipe's.
  const blocks = [0, 1].map((i) => new ControlBlock({ fd: file.fd, buffer: Buffer.alloc(512), offset: i * 512, opcode: AIO.LIO_READ }))
  t.same(AIO.lioListio(AIO.LIO_WAIT, blocks), [512, 512], 'LIO_WAIT returns')
  t.same(await within(AIO.read({ [path]: { length: 16 } }), 10_000, 'AIO.read'), { [path]: Buffer.alloc(16, 7) })

  // Then the pipe gets its bytes: every pending read takes one.
  const writer = openSync(fifo, 'w')
  writeSync(writer, Buffer.alloc(PENDING, 9))
  closeSync(writer)
  const results = await within(Promise.all(pending), 30_000, 'the pipe reads')
  t.equal(results.reduce((sum, r) => sum + r.bytesRead, 0), PENDING, 'each pending read got its byte')
  t.ok(results.every((r) => r.buffer[0] === 9))
  await pipe.close()
  await file.close()
})
