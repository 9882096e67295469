// open() -> AioFileHandle: fs.promises.FileHandle on top of the engine.
// Arguments are checked the way fs.promises checks them, and like it a bad
// argument or a closed handle rejects. Ops asked for in one tick, by any
// handles, reach the engine as one batch.
import { AsyncResource } from 'node:async_hooks'
import { constants as bufferConstants } from 'node:buffer'
import type { ReadableStream } from 'node:stream/web'
import { EventEmitter } from 'node:events'
import { createInterface, type Interface } from 'node:readline'
import { constants as fsConstants, fstat, type BigIntStats, type Stats } from 'node:fs'
import { aligned } from './direct'
import { byteLength, toBytes } from './bytes'
import {
  invalidArgType, invalidArgValue, invalidState, outOfRange, validateBoolean, validateInteger, validateObject,
  validateView
} from './errors'
import {
  parseFlags, parseMode, positionOf, shownPath, toUnixTimestamp, validatePathArg, validateSignal
} from './fs_args'
import { toStats } from './stats'
import { abortError, closedError, kSettle, opResult, Transfer, type Spot, type TransferKind } from './transfer'
import { AioReadStream, AioWriteStream, kHold, kPosition, kRelease } from './streams'
import { readableWebStream } from './web_stream'
import { collected } from './collected'
import { readHandle, writeArgs, writeHandle } from './whole_file'
import { resolveRead } from './read_args'
import { adoptNodeHandle } from './node_handle'

const { O_APPEND, O_DIRECT } = fsConstants

export interface OpenOptions {
  /** O_DIRECT: bypass the page cache (buffers, offsets and lengths must then be aligned; see alignedBuffer). */
  direct?: boolean
}

export interface ReadOptions {
  /** Where in the buffer to put the bytes; default 0. */
  offset?: number | null
  /** Bytes to read; default: to the end of the buffer. */
  length?: number | null
  /** File position; null (default) means the handle's own position. */
  position?: number | null
  signal?: AbortSignal
}

export interface ReadParams<T extends NodeJS.ArrayBufferView> extends ReadOptions {
  /** Default: a new 16 KiB Buffer. */
  buffer?: T
}

export interface WriteOptions {
  offset?: number | null
  length?: number | null
  position?: number | null
  signal?: AbortSignal
}

export interface ReadResult<T> { bytesRead: number, buffer: T }
export interface WriteResult<T> { bytesWritten: number, buffer: T }
export interface ReadvResult<T> { bytesRead: number, buffers: T[] }
export interface WritevResult<T> { bytesWritten: number, buffers: T[] }

// A private copy of the list: the engine pins it while the op is in flight.
function validateBuffers (value: unknown): Uint8Array[] {
  if (!Array.isArray(value)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value)
  // Array.from visits holes (as undefined), where map would skip them.
  return Array.from(value as unknown[], (view) => {
    if (!ArrayBuffer.isView(view)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value)
    return toBytes(validateView(view, 'buffers'))
  })
}

const kCreate = Symbol('posix-aio.createFileHandle')

// fs's ERR_INTERNAL_ASSERTION for a FileHandle method called on something else.
function notAHandle (): Error {
  return Object.assign(new Error('handle must be an instance of FileHandle\n' +
    'This is caused by either a bug in Node.js or incorrect usage of Node.js internals.\n' +
    'Please open an issue with this stack trace at https://github.com/nodejs/node/issues\n'), { code: 'ERR_INTERNAL_ASSERTION' })
}

const promisedFstat = (fd: number): Promise<BigIntStats> => new Promise((resolve, reject) => {
  fstat(fd, { bigint: true }, (error, stats) => { if (error === null) resolve(stats); else reject(error) })
})

/**
 * fs.promises.FileHandle's counterpart: the same members, arguments,
 * results, errors and 'close' event, with its IO going through the engine.
 */
export class AioFileHandle extends EventEmitter {
  #fd: number
  #append: boolean
  #direct: boolean
  #position = 0
  /** Calls holding a piece of the handle's position, in order; the last is still running. */
  #holders: Spot[] = []
  /** Calls under way; a close waits until there are none. */
  #busy = 0
  /** A close() waiting for the calls under way: runs when the last ends. */
  #deferredClose: (() => void) | undefined
  #closing: Promise<void> | undefined
  /** A web stream was taken (readableWebStream: one per handle). */
  #locked = false
  readonly #resource = new AsyncResource('FILEHANDLE')

  /** Not for use: handles come from open(). */
  constructor (token: symbol, fd: number, flags: number) {
    if (token !== kCreate) {
      throw Object.assign(new TypeError('Illegal constructor'), { code: 'ERR_ILLEGAL_CONSTRUCTOR' })
    }
    super()
    this.#fd = fd
    this.#append = (flags & O_APPEND) !== 0
    this.#direct = (flags & O_DIRECT) !== 0
    collected.register(this, fd, this)
  }

  /** The descriptor; -1 once closed (or closing). */
  get fd (): number { return this.#fd }

  /** The async id of the handle's resource, as Node's FileHandle.getAsyncId(). */
  getAsyncId (): number { return this.#resource.asyncId() }

  read<T extends NodeJS.ArrayBufferView = Buffer> (buffer: T, offset?: number | null, length?: number | null,
    position?: number | null): Promise<ReadResult<T>>
  read<T extends NodeJS.ArrayBufferView = Buffer> (buffer: T, options?: ReadOptions): Promise<ReadResult<T>>
  read<T extends NodeJS.ArrayBufferView = Buffer> (params?: ReadParams<T> | null): Promise<ReadResult<T>>
  read (bufferOrParams?: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<ReadResult<unknown>> {
    return AioFileHandle.#call(this, 'read', () => {
      const call = resolveRead(bufferOrParams, offsetOrOptions, length, position)
      const { buffer } = call
      if ('empty' in call) return Promise.resolve({ bytesRead: 0, buffer })
      const abort = validateSignal(call.signal, 'options.signal')
      const bytes = toBytes(call.view).subarray(call.start, call.start + call.length)
      return this.#transfer('read', bytes, call.position, abort, (bytesRead) => ({ bytesRead, buffer }))
    })
  }

  write<T extends NodeJS.ArrayBufferView> (buffer: T, offset?: number | null, length?: number | null,
    position?: number | null): Promise<WriteResult<T>>
  write<T extends NodeJS.ArrayBufferView> (buffer: T, options?: WriteOptions | null): Promise<WriteResult<T>>
  write (data: string, position?: number | null, encoding?: BufferEncoding | null): Promise<WriteResult<string>>
  write (buffer: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<WriteResult<unknown>> {
    return AioFileHandle.#call(this, 'write', () => {
      if (typeof buffer === 'string') {
        // write(string, position, encoding); an unknown encoding is utf8, as in fs.
        if (typeof length === 'string' && length.toLowerCase() === 'hex' && buffer.length % 2 !== 0) {
          throw invalidArgValue('encoding', length, `is invalid for data of length ${buffer.length}`)
        }
        const bytes = Buffer.from(buffer, Buffer.isEncoding(length as string) ? length as BufferEncoding : 'utf8')
        return this.#transfer('write', bytes, positionOf(offsetOrOptions), undefined,
          (bytesWritten) => ({ bytesWritten, buffer }))
      }
      const view = validateView(buffer, 'buffer', 'of type string or an instance of Buffer, TypedArray, or DataView')
      if (view.byteLength === 0) return Promise.resolve({ bytesWritten: 0, buffer })
      let offset = offsetOrOptions
      let signal: unknown
      if (typeof offset === 'object') {
        ({ offset, length, position, signal } = (offset ?? {}) as WriteOptions)
      }
      const start = offset === undefined || offset === null
        ? 0
        : validateInteger(offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
      const count = typeof length === 'number' ? length : view.byteLength - start
      if (start > view.byteLength) throw outOfRange('offset', `<= ${view.byteLength}`, start)
      if (count > view.byteLength - start) throw outOfRange('length', `<= ${view.byteLength - start}`, count)
      if (count < 0) throw outOfRange('length', '>= 0', count)
      validateInteger(count, 'length', 0, 2 ** 31 - 1)
      const abort = validateSignal(signal, 'options.signal')
      const bytes = toBytes(view).subarray(start, start + count)
      return this.#transfer('write', bytes, positionOf(position), abort, (bytesWritten) => ({ bytesWritten, buffer }))
    })
  }

  readv<T extends NodeJS.ArrayBufferView> (buffers: T[], position?: number | null): Promise<ReadvResult<T>> {
    return AioFileHandle.#call(this, 'readv', () => this.#transfer('readv', validateBuffers(buffers), positionOf(position), undefined,
      (bytesRead) => ({ bytesRead, buffers })))
  }

  writev<T extends NodeJS.ArrayBufferView> (buffers: T[], position?: number | null): Promise<WritevResult<T>> {
    return AioFileHandle.#call(this, 'writev', () => this.#transfer('writev', validateBuffers(buffers), positionOf(position), undefined,
      (bytesWritten) => ({ bytesWritten, buffers })))
  }

  /** The whole file from the handle's position: a Buffer, or a string with an encoding. */
  readFile (options?: { encoding?: null, signal?: AbortSignal } | null): Promise<Buffer>
  readFile (options: { encoding: BufferEncoding, signal?: AbortSignal } | BufferEncoding): Promise<string>
  readFile (options?: unknown): Promise<Buffer | string> {
    return AioFileHandle.#call(this, 'readFile', () => this.#track(readHandle(this, options)))
  }

  /** Writes `data` (bytes, a string, or an iterable of them) at the handle's position. */
  writeFile (data: unknown, options?: unknown): Promise<void> {
    return AioFileHandle.#call(this, 'writeFile', () => this.#whole(data, options))
  }

  /** writeFile: a handle writes at its position (at the end in append mode). */
  appendFile (data: unknown, options?: unknown): Promise<void> {
    return AioFileHandle.#call(this, 'writeFile', () => this.#whole(data, options))
  }

  /**
   * fs.ReadStream over the handle, with fs's options (start, end,
   * highWaterMark, encoding, autoClose, emitClose, signal); several reads
   * stay in flight ahead of the consumer.
   */
  createReadStream (options?: unknown): AioReadStream {
    return new AioReadStream(this, options, { sequential: this.#append, direct: this.#direct })
  }

  /**
   * fs.WriteStream over the handle, with fs's options (start, highWaterMark,
   * encoding, autoClose, emitClose, flush, signal); several writes stay in
   * flight behind the producer.
   */
  createWriteStream (options?: unknown): AioWriteStream {
    return new AioWriteStream(this, options, { sequential: this.#append, direct: this.#direct })
  }

  /**
   * A web ReadableStream of the file from the handle's position, as Node
   * 20's: byte-oriented with `{ type: 'bytes' }`. One per handle.
   */
  readableWebStream (options: { type?: 'bytes' } = {}): ReadableStream<Uint8Array> {
    if (this.#fd === -1) throw invalidState('The FileHandle is closed')
    if (this.#closing !== undefined) throw invalidState('The FileHandle is closing')
    if (this.#locked) throw invalidState('The FileHandle is locked')
    this.#locked = true
    return readableWebStream(this, options, this.#direct)
  }

  /** A readline Interface over createReadStream(options), as fs's. */
  readLines (options?: unknown): Interface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Infinity })
  }

  /** fsync(2). */
  sync (): Promise<void> {
    return AioFileHandle.#call(this, 'fsync', (fd) => this.#op('fsync', (batch) => batch.add('fsync', fd)))
  }

  /** fdatasync(2) (fsync where there is none). */
  datasync (): Promise<void> {
    return AioFileHandle.#call(this, 'fdatasync', (fd) => this.#op('fdatasync', (batch) => batch.add('fdatasync', fd)))
  }

  /** Truncates (or extends with zeros) to `len` bytes; a negative `len` is 0, as in fs. */
  truncate (len: number = 0): Promise<void> {
    return AioFileHandle.#call(this, 'ftruncate', (fd) => {
      const length = Math.max(0, validateInteger(len, 'len', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
      return this.#op('ftruncate', (batch) => batch.add('ftruncate', fd, length))
    })
  }

  chmod (mode: string | number): Promise<void> {
    return AioFileHandle.#call(this, 'fchmod', (fd) => {
      const bits = parseMode(mode, 'mode', null)
      return this.#op('fchmod', (batch) => batch.add('fchmod', fd, bits))
    })
  }

  /** -1 keeps that id. */
  chown (uid: number, gid: number): Promise<void> {
    return AioFileHandle.#call(this, 'fchown', (fd) => {
      validateInteger(uid, 'uid', -1, 2 ** 32 - 1)
      validateInteger(gid, 'gid', -1, 2 ** 32 - 1)
      return this.#op('fchown', (batch) => batch.add('fchown', fd, uid, gid))
    })
  }

  /** Times as Dates, seconds since the epoch, or numeric strings. */
  utimes (atime: number | string | Date, mtime: number | string | Date): Promise<void> {
    return AioFileHandle.#call(this, 'futimes', (fd) => {
      const at = toUnixTimestamp(atime, 'atime')
      const mt = toUnixTimestamp(mtime, 'mtime')
      return this.#op('futimes', (batch) => batch.add('futimes', fd, at, mt))
    })
  }

  /** fs.Stats equal to fs.fstat's for this descriptor; `{ bigint: true }` gives fs's BigIntStats. */
  stat (options?: { bigint?: false }): Promise<Stats>
  stat (options: { bigint: true }): Promise<BigIntStats>
  stat (options: { bigint?: boolean } = { bigint: false }): Promise<Stats | BigIntStats> {
    return AioFileHandle.#call(this, 'fstat', (fd) => {
      // Nanoseconds as BigInts: fs's own call (the engine's fields are doubles).
      if (options.bigint === true) return this.#track(promisedFstat(fd))
      const fields = new Float64Array(18)
      return this.#track(opResult('fstat', (batch) => batch.add('fstat', fd, fields))).then(() => toStats(fields))
    })
  }

  /**
   * Closes the descriptor once the calls under way are done, as fs does:
   * fd is -1 at once if none is, 'close' is emitted now, and closing
   * again resolves.
   */
  close (): Promise<void> {
    if (this.#fd === -1) return Promise.resolve()
    if (this.#closing !== undefined) return this.#closing
    if (this.#busy === 0) {
      this.#closing = this.#closeNow()
    } else {
      this.#closing = new Promise<void>((resolve, reject) => {
        this.#deferredClose = () => { this.#closeNow().then(resolve, reject) }
      })
    }
    this.emit('close')
    return this.#closing
  }

  [Symbol.asyncDispose] (): Promise<void> {
    return this.close()
  }

  /** A stream holds the handle open (fs's kRef). */
  [kHold] (): void {
    this.#busy++
  }

  [kRelease] (): void {
    this.#untrack()
  }

  [kPosition] (moveTo?: number): number {
    if (moveTo !== undefined) this.#position = moveTo
    return this.#position
  }

  #closeNow (): Promise<void> {
    const fd = this.#fd
    this.#fd = -1
    collected.unregister(this)
    this.#resource.emitDestroy()
    return opResult('close', (batch) => batch.add('close', fd)).then(() => { this.#closing = undefined }, (error) => {
      this.#closing = undefined
      throw error
    })
  }

  // Every call as fs.promises makes it: on a closed handle it rejects EBADF
  // ('file closed', the call's syscall); a bad argument rejects too.
  // Called on anything but a handle, it rejects as fs's (an internal
  // assertion there).
  static #call<T> (handle: AioFileHandle, syscall: string, run: (fd: number) => Promise<T>): Promise<T> {
    if (!(#fd in handle)) return Promise.reject(notAHandle())
    if (handle.#fd === -1) return Promise.reject(closedError(syscall))
    try {
      return run(handle.#fd)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  #whole (data: unknown, options: unknown): Promise<void> {
    // As fs: a handle's writeFile is fs.promises.writeFile(handle, …), which checks every option and uses its encoding and signal.
    const { bytes, encoding, signal } = writeArgs(data, options)
    return this.#track(writeHandle(this, bytes, signal, encoding))
  }

  // One op whose result is nothing but success or its error.
  #op (syscall: string, describe: Parameters<typeof opResult>[1]): Promise<void> {
    return this.#track(opResult(syscall, describe)).then(() => {})
  }

  // Counts a call as under way until `work` settles: close waits for it.
  #track<T> (work: Promise<T>): Promise<T> {
    this.#busy++
    const done = (): void => this.#untrack()
    work.then(done, done)
    return work
  }

  #untrack (): void {
    if (--this.#busy === 0 && this.#deferredClose !== undefined) {
      const close = this.#deferredClose
      this.#deferredClose = undefined
      close()
    }
  }

  // Where a call of `length` bytes goes: its explicit position; in append
  // mode -1, the kernel's own file position (writes land at the end, and
  // reads follow them, as with fs); else the handle's own position,
  // reserved now so that concurrent calls never overlap.
  #at (position: number | null, length: number): Spot {
    if (position !== null) return { at: position, moved: -1 }
    if (this.#append) return { at: -1, moved: -1 }
    const spot = { at: this.#position, moved: -1 }
    this.#position += length
    this.#holders.push(spot)
    return spot
  }

  // Gives back what the last calls did not use, so that the position ends
  // where the bytes did (at the end of the file, after reads past it): a
  // call that moved nothing gives back all it held and lets the one before
  // it give back too; one that moved bytes ends the position there.
  #settle (spot: Spot, moved: number): void {
    spot.moved = moved
    const holders = this.#holders
    while (holders.length > 0 && holders[holders.length - 1].moved >= 0) {
      const last = holders.pop()!
      this.#position = last.at + last.moved
      if (last.moved > 0) holders.length = 0
    }
  }

  // The one transfer path: reads, writes, readv and writev, with or without
  // a signal (see Transfer).
  #transfer<R> (kind: TransferKind, data: Uint8Array | Uint8Array[], position: number | null,
    signal: AbortSignal | undefined, shape: (moved: number) => R): Promise<R> {
    if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal))
    const total = Array.isArray(data) ? byteLength(data) : data.byteLength
    const spot = this.#at(position, total)
    this.#busy++
    return new Promise<R>((resolve, reject) => {
      new Transfer(this, kind, this.#fd, data, total, spot, signal, shape, resolve, reject).step()
    })
  }

  /** A transfer is over: its bytes settle the position, and it no longer holds close back. */
  [kSettle] (spot: Spot, moved: number): void {
    this.#settle(spot, moved)
    this.#untrack()
  }
}

/**
 * Opens a file through the engine, like fs.promises.open; `{ direct: true }`
 * adds O_DIRECT. Bad arguments reject, as fs.promises' do.
 */
export function open (path: string | Buffer | URL, flags: string | number = 'r', mode: string | number = 0o666,
  options: OpenOptions = {}): Promise<AioFileHandle> {
  try {
    const name = validatePathArg(path)
    let openFlags = parseFlags(flags)
    const openMode = parseMode(mode)
    const opts = validateObject(options, 'options')
    if (validateBoolean(opts.direct, 'options.direct') === true) openFlags |= O_DIRECT
    const opened = opResult('open', (batch) => batch.add('open', name, openFlags, openMode), shownPath(name))
    return Promise.all([opened, adoptNodeHandle(AioFileHandle)]).then(([fd]) => new AioFileHandle(kCreate, fd, openFlags))
  } catch (error) {
    return Promise.reject(error)
  }
}

/**
 * A zero-filled Buffer whose memory starts at a multiple of `alignment` (a
 * power of two), as O_DIRECT needs; freed when the Buffer is collected.
 */
export function alignedBuffer (size: number, alignment: number = 4096): Buffer {
  validateInteger(size, 'size', 0, bufferConstants.MAX_LENGTH)
  validateInteger(alignment, 'alignment', 1, 2 ** 30)
  if ((alignment & (alignment - 1)) !== 0) throw invalidArgValue('alignment', alignment, 'must be a power of two')
  return aligned(size, alignment)
}
