// Faults, on every engine: a full disk under AIO.write, descriptors closed
// while their ops are in flight, cancellation racing completion, and the
// kernel / glibc refusing more requests (EAGAIN, EBUSY). In each case every
// op settles exactly once, with its result or an Error; none is lost.
import t from 'tap'
import { constants as osConstants } from 'node:os'
import { execFileSync, spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { AIO, ControlBlock } from '../lib/index'
import { backend, fullDisk, refusingShim, scratchDir } from './helpers'

const { errno } = osConstants

function pattern (size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff
  return b
}

// Settles within `ms` or fails the test naming what hung.
function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms)
  })
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

t.test(`a full disk: AIO.write fails with ENOSPC, what was written is intact (${backend})`, async (t) => {
  const full = fullDisk(t)
  if (full === undefined) return
  const keep = join(full, 'keep.txt')
  writeFileSync(keep, 'acknowledged data '.repeat(1000))
  const fd = openSync(join(full, 'fill.bin'), 'w+')
  t.teardown(() => closeSync(fd))
  const chunk = 64 * 1024
  let offset = 0
  let failure: unknown
  for (let i = 0; i < 64 && failure === undefined; i++) {
    try {
      // POSIX level: a short write is reported as it is (the high-level calls finish them).
      offset += await AIO.write(new ControlBlock({ fd, buffer: pattern(chunk, i), offset, opcode: AIO.LIO_WRITE }))
    } catch (error) {
      failure = error
    }
  }
  t.match(failure, { code: 'ENOSPC', errno: -errno.ENOSPC, syscall: 'aio_write', message: 'ENOSPC: no space left on device, aio_write' })
  t.ok(offset > 0 && offset < 1024 * 1024, `${offset} bytes written before the disk was full`)
  // A whole list on the full disk: every op's own ENOSPC in the AggregateError.
  const blocks = [0, 1, 2].map((i) => new ControlBlock({ fd, buffer: pattern(4096, i), offset: offset + i * 4096, opcode: AIO.LIO_WRITE }))
  const lio = await AIO.lioListio(AIO.LIO_NOWAIT, blocks).then(() => undefined, (error: unknown) => error)
  t.match(lio, { name: 'AggregateError', code: 'EIO' })
  t.ok((lio as AggregateError).errors.every((e: unknown) => (e as { code: string }).code === 'ENOSPC'), 'each op: ENOSPC')
  // What was acknowledged is on disk, byte for byte.
  const back = readFileSync(join(full, 'fill.bin')).subarray(0, offset)
  let expected = Buffer.alloc(0)
  for (let i = 0; expected.length < offset; i++) expected = Buffer.concat([expected, pattern(chunk, i)])
  t.ok(back.equals(expected.subarray(0, offset)), 'the acknowledged bytes are intact')
  t.equal(readFileSync(keep, 'utf8'), 'acknowledged data '.repeat(1000), 'the other file is intact')
  t.equal(AIO.stats().inFlight, 0)
})

t.test(`a regular file's fd closed right after submission: every op settles (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'data.bin')
  writeFileSync(path, pattern(64 * 512, 7))
  const outcomes = { bytes: 0, ebadf: 0 }
  for (let round = 0; round < 20; round++) {
    const fd = openSync(path, 'r')
    const blocks = Array.from({ length: 64 }, (_, i) => new ControlBlock({ fd, buffer: Buffer.alloc(512), offset: i * 512 }))
    const singles = blocks.slice(0, 32).map((cb) => AIO.read(cb))
    const lio = AIO.lioListio(AIO.LIO_NOWAIT, blocks.slice(32))
    closeSync(fd)
    const settled = await within(Promise.allSettled([...singles, lio]), 10_000, 'reads on a closed fd')
    for (const one of settled) {
      if (one.status === 'fulfilled') {
        outcomes.bytes += ([] as number[]).concat(one.value).filter((n) => n === 512).length
      } else {
        // A list that failed: every op's outcome is in `results`.
        const each: unknown[] = one.reason instanceof AggregateError ? (one.reason as unknown as { results: unknown[] }).results : [one.reason]
        for (const result of each) {
          if (result === 512) {
            outcomes.bytes++
            continue
          }
          t.ok(result instanceof Error && (result as { code?: string }).code === 'EBADF', 'failed with EBADF')
          outcomes.ebadf++
        }
      }
    }
  }
  t.comment(`1280 reads whose fd was closed under them: ${outcomes.bytes} read in full, ${outcomes.ebadf} EBADF`)
  t.equal(AIO.stats().inFlight, 0)
})

t.test(`a pipe's fd closed while reads block on it: every op settles (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'fifo')
  execFileSync('mkfifo', [path])
  const fd = openSync(path, 'r+')
  const other = openSync(path, 'r+') // the same pipe, to wake the readers later
  t.teardown(() => closeSync(other))
  const reads = Array.from({ length: 8 }, () => AIO.read(new ControlBlock({ fd, buffer: Buffer.alloc(1) })))
  while (AIO.stats().inFlight < 8) await new Promise((resolve) => setTimeout(resolve, 5))
  await new Promise((resolve) => setTimeout(resolve, 50))
  closeSync(fd)
  // Reads already in read(2) (or polled by io_uring) hold the pipe open and
  // take these bytes; ones not yet started find the fd closed.
  writeSync(other, 'abcdefgh')
  const settled = await within(Promise.allSettled(reads), 10_000, 'reads on a closed pipe')
  const bytes = settled.filter((s) => s.status === 'fulfilled').length
  for (const s of settled) {
    if (s.status === 'rejected') t.match(s.reason, { code: /^(EBADF|ECANCELED)$/ }, 'an error, not a hang')
    else t.equal(s.value, 1)
  }
  t.comment(`8 blocked reads, fd closed: ${bytes} read a byte, ${8 - bytes} failed`)
  t.equal(AIO.stats().inFlight, 0)
})

t.test(`cancellation racing completion: each op settles once, as cancel said (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'data.bin')
  writeFileSync(path, pattern(64 * 512, 3))
  const fd = openSync(path, 'r')
  t.teardown(() => closeSync(fd))
  const seen = { canceled: 0, notCanceled: 0, allDone: 0, ecanceled: 0, read: 0 }
  const before = AIO.stats()
  const wrong: string[] = []
  // One block at a time: cancel(fd, cb) right after the submission.
  for (let group = 0; group < 40; group++) {
    await Promise.all(Array.from({ length: 50 }, async (_, k) => {
      const i = group * 50 + k
      const cb = new ControlBlock({ fd, buffer: Buffer.alloc(512), offset: (i % 64) * 512 })
      let settles = 0
      const read = AIO.read(cb).then((n) => { settles++; return n }, (e: unknown) => { settles++; throw e })
      const said = AIO.cancel(fd, cb)
      const outcome = await read.then((n) => n, (e: { code: string }) => e.code)
      await new Promise((resolve) => setImmediate(resolve))
      if (settles !== 1) wrong.push(`op ${i} settled ${settles} times`)
      if (said === AIO.AIO_CANCELED) {
        seen.canceled++
        if (outcome !== 'ECANCELED' || AIO.error(cb) !== AIO.ECANCELED) wrong.push(`op ${i}: canceled, yet ${outcome}`)
      } else {
        if (said === AIO.AIO_NOTCANCELED) seen.notCanceled++
        else if (said === AIO.AIO_ALLDONE) seen.allDone++
        else wrong.push(`op ${i}: cancel said ${said}`)
        if (outcome !== 512 || AIO.error(cb) !== 0) wrong.push(`op ${i}: not canceled, yet ${outcome}`)
        else if (!cb.buffer!.equals(pattern(64 * 512, 3).subarray((i % 64) * 512, (i % 64 + 1) * 512))) wrong.push(`op ${i}: wrong bytes`)
      }
      if (outcome === 'ECANCELED') seen.ecanceled++
      else seen.read++
    }))
  }
  // A list at a time: cancel(fd) of everything on the fd.
  for (let round = 0; round < 200; round++) {
    const blocks = Array.from({ length: 16 }, (_, i) => new ControlBlock({ fd, buffer: Buffer.alloc(512), offset: i * 512 }))
    const lio = AIO.lioListio(AIO.LIO_NOWAIT, blocks)
    const said = AIO.cancel(fd)
    const results: Array<number | Error> = await lio.then((r) => r, (e: { results: Array<number | Error> }) => e.results)
    const canceled = results.filter((r) => r instanceof Error)
    if (canceled.some((e) => (e as { code?: string }).code !== 'ECANCELED')) wrong.push(`list ${round}: an error other than ECANCELED`)
    if (said === AIO.AIO_ALLDONE && canceled.length > 0) wrong.push(`list ${round}: all done, yet ${canceled.length} canceled`)
    if (said === AIO.AIO_CANCELED && canceled.length === 0) wrong.push(`list ${round}: canceled, yet none was`)
    seen.ecanceled += canceled.length
    seen.read += results.length - canceled.length
  }
  t.same(wrong, [], 'every outcome agrees with what cancel returned')
  const after = AIO.stats()
  t.equal(after.completed - before.completed, after.submitted - before.submitted, 'every op submitted was delivered')
  t.equal(after.inFlight, 0)
  t.comment(`5200 ops raced by cancel: cancel said CANCELED ${seen.canceled}, NOTCANCELED ${seen.notCanceled}, ` +
    `ALLDONE ${seen.allDone} (single blocks); ${seen.ecanceled} ECANCELED, ${seen.read} read`)
})

t.test(`the kernel or glibc refusing requests (EAGAIN/EBUSY): retried or surfaced, never lost (${backend})`, {
  skip: process.platform !== 'linux' && 'the shim is for Linux (glibc, io_uring)'
}, async (t) => {
  const dir = scratchDir(t)
  const preload = refusingShim(t)
  const started = Date.now()
  const run = spawnSync(process.execPath, [...process.execArgv, join(__dirname, 'fixtures', 'refused.ts'), dir], {
    env: { ...process.env, LD_PRELOAD: preload, REFUSE_EVERY: '3' },
    encoding: 'utf8',
    timeout: 60_000
  })
  t.equal(run.signal, null, 'no crash')
  t.equal(run.status, 0)
  t.equal(run.stderr, '')
  const report = JSON.parse(run.stdout) as { backend: string, ops: number, done: number, errors: Record<string, number>, wrong: number, inFlight: number }
  t.equal(report.backend, backend)
  t.equal(report.wrong, 0, 'no op reported done with the wrong bytes or a short count')
  t.equal(report.inFlight, 0)
  const failed = Object.values(report.errors).reduce((a, b) => a + b, 0)
  t.equal(report.done + failed, report.ops, 'every op settled')
  if (backend === 'posix') {
    // glibc queued nothing of a refused chunk: each of its ops fails with EAGAIN.
    t.same(Object.keys(report.errors), ['EAGAIN'], 'refusals surface as EAGAIN')
    t.ok(failed > 0, `${failed} ops refused`)
  } else {
    // io_uring: the SQEs stay in the ring and go in on a later turn.
    t.same(report.errors, {}, 'refusals are retried')
  }
  t.comment(`${report.ops} ops with every 3rd submission refused: ${report.done} done, ${failed} failed ` +
    `(${JSON.stringify(report.errors)}), ${report.wrong} wrong, ${Date.now() - started} ms`)
})
