// lio_listio: many blocks, one submission, one notification per chunk.
import t from 'tap'
import { constants as osConstants } from 'node:os'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AIO, ControlBlock } from '../lib/index'
import { backend, scratchDir, statsDelta } from './helpers'

const { errno } = osConstants

const LINE = 16

function line (i: number): Buffer {
  return Buffer.from(`line ${String(i).padStart(10, '0')}\n`)
}

function writes (fd: number, count: number): ControlBlock[] {
  return Array.from({ length: count }, (_, i) =>
    new ControlBlock({ fd, buffer: line(i), offset: i * LINE, opcode: AIO.LIO_WRITE }))
}

function openScratch (t: Parameters<Parameters<typeof t.test>[1]>[0], name: string): { fd: number, path: string } {
  const path = join(scratchDir(t), name)
  const fd = openSync(path, 'w+')
  t.teardown(() => closeSync(fd))
  return { fd, path }
}

t.test(`90 writes: one batch, one notification (${backend})`, async (t) => {
  const { fd, path } = openScratch(t, 'ninety')
  const cbs = writes(fd, 90)
  let results: number[] = []
  const delta = await statsDelta(async () => { results = await AIO.lioListio(AIO.LIO_NOWAIT, cbs) })
  t.same(results, new Array(90).fill(LINE))
  t.same(delta, { submitted: 90, completed: 90, batches: 1, notifications: 1, inFlight: 0 })
  const text = readFileSync(path, 'utf8')
  t.equal(text.length, 90 * LINE)
  for (let i = 0; i < 90; i++) t.equal(text.slice(i * LINE, (i + 1) * LINE), line(i).toString())
  for (const cb of cbs) {
    t.equal(AIO.error(cb), 0)
    t.equal(AIO.return(cb), LINE)
  }
})

t.test(`reads, writes and NOPs in one list (${backend})`, async (t) => {
  const { fd } = openScratch(t, 'mixed')
  await AIO.lioListio(AIO.LIO_NOWAIT, writes(fd, 4))
  const into = Array.from({ length: 4 }, () => Buffer.alloc(LINE))
  const list = [
    new ControlBlock({ fd, buffer: into[0], offset: 0 }),
    new ControlBlock({ opcode: AIO.LIO_NOP }),
    null,
    new ControlBlock({ fd, buffer: into[3], offset: 3 * LINE, opcode: AIO.LIO_READ }),
    new ControlBlock({ fd, buffer: Buffer.from('X'), offset: 5 * LINE, opcode: AIO.LIO_WRITE })
  ]
  const delta = await statsDelta(async () => {
    t.same(await AIO.lioListio(AIO.LIO_NOWAIT, list), [LINE, 0, 0, LINE, 1])
  })
  t.equal(delta.submitted, 3, 'NOP and null entries are skipped')
  t.equal(into[0].toString(), line(0).toString())
  t.equal(into[3].toString(), line(3).toString())
  t.equal(AIO.error(list[1]!), 0, 'a NOP block counts as done')
  t.equal(AIO.return(list[1]!), 0)
  t.same(await AIO.lioListio(AIO.LIO_NOWAIT, []), [])
  t.same(await AIO.lioListio(AIO.LIO_NOWAIT, [new ControlBlock({ opcode: AIO.LIO_NOP })]), [0])
})

t.test(`a batch larger than LISTIO_MAX is chunked (${backend})`, async (t) => {
  const { fd, path } = openScratch(t, 'big')
  const count = AIO.LISTIO_MAX * 2 + 7
  const chunks = Math.ceil(count / AIO.LISTIO_MAX)
  let results: number[] = []
  const delta = await statsDelta(async () => { results = await AIO.lioListio(AIO.LIO_NOWAIT, writes(fd, count)) })
  t.equal(results.length, count)
  t.ok(results.every((r) => r === LINE))
  t.equal(delta.batches, 1)
  t.equal(delta.submitted, count)
  t.ok(delta.notifications >= 1 && delta.notifications <= chunks,
    `notifications (${delta.notifications}) are at most one per chunk (${chunks})`)
  const text = readFileSync(path, 'utf8')
  t.equal(text.length, count * LINE)
  t.equal(text.slice(-LINE), line(count - 1).toString())
})

t.test(`one failing op: AggregateError, the rest on disk (${backend})`, async (t) => {
  const { fd, path } = openScratch(t, 'partial')
  const cbs = writes(fd, 10)
  const closed = openSync(path, 'r')
  closeSync(closed)
  cbs[4].fd = closed // EBADF for this one only
  const error = await AIO.lioListio(AIO.LIO_NOWAIT, cbs).then(() => null, (e: unknown) => e)
  t.type(error, AggregateError)
  t.match(error, { code: 'EIO', errno: -errno.EIO, syscall: 'lio_listio', message: /^EIO: i\/o error, lio_listio/ })
  const { errors, results } = error as AggregateError & { results: Array<number | Error> }
  t.equal(errors.length, 1)
  t.match(errors[0], { code: 'EBADF', errno: -errno.EBADF, syscall: 'aio_write' })
  t.equal(results.length, 10)
  t.equal(results[4], errors[0])
  t.same(results.filter((r) => typeof r === 'number'), new Array(9).fill(LINE))
  t.equal(AIO.error(cbs[4]), errno.EBADF)
  const text = readFileSync(path)
  for (const i of [0, 3, 5, 9]) t.equal(text.subarray(i * LINE, (i + 1) * LINE).toString(), line(i).toString())
  t.same(text.subarray(4 * LINE, 5 * LINE), Buffer.alloc(LINE), 'the failed op wrote nothing')
})

t.test(`LIO_WAIT blocks and returns the results (${backend})`, async (t) => {
  const { fd, path } = openScratch(t, 'wait')
  const delta = await statsDelta(() => {
    const results = AIO.lioListio(AIO.LIO_WAIT, writes(fd, 20))
    t.same(results, new Array(20).fill(LINE), 'results are there when the call returns')
    t.equal(readFileSync(path).length, 20 * LINE)
  })
  t.equal(delta.submitted, 20)
  t.equal(delta.notifications, 0, 'nothing to deliver later')
  t.equal(delta.inFlight, 0)

  const back = Buffer.alloc(LINE)
  const cbs = [new ControlBlock({ fd, buffer: back, offset: 19 * LINE }), new ControlBlock({ opcode: AIO.LIO_NOP })]
  t.same(AIO.lioListio(AIO.LIO_WAIT, cbs), [LINE, 0])
  t.equal(back.toString(), line(19).toString())
  t.same(AIO.lioListio(AIO.LIO_WAIT, []), [])

  const bad = new ControlBlock({ fd: 999_999, buffer: Buffer.alloc(1) })
  let thrown: unknown
  try {
    AIO.lioListio(AIO.LIO_WAIT, [cbs[0], bad])
  } catch (e) {
    thrown = e
  }
  t.type(thrown, AggregateError)
  const agg = thrown as AggregateError & { code: string, results: unknown[] }
  t.equal(agg.code, 'EIO')
  t.equal(agg.results[0], LINE)
  t.match(agg.results[1], { code: 'EBADF', syscall: 'aio_read' })
})

t.test(`blocks in a finished list can be listed again (${backend})`, async (t) => {
  const { fd } = openScratch(t, 'again')
  const cbs = writes(fd, 8)
  await AIO.lioListio(AIO.LIO_NOWAIT, cbs)
  t.same(await AIO.lioListio(AIO.LIO_NOWAIT, cbs), new Array(8).fill(LINE))
  t.same(AIO.lioListio(AIO.LIO_WAIT, cbs), new Array(8).fill(LINE))
})
