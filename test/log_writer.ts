// LogWriter: batched, durable log writing, on real files, with real pino,
// a real full disk and real SIGKILLs.
import t from 'tap'
import { constants as osConstants } from 'node:os'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import {
  closeSync, constants as fsConstants, open, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync,
  writeFileSync
} from 'node:fs'
import { join } from 'node:path'
import pino from 'pino'
import { LogWriter } from '../lib/index'
import type { LogWriterOptions } from '../lib/index'
import { backend, fullDisk, logLine, logLines, scratchDir } from './helpers'

const { errno } = osConstants

const child = join(__dirname, 'fixtures', 'log_child.ts')

// Passes a deliberately ill-typed value past the compiler.
function bad (value: unknown): never {
  return value as never
}

// Every writer's 'close', listened for from the start (it may come before the test awaits it).
const closes = new WeakMap<LogWriter, Promise<unknown>>()
function make (options: LogWriterOptions): LogWriter {
  const log = new LogWriter(options)
  closes.set(log, new Promise((resolve) => log.once('close', resolve)))
  return log
}

async function closed (log: LogWriter): Promise<void> {
  await closes.get(log)
}

function runChild (options: object): Promise<{ code: number | null, signal: string | null, stderr: string, stdout: string }> {
  const proc = spawn(process.execPath, [...process.execArgv, child], {
    env: { ...process.env, LOG_CHILD: JSON.stringify(options) }, stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  let stdout = ''
  proc.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  proc.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  return new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stderr, stdout })))
}

t.test(`pino logs through it, every line intact and in order (${backend})`, async (t) => {
  for (const durability of ['none', 'data'] as const) {
    const path = join(scratchDir(t), 'app.log')
    const dest = make({ dest: path, durability })
    const logger = pino(dest)
    for (let i = 0; i < 20000; i++) logger.info({ i, text: 'é€😀'.repeat(i % 3) }, 'hello')
    await new Promise<void>((resolve, reject) => logger.flush((error) => error ? reject(error) : resolve()))
    const child = logger.child({ part: 2 })
    for (let i = 20000; i < 30000; i++) child.warn({ i }, 'again')
    dest.end()
    await closed(dest)
    const got = readFileSync(path, 'utf8').split('\n')
    t.equal(got.pop(), '', 'ends with a newline')
    t.equal(got.length, 30000, durability)
    t.ok(got.every((text, i) => JSON.parse(text).i === i), 'each line whole, in order')
    t.equal(JSON.parse(got[2]).text, 'é€😀'.repeat(2))
    t.equal(JSON.parse(got[29999]).part, 2)
  }
})

t.test(`strings, Buffers and typed arrays; one batch or several (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'mixed.log')
  const log = make({ dest: path })
  t.equal(log.writable, true)
  t.equal(log.write(''), true, 'an empty write does nothing')
  log.write('a\n')
  log.write(Buffer.from('b\n'))
  log.write(new Uint8Array([0x63, 0x0a]))
  log.write('ü\n')
  await log.flush()
  t.equal(readFileSync(path, 'utf8'), 'a\nb\nc\nü\n')
  await log.flush()
  t.pass('flush with nothing pending resolves')
  // Several MiB in one turn: many pieces, one writev.
  const big = logLines(0, 60000)
  for (let i = 0; i < 60000; i++) log.write(logLine(i))
  // More pieces than one writev takes (IOV_MAX): more than one batch.
  const small: Buffer[] = []
  for (let i = 0; i < 1500; i++) {
    small.push(Buffer.from(`b${i}\n`))
    log.write(small[i])
  }
  await log.flush()
  t.equal(readFileSync(path, 'utf8'), 'a\nb\nc\nü\n' + big + Buffer.concat(small).toString())
  log.end()
  await closed(log)
})

t.test(`append by default, truncate with append: false; mode (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'a.log')
  writeFileSync(path, 'old\n')
  const appending = make({ dest: path })
  appending.write('new\n')
  appending.end()
  await closed(appending)
  t.equal(readFileSync(path, 'utf8'), 'old\nnew\n')
  const truncating = make({ dest: path, append: false })
  truncating.write('only\n')
  await once(truncating.end(), 'finish')
  t.equal(readFileSync(path, 'utf8'), 'only\n')
  const modePath = join(dir, 'private.log')
  const log = make({ dest: modePath, mode: 0o600 })
  await once(log.end(), 'close')
  t.equal(fstatSync(openSync(modePath, 'r')).mode & 0o777, 0o600)
})

t.test(`mkdir creates the parent directories; open failures are 'error' events (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const deep = join(dir, 'a', 'b', 'c', 'app.log')
  const log = make({ dest: deep, mkdir: true })
  log.write('deep\n')
  await once(log, 'ready')
  await log.flush()
  t.equal(readFileSync(deep, 'utf8'), 'deep\n')
  log.end()
  await closed(log)

  const missing = join(dir, 'no', 'such', 'app.log')
  const failing = make({ dest: missing })
  failing.write('lost\n')
  const flushed = failing.flush()
  const ended = new Promise((resolve) => failing.end(resolve))
  const [error] = await once(failing, 'error')
  t.match(error, {
    message: `ENOENT: no such file or directory, open '${missing}'`, code: 'ENOENT', errno: -errno.ENOENT, syscall: 'open', path: missing
  })
  await t.rejects(flushed, { code: 'ENOENT' }, 'a waiting flush rejects with it')
  t.equal(await ended, error, 'end(cb) hears it')
  await closed(failing)
  t.equal(failing.writable, false)
  t.equal(failing.write('more\n'), false, 'writes after a failure are dropped')
  await t.rejects(failing.flush(), { code: 'ENOENT' })
  const again = await new Promise((resolve) => failing.end(resolve))
  t.equal(again, error, 'end(cb) after the failure: cb gets the error')

  // mkdir through a regular file: ENOTDIR from mkdir.
  const file = join(dir, 'plain')
  writeFileSync(file, '')
  const notDir = make({ dest: join(file, 'sub', 'x.log'), mkdir: true })
  const [mkdirError] = await once(notDir, 'error')
  t.match(mkdirError, { code: 'ENOTDIR', syscall: 'mkdir' })
})

t.test(`rotation: rename, then reopen() (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'app.log')
  const log = make({ dest: path, durability: 'data' })
  log.reopen() // while opening: done once the file is open
  await once(log, 'ready')
  await once(log, 'ready')
  for (let i = 0; i < 100; i++) log.write(logLine(i))
  await log.flush()
  renameSync(path, `${path}.1`)
  for (let i = 100; i < 200; i++) log.write(logLine(i))
  // The batch with lines 100..199 is in flight (it started in the writer's
  // immediate, queued before this one); the reopen waits for it.
  await new Promise((resolve) => setImmediate(resolve))
  log.reopen()
  for (let i = 200; i < 300; i++) log.write(logLine(i))
  await once(log, 'ready')
  await log.flush()
  t.equal(readFileSync(`${path}.1`, 'utf8'), logLines(0, 200), 'the old file has what was written before')
  t.equal(readFileSync(path, 'utf8'), logLines(200, 300), 'the new file the rest')

  // To another path; and one that cannot be opened: an 'error', and
  // writing goes on to the file open before.
  const other = join(dir, 'other.log')
  log.reopen(other)
  log.write('to other\n')
  await once(log, 'ready')
  const missing = join(dir, 'none', 'x.log')
  log.reopen(missing)
  const [error] = await once(log, 'error')
  t.match(error, { code: 'ENOENT', syscall: 'open', path: missing })
  log.write('still other\n')
  log.end()
  await closed(log)
  t.equal(readFileSync(other, 'utf8'), 'to other\nstill other\n')
  log.reopen()
  t.pass('reopen after end does nothing')

  t.throws(() => log.reopen(bad(42)), { code: 'ERR_INVALID_ARG_TYPE' })
  const fd = openSync(join(dir, 'fd.log'), 'w')
  const byFd = make({ fd })
  t.throws(() => byFd.reopen(), { code: 'ERR_INVALID_STATE', message: /needs a path/ })
  byFd.end()
  await closed(byFd)
  t.throws(() => fstatSync(fd), { code: 'EBADF' }, 'a given fd is closed by end()')
})

t.test(`write() turns false where sonic-boom's does: past max(minLength, 16387) bytes (${backend})`, async (t) => {
  const dir = scratchDir(t)
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const SonicBoom = require('sonic-boom')
  for (const [minLength, line] of [[0, 'é'.repeat(1000) + '\n'], [0, 'x'.repeat(100) + '\n'], [12000, 'ab\n'.repeat(700)],
    [0, Buffer.alloc(1500, 'b')]] as Array<[number, string | Buffer]>) {
    const answers = async (stream: { write: (s: string | Buffer) => boolean, end: () => void, once: (e: string, f: () => void) => void }): Promise<boolean[]> => {
      await new Promise<void>((resolve) => stream.once('ready', resolve))
      const got = Array.from({ length: 200 }, () => stream.write(line))
      await new Promise<void>((resolve) => { stream.once('close', resolve); stream.end() })
      return got
    }
    const theirs = await answers(new SonicBoom({ dest: join(dir, 'sonic.log'), minLength }))
    const ours = await answers(make({ dest: join(dir, 'ours.log'), minLength }))
    t.same(ours, theirs, `${typeof line === 'string' ? 'lines' : 'Buffers'} of ${Buffer.byteLength(line)} bytes (length ${line.length}), minLength ${minLength}: true ${theirs.filter(Boolean).length} times`)
  }
  // maxLength drops where sonic-boom's does, for Buffers and multi-byte strings.
  for (const chunk of [Buffer.alloc(2500, 'b'), 'é'.repeat(1250)]) {
    const drops = async (stream: { write: (s: string | Buffer) => boolean, on: (e: string, f: () => void) => void, end: () => void, once: (e: string, f: () => void) => void }): Promise<string> => {
      await new Promise<void>((resolve) => stream.once('ready', resolve))
      let seen = ''
      stream.on('drop', () => { seen += 'd' })
      for (let i = 0; i < 8; i++) seen += stream.write(chunk) ? 't' : 'f'
      await new Promise<void>((resolve) => { stream.once('close', resolve); stream.end() })
      return seen
    }
    const theirs = await drops(new SonicBoom({ dest: join(dir, 'sonic-drop.log'), maxLength: 9000 }))
    const ours = await drops(make({ dest: join(dir, 'ours-drop.log'), maxLength: 9000 }))
    t.equal(ours, theirs, `maxLength 9000, ${typeof chunk === 'string' ? 'strings' : 'Buffers'} of 2500 bytes: ${theirs}`)
  }
})

t.test(`backpressure: false above maxBufferedBytes, then 'drain' (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'bp.log')
  const log = make({ dest: path, maxBufferedBytes: 1000 })
  await once(log, 'ready')
  let i = 0
  while (log.write(logLine(i++)));
  t.ok(i > 1 && i < 40, `false after ${i} lines`)
  t.equal(log.write(logLine(i++)), false, 'still false, and kept')
  let drains = 0
  log.on('drain', () => drains++)
  await once(log, 'drain')
  // The writer's code drives everything else through 'drain', as pino's users do.
  for (let round = 0; round < 20; round++) {
    while (log.write(logLine(i++)));
    await once(log, 'drain')
  }
  log.end()
  await closed(log)
  t.equal(readFileSync(path, 'utf8'), logLines(0, i), 'every line, the refused-looking ones too')
  t.ok(drains >= 21)
})

t.test(`sonic-boom's properties, 'write' and 'drain' after each batch, and a call without new (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'props.log')
  const log = LogWriter({ dest: path, append: false, minLength: 10, maxLength: 1 << 20, mode: 0o640 })
  t.ok(log instanceof LogWriter, 'LogWriter(options) without new, as SonicBoom(options)')
  t.equal(log.constructor.name, 'LogWriter')
  t.same({ fd: log.fd, file: log.file, destroyed: log.destroyed, append: log.append, mode: log.mode, minLength: log.minLength,
    maxLength: log.maxLength, maxWrite: log.maxWrite, mkdir: log.mkdir, sync: log.sync, fsync: log.fsync },
  { fd: -1, file: path, destroyed: false, append: false, mode: 0o640, minLength: 10, maxLength: 1 << 20, maxWrite: 16384, mkdir: false, sync: false, fsync: false },
  'before the open: fd -1')
  closes.set(log, new Promise((resolve) => log.once('close', resolve)))
  await once(log, 'ready')
  t.ok(log.fd > 2, `fd ${log.fd} once open`)
  const written: number[] = []
  log.on('write', (n: number) => written.push(n))
  // No write() returned false: 'drain' still follows the batch, as sonic-boom's.
  log.write('0123456789\n')
  t.equal(log._len, 11, '_len: the bytes taken')
  // The batch starts in a setImmediate queued by write(); this one runs after it, before its completion.
  const inFlight = await new Promise<number>((resolve) => setImmediate(() => resolve(log._len)))
  t.equal(inFlight, 11, '_len: the bytes in flight until they are written, as sonic-boom counts them')
  await once(log, 'drain')
  t.same(written, [11], "'write' with the bytes written")
  t.equal(log._len, 0, '_len: 0 once written')
  t.equal(readFileSync(path, 'utf8'), '0123456789\n', "the lines are in the file at 'drain'")
  // With minLength, flush() with nothing to write gives 'drain' too (sonic-boom writes nothing, then drains).
  await log.flush()
  await once(log, 'drain')
  log.end()
  await closed(log)
  t.equal(log.destroyed, true, 'destroyed once closed')
  t.equal(log.fd, -1)
  // A subclass, as of sonic-boom's.
  class Tagged extends LogWriter { tag (): string { return 'tagged' } }
  const sub = new Tagged({ dest: join(dir, 'sub.log') })
  t.ok(sub instanceof Tagged && sub instanceof LogWriter, 'a subclass of LogWriter')
  t.equal(sub.tag(), 'tagged')
  sub.destroy()
  // destroy() while an open that fails is under way: a flush waiting rejects.
  const failing = make({ dest: join(dir, 'missing', 'x.log') })
  failing.write('x\n')
  const waiting = failing.flush()
  failing.destroy()
  await t.rejects(waiting, { code: 'ERR_STREAM_DESTROYED' })
  await closed(failing)
  const byFd = make({ fd: openSync(join(dir, 'fd.log'), 'w'), fsync: true })
  t.same({ file: byFd.file, fsync: byFd.fsync, append: byFd.append }, { file: null, fsync: true, append: true })
  byFd.destroy()
  await closed(byFd)
})

t.test(`maxLength drops, minLength waits, periodicFlush and flushInterval (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const dropPath = join(dir, 'drop.log')
  const dropping = make({ dest: dropPath, maxLength: 10 })
  const dropped: unknown[] = []
  dropping.on('drop', (data) => dropped.push(data))
  t.equal(dropping.write('12345\n'), true)
  t.equal(dropping.write('1234567\n'), true, 'dropped, not a backpressure signal')
  dropping.write('abc\n')
  dropping.end()
  await closed(dropping)
  t.same(dropped, ['1234567\n'])
  t.equal(readFileSync(dropPath, 'utf8'), '12345\nabc\n')

  const minPath = join(dir, 'min.log')
  const waiting = make({ dest: minPath, minLength: 1000 })
  await once(waiting, 'ready')
  waiting.write('short\n')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(readFileSync(minPath, 'utf8'), '', 'below minLength nothing is written')
  await waiting.flush()
  t.equal(readFileSync(minPath, 'utf8'), 'short\n', 'flush() writes it')
  waiting.write('x'.repeat(1000) + '\n')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(readFileSync(minPath, 'utf8').length, 1007, 'at minLength it is written')
  waiting.write('tail\n')
  waiting.end()
  await closed(waiting)
  t.match(readFileSync(minPath, 'utf8'), /tail\n$/, 'end() writes the rest')

  const periodicPath = join(dir, 'periodic.log')
  const periodic = make({ dest: periodicPath, minLength: 1 << 20, maxWrite: 2 << 20, periodicFlush: 20 })
  periodic.write('soon\n')
  while (readFileSync(periodicPath, { encoding: 'utf8', flag: 'a+' }) === '') {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  t.equal(readFileSync(periodicPath, 'utf8'), 'soon\n', 'periodicFlush wrote it')
  periodic.end()
  await closed(periodic)

  const intervalPath = join(dir, 'interval.log')
  const spaced = make({ dest: intervalPath, flushInterval: 30 })
  spaced.write(logLine(0)) // before ready: the first batch is timed from the open
  await spaced.flush()
  const started = performance.now()
  for (let round = 1; round < 4; round++) {
    spaced.write(logLine(round))
    await spaced.flush()
  }
  t.ok(performance.now() - started >= 55, 'batches at most every 30 ms')
  // Lines arriving while a batch is in flight: the next waits its turn.
  for (let i = 4; i < 3000; i++) {
    spaced.write(logLine(i))
    if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve))
  }
  spaced.end()
  await closed(spaced)
  t.equal(readFileSync(intervalPath, 'utf8'), logLines(0, 3000))
  // end() with a batch already scheduled.
  const late = make({ dest: intervalPath, flushInterval: 10, append: false })
  await once(late, 'ready')
  late.write('late\n')
  late.end()
  await closed(late)
  t.equal(readFileSync(intervalPath, 'utf8'), 'late\n')
})

t.test(`flushSync (${backend})`, async (t) => {
  const dir = scratchDir(t)
  for (const durability of ['none', 'data', 'full'] as const) {
    const path = join(dir, `${durability}.log`)
    const log = make({ dest: path, durability })
    log.write('early\n')
    t.throws(() => log.flushSync(), { code: 'ERR_INVALID_STATE', message: /not open/ }, 'before ready it throws')
    await once(log, 'ready')
    await log.flush()
    log.write('now\n')
    log.flushSync()
    t.equal(readFileSync(path, 'utf8'), 'early\nnow\n', 'on disk when it returns')
    // A batch in flight: flushSync writes what came after it, and does not
    // wait for that batch (its lines may land before or after).
    log.write('batch\n')
    await new Promise((resolve) => setImmediate(resolve))
    log.write('sync\n')
    const flushed = log.flush()
    log.flushSync()
    await flushed
    t.match(readFileSync(path, 'utf8'), /^early\nnow\n(batch\nsync\n|sync\nbatch\n)$/)
    // More pieces than one write takes.
    for (let i = 0; i < 1500; i++) log.write(Buffer.from(`${i},`))
    log.flushSync()
    t.match(readFileSync(path, 'utf8'), /,1499,$/)
    log.end()
    await closed(log)
  }
})

t.test(`flushSync takes over a batch still queued in the engine (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'queued.log')
  const log = make({ dest: path, durability: 'data' })
  await once(log, 'ready')
  // Four opens of FIFOs with no writer block libuv's four pool threads: a
  // batch that goes to the pool (posix, threadpool engines) waits queued.
  const fifos = [0, 1, 2, 3].map((i) => join(dir, `fifo${i}`))
  for (const fifo of fifos) spawnSync('mkfifo', [fifo])
  const blocked = fifos.map((fifo) => new Promise<number>((resolve) => open(fifo, 'r', (_, fd) => resolve(fd))))
  await new Promise((resolve) => setTimeout(resolve, 50))
  log.write('batch\n')
  await new Promise((resolve) => setImmediate(resolve)) // the batch is submitted
  log.write('sync\n')
  const flushed = log.flush()
  log.flushSync()
  const text = readFileSync(path, 'utf8')
  if (backend === 'io_uring') {
    t.match(text, /^(batch\nsync\n|sync\n(batch\n)?)$/, 'io_uring: the batch may be running already')
  } else {
    t.equal(text, 'batch\nsync\n', 'the queued batch was canceled and written first')
  }
  for (const fifo of fifos) closeSync(openSync(fifo, 'w'))
  for (const fd of await Promise.all(blocked)) closeSync(fd)
  await flushed
  t.match(readFileSync(path, 'utf8'), /^(batch\nsync\n|sync\nbatch\n)$/, 'each line once')
  log.write('after\n')
  log.end()
  await closed(log)
  t.match(readFileSync(path, 'utf8'), /after\n$/)
})

t.test(`a descriptor that cannot be synced: durability is a no-op (${backend})`, async (t) => {
  for (const durability of ['data', 'full'] as const) {
    const log = make({ dest: '/dev/null', durability })
    log.write('gone\n')
    await log.flush()
    log.write('gone\n')
    log.flushSync()
    log.end()
    await closed(log)
    t.pass(durability)
  }
})

t.test(`end, finish, close; write after end; destroy (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const path = join(dir, 'end.log')
  const log = make({ dest: path })
  const events: string[] = []
  for (const name of ['ready', 'finish', 'close']) log.on(name, () => events.push(name))
  t.throws(() => log.write(bad(42)), { code: 'ERR_INVALID_ARG_TYPE', message: /"chunk" argument must be of type string/ })
  log.write('one\n')
  let called = 0
  t.equal(log.end(() => called++), log)
  t.equal(log.writable, false)
  log.end(() => called++)
  // As sonic-boom's: a write after end() and before the close is taken, and written before it.
  t.equal(log.write('late\n'), true)
  await closed(log)
  t.same(events, ['ready', 'finish', 'close'])
  t.equal(called, 2)
  t.equal(readFileSync(path, 'utf8'), 'one\nlate\n')
  // Once closed, as sonic-boom's (destroyed by then): write() and end() throw, flush() fails.
  t.equal(log.destroyed, true)
  t.throws(() => log.write('closed\n'), { code: 'ERR_STREAM_DESTROYED', message: 'LogWriter destroyed' })
  t.throws(() => log.end(), { code: 'ERR_STREAM_DESTROYED' })
  await t.rejects(log.flush(), { code: 'ERR_STREAM_DESTROYED' })
  t.equal(await new Promise((resolve) => { void log.flush(resolve) }) instanceof Error, true, 'flush(cb) after the close: cb(error)')

  // destroy, as sonic-boom's: no more lines (write() throws); the write in
  // flight is written (a write() with none in flight starts one, as
  // sonic-boom's), what waits behind it is dropped, then 'close'.
  const gone = join(dir, 'destroyed.log')
  const destroyed = make({ dest: gone })
  const destroyedEvents: string[] = []
  for (const name of ['finish', 'close']) destroyed.on(name, () => destroyedEvents.push(name))
  await once(destroyed, 'ready')
  destroyed.write('in flight\n')
  const flushed = destroyed.flush()
  const flushedCb = new Promise((resolve) => { void destroyed.flush(resolve) })
  destroyed.write('behind it\n')
  const dropped = destroyed.flush()
  t.equal(destroyed.destroy(), destroyed)
  destroyed.destroy()
  t.equal(destroyed.destroyed, true)
  t.throws(() => destroyed.write('after\n'), { code: 'ERR_STREAM_DESTROYED' }, 'a write after destroy() throws')
  t.throws(() => destroyed.end(), { code: 'ERR_STREAM_DESTROYED' }, 'so does end()')
  await flushed
  t.equal(await flushedCb, undefined, 'flushes of the lines in flight resolve')
  await t.rejects(dropped, { code: 'ERR_STREAM_DESTROYED' }, 'a flush of the lines dropped rejects')
  await closed(destroyed)
  t.same(destroyedEvents, ['close'], "no 'finish' without end()")
  await t.rejects(destroyed.flush(), { code: 'ERR_STREAM_DESTROYED' }, 'a flush after destroy() rejects')
  t.equal(readFileSync(gone, 'utf8'), 'in flight\n', 'the line in flight is written, the one behind it dropped')
  // Below minLength nothing is in flight: destroy() drops it.
  const gathering = make({ dest: join(dir, 'gathering.log'), minLength: 100 })
  await once(gathering, 'ready')
  gathering.write('gathering\n')
  gathering.destroy()
  await closed(gathering)
  t.equal(readFileSync(join(dir, 'gathering.log'), 'utf8'), '')
  // end() then destroy(): the end is done, as sonic-boom's ('finish').
  const both = make({ dest: join(dir, 'both.log') })
  await once(both, 'ready')
  both.write('last\n')
  const bothEnded = new Promise((resolve) => both.end(resolve))
  both.destroy()
  t.equal(await bothEnded, undefined)
  await closed(both)
  t.equal(readFileSync(join(dir, 'both.log'), 'utf8'), 'last\n')

  // Destroyed while opening (what was written is dropped, a flush waiting fails), and when idle.
  const opening = make({ dest: join(dir, 'opening.log') })
  opening.write('x\n')
  const openingFlush = new Promise((resolve) => { void opening.flush(resolve) })
  const openingError = once(opening, 'error')
  opening.destroy()
  t.match(await openingFlush, { code: 'ERR_STREAM_DESTROYED' })
  t.match((await openingError)[0], { code: 'ERR_STREAM_DESTROYED' }, "and, as sonic-boom's, an 'error' for the flush waiting")
  await closed(opening)
  t.equal(readFileSync(join(dir, 'opening.log'), 'utf8'), '')
  const idle = make({ dest: join(dir, 'idle.log') })
  await once(idle, 'ready')
  idle.destroy()
  await closed(idle)
  t.equal(readFileSync(join(dir, 'idle.log'), 'utf8'), '')

  // flush(cb) when all is well: cb() with no error.
  const ok = make({ dest: join(dir, 'ok.log') })
  ok.write('fine\n')
  t.equal(await new Promise((resolve) => { void ok.flush(resolve) }), undefined)
  ok.end()
  await closed(ok)
})

t.test(`given descriptors: fd or dest, stderr stays open (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const fd = openSync(join(dir, 'fd.log'), 'a')
  const log = make({ dest: fd })
  await once(log, 'ready')
  log.write('by fd\n')
  log.end()
  await closed(log)
  t.equal(readFileSync(join(dir, 'fd.log'), 'utf8'), 'by fd\n')
  t.throws(() => fstatSync(fd), { code: 'EBADF' })

  const path = join(dir, 'named.log')
  const named = make({ fd: path, dest: path })
  named.write('fd names a path too\n')
  named.end()
  await closed(named)
  t.equal(readFileSync(path, 'utf8'), 'fd names a path too\n')

  const stderr = make({ dest: 2 })
  stderr.write(`# LogWriter on stderr (${backend})\n`)
  stderr.end()
  await closed(stderr)
  t.ok(fstatSync(2), 'stderr is still open')

  const viaFd = make({ fd: openSync(join(dir, 'via.log'), 'w') })
  viaFd.write('sonic-boom style\n')
  viaFd.end()
  await closed(viaFd)
  t.equal(readFileSync(join(dir, 'via.log'), 'utf8'), 'sonic-boom style\n')

  const out = await runChild({ mode: 'stdout', dest: '', lines: 500 })
  t.equal(out.code, 0, out.stderr)
  t.equal(out.stdout, logLines(0, 500) + 'still open\n', 'fd 1 written, and not closed by end()')
})

t.test(`a full disk: 'error' with ENOSPC, earlier lines and other files intact, nothing taken lost (${backend})`, async (t) => {
  const full = fullDisk(t)
  if (full === undefined) return
  const path = join(full, 'app.log')
  // Another file on the same disk, written before it fills up.
  const neighbour = join(full, 'other.log')
  const other0 = logLines(0, 500)
  writeFileSync(neighbour, other0)
  const log = make({ dest: path, durability: 'data' })
  const early = logLines(0, 2000)
  log.write(early)
  await log.flush()
  const errors: unknown[] = []
  log.on('error', (error) => errors.push(error))
  for (let i = 0; i < 30000; i++) log.write(logLine(i))
  await t.rejects(log.flush(), { code: 'ENOSPC', syscall: 'write', path, message: `ENOSPC: no space left on device, write '${path}'` })
  t.equal(errors.length, 1)
  t.match(errors[0], { code: 'ENOSPC', errno: -errno.ENOSPC })
  t.equal(readFileSync(path, 'utf8').slice(0, early.length), early, 'what was flushed before is intact')
  t.equal(readFileSync(neighbour, 'utf8'), other0, 'the other file on the disk is intact')
  t.equal(log.destroyed, false, "as sonic-boom's, the writer goes on")

  // flushSync meets it too, as a throw.
  // (With durability a batch waits for the loop to turn: flushSync takes it.)
  const other = make({ dest: join(full, 'sync.log'), durability: 'data' })
  other.on('error', () => {})
  await once(other, 'ready')
  const big = 'x'.repeat(2 << 20)
  // Two pieces: the first written whole, the second cut short by the full disk.
  other.write(Buffer.from('head\n'))
  other.write(big)
  t.throws(() => other.flushSync(), { code: 'ENOSPC', syscall: 'write' })

  // end() on the full disk: the end gives up, end(cb) gets the error, the file closes (no 'finish').
  const ending = make({ dest: join(full, 'ending.log') })
  ending.on('error', () => {})
  let finished = false
  ending.on('finish', () => { finished = true })
  await once(ending, 'ready')
  ending.write(big)
  t.match(await new Promise((resolve) => ending.end(resolve)), { code: 'ENOSPC', syscall: 'write' }, 'end(cb) hears of it')
  await closed(ending)
  t.equal(finished, false)

  // destroy() with the batch in flight, which then fails: it closes all the same.
  const destroyed = make({ dest: join(full, 'destroyed.log') })
  destroyed.on('error', () => {})
  await once(destroyed, 'ready')
  destroyed.write(big)
  destroyed.destroy()
  await closed(destroyed)

  // A reopen() asked for while the batch fails goes on after it.
  // (The reopened file is written at once, as sonic-boom's: that fails too.)
  const rotating = make({ dest: join(full, 'rotating.log') })
  const rotatingErrors: unknown[] = []
  rotating.on('error', (error) => rotatingErrors.push(error))
  await once(rotating, 'ready')
  rotating.write(big)
  rotating.reopen()
  // Not events.once: it rejects on the 'error' that comes first.
  await new Promise((resolve) => rotating.once('ready', resolve))
  t.match(rotatingErrors[0], { code: 'ENOSPC' })

  // Room again (the tmpfs made larger): what each took is written, once, in order.
  execFileSync('mount', ['-o', 'remount,size=8m', full])
  await log.flush()
  t.equal(readFileSync(path, 'utf8'), early + logLines(0, 30000), 'every line, after the failure too')
  other.flushSync()
  t.equal(readFileSync(join(full, 'sync.log'), 'utf8'), 'head\n' + big, 'what flushSync had not written, written by the next one')
  await rotating.flush()
  t.equal(readFileSync(join(full, 'rotating.log'), 'utf8'), big, 'the reopened file gets what the failed batch kept')
  for (const writer of [log, other, rotating]) writer.end()
  await Promise.all([log, other, rotating].map(closed))
  t.equal(errors.length, 1)
})

t.test(`a flushSync that fails gives the batch it took over its bytes back (${backend})`, async (t) => {
  const full = fullDisk(t)
  if (full === undefined) return
  const dir = scratchDir(t)
  // No batch: one piece written whole, the next cut short; the rest of it is kept.
  const alone = make({ dest: join(full, 'alone.log'), durability: 'data' })
  alone.on('error', () => {}) // its own batch meets the full disk too
  await once(alone, 'ready')
  const first = Buffer.alloc(1000, 0x61)
  const rest = 'z'.repeat(2 << 20)
  alone.write(first)
  alone.write(rest)
  t.throws(() => alone.flushSync(), { code: 'ENOSPC', syscall: 'write' })

  const path = join(full, 'queued.log')
  const log = make({ dest: path, durability: 'data' })
  const errors: unknown[] = []
  log.on('error', (error) => errors.push(error))
  await once(log, 'ready')
  // As in "flushSync takes over a batch still queued": the pool's threads
  // blocked, a batch that goes to the pool waits queued; flushSync cancels
  // it, takes its bytes, fails on the full disk and gives them back.
  const fifos = [0, 1, 2, 3].map((i) => join(dir, `fifo${i}`))
  for (const fifo of fifos) spawnSync('mkfifo', [fifo])
  const blocked = fifos.map((fifo) => new Promise<number>((resolve) => open(fifo, 'r', (_, fd) => resolve(fd))))
  await new Promise((resolve) => setTimeout(resolve, 50))
  const big = 'y'.repeat(2 << 20)
  log.write(big)
  await new Promise((resolve) => setImmediate(resolve)) // the batch is submitted
  try {
    log.flushSync()
    // io_uring: the batch may be running already; flushSync had nothing to write.
    t.equal(backend, 'io_uring', 'only a batch already running is not taken over')
  } catch (error) {
    t.match(error, { code: 'ENOSPC', syscall: 'write' })
  }
  for (const fifo of fifos) closeSync(openSync(fifo, 'w'))
  for (const fd of await Promise.all(blocked)) closeSync(fd)
  // The batch goes on with what it got back, and meets the full disk too.
  while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  t.match(errors[0], { code: 'ENOSPC' })
  execFileSync('mount', ['-o', 'remount,size=8m', full])
  await log.flush()
  t.equal(readFileSync(path, 'utf8'), big, 'every byte once')
  alone.flushSync()
  t.equal(readFileSync(join(full, 'alone.log'), 'utf8'), first.toString() + rest, 'every byte once')
  log.end()
  alone.end()
  await closed(log)
  await closed(alone)
})

t.test(`a full pipe (EAGAIN) is waited for, not an error (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const fifo = join(dir, 'fifo')
  spawnSync('mkfifo', [fifo])
  const out = join(dir, 'out')
  // Holds a reader open so that the non-blocking open for writing works.
  const holder = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  t.teardown(() => closeSync(holder))
  for (const how of ['async', 'sync']) {
    const fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK)
    // A reader that starts late: the pipe (64 KiB) is full long before.
    const reader = spawn('sh', ['-c', `sleep 0.3; cat ${fifo} > ${out}`])
    // Listened for now: the reader may be gone before the writer's 'close'.
    const readerClosed = once(reader, 'close')
    const log = make({ fd })
    const data = logLines(0, 20000)
    log.write(data)
    if (how === 'sync') log.flushSync()
    await log.flush()
    log.end()
    await closed(log)
    await readerClosed
    t.equal(readFileSync(out, 'utf8'), data, how)
  }
})

t.test(`pending lines are written at exit (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const ready = join(dir, 'ready.log')
  t.equal((await runChild({ mode: 'exit-ready', dest: ready, lines: 3000 })).code, 0)
  t.equal(readFileSync(ready, 'utf8'), logLines(0, 3000), 'after ready: every line')

  const opening = join(dir, 'sub', 'opening.log')
  t.equal((await runChild({ mode: 'exit-opening', dest: opening, lines: 500, mkdir: true })).code, 0)
  t.equal(readFileSync(opening, 'utf8'), logLines(0, 500), 'still opening: opened again, synchronously')

  const truncating = join(dir, 'truncating.log')
  writeFileSync(truncating, 'old\n')
  t.equal((await runChild({ mode: 'exit-opening', dest: truncating, lines: 10, append: false })).code, 0)
  t.not(readFileSync(truncating, 'utf8'), logLines(0, 10) + logLines(0, 10), 'append: false, still opening: never written twice')

  const inflight = join(dir, 'inflight.log')
  const run = await runChild({ mode: 'exit-inflight', dest: inflight })
  t.equal(run.code, 0, run.stderr)
  const text = readFileSync(inflight, 'utf8')
  t.ok(text.includes(logLines(1000, 2000)), 'the lines not yet handed to the engine, in order')
  t.ok(!text.includes(logLine(999) + logLine(999)), 'nothing written twice')
  t.equal(readFileSync(`${inflight}.idle`, 'utf8'), 'idle\n')
  t.equal(readFileSync(`${inflight}.quiet`, 'utf8'), 'quiet\n', 'a batch in flight at exit is written once')

  const missing = join(dir, 'none', 'x.log')
  const failed = await runChild({ mode: 'exit-error', dest: missing })
  t.equal(failed.code, 0)
  t.match(failed.stderr, /error ENOENT open/, 'a failure at exit goes to the error listeners')
  t.equal(existsSync(missing), false)
})

interface Row {
  name: string
  options: unknown
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE'
  message: RegExp
}

t.test(`bad options throw at once (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const dest = join(dir, 'never.log')
  const rows: Row[] = [
    { name: 'no options', options: undefined, code: 'ERR_INVALID_ARG_TYPE', message: /"options" argument must be of type object/ },
    { name: 'no dest', options: {}, code: 'ERR_INVALID_ARG_TYPE', message: /"options.dest" property must be of type string or number/ },
    { name: 'dest an object', options: { dest: {} }, code: 'ERR_INVALID_ARG_TYPE', message: /options.dest/ },
    { name: 'dest with a null byte', options: { dest: 'a\u0000b' }, code: 'ERR_INVALID_ARG_VALUE', message: /without null bytes/ },
    { name: 'fd with a null byte', options: { fd: 'a\u0000b' }, code: 'ERR_INVALID_ARG_VALUE', message: /options.fd/ },
    { name: 'negative fd', options: { fd: -1 }, code: 'ERR_OUT_OF_RANGE', message: /"options.fd" is out of range/ },
    { name: 'fractional dest', options: { dest: 1.5 }, code: 'ERR_OUT_OF_RANGE', message: /"options.dest" is out of range/ },
    { name: 'fd and dest differ', options: { fd: 3, dest }, code: 'ERR_INVALID_ARG_VALUE', message: /different destinations/ },
    { name: 'append not boolean', options: { dest, append: 'yes' }, code: 'ERR_INVALID_ARG_TYPE', message: /"options.append" property must be of type boolean/ },
    { name: 'mkdir not boolean', options: { dest, mkdir: 1 }, code: 'ERR_INVALID_ARG_TYPE', message: /options.mkdir/ },
    { name: 'fsync not boolean', options: { dest, fsync: 'true' }, code: 'ERR_INVALID_ARG_TYPE', message: /options.fsync/ },
    { name: 'retryEAGAIN not a function', options: { dest, retryEAGAIN: true }, code: 'ERR_INVALID_ARG_TYPE', message: /"options.retryEAGAIN" property must be of type function/ },
    { name: 'maxWriteRetries negative', options: { dest, maxWriteRetries: -1 }, code: 'ERR_OUT_OF_RANGE', message: /options.maxWriteRetries/ },
    { name: 'unknown durability', options: { dest, durability: 'fsync' }, code: 'ERR_INVALID_ARG_VALUE', message: /must be one of 'none', 'data', 'full'/ },
    { name: 'fsync with another durability', options: { dest, fsync: true, durability: 'data' }, code: 'ERR_INVALID_ARG_VALUE', message: /means durability 'full', not 'data'/ },
    { name: 'mode a string', options: { dest, mode: '644' }, code: 'ERR_INVALID_ARG_TYPE', message: /options.mode/ },
    { name: 'mode too big', options: { dest, mode: 0o10000 }, code: 'ERR_OUT_OF_RANGE', message: /options.mode/ },
    { name: 'maxBufferedBytes 0', options: { dest, maxBufferedBytes: 0 }, code: 'ERR_OUT_OF_RANGE', message: /"options.maxBufferedBytes" is out of range. It must be >= 1/ },
    { name: 'flushInterval negative', options: { dest, flushInterval: -1 }, code: 'ERR_OUT_OF_RANGE', message: /options.flushInterval/ },
    { name: 'minLength fractional', options: { dest, minLength: 0.5 }, code: 'ERR_OUT_OF_RANGE', message: /options.minLength/ },
    { name: 'minLength not below maxWrite', options: { dest, minLength: 16384 }, code: 'ERR_OUT_OF_RANGE', message: /"options.minLength" is out of range. It must be < 16384 \(options.maxWrite\)/ },
    { name: 'maxLength a string', options: { dest, maxLength: '1' }, code: 'ERR_INVALID_ARG_TYPE', message: /options.maxLength/ },
    { name: 'periodicFlush NaN', options: { dest, periodicFlush: NaN }, code: 'ERR_OUT_OF_RANGE', message: /options.periodicFlush/ },
    { name: 'periodicFlush past a timer', options: { dest, periodicFlush: 2 ** 31 }, code: 'ERR_OUT_OF_RANGE', message: /options.periodicFlush/ },
    { name: 'flushInterval past a timer', options: { dest, flushInterval: 2 ** 31 }, code: 'ERR_OUT_OF_RANGE', message: /options.flushInterval/ },
    { name: 'unknown contentMode', options: { dest, contentMode: 'binary' }, code: 'ERR_INVALID_ARG_VALUE', message: /'options.contentMode' must be 'utf8' or 'buffer'. Received 'binary'/ }
  ]
  for (const row of rows) {
    t.throws(() => new LogWriter(bad(row.options)), { code: row.code, message: row.message }, row.name)
  }
  t.equal(existsSync(dest), false, 'nothing was opened')
  // Good ones that look odd: fsync: true is durability 'full'; fsync: false is accepted; sync takes any value, as sonic-boom's.
  for (const options of [{ fsync: true }, { fsync: true, durability: 'full' }, { fsync: false, durability: 'data' }, { sync: false }, { sync: '0' }, { sync: 1, mode: -0 }, { contentMode: 'buffer' }, { contentMode: 'utf8' }]) {
    const log = make({ dest, ...options } as LogWriterOptions)
    log.write('ok\n')
    log.end()
    await closed(log)
  }
  t.equal(readFileSync(dest, 'utf8'), 'ok\n'.repeat(8))
  // Method arguments.
  const log = make({ dest })
  t.throws(() => log.flush(bad('no')), { code: 'ERR_INVALID_ARG_TYPE', message: /"cb" argument must be of type function/ })
  t.throws(() => log.end(bad(1)), { code: 'ERR_INVALID_ARG_TYPE' })
  t.throws(() => log.reopen(bad('a\u0000')), { code: 'ERR_INVALID_ARG_VALUE' })
  log.end()
  await closed(log)
  mkdirSync(join(dir, 'unused'))
})

t.test(`flush() without a callback: a failure is never an unhandled rejection (${backend})`, async (t) => {
  const path = join(scratchDir(t), 'destroyed.log')
  // In a child: an unhandled rejection would end it with exit code 1.
  // A file in a directory that is not there: the open fails, and so does the flush.
  const run = spawnSync(process.execPath, [...process.execArgv, '-e', `
    const { LogWriter } = require(${JSON.stringify(require.resolve('../lib/index'))})
    const writer = new LogWriter({ dest: ${JSON.stringify(join(path, 'missing', 'x.log'))} })
    writer.on('error', () => {})
    writer.write('a line\\n')
    writer.flush()
    setTimeout(() => console.log('alive'), 200)`], { encoding: 'utf8', timeout: 60_000 })
  t.equal(run.status, 0, String(run.stderr))
  t.equal(run.stdout, 'alive\n')
  // Awaited, the same promise still rejects.
  const writer = make({ dest: join(path, 'missing', 'x.log') })
  writer.on('error', () => {})
  writer.write('a line\n')
  await t.rejects(writer.flush(), { code: 'ENOENT' })
  await closed(writer)
})

t.test(`flushSync while a batch waits to retry a full pipe takes its bytes (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const fifo = join(dir, 'fifo')
  const out = join(dir, 'out')
  spawnSync('mkfifo', [fifo])
  // A reader end held open (never read) lets the non-blocking writer open;
  // `cat`, a moment later, is the one that drains the pipe.
  const held = openSync(fifo, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK)
  const fd = openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK)
  const cat = spawn('sh', ['-c', `sleep 0.3; exec cat < '${fifo}' > '${out}'`], { stdio: 'ignore' })
  const catDone = once(cat, 'exit')
  const writer = make({ fd })
  const LINES = 4000
  for (let i = 0; i < LINES; i++) writer.write(logLine(i))
  // The pipe holds 64 KiB: the batch wrote that much and now waits to retry.
  await new Promise((resolve) => setTimeout(resolve, 100))
  writer.flushSync() // blocks until cat has read enough
  writer.write(logLine(LINES))
  writer.end()
  await once(writer, 'close')
  await catDone
  closeSync(held)
  t.equal(readFileSync(out, 'utf8'), logLines(0, LINES + 1), 'every line once, in order')
})
