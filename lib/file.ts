// open() -> AioFileHandle: fs.promises.FileHandle on top of the engine.
// Arguments are checked the way fs.promises checks them, but synchronously.
// Ops asked for in one tick, by any handles, reach the engine as one batch.
import { constants as bufferConstants } from 'node:buffer'
import { constants as fsConstants, Stats } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { native } from './binding'
import { engine, opcodes, type Engine } from './engine'
import {
  invalidArgType, invalidArgValue, outOfRange, systemError, toBytes, validateInteger, validateObject
} from './errors'

const {
  O_APPEND, O_CREAT, O_DIRECT, O_EXCL, O_RDONLY, O_RDWR, O_SYNC, O_TRUNC, O_WRONLY
} = fsConstants
const { AIO_NOTCANCELED, IOV_MAX } = native.constants

// fs's string flags (lib/internal/fs/utils.js stringToFlags).
const FLAGS: Record<string, number> = {
  r: O_RDONLY,
  rs: O_RDONLY | O_SYNC,
  sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR,
  'rs+': O_RDWR | O_SYNC,
  'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY,
  wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR,
  'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY,
  ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR,
  'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
  'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC
}

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

interface Queued {
  /** Queues exactly one op, or throws having queued nothing. */
  queue: (e: Engine) => void
  resolve: (result: number) => void
  reject: (error: unknown) => void
  /** An op that may be canceled gets a batch of its own (see flush). */
  alone: boolean
}

let tick: Queued[] = []

// Hands everything asked for in this tick to the engine as one batch; each
// op settles as soon as its own completion arrives. Engines may report a
// batch's ops together (posix: one notification per lio_listio chunk), so
// an op that may be canceled goes alone, or its cancellation would wait
// for its neighbours.
function flush (): void {
  const e = engine()
  const asked = tick
  tick = []
  submitBatch(e, asked.filter((op) => !op.alone))
  for (const op of asked) if (op.alone) submitBatch(e, [op])
}

function submitBatch (e: Engine, ops: Queued[]): void {
  const queued: Queued[] = []
  for (const op of ops) {
    try {
      op.queue(e)
      queued.push(op)
    } catch (error) {
      op.reject(error)
    }
  }
  void e.submit((index, result) => queued[index].resolve(result), true)
}

/** Resolves the op's result: bytes, fd, 0, or a negative errno. */
function submit (queue: Queued['queue'], alone = false): Promise<number> {
  return new Promise((resolve, reject) => {
    if (tick.push({ queue, resolve, reject, alone }) === 1) queueMicrotask(flush)
  })
}

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

// fs's rule: anything but a safe integer >= 0 means "the current position".
function positionOf (value: unknown): number | null {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? value as number : null
}

function validateBuffer (value: unknown): ArrayBufferView {
  if (!ArrayBuffer.isView(value)) {
    throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', value)
  }
  return value
}

// A private copy of the list: the engine pins it while the op is in flight.
function validateBuffers (value: unknown): Uint8Array[] {
  if (!Array.isArray(value)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value)
  // Array.from visits holes (as undefined), where map would skip them.
  return Array.from(value as unknown[], (view) => {
    if (!ArrayBuffer.isView(view)) throw invalidArgType('buffers', 'an ArrayBufferView[]', value)
    return toBytes(view)
  })
}

function byteLength (views: Uint8Array[]): number {
  return views.reduce((sum, view) => sum + view.byteLength, 0)
}

/** `views` without their first `count` bytes (a new array; the views are not copied). */
export function skipBytes<T extends Uint8Array> (views: T[], count: number): T[] {
  let i = 0
  while (i < views.length && count >= views[i].byteLength) count -= views[i++].byteLength
  const rest = views.slice(i)
  // subarray() of a Buffer is a Buffer, of a Uint8Array a Uint8Array.
  if (count > 0) rest[0] = rest[0].subarray(count) as T
  return rest
}

// Built the way fs builds them (lib/internal/fs/utils.js getStatsFromBinding),
// so every field equals fs.fstat's and the methods are fs.Stats' own.
function toStats (fields: Float64Array): Stats {
  const ms = (at: number): number => fields[at] * 1e3 + fields[at + 1] / 1e6
  const stats = Object.create(Stats.prototype) as Stats
  Object.assign(stats, {
    dev: fields[0],
    mode: fields[1],
    nlink: fields[2],
    uid: fields[3],
    gid: fields[4],
    rdev: fields[5],
    blksize: fields[6],
    ino: fields[7],
    size: fields[8],
    blocks: fields[9],
    atimeMs: ms(10),
    mtimeMs: ms(12),
    ctimeMs: ms(14),
    birthtimeMs: ms(16)
  })
  stats.atime = new Date(Math.round(stats.atimeMs))
  stats.mtime = new Date(Math.round(stats.mtimeMs))
  stats.ctime = new Date(Math.round(stats.ctimeMs))
  stats.birthtime = new Date(Math.round(stats.birthtimeMs))
  return stats
}

const kCreate = Symbol('posix-aio.createFileHandle')

/** Where a call's bytes go; `moved` is -1 until the call is done. */
interface Spot { at: number, moved: number }

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
      buffer = params.buffer === undefined ? Buffer.alloc(16384) : validateBuffer(params.buffer)
      ;({ offset, length, position, signal } = params)
    }
    const view = buffer as ArrayBufferView
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
    if (abort === undefined) return this.#read(bytes, positionOf(position), buffer)
    return this.#transfer(opcodes.read, bytes, positionOf(position), abort)
      .then((bytesRead) => ({ bytesRead, buffer }))
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
      return this.#transfer(opcodes.write, bytes, positionOf(offsetOrOptions), undefined)
        .then((bytesWritten) => ({ bytesWritten, buffer }))
    }
    if (!ArrayBuffer.isView(buffer)) {
      throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', buffer)
    }
    if (buffer.byteLength === 0) return Promise.resolve({ bytesWritten: 0, buffer })
    let offset = offsetOrOptions
    let signal: unknown
    if (typeof offset === 'object') {
      ({ offset, length, position, signal } = (offset ?? {}) as WriteOptions)
    }
    const start = offset === undefined || offset === null
      ? 0
      : validateInteger(offset, 'offset', 0, Number.MAX_SAFE_INTEGER)
    const count = typeof length === 'number' ? length : buffer.byteLength - start
    if (start > buffer.byteLength) throw outOfRange('offset', `<= ${buffer.byteLength}`, start)
    if (count > buffer.byteLength - start) throw outOfRange('length', `<= ${buffer.byteLength - start}`, count)
    if (count < 0) throw outOfRange('length', '>= 0', count)
    validateInteger(count, 'length', 0, 2 ** 31 - 1)
    const abort = validateSignal(signal)
    const bytes = toBytes(buffer).subarray(start, start + count)
    return this.#transfer(opcodes.write, bytes, positionOf(position), abort)
      .then((bytesWritten) => ({ bytesWritten, buffer }))
  }

  readv<T extends NodeJS.ArrayBufferView> (buffers: T[], position?: number | null): Promise<ReadvResult<T>> {
    if (this.#closing !== undefined) return Promise.reject(closedError('readv'))
    const views = validateBuffers(buffers)
    return this.#vector(opcodes.readv, views, positionOf(position))
      .then((bytesRead) => ({ bytesRead, buffers }))
  }

  writev<T extends NodeJS.ArrayBufferView> (buffers: T[], position?: number | null): Promise<WritevResult<T>> {
    if (this.#closing !== undefined) return Promise.reject(closedError('writev'))
    const views = validateBuffers(buffers)
    return this.#vector(opcodes.writev, views, positionOf(position))
      .then((bytesWritten) => ({ bytesWritten, buffers }))
  }

  /** fsync(2). */
  sync (): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('fsync'))
    const fd = this.#fd
    return this.#track(this.#op('fsync', (e) => e.queueFd(opcodes.fsync, fd))).then(() => {})
  }

  /** fdatasync(2) (fsync where there is none). */
  datasync (): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('fdatasync'))
    const fd = this.#fd
    return this.#track(this.#op('fdatasync', (e) => e.queueFd(opcodes.fdatasync, fd))).then(() => {})
  }

  /** Truncates (or extends with zeros) to `len` bytes; a negative `len` is 0, as in fs. */
  truncate (len: number = 0): Promise<void> {
    if (this.#closing !== undefined) return Promise.reject(closedError('ftruncate'))
    const length = Math.max(0, validateInteger(len, 'len', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER))
    const fd = this.#fd
    return this.#track(this.#op('ftruncate', (e) => e.queueTruncate(fd, length))).then(() => {})
  }

  /** An fs.Stats, equal to fs.fstat's for this descriptor. */
  stat (options?: { bigint?: false }): Promise<Stats> {
    if (this.#closing !== undefined) return Promise.reject(closedError('fstat'))
    if (options !== undefined && validateObject(options, 'options').bigint === true) {
      throw invalidArgValue('options.bigint', true, 'is not supported (fs.fstat gives BigInt stats)')
    }
    const fd = this.#fd
    const fields = new Float64Array(18)
    return this.#track(this.#op('fstat', (e) => e.queueFstat(fd, fields))).then(() => toStats(fields))
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
        await this.#op('close', (e) => e.queueFd(opcodes.close, fd))
      } finally {
        this.#fd = -1
      }
    })()
    return this.#closing
  }

  [Symbol.asyncDispose] (): Promise<void> {
    return this.close()
  }

  /** One engine op; resolves its result, rejects with its fs-shaped error. */
  #op (syscall: string, queue: Queued['queue'], alone = false): Promise<number> {
    return submit(queue, alone).then((result) => {
      if (result < 0) throw systemError(result, syscall)
      return result
    })
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

  // A read without a signal: one op, and no more promises than it takes.
  // The bench's hot path (random reads at depth), so kept lean.
  #read<T> (bytes: Uint8Array, position: number | null, buffer: T): Promise<ReadResult<T>> {
    const spot = this.#at(position, bytes.byteLength)
    const fd = this.#fd
    const length = bytes.byteLength
    this.#busy++
    return submit((e) => e.queueTransfer(opcodes.read, fd, bytes, 0, length, spot.at)).then((result) => {
      this.#settle(spot, Math.max(result, 0))
      this.#untrack()
      if (result < 0) throw systemError(result, 'read')
      return { bytesRead: result, buffer }
    }, (error: unknown) => {
      this.#settle(spot, 0)
      this.#untrack()
      throw error
    })
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

  // One read, or a write finished across short writes; resolves the bytes.
  // Aborted, it rejects with an AbortError once the engine has dropped the
  // op (its reservation given back), or at once if the op is already
  // running and cannot be stopped.
  #transfer (code: number, bytes: Uint8Array, position: number | null, signal: AbortSignal | undefined): Promise<number> {
    if (signal !== undefined && signal.aborted) return Promise.reject(abortError(signal))
    const write = code === opcodes.write
    const spot = this.#at(position, bytes.byteLength)
    const at = spot.at
    let stuck!: () => void // set below, before any abort can call it
    const work = this.#track((async () => {
      let done = 0
      let moved = 0
      try {
        do {
          moved = await this.#step(code, bytes.subarray(done), at < 0 ? at : at + done, signal, () => stuck())
          done += moved
        } while (write && moved > 0 && done < bytes.byteLength)
      } finally {
        this.#settle(spot, done)
      }
      return done
    })())
    if (signal === undefined) return work
    return new Promise((resolve, reject) => {
      stuck = () => reject(abortError(signal))
      work.then(resolve, (error: unknown) => reject(signal.aborted ? abortError(signal) : error))
    })
  }

  // A transfer op. With a signal it goes through a control block of its
  // own, so that aborting cancels exactly this op in the engine; `stuck` is
  // called if the op is running already and cannot be canceled.
  #step (code: number, bytes: Uint8Array, at: number, signal: AbortSignal | undefined, stuck: () => void): Promise<number> {
    const fd = this.#fd
    const syscall = code === opcodes.read ? 'read' : 'write'
    // Taken now: a buffer detached before the op is queued then fails the
    // engine's bounds check, rather than quietly moving nothing.
    const length = bytes.byteLength
    if (signal === undefined) {
      return this.#op(syscall, (e) => e.queueTransfer(code, fd, bytes, 0, length, at))
    }
    const block = new native.ControlBlock()
    const cancel = (): void => {
      if (native.cancel(fd, block) === AIO_NOTCANCELED) stuck()
    }
    signal.addEventListener('abort', cancel, { once: true })
    return this.#op(syscall, (e) => {
      if (signal.aborted) throw abortError(signal)
      e.queueBlock(block, code, fd, bytes, length, at, 0)
    }, true).finally(() => signal.removeEventListener('abort', cancel))
  }

  // readv/writev in ops of at most IOV_MAX buffers; a write is finished
  // across short writes, a read stops at the first short one.
  #vector (code: number, views: Uint8Array[], position: number | null): Promise<number> {
    const write = code === opcodes.writev
    // fs names these failures after read and write, as libuv does.
    const syscall = write ? 'write' : 'read'
    const total = byteLength(views)
    const spot = this.#at(position, total)
    const at = spot.at
    const fd = this.#fd
    return this.#track((async () => {
      let done = 0
      let rest = views
      try {
        while (rest.length > 0) {
          const chunk = rest.slice(0, IOV_MAX)
          const asked = byteLength(chunk)
          const moved = await this.#op(syscall, (e) => e.queueVector(code, fd, chunk, at < 0 ? at : at + done))
          done += moved
          if (moved === 0 || (!write && moved < asked)) break
          rest = skipBytes(rest, moved)
        }
      } finally {
        this.#settle(spot, done)
      }
      return done
    })())
  }
}

function validatePathArg (value: unknown): string | Uint8Array {
  const path = value instanceof URL ? fileURLToPath(value) : value
  if (typeof path !== 'string' && !(path instanceof Uint8Array)) {
    throw invalidArgType('path', 'of type string or an instance of Buffer or URL', value)
  }
  if (typeof path === 'string' ? path.includes('\u0000') : path.includes(0)) {
    throw invalidArgValue('path', path, 'must be a string, Uint8Array, or URL without null bytes')
  }
  return path
}

function parseFlags (value: unknown): number {
  if (typeof value === 'number') return validateInteger(value, 'flags', -(2 ** 31), 2 ** 31 - 1)
  if (value === undefined || value === null) return O_RDONLY
  if (typeof value === 'string' && Object.hasOwn(FLAGS, value)) return FLAGS[value]
  throw invalidArgValue('flags', value)
}

function parseMode (value: unknown): number {
  if (value === undefined || value === null) return 0o666
  if (typeof value === 'string') {
    if (!/^[0-7]+$/.test(value)) {
      throw invalidArgValue('mode', value, 'must be a 32-bit unsigned integer or an octal string')
    }
    return parseInt(value, 8)
  }
  return validateInteger(value, 'mode', 0, 2 ** 32 - 1)
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
  engine()
  return submit((e) => e.queueOpen(name, openFlags, openMode)).then((fd) => {
    if (fd < 0) throw systemError(fd, 'open', typeof name === 'string' ? name : Buffer.from(name).toString())
    return new AioFileHandle(kCreate, fd, openFlags)
  })
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
