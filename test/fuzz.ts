// Property-based fuzzing (fast-check) of every public call's arguments.
// Each run makes a handful of random calls in one tick (so they share
// batches and race each other), waits for all of them, then checks:
// - nothing threw or rejected with anything but an Error;
// - the guard bytes around every buffer view handed out are untouched (the
//   views are windows into larger ArrayBuffers, like buffer.subarray());
// - nothing is left in flight, and every LogWriter made is closed ('close'
//   seen) by the end of its run;
// - a LogWriter emits nothing but Errors as 'error', and calls back with
//   nothing else.
// The process not crashing is the rest of the property.
//
// Values are hostile, but never dangerous to the machine running the test:
// descriptors are our own files or ones that cannot be open, paths stay in
// a scratch directory, and sizes stay small where a valid one would be
// allocated (a valid 2 GiB length is not a bug to find, just slow).
// A LogWriter gets descriptors opened for it alone (it closes them) or
// ones that cannot be open, never 0, 1 or 2, and a flushInterval or
// periodicFlush of a few ms (a valid minute is only slow).
import t from 'tap'
import fc from 'fast-check'
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { inspect } from 'node:util'
import { AIO, AioFileHandle, alignedBuffer, ControlBlock, LogWriter, open } from '../lib/index'
import { backend, scratchDir } from './helpers'

const CALLS = Number(process.env.FUZZ_CALLS ?? 20_000)
const PER_RUN = 10
const GUARD = 16
const GUARD_BYTE = 0xa5

interface Ctx {
  fd: number
  roFd: number
  dir: string
  /** Files a file handle may open (and truncate, and write far into). */
  handlePaths: string[]
  /** Files the many-files calls read and write; always small. */
  filePaths: string[]
  blocks: ControlBlock[]
  handles: AioFileHandle[]
  views: Array<{ bytes: Uint8Array, start: number, length: number }>
  /** Files a LogWriter may write (the last one only with mkdir). */
  logPaths: string[]
  writers: LogWriter[]
  /** Descriptors opened for the LogWriter constructor call being made. */
  fresh: number[]
  /** Writers the constructor calls made. */
  constructed: number
  /** What broke the properties so far in this run. */
  bad: string[]
  /** Calls whose promise has not settled yet (named in a stall report). */
  open: Array<{ name: string, args: unknown[], done: boolean }>
  /** The arguments of the last call made. */
  args: unknown[]
}

// A value made fresh for each call from the context.
type V = (c: Ctx) => unknown

const konst = (value: unknown): V => () => value
/** An arbitrary of exactly this value. */
const just = (value: unknown): fc.Arbitrary<V> => fc.constant(konst(value))

// Invalid or edge values of every type. No valid number that would make a
// large allocation (2 ** 31 - 1 as a length is valid and merely slow).
const edge = fc.constantFrom<unknown>(undefined, null, NaN, Infinity, -Infinity, -0, 0, -1, 1.5, -1.5,
  2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 64, '', '0', '8', 'abc', 'hex',
  true, false, [], [1], {}, Symbol.for('fuzz'), 1n, -1n, () => 1, new Date(0), /x/, new Map(),
  Object.create(null), new Proxy({}, {}), new ArrayBuffer(8), new SharedArrayBuffer(8))
// Plain objects with a few keys. Never random keys: an object passed where
// AIO.write takes { path: data } writes its keys as paths, and a random key
// may be absolute. (Relative ones land in the scratch directory: the test
// runs there.)
const objectArb = fc.dictionary(fc.constantFrom('fd', 'buffer', 'offset', 'length', 'position', 'x'),
  fc.oneof(edge, fc.integer({ min: -2, max: 64 })), { maxKeys: 3 })
const junk: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: edge },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.double({ min: -1e3, max: 1e3 }) },
  { weight: 1, arbitrary: objectArb }
).map(konst)
// The same without strings: a string path is relative to the working
// directory, and the fuzzer must not create files there.
const notString: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: edge.filter((v) => typeof v !== 'string') },
  { weight: 1, arbitrary: fc.double({ min: -1e3, max: 1e3 }) },
  { weight: 1, arbitrary: objectArb }
).map(konst)
const smallInt = fc.integer({ min: -3, max: 70_000 }).map(konst)
const tinyInt = fc.integer({ min: -2, max: 80 }).map(konst)
const num = fc.oneof({ weight: 3, arbitrary: smallInt }, { weight: 2, arbitrary: tinyInt }, { weight: 2, arbitrary: junk })
const maybe = (arb: fc.Arbitrary<V>): fc.Arbitrary<V> => fc.oneof(arb, just(undefined), just(null))

// Our read-write file, our read-only one, or one that cannot be open.
const fdArb: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: fc.constant((c: Ctx) => c.fd) },
  { weight: 2, arbitrary: fc.constant((c: Ctx) => c.roFd) },
  { weight: 1, arbitrary: fc.constantFrom(999_999, 2 ** 31 - 1, 2 ** 31, -1, -0, 0.5).map(konst) },
  { weight: 1, arbitrary: junk })

// Paths that are names on Object.prototype: keys like any other.
const PROTO_NAMES = ['__proto__', 'constructor', 'hasOwnProperty']

// Every kind of view, over every kind of memory: shared, resizable and
// growable (those are refused), and at an odd byte offset.
const TYPED = {
  Uint8Array, Uint8ClampedArray, Int8Array, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array
} as const
const VIEWS = ['Buffer', ...Object.keys(TYPED) as Array<keyof typeof TYPED>, 'DataView', 'detached',
  'shared', 'resizable', 'growable', 'odd'] as const
const Resizable = ArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => ArrayBuffer
const Growable = SharedArrayBuffer as unknown as new (size: number, options: { maxByteLength: number }) => SharedArrayBuffer

// A view into the middle of a larger, guarded ArrayBuffer.
function makeView (c: Ctx, kind: typeof VIEWS[number], count: number): ArrayBufferView {
  const Typed = kind in TYPED ? TYPED[kind as keyof typeof TYPED] : undefined
  const width = Typed?.BYTES_PER_ELEMENT ?? 1
  const length = count * width
  // 'odd': a byte view starting one byte past the guard.
  const start = kind === 'odd' ? GUARD + 1 : GUARD
  const size = start + length + GUARD
  const memory = kind === 'shared'
    ? new SharedArrayBuffer(size)
    : kind === 'resizable'
      ? new Resizable(size, { maxByteLength: size * 2 })
      : kind === 'growable' ? new Growable(size, { maxByteLength: size * 2 }) : new ArrayBuffer(size)
  const bytes = new Uint8Array(memory).fill(GUARD_BYTE)
  bytes.fill(0x20 + (count % 64), start, start + length)
  if (kind === 'detached') {
    const view = new Uint8Array(memory, start, length)
    structuredClone(memory, { transfer: [memory as ArrayBuffer] })
    return view
  }
  c.views.push({ bytes, start, length })
  if (Typed !== undefined) return new Typed(memory, start, count)
  switch (kind) {
    case 'Buffer': case 'shared': case 'growable': return Buffer.from(memory).subarray(start, start + length)
    case 'odd': case 'resizable': return new Uint8Array(memory, start, length)
    default: return new DataView(memory, start, length)
  }
}

const viewArb: fc.Arbitrary<V> = fc.record({
  kind: fc.constantFrom(...VIEWS),
  count: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 9000 }))
}).map(({ kind, count }) => (c: Ctx) => makeView(c, kind, count))
const bufArb = fc.oneof({ weight: 5, arbitrary: viewArb }, { weight: 1, arbitrary: junk })

const pathArb: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => (c: Ctx) => c.filePaths[i]) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => c.dir) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => join(c.dir, 'no', 'such', 'dir', 'f')) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => join(c.dir, 'nul\u0000byte')) },
  { weight: 1, arbitrary: fc.constant(() => '') },
  { weight: 1, arbitrary: fc.constantFrom(...PROTO_NAMES).map(konst) },
  { weight: 1, arbitrary: notString })
const handlePathArb: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 1 }).map((i) => (c: Ctx) => c.handlePaths[i]) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => pathToFileURL(c.handlePaths[0])) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => Buffer.from(c.handlePaths[1])) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => c.dir) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => join(c.dir, 'missing')) },
  { weight: 1, arbitrary: fc.constant(() => '') },
  { weight: 1, arbitrary: notString })

const signalArb: fc.Arbitrary<V> = fc.oneof(
  just(undefined),
  fc.constant(() => AbortSignal.abort()),
  fc.constant(() => new AbortController().signal),
  fc.constant(() => { const ac = new AbortController(); queueMicrotask(() => ac.abort()); return ac.signal }),
  junk)

const opcodeArb = fc.oneof(fc.constantFrom(AIO.LIO_READ, AIO.LIO_WRITE, AIO.LIO_NOP).map(konst), junk)
const blockArb: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => (c: Ctx) => c.blocks[i]) },
  { weight: 1, arbitrary: junk })
const optionsArb = fc.record({
  fd: maybe(fdArb), buffer: maybe(bufArb), nbytes: maybe(num), offset: maybe(num), reqprio: maybe(num), opcode: maybe(opcodeArb)
}, { requiredKeys: [] })

const call = (name: string, run: (c: Ctx, ...a: unknown[]) => unknown, ...args: Array<fc.Arbitrary<V>>):
fc.Arbitrary<{ name: string, run: (c: Ctx) => unknown }> =>
  fc.tuple(...args).map((gens) => ({
    name,
    run: (c: Ctx) => {
      const values = gens.map((g) => g(c))
      c.args = values
      return run(c, ...values)
    }
  }))

const setters = ['fd', 'buffer', 'nbytes', 'offset', 'reqprio', 'opcode'] as const
const handleArb: fc.Arbitrary<V> = fc.nat(3).map((i) => (c: Ctx) => c.handles[i % Math.max(c.handles.length, 1)])
const fileRecord = fc.array(fc.tuple(fc.integer({ min: 0, max: 3 + PROTO_NAMES.length }), fc.oneof(bufArb, fc.string().map(konst))), { maxLength: 3 })

// LogWriter: every option with values of every type, descriptors of its
// own (writable, read-only) or not open, paths in the scratch directory.
const freshFd = (flags: string): V => (c: Ctx) => {
  const fd = openSync(c.logPaths[1], flags)
  c.fresh.push(fd)
  return fd
}
const logPathArb: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 }).map((i) => (c: Ctx) => c.logPaths[i]) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => c.dir) },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => join(c.dir, 'nul\u0000byte')) },
  { weight: 1, arbitrary: fc.constant(() => '') },
  { weight: 1, arbitrary: fc.constant((c: Ctx) => pathToFileURL(c.logPaths[0])) },
  // No numbers but ones that cannot be open: a number is a descriptor the
  // writer writes to and closes (0 and -0 are stdin, an integral double may
  // be our own file or the engine's).
  { weight: 1, arbitrary: edge.filter((v) => typeof v !== 'string' && typeof v !== 'number').map(konst) },
  { weight: 1, arbitrary: fc.constantFrom(999_999, 2 ** 31 - 1, 2 ** 31, -1, 0.5, NaN, Infinity).map(konst) })
const logDestArb: fc.Arbitrary<V> = fc.oneof(
  { weight: 4, arbitrary: logPathArb },
  { weight: 2, arbitrary: fc.constant(freshFd('a')) },
  { weight: 1, arbitrary: fc.constant(freshFd('r')) })
// Mostly valid values, so that most constructor calls make a writer and its
// options are exercised; sometimes anything at all.
const orJunk = (arb: fc.Arbitrary<V>, ...invalid: unknown[]): fc.Arbitrary<V> => fc.oneof({ weight: 16, arbitrary: arb },
  { weight: 1, arbitrary: invalid.length > 0 ? fc.constantFrom(...invalid).map(konst) : junk }, { weight: 1, arbitrary: junk })
const shortMs = orJunk(fc.integer({ min: 0, max: 5 }).map(konst))
const size = orJunk(fc.oneof(fc.integer({ min: 1, max: 70_000 }), fc.constantFrom(1, 2 ** 53 - 1)).map(konst), 0, -1, 2 ** 53)
// The destination: dest, fd, both (the same or not), or neither.
const whereArb: fc.Arbitrary<Record<string, V>> = fc.oneof(
  { weight: 10, arbitrary: logDestArb.map((dest) => ({ dest })) },
  { weight: 4, arbitrary: logDestArb.map((fd) => ({ fd })) },
  { weight: 1, arbitrary: fc.tuple(logDestArb, logDestArb).map(([dest, fd]) => ({ dest, fd })) },
  { weight: 1, arbitrary: logPathArb.map((dest) => ({ dest, fd: (c: Ctx) => c.logPaths.find((p) => p === dest(c)) ?? dest(c) })) },
  { weight: 1, arbitrary: fc.constant({}) })
const logOptionsArb = fc.tuple(whereArb, fc.record({
  append: orJunk(fc.boolean().map(konst)),
  mkdir: orJunk(fc.boolean().map(konst)),
  mode: orJunk(fc.constantFrom(0o600, 0o644, 0o7777, 0).map(konst), 0o10000, -1, 1.5),
  durability: orJunk(fc.constantFrom('none', 'data', 'full').map(konst), 'DATA', 'sync'),
  fsync: orJunk(fc.constantFrom(false, false, false, true).map(konst)),
  maxBufferedBytes: size,
  flushInterval: shortMs,
  minLength: size,
  maxLength: size,
  periodicFlush: shortMs,
  sync: orJunk(just(false), true)
}, { requiredKeys: [] })).map(([where, o]) => (c: Ctx) =>
  Object.fromEntries(Object.entries({ ...where, ...o }).map(([k, v]) => [k, v(c)])))
const writerArb: fc.Arbitrary<V> = fc.nat(3).map((i) => (c: Ctx) => c.writers[i % Math.max(c.writers.length, 1)])
// A callback that checks what it is called with, or not a function.
const logCbArb: fc.Arbitrary<V> = fc.oneof(
  { weight: 2, arbitrary: fc.constant((c: Ctx) => (error?: unknown) => {
    if (error != null && !(error instanceof Error)) c.bad.push(`a LogWriter called back with a non-Error: ${String(error)}`)
  }) },
  { weight: 1, arbitrary: just(undefined) },
  { weight: 1, arbitrary: junk })
const chunkArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 80 }).map(konst) },
  { weight: 3, arbitrary: viewArb },
  { weight: 1, arbitrary: junk })

// Writers whose 'close' was seen.
const closedWriters = new WeakSet<LogWriter>()
/** A LogWriter whose 'error' events must be Errors; it joins the run's writers. */
function adopt (c: Ctx, writer: LogWriter): LogWriter {
  writer.once('close', () => closedWriters.add(writer))
  writer.on('error', (error: unknown) => {
    if (!(error instanceof Error)) c.bad.push(`a LogWriter emitted a non-Error: ${String(error)}`)
  })
  c.writers.push(writer)
  return writer
}

// Not `junk` as the options: its objects may have an `fd` key, or be given
// one (the edge objects are shared, and `cb.fd = v` on a junk block sets it),
// and a writer given our file's descriptor (or the engine's) would close it.
const notOptions: fc.Arbitrary<V> = fc.oneof(
  edge.filter((v) => (typeof v !== 'object' || v === null) && typeof v !== 'function').map(konst),
  fc.constantFrom<V>(() => ({}), () => [], () => new Map(), () => Object.create(null), () => new Proxy({}, {}),
    () => new Date(0), () => () => 1))

const logCalls = [
  call('new LogWriter(options)', (c, o) => {
    try {
      adopt(c, new LogWriter(o as never))
      c.constructed++
    } catch (error) {
      // Not taken: the descriptors opened for it are still ours.
      for (const fd of c.fresh) closeSync(fd)
      throw error
    } finally {
      c.fresh = []
    }
  }, fc.oneof({ weight: 6, arbitrary: logOptionsArb }, { weight: 1, arbitrary: notOptions })),
  call('log.write(chunk)', (c, w, chunk) => (w as LogWriter | undefined)?.write(chunk as never), writerArb, chunkArb),
  call('log.flush(cb)', (c, w, cb) => (w as LogWriter | undefined)?.flush(cb as never), writerArb, logCbArb),
  call('log.flushSync()', (c, w) => { (w as LogWriter | undefined)?.flushSync() }, writerArb),
  call('log.reopen(path)', (c, w, path) => { (w as LogWriter | undefined)?.reopen(path as never) },
    writerArb, maybe(logPathArb)),
  call('log.end(cb)', (c, w, cb) => (w as LogWriter | undefined)?.end(cb as never), writerArb, logCbArb),
  call('log.destroy()', (c, w) => (w as LogWriter | undefined)?.destroy(), writerArb)
]

const calls = fc.oneof(
  // ControlBlock: the constructor, every setter, validate and reset.
  call('new ControlBlock(options)', (c, o) => new ControlBlock(o as never),
    fc.oneof(optionsArb.map((o) => (c: Ctx) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v(c)]))), junk)),
  ...setters.map((field) => call(`cb.${field} = v`, (c, cb, v) => { (cb as Record<string, unknown>)[field] = v },
    blockArb, field === 'fd' ? fdArb : field === 'buffer' ? bufArb : field === 'opcode' ? opcodeArb : num)),
  call('cb.validate()', (c, cb) => (cb as ControlBlock).validate(), blockArb),
  call('cb.reset()', (c, cb) => (cb as ControlBlock).reset(), blockArb),
  // The POSIX calls.
  call('AIO.read(cb)', (c, cb) => AIO.read(cb as never), blockArb),
  call('AIO.write(cb)', (c, cb) => AIO.write(cb as never), blockArb),
  call('AIO.fsync(op, cbOrFd)', (c, op, target) => AIO.fsync(op as never, target as never),
    fc.oneof(fc.constantFrom(AIO.O_SYNC, AIO.O_DSYNC).map(konst), junk), fc.oneof(blockArb, fdArb)),
  call('AIO.error(cb)', (c, cb) => AIO.error(cb as never), blockArb),
  call('AIO.return(cb)', (c, cb) => AIO.return(cb as never), blockArb),
  call('AIO.cancel(fd, cb)', (c, fd, cb) => AIO.cancel(fd as never, cb as never), fdArb, maybe(blockArb)),
  call('AIO.suspend(list, timeout)', (c, list, ms) => AIO.suspend(list as never, ms as never),
    fc.oneof(fc.array(maybe(blockArb), { maxLength: 3 }).map((l) => (c: Ctx) => l.map((g) => g(c))), junk),
    fc.oneof(just(undefined), fc.integer({ min: 0, max: 5 }).map(konst), junk)),
  call('AIO.lioListio(mode, list)', (c, mode, list) => AIO.lioListio(mode as never, list as never),
    fc.oneof(fc.constantFrom(AIO.LIO_WAIT, AIO.LIO_NOWAIT).map(konst), junk),
    fc.oneof({ weight: 4, arbitrary: fc.array(maybe(blockArb), { maxLength: 4 }).map((l) => (c: Ctx) => l.map((g) => g(c))) },
      { weight: 1, arbitrary: junk })),
  // Many files at once.
  call('AIO.write(files, options)', (c, files, options) => AIO.write(files as never, options as never),
    fc.oneof({ weight: 4, arbitrary: fileRecord.map((r) => (c: Ctx) => Object.fromEntries(r.map(([k, v]) =>
      [k < 3 ? c.filePaths[k] : k === 3 ? c.dir : PROTO_NAMES[k - 4], v(c)]))) }, { weight: 1, arbitrary: junk }),
    fc.oneof(maybe(fc.record({
      flag: maybe(fc.oneof(fc.constantFrom('w', 'a').map(konst), junk)),
      mode: maybe(fc.oneof(fc.constantFrom(0o600, 0o644).map(konst), num)),
      sync: maybe(fc.oneof(fc.constantFrom(false, 'data', 'full').map(konst), junk))
    }, { requiredKeys: [] }).map((o) => (c: Ctx) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v(c)])))), junk)),
  call('AIO.read(paths)', (c, paths) => AIO.read(paths as never),
    fc.oneof(fc.array(pathArb, { maxLength: 4 }).map((l) => (c: Ctx) => l.map((g) => g(c))), junk)),
  call('AIO.read({ path: range })', (c, files) => AIO.read(files as never),
    fc.array(fc.tuple(pathArb, maybe(fc.oneof(fc.record({ offset: maybe(num), length: maybe(num) }, { requiredKeys: [] })
      .map((o) => (c: Ctx) => ({ offset: o.offset?.(c), length: o.length?.(c) })), junk))), { maxLength: 3 })
      .map((entries) => (c: Ctx) => Object.fromEntries(entries.map(([p, r]) => [String(p(c)), r(c)])))),
  // open() and every AioFileHandle method.
  call('open(path, flags, mode, options)', async (c, path, flags, mode, options) => {
    const fh = await open(path as never, flags as never, mode as never, options as never)
    c.handles.push(fh)
  }, handlePathArb, fc.oneof(fc.constantFrom('r', 'r+', 'w+', 'a', 'a+', 'wx', 'rs+').map(konst),
    fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(konst), junk),
  maybe(fc.oneof(fc.constantFrom(0o644, '644', '999').map(konst), junk)),
  fc.oneof(just(undefined), just({ direct: true }), just({ direct: 1 }), junk)),
  call('fh.read(buffer, offset, length, position)', (c, fh, b, o, l, p) =>
    (fh as AioFileHandle | undefined)?.read(b as never, o as never, l as never, p as never),
  handleArb, bufArb, maybe(num), maybe(num), maybe(num)),
  call('fh.read({ buffer, offset, length, position, signal })', (c, fh, b, o, l, p, s) =>
    (fh as AioFileHandle | undefined)?.read({ buffer: b, offset: o, length: l, position: p, signal: s } as never),
  handleArb, maybe(bufArb), maybe(num), maybe(num), maybe(num), signalArb),
  call('fh.write(buffer, offset, length, position)', (c, fh, b, o, l, p) =>
    (fh as AioFileHandle | undefined)?.write(b as never, o as never, l as never, p as never),
  handleArb, bufArb, maybe(num), maybe(num), maybe(num)),
  call('fh.write(buffer, { offset, length, position, signal })', (c, fh, b, o, l, p, s) =>
    (fh as AioFileHandle | undefined)?.write(b as never, { offset: o, length: l, position: p, signal: s } as never),
  handleArb, bufArb, maybe(num), maybe(num), maybe(num), signalArb),
  call('fh.write(string, position, encoding)', (c, fh, s, p, e) =>
    (fh as AioFileHandle | undefined)?.write(s as never, p as never, e as never),
  handleArb, fc.string({ maxLength: 40 }).map(konst), maybe(num),
  maybe(fc.oneof(fc.constantFrom('utf8', 'hex', 'base64', 'latin1', 'nope').map(konst), junk))),
  call('fh.readv(buffers, position)', (c, fh, bs, p) => (fh as AioFileHandle | undefined)?.readv(bs as never, p as never),
    handleArb, fc.oneof(fc.array(bufArb, { maxLength: 4 }).map((l) => (c: Ctx) => l.map((g) => g(c))), junk), maybe(num)),
  call('fh.writev(buffers, position)', (c, fh, bs, p) => (fh as AioFileHandle | undefined)?.writev(bs as never, p as never),
    handleArb, fc.oneof(fc.array(bufArb, { maxLength: 4 }).map((l) => (c: Ctx) => l.map((g) => g(c))), junk), maybe(num)),
  call('fh.truncate(len)', (c, fh, len) => (fh as AioFileHandle | undefined)?.truncate(len as never), handleArb, maybe(num)),
  call('fh.sync()', (c, fh) => (fh as AioFileHandle | undefined)?.sync(), handleArb),
  call('fh.datasync()', (c, fh) => (fh as AioFileHandle | undefined)?.datasync(), handleArb),
  call('fh.stat(options)', (c, fh, o) => (fh as AioFileHandle | undefined)?.stat(o as never), handleArb,
    fc.oneof(just(undefined), just({ bigint: true }), just({ bigint: false }), junk)),
  call('fh.close()', (c, fh) => (fh as AioFileHandle | undefined)?.close(), handleArb),
  call('alignedBuffer(size, alignment)', (c, size, alignment) => alignedBuffer(size as never, alignment as never),
    num, maybe(fc.oneof(fc.constantFrom(1, 2, 512, 4096, 3, 2 ** 30, 2 ** 31).map(konst), num))),
  { weight: 5, arbitrary: logCalls[0] },
  ...logCalls.slice(1)
)

t.test(`fuzzing every public call: ${CALLS} calls (${backend})`, async (t) => {
  const dir = scratchDir(t)
  const data = join(dir, 'data.bin')
  const readOnly = join(dir, 'ro.bin')
  writeFileSync(data, Buffer.alloc(64 * 1024, 0x61))
  writeFileSync(readOnly, Buffer.alloc(4096, 0x62))
  mkdirSync(join(dir, 'files'))
  mkdirSync(join(dir, 'logs'))
  writeFileSync(join(dir, 'logs', 'l1.log'), '') // freshFd('r') opens it
  const fd = openSync(data, 'r+')
  const roFd = openSync(readOnly, 'r')
  // Relative paths the fuzzer makes up land here, not in the repository.
  const cwd = process.cwd()
  process.chdir(dir)
  t.teardown(() => { process.chdir(cwd); closeSync(fd); closeSync(roFd) })
  const base: Omit<Ctx, 'blocks' | 'handles' | 'views' | 'writers' | 'fresh' | 'constructed' | 'bad' | 'open' | 'args'> = {
    fd,
    roFd,
    dir,
    handlePaths: [join(dir, 'h0'), join(dir, 'h1')],
    filePaths: [0, 1, 2].map((i) => join(dir, 'files', `f${i}`)),
    logPaths: [join(dir, 'logs', 'l0.log'), join(dir, 'logs', 'l1.log'), join(dir, 'logs', 'deep', 'er', 'l2.log')]
  }
  let made = 0
  let logMade = 0
  let writersMade = 0
  const counts = { returned: 0, threw: 0, resolved: 0, rejected: 0 }
  const started = Date.now()
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31)
  t.comment(`seed ${seed} (FUZZ_SEED=${seed} repeats this run)`)

  await fc.assert(fc.asyncProperty(fc.array(calls, { minLength: PER_RUN, maxLength: PER_RUN }), async (list) => {
    const bad: string[] = []
    const c: Ctx = { ...base, blocks: [new ControlBlock(), new ControlBlock({ fd, buffer: Buffer.alloc(8) }), new ControlBlock()], handles: [], views: [], writers: [], fresh: [], constructed: 0, bad, open: [], args: [] }
    // One writer to call methods on even when no constructor call makes one
    // (truncating: the log files stay small).
    adopt(c, new LogWriter({ dest: c.logPaths[0], append: false }))
    const stall = setTimeout(() => { process.stderr.write(`stalled: ${c.open.filter((e) => !e.done).map((e) => `${e.name} ${inspect(e.args, { depth: 3 })}`).join(', ')}\n`) }, 5000)
    const pending: Array<Promise<unknown>> = []
    for (const { name, run } of list) {
      made++
      if (name.startsWith('log.') || name.startsWith('new LogWriter')) logMade++
      let result: unknown
      try {
        result = run(c)
      } catch (error) {
        counts.threw++
        if (!(error instanceof Error)) bad.push(`${name} threw a non-Error: ${String(error)}`)
        continue
      }
      if (!(result instanceof Promise)) {
        counts.returned++
        continue
      }
      const entry = { name, args: c.args, done: false }
      c.open.push(entry)
      pending.push(result.finally(() => { entry.done = true }).then(() => { counts.resolved++ }, (error: unknown) => {
        counts.rejected++
        if (!(error instanceof Error)) bad.push(`${name} rejected with a non-Error: ${String(error)}`)
      }))
    }
    await Promise.all(pending)
    clearTimeout(stall)
    // Every block's own submission is over too (suspend throws, caught,
    // for a block never submitted).
    await Promise.all(c.blocks.map(async (cb) => { await AIO.suspend([cb]) }).map((p) => p.catch(() => {})))
    await Promise.all(c.handles.map((fh) => fh.close()))
    // Every writer ends (or was destroyed, or failed) and closes, in bounded time.
    writersMade += c.constructed
    await Promise.all(c.writers.map(async (w, i) => {
      if (closedWriters.has(w)) return
      // Not events.once: it rejects on 'error', and an 'error' may come first.
      const closed = new Promise((resolve) => w.once('close', resolve))
      // Destroyed (or closing) already: end() would throw, as sonic-boom's.
      if (w.destroyed) { /* closing */ } else if (i % 2 === 0) w.end(); else w.destroy()
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<'late'>((resolve) => { timer = setTimeout(resolve, 5000, 'late') })
      if (await Promise.race([closed, late]) === 'late') bad.push('a LogWriter did not close within 5 s')
      clearTimeout(timer)
    }))
    for (const { bytes, start, length } of c.views) {
      const before = bytes.subarray(0, start)
      const after = bytes.subarray(start + length)
      if (before.some((b) => b !== GUARD_BYTE) || after.some((b) => b !== GUARD_BYTE)) {
        bad.push(`a guard byte around a ${length}-byte view changed`)
      }
    }
    if (AIO.stats().inFlight !== 0) bad.push(`${AIO.stats().inFlight} ops still in flight`)
    if (bad.length > 0) throw new Error(bad.join('\n'))
  }), { numRuns: Math.ceil(CALLS / PER_RUN), seed })

  const took = Date.now() - started
  t.ok(made >= CALLS, `${made} calls made`)
  t.comment(`${logMade} of them LogWriter calls; ${writersMade} writers made by the constructor calls (and one per run), every one closed`)
  t.comment(`${made} calls in ${took} ms: ${counts.returned} returned, ${counts.threw} threw an Error, ` +
    `${counts.resolved} resolved, ${counts.rejected} rejected with an Error; 0 crashes`)
  t.equal(AIO.stats().inFlight, 0, 'nothing left in flight')
})
