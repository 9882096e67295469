// open() -> AioFileHandle: fs.promises.FileHandle on top of the engine.
// Arguments are checked the way fs.promises checks them, but synchronously.
// Ops asked for in one tick, by any handles, reach the engine as one batch.
import { constants as bufferConstants } from 'node:buffer'
import { constants as fsConstants, type Stats } from 'node:fs'
import { native } from './binding'
import { byteLength, skipBytes, toBytes } from './bytes'
import { engine, OneOp, TickOp, type Batch } from './engine'
import {
  invalidArgType, invalidArgValue, outOfRange, systemError, validateInteger, validateObject, validateView
} from './errors'
import { parseFlags, parseMode, positionOf, validatePathArg } from './fs_args'
import { toStats } from './stats'

const { O_APPEND, O_DIRECT } = fsConstants
const { AIO_NOTCANCELED, IOV_MAX } = native.constants

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

/** What fs.promises rejects with once a handle is closed. */
function closedError (syscall: string): Error {
  return Object.assign(new Error('file closed'), { code: 'EBADF', syscall })
}

/** Node's AbortError. */
function abortError (signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }),
    { name: 'AbortError', code: 'ABORT_ERR' })
}

function validateSignal (signal: unknown): AbortSignal | undefined {
  if (signal !== undefined && (signal === null || typeof signal !== 'object' || !('aborted' in signal))) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', signal)
  }
  return signal as AbortSignal | undefined
}


// A private copy of the list: the engine pins it while the op is in flight.
function validateBuffers (value: unknown): Uint8Array[] {
  if (!Array.isArray(value)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value)
  // Array.from visits holes (as undefined), where map would skip them.
  return Array.from(value as unknown[], (view) => {
    if (!ArrayBuffer.isView(view)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value)
    return toBytes(validateView(view, 'buffers'))
  })
}

/** One op asked for in this tick; resolves its result (bytes, fd, 0) or rejects its fs-shaped error. */
function opResult (syscall: string, describe: (batch: Batch) => void): Promise<number> {
  return engine().soon(new OneOp(syscall, describe)).promise
}

const kCreate = Symbol('posix-aio.createFileHandle')

/** Where a call's bytes go; `moved` is -1 until the call is done. */
interface Spot { at: number, moved: number }

type TransferKind = 'read' | 'write' | 'readv' | 'writev'

const kSettle = Symbol('posix-aio.settle')
const NO_VIEWS: Uint8Array[] = []

// One read, write, readv or writev call: its ops in turn, each a tick op
// of its own. A write is finished across short writes, a vector goes
// IOV_MAX buffers per op, and a vector read stops at its first short op;
// resolves shape(bytes moved). With a signal, aborting cancels the op in
// flight; if the engine cannot stop it, the call rejects at once and stays
// under way (close waits) until the op ends.
class Transfer<R> extends TickOp {
  done = 0
  /** The op in flight: its views (readv/writev), or its view and length, taken when it was asked for. */
  #views: Uint8Array[] = NO_VIEWS
  #length = 0
  #answered = false

  constructor (readonly handle: AioFileHandle, readonly kind: TransferKind, readonly fd: number,
    public rest: Uint8Array | Uint8Array[], readonly total: number, readonly spot: Spot,
    readonly signal: AbortSignal | undefined, readonly shape: (moved: number) => R,
    readonly resolve: (value: R) => void, readonly reject: (error: unknown) => void) {
    super(signal !== undefined)
  }

  // Asks for the next op.
  step (): void {
    this.batch = undefined
    this.index = -1
    if (Array.isArray(this.rest)) {
      if (this.rest.length === 0) return this.#end()
      this.#views = this.rest.slice(0, IOV_MAX)
    } else {
      // Taken now: a buffer detached before the op is described then fails
      // the engine's bounds check, rather than quietly moving nothing.
      this.#length = this.rest.byteLength
    }
    this.signal?.addEventListener('abort', this, { once: true })
    engine().soon(this)
  }

  describe (batch: Batch): void {
    const at = this.spot.at < 0 ? -1 : this.spot.at + this.done
    if (Array.isArray(this.rest)) batch.add(this.kind as 'readv' | 'writev', this.fd, this.#views, at)
    else batch.add(this.kind as 'read' | 'write', this.fd, this.rest, 0, this.#length, at)
  }

  // The signal's 'abort' (an EventListener object: no closure per op).
  handleEvent (): void {
    if (this.cancel() === AIO_NOTCANCELED) this.#answer(abortError(this.signal!))
  }

  complete (result: number): void {
    const { signal, rest } = this
    signal?.removeEventListener('abort', this)
    const write = this.kind === 'write' || this.kind === 'writev'
    if (result < 0) {
      // Aborted, any failure (ECANCELED above all) is the abort.
      return this.#end(signal !== undefined && signal.aborted ? abortError(signal) : systemError(result, write ? 'write' : 'read'))
    }
    this.done += result
    const more = write
      ? result > 0 && this.done < this.total
      : Array.isArray(rest) && result === byteLength(this.#views) && this.done < this.total
    if (!more) return this.#end()
    if (signal !== undefined && signal.aborted) return this.#end(abortError(signal))
    this.rest = Array.isArray(rest) ? skipBytes(rest, result) : rest.subarray(result)
    this.step()
  }

  refuse (error: unknown): void {
    this.signal?.removeEventListener('abort', this)
    this.#end(error)
  }

  // The call's ops are over: the position settles, close may go ahead.
  #end (error?: unknown): void {
    this.handle[kSettle](this.spot, this.done)
    this.#answer(error)
  }

  #answer (error?: unknown): void {
    if (this.#answered) return
    this.#answered = true
    if (error === undefined) this.resolve(this.shape(this.done))
    else this.reject(error)
  }
}

export class AioFileHandle {
  #fd: number
  #append: boolean
  #position = 0
  /** Calls holding a piece of the handle's position, in order; the last is still running. */
  #holders: Spot[] = []
  /** Calls under way; close() waits until there are none. */
  #busy = 0
  #idle: (() => void) | undefined
  #closing: Promise<void> | undefined

  /** Not for use: handles come from open(). */
  constructor (token: symbol, fd: number, flags: number) {
    if (token !== kCreate) {
      throw Object.assign(new TypeError('Illegal constructor'), { code: 'ERR_ILLEGAL_CONSTRUCTOR' })
    }
    this.#fd = fd
    this.#append = (flags & O_APPEND) !== 0
  }

  /** The descriptor; -1 once closed. */
  get fd (): number { return this.#fd }

  read<T extends NodeJS.ArrayBufferView = Buffer> (buffer: T, offset?: number | null, length?: number | null,
    position?: number | null): Promise<ReadResult<T>>
  read<T extends NodeJS.ArrayBufferView = Buffer> (buffer: T, options?: ReadOptions): Promise<ReadResult<T>>
  read<T extends NodeJS.ArrayBufferView = Buffer> (params?: ReadParams<T> | null): Promise<ReadResult<T>>
  read (bufferOrParams?: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<ReadResult<unknown>> {
    if (this.#closing !== undefined) return Promise.reject(closedError('read'))
    // The argument shapes fs.promises takes, resolved the way it resolves them.
    let buffer = bufferOrParams
    let offset = offsetOrOptions
    let signal: unknown
    if (!ArrayBuffer.isView(buffer)) {
      const params = bufferOrParams === undefined || bufferOrParams === null
        ? {}
        : validateObject(bufferOrParams, 'options')
      buffer = params.buffer === undefined ? Buffer.alloc(16384) : validateView(params.buffer, 'buffer')
      ;({ offset, length, position, signal } = params)
    }
    const view = validateView(buffer, 'buffer')
    if (offset !== null && typeof offset === 'object') {
      ({ offset, length, position, signal } = offset as ReadOptions)
    }
    const start = offset === undefined || offset === null
      ? 0
      : validateInteger(offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
    length ??= view.byteLength - start
    if (length === 0) return Promise.resolve({ bytesRead: 0, buffer })
    if (view.byteLength === 0) throw invalidArgValue('buffer', buffer, 'is empty and cannot be written')
    // Where fs would crash on a length it never checks, throw instead.
    if (typeof length !== 'number') throw invalidArgType('length', 'of type number', length)
    if (!Number.isInteger(length)) throw outOfRange('length', 'an integer', length)
    if (length < 0) throw outOfRange('length', '>= 0', length)
    if (start + length > view.byteLength) throw outOfRange('length', `<= ${view.byteLength - start}`, length)
    const abort = validateSignal(signal)
    const bytes = toBytes(view).subarray(start, start + length)
    return this.#transfer('read', bytes, positionOf(position), abort, (bytesRead) => ({ bytesRead, buffer }))
  }

  write<T extends NodeJS.ArrayBufferView> (buffer: T, offset?: number | null, length?: number | null,
    position?: number | null): Promise<WriteResult<T>>
  write<T extends NodeJS.ArrayBufferView> (buffer: T, options?: WriteOptions | null): Promise<WriteResult<T>>
  write (data: string, position?: number | null, encoding?: BufferEncoding | null): Promise<WriteResult<string>>
  write (buffer: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): Promise<WriteResult<unknown>> {
    if (this.#closing !== undefined) return Promise.reject(closedError('write'))
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
    const abort = validateSignal(signal)
    const bytes = toBytes(view).subarray(start, start + count)
    return this.#transfer('write', bytes, positionOf(position), abort, (bytesWritten) => ({ bytesWritten, buffer }))
  }

  readv<T extends NodeJS.ArrayBufferView> (buffers: T[], position?: number | null): Promise<ReadvResult<T>> {
    if (this.#closing !== undefined) return Promise.reject(closedError('readv'))
    const views = validateBuffers(buffers)
    return this.#transfer('readv', views, positionOf(position), undefined, (bytesRead) => ({ bytesRead, buffers }))
  }

  writev<T extends NodeJS.ArrayBufferView> (buffers: T[], position?: number | null): Promise<WritevResult<T>> {
    if (this.#closing !== undefined) return Promise.reject(closedError('writev'))
    const views = validateBuffers(buffers)
    return this.#transfer('writev', views, positionOf(position), undefined,
      (bytesWritten) => ({ bytesWritten, buffers }))
  }

  /** fsync(2). */
  sync (): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('fsync'))
    const fd = this.#fd
    return this.#track(opResult('fsync', (batch) => batch.add('fsync', fd))).then(() => {})
  }

  /** fdatasync(2) (fsync where there is none). */
  datasync (): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('fdatasync'))
    const fd = this.#fd
    return this.#track(opResult('fdatasync', (batch) => batch.add('fdatasync', fd))).then(() => {})
  }

  /** Truncates (or extends with zeros) to `len` bytes; a negative `len` is 0, as in fs. */
  truncate (len: number = 0): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('ftruncate'))
    const length = Math.max(0, validateInteger(len, 'len', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
    const fd = this.#fd
    return this.#track(opResult('ftruncate', (batch) => batch.add('ftruncate', fd, length))).then(() => {})
  }

  /** An fs.Stats, equal to fs.fstat's for this descriptor. */
  stat (options?: { bigint?: false }): Promise<Stats> {
    if (this.#closing !== undefined) return Promise.reject(closedError('fstat'))
    if (options !== undefined && validateObject(options, 'options').bigint === true) {
      throw invalidArgValue('options.bigint', true, 'is not supported (fs.fstat gives BigInt stats)')
    }
    const fd = this.#fd
    const fields = new Float64Array(18)
    return this.#track(opResult('fstat', (batch) => batch.add('fstat', fd, fields))).then(() => toStats(fields))
  }

  /**
   * Waits for the calls under way, then closes the descriptor. Every method
   * rejects from now on; closing again resolves.
   */
  close (): Promise<void> {
    if (this.#fd === -1) return Promise.resolve()
    this.#closing ??= (async () => {
      if (this.#busy > 0) await new Promise<void>((resolve) => { this.#idle = resolve })
      const fd = this.#fd
      try {
        await opResult('close', (batch) => batch.add('close', fd))
      } finally {
        this.#fd = -1
      }
    })()
    return this.#closing
  }

  [Symbol.asyncDispose] (): Promise<void> {
    return this.close()
  }

  // Counts a call as under way until `work` settles: close waits for it.
  #track<T> (work: Promise<T>): Promise<T> {
    this.#busy++
    const done = (): void => this.#untrack()
    work.then(done, done)
    return work
  }

  #untrack (): void {
    if (--this.#busy === 0 && this.#idle !== undefined) {
      this.#idle()
      this.#idle = undefined
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
 * adds O_DIRECT. Bad arguments throw at once.
 */
export function open (path: string | Buffer | URL, flags: string | number = 'r', mode: string | number = 0o666,
  options: OpenOptions = {}): Promise<AioFileHandle> {
  const name = validatePathArg(path)
  let openFlags = parseFlags(flags)
  const openMode = parseMode(mode)
  const opts = validateObject(options, 'options')
  if (opts.direct !== undefined && typeof opts.direct !== 'boolean') {
    throw invalidArgType('options.direct', 'of type boolean', opts.direct)
  }
  if (opts.direct === true) openFlags |= O_DIRECT
  const shown = typeof name === 'string' ? name : Buffer.from(name).toString()
  const opened = new OneOp('open', (batch) => batch.add('open', name, openFlags, openMode), shown)
  return engine().soon(opened).promise.then((fd) => new AioFileHandle(kCreate, fd, openFlags))
}

/**
 * A zero-filled Buffer whose memory starts at a multiple of `alignment` (a
 * power of two), as O_DIRECT needs; freed when the Buffer is collected.
 */
export function alignedBuffer (size: number, alignment: number = 4096): Buffer {
  validateInteger(size, 'size', 0, bufferConstants.MAX_LENGTH)
  validateInteger(alignment, 'alignment', 1, 2 ** 30)
  if ((alignment & (alignment - 1)) !== 0) throw invalidArgValue('alignment', alignment, 'must be a power of two')
  return Buffer.from(native.alignedBuffer(size, alignment))
}
