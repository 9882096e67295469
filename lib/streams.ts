// A handle's streams: fs's own ReadStream and WriteStream, whose IO goes
// through the handle with several ops in flight: reads ahead of the
// consumer, writes behind the producer. fs's classes do the rest (options,
// events, backpressure, errors, destroy), so they behave as fs's streams
// do. Both take their operations from fs's `fs` option, the way fs runs a
// stream on a FileHandle.
import { ReadStream, WriteStream, type Stats } from 'node:fs'
import { byteLength } from './bytes'
import { BlockWriter, readBlocks, type BlockTarget } from './direct'

/** The handle keeps a stream's descriptor open until the stream lets go (fs's kRef, kUnref). */
export const kHold = Symbol('posix-aio.hold')
export const kRelease = Symbol('posix-aio.release')
/** The handle's own position: read, or set (a read stream with no start reads from it and moves it). */
export const kPosition = Symbol('posix-aio.position')

/** What a stream needs of its handle. */
export interface StreamTarget extends BlockTarget {
  readonly fd: number
  writev: (buffers: Uint8Array[], position: number | null) => Promise<{ bytesWritten: number }>
  sync: () => Promise<void>
  stat: () => Promise<Stats>
  close: () => Promise<void>
  [kHold]: () => void
  [kRelease]: () => void
  [kPosition]: (moveTo?: number) => number
}

type ReadCallback = (error: unknown, bytesRead: number, buffer: Uint8Array) => void
type WriteCallback = (error: unknown, bytesWritten?: number) => void
type Callback = (error?: unknown) => void

/** Reads a read stream keeps in flight ahead of its consumer, of WINDOW bytes each. */
export const READ_AHEAD = 4
/** The size of those reads (highWaterMark if that is larger). */
export const WINDOW = 1024 * 1024
/** Writes a write stream keeps in flight behind its producer. */
export const WRITE_BEHIND = 8

function notImplemented (what: string): Error {
  return Object.assign(new Error(`The ${what} method is not implemented`), { code: 'ERR_METHOD_NOT_IMPLEMENTED' })
}

// fs's _construct for a stream on a descriptor, plus how many ops it may
// have in flight: `most` on a regular file; one on a pipe or a device, or
// at the kernel's position (append mode), where they would race for the
// bytes.
function construct (ops: { readonly target: StreamTarget, depth: number }, sequential: boolean, most: number,
  callback: (error?: Error | null) => void): void {
  if (sequential) return callback()
  ops.target.stat().then((stats) => {
    if (stats.isFile()) ops.depth = most
    callback()
  }, callback)
}

// The handle's close, once the stream lets go of it, as fs's streams on a
// FileHandle close it.
function closeTarget (target: StreamTarget, error: unknown, cb: Callback): void {
  target[kRelease]()
  target.close().then(() => cb(error ?? null), cb)
}

/** One read ahead: where, how much, what fs's stream took of it, and its outcome. */
interface Window {
  position: number | null
  length: number
  buffer: Buffer
  served: number
  outcome?: { error: unknown, bytesRead: number }
  ready?: () => void
}

// fs's ReadStream asks for one read at a time, at `pos` (when it has a
// start) or at the file position, of min(highWaterMark, what is left
// before `end`). On a regular file, reads of about WINDOW bytes (whole
// highWaterMarks) are made ahead of those requests, at explicit positions
// (from the handle's position when there is no start, which moves by what
// the stream delivers), and each request is
// served a slice of one: the stream's own buffer goes unused (fs's
// ReadStream pushes the buffer its read callback gives). A request that is
// not the one expected drops the read-ahead and starts over from there.
// Elsewhere (depth 1) each request is one read, at the file position. On
// an O_DIRECT handle every read is of the whole blocks around a window,
// at an explicit position, whatever the depth.
class ReadAhead {
  depth = 1
  // As fs's ReadStream settles them: its highWaterMark and its `end`.
  chunk = 0
  end = Infinity
  #windows: Window[] = []
  #next = 0
  /** Where a stream with no start began: the handle's position. */
  #base: number | undefined
  /** Bytes given to the stream: its bytesRead. */
  #delivered = 0

  constructor (readonly target: StreamTarget, readonly direct: boolean) {}

  read = (_fd: number, _buffer: Uint8Array, _offset: number, length: number, position: number | null | undefined,
    cb: ReadCallback): void => {
    let window: Window
    if (this.depth === 1 && !this.direct) {
      window = this.#issue(position ?? null, length)
      this.#windows = []
    } else {
      if (position === null || position === undefined) this.#base ??= this.target[kPosition]()
      const at = position ?? this.#base! + this.#delivered
      const head = this.#windows[0]
      if (head === undefined || head.position! + head.served !== at || head.served + length > head.length) {
        this.#windows = []
        this.#next = at
      }
      this.#fill()
      window = this.#windows[0]
    }
    const serve = (): void => this.#serve(window, length, cb)
    // Always after read() returns, as fs's callbacks come.
    if (window.outcome === undefined) window.ready = serve
    else process.nextTick(serve)
  }

  close = (_fd: number, cb: Callback): void => closeTarget(this.target, undefined, cb)

  #fill (): void {
    const size = this.chunk * Math.max(1, Math.floor(WINDOW / this.chunk))
    // With no start, fs's `end` counts the bytes read.
    const stop = (this.#base ?? 0) + this.end + 1
    // fs asks only for bytes before its end: the first window is never empty.
    while (this.#windows.length < this.depth && this.#next < stop) {
      const length = Math.min(size, stop - this.#next)
      this.#windows.push(this.#issue(this.#next, length))
      this.#next += length
    }
  }

  #serve (window: Window, length: number, cb: ReadCallback): void {
    const { error, bytesRead } = window.outcome!
    if (error !== null) {
      this.#windows = []
      return cb(error, 0, window.buffer)
    }
    const given = Math.max(0, Math.min(length, bytesRead - window.served))
    const slice = window.buffer.subarray(window.served, window.served + given)
    window.served += given
    this.#delivered += given
    // Read at the file position, a stream moves it by what it delivers.
    if (this.#base !== undefined) this.target[kPosition](this.#base + this.#delivered)
    // Used up, or short (the end of the file): the next request starts
    // the next window, or starts over.
    if (window.served >= window.length || given < length) this.#windows.shift()
    cb(null, given, slice)
  }

  #issue (position: number | null, length: number): Window {
    const { buffer, done } = this.direct
      ? readBlocks(this.target, position!, length)
      : this.#read(position, length)
    const window: Window = { position, length, buffer, served: 0 }
    const settle = (error: unknown, bytesRead: number): void => {
      window.outcome = { error, bytesRead }
      window.ready?.()
    }
    done.then((bytesRead) => settle(null, bytesRead), (error) => settle(error, 0))
    return window
  }

  #read (position: number | null, length: number): { buffer: Buffer, done: Promise<number> } {
    const buffer = Buffer.allocUnsafeSlow(length)
    return { buffer, done: this.target.read(buffer, 0, length, position).then(({ bytesRead }) => bytesRead) }
  }
}

// fs's WriteStream waits for each write; here a write is acknowledged at
// once while fewer than `depth` are in flight, else when one ends.
// A failure is the answer to the next write, to the final flush before
// 'finish' (so a failed write never finishes the stream), or to close.
// On an O_DIRECT handle the bytes are copied into stages of whole blocks
// (`blocks`), each written when full, the last when the stream drains.
class WriteBehind {
  depth = 1
  #inFlight = 0
  #error: unknown
  #waiting: Array<() => void> = []
  #drained: Callback[] = []
  readonly blocks: BlockWriter | undefined

  constructor (readonly target: StreamTarget, direct: boolean) {
    if (direct) this.blocks = new BlockWriter(target, WINDOW)
  }

  write = (_fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null | undefined,
    cb: WriteCallback): void => {
    const starts = this.blocks !== undefined
      ? this.#gather([buffer.subarray(offset, offset + length)], position)
      : [() => this.target.write(buffer, offset, length, position ?? null)]
    this.#submit(starts, length, cb)
  }

  writev = (_fd: number, buffers: Uint8Array[], position: number | null | undefined, cb: WriteCallback): void => {
    const starts = this.blocks !== undefined
      ? this.#gather(buffers, position)
      : [() => this.target.writev(buffers, position ?? null)]
    this.#submit(starts, byteLength(buffers), cb)
  }

  fsync = (_fd: number, cb: Callback): void => {
    this.drain((error) => {
      if (error !== undefined) return cb(error)
      this.target.sync().then(() => cb(null), cb)
    })
  }

  close = (_fd: number, cb: Callback): void => {
    this.drain((error) => closeTarget(this.target, error, cb))
  }

  /** `cb` once nothing is in flight, with the first failure if there was one. */
  drain (cb: Callback): void {
    const rest = this.blocks?.rest()
    if (rest !== undefined) this.#submit([rest], 0, () => {})
    if (this.#inFlight === 0) process.nextTick(cb, this.#error)
    else this.#drained.push(cb)
  }

  // The stages these bytes fill, at `position` or where the last ones
  // ended (at first, the handle's position, which then moves with them).
  #gather (buffers: Uint8Array[], position: number | null | undefined): Array<() => Promise<unknown>> {
    const blocks = this.blocks!
    let at = position ?? blocks.next ?? this.target[kPosition]()
    const starts = []
    for (const buffer of buffers) {
      starts.push(...blocks.take(buffer, at))
      at += buffer.byteLength
    }
    if (position === null || position === undefined) this.target[kPosition](at)
    return starts
  }

  #submit (starts: Array<() => Promise<unknown>>, bytes: number, cb: WriteCallback): void {
    if (this.#error !== undefined) return process.nextTick(cb, this.#error)
    for (const start of starts) {
      this.#inFlight++
      start().then(() => this.#done(), (error) => {
        this.#error ??= error
        this.#done()
      })
    }
    if (this.#inFlight < this.depth) process.nextTick(cb, null, bytes)
    else this.#waiting.push(() => cb(this.#error ?? null, bytes))
  }

  #done (): void {
    this.#inFlight--
    while (this.#waiting.length > 0 && this.#inFlight < this.depth) this.#waiting.shift()!()
    if (this.#inFlight > 0) return
    const drained = this.#drained
    this.#drained = []
    for (const cb of drained) cb(this.#error)
  }
}

export interface StreamOptions {
  /** Reads or writes at the kernel's file position (an append-mode handle): one op at a time. */
  sequential: boolean
  /** An O_DIRECT handle: IO in whole, aligned blocks. */
  direct: boolean
}

function streamOptions (target: StreamTarget, options: unknown): Record<string, unknown> {
  const opts = options === undefined || options === null ? {} : options as Record<string, unknown>
  // As fs: its streams on a FileHandle take no custom fs.
  if (typeof opts === 'object' && opts.fs !== undefined && opts.fs !== null) throw notImplemented('FileHandle with fs')
  return { ...opts, fd: target.fd }
}

// fs's constructors, as fs calls them for a FileHandle: no path, an fd.
type FsStream<T> = new (path: undefined, options: Record<string, unknown>) => T
const FsReadStream = ReadStream as unknown as FsStream<ReadStream>
const FsWriteStream = WriteStream as unknown as FsStream<WriteStream>

/** fs.ReadStream reading ahead through the handle. */
export class AioReadStream extends FsReadStream {
  readonly #ahead: ReadAhead
  readonly #sequential: boolean

  constructor (target: StreamTarget, options: unknown, how: StreamOptions) {
    const opts = streamOptions(target, options)
    const ahead = new ReadAhead(target, how.direct)
    super(undefined, { ...opts, fs: ahead })
    ahead.chunk = this.readableHighWaterMark
    ahead.end = (this as unknown as { end: number }).end
    this.#ahead = ahead
    this.#sequential = how.sequential
    bind(this, target)
  }

  _construct (callback: (error?: Error | null) => void): void {
    construct(this.#ahead, this.#sequential, READ_AHEAD, callback)
  }
}

/** fs.WriteStream writing behind its producer through the handle. */
export class AioWriteStream extends FsWriteStream {
  readonly #behind: WriteBehind
  readonly #sequential: boolean

  constructor (target: StreamTarget, options: unknown, how: StreamOptions) {
    const opts = streamOptions(target, options)
    const behind = new WriteBehind(target, how.direct)
    super(undefined, { ...opts, fs: behind })
    this.#behind = behind
    this.#sequential = how.sequential
    bind(this, target)
  }

  _construct (callback: (error?: Error | null) => void): void {
    construct(this.#behind, this.#sequential, WRITE_BEHIND, callback)
  }

  // 'finish' only once every write is done: a failure is the stream's error.
  _final (callback: (error?: Error | null) => void): void {
    this.#behind.drain((error) => callback(error as Error | undefined))
  }
}

// As fs does for a stream on a FileHandle: the handle stays open for the
// stream, and closing the handle closes the stream.
function bind (stream: { close: () => void }, target: StreamTarget): void {
  target[kHold]()
  ;(target as unknown as NodeJS.EventEmitter).on('close', () => { stream.close() })
}
