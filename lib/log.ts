// LogWriter: batched, durable log flushing (group commit) on the engine.
//
// write() only appends to memory: strings are concatenated (V8 keeps the
// result as a rope, so no copy per line) and Buffers are kept as they are.
// A batch takes everything pending, converts it to Buffers, writes it with
// one engine op (write, or writev for several pieces) and, for durability
// 'data' / 'full', then submits fdatasync / fsync: a second submission,
// because ops inside one io_uring submission are not ordered. While a batch
// is in flight the next one accumulates, and it starts as soon as the first
// is done: the more lines arrive, the more each sync covers.
import { EventEmitter } from 'node:events'
import { constants as fsConstants, fdatasyncSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { constants as osConstants } from 'node:os'
import { dirname } from 'node:path'
import { native } from './binding'
import { skipBytes } from './bytes'
import { Batch, engine } from './engine'
import {
  invalidArgType, invalidArgValue, invalidState, systemError, validateFd, validateInteger, validateObject, validatePath,
  validateView
} from './errors'

const { O_APPEND, O_CREAT, O_TRUNC, O_WRONLY } = fsConstants
const { AIO_CANCELED, IOV_MAX } = native.constants
const EAGAIN = -osConstants.errno.EAGAIN
const EINVAL = -osConstants.errno.EINVAL

export type Durability = 'none' | 'data' | 'full'

export interface LogWriterOptions {
  /** A path (opened asynchronously, 'ready' follows) or a file descriptor. */
  dest?: string | number
  /** sonic-boom's name for `dest`. */
  fd?: string | number
  /** Append (default) or truncate a file opened by path. */
  append?: boolean
  /** Create the file's parent directories. */
  mkdir?: boolean
  /** Mode of a file created by the open (before the umask); default 0o666. */
  mode?: number
  /** What a resolved flush() guarantees: written ('none'), fdatasync'ed ('data') or fsync'ed ('full'). */
  durability?: Durability
  /** sonic-boom's option: `true` is durability 'full' (sonic-boom fsyncs after each write). */
  fsync?: boolean
  /** write() returns false while this much is buffered or in flight; default 16 MiB. */
  maxBufferedBytes?: number
  /** At most one batch every this many ms; default: as soon as the event loop is free. */
  flushInterval?: number
  /** sonic-boom: bytes to accumulate before a batch starts (flush(), end() and exit write the rest). */
  minLength?: number
  /** sonic-boom: a write that would take the buffered bytes past this is dropped ('drop' event); 0 = no limit. */
  maxLength?: number
  /** sonic-boom: flush whatever is pending (below minLength too) every this many ms. */
  periodicFlush?: number
  /** sonic-boom's synchronous mode: not supported (false is accepted). */
  sync?: boolean
}

type Callback = (error?: Error | null) => void

interface Waiter {
  /** Resolved once this many units are done. */
  target: number
  resolve: () => void
  reject: (error: Error) => void
}

// The growing string is made a Buffer at this many characters (see #cut).
const PIECE = 64 * 1024
const MiB = 1024 * 1024
const TIMEOUT_MAX = 2 ** 31 - 1
// Retry delay for a non-blocking descriptor that is full (a pipe): EAGAIN.
const BUSY_MS = 10
const sleeper = new Int32Array(new SharedArrayBuffer(4))

function delay (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Rethrows `error` unless it has this code. */
function unless (error: unknown, code: string): void {
  if ((error as NodeJS.ErrnoException).code !== code) throw error
}

function codeError (message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code })
}

function validateBoolean (value: unknown, name: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value)
  return value
}

function validateCallback (cb: unknown): Callback | undefined {
  if (cb !== undefined && typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb)
  return cb as Callback | undefined
}

type Life = 'open' | 'ending' | 'stopped'
type Phase = 'opening' | 'idle' | 'writing' | 'reopening' | 'closing' | 'closed'

/** A batch in flight: units [start, end) of the stream. */
interface InFlightBatch {
  start: number
  end: number
  /** What it has not yet written. */
  rest: Buffer[]
  /** Its op's batch (one op) while the engine has it: flushSync cancels exactly that op. */
  op: Batch | undefined
  /** That op's result, once JS has it (before the batch goes on). */
  result: number | undefined
  /** flushSync took its unwritten bytes and wrote them itself. */
  takenOver: boolean
}

// Writers with an open destination; each flushes what it has not yet
// handed to the engine when the process exits. A writer leaves the set when
// it closes, so an ended writer can be collected.
const open = new Set<LogWriter>()
let exitHooked = false
const kExit = Symbol('posix-aio.logWriter.exit')

function onExit (): void {
  for (const writer of open) writer[kExit]()
}

/**
 * Batched, durable log writing for pino and others: `pino(new LogWriter({ dest }))`.
 * Events: 'ready', 'drain', 'drop', 'error', 'finish', 'close'.
 */
export class LogWriter extends EventEmitter {
  /** true until end() or destroy(), as sonic-boom's own property: pino checks it. */
  writable = true

  #path: string | undefined
  #fd = -1
  readonly #flags: number
  readonly #mode: number
  readonly #mkdir: boolean
  readonly #append: boolean
  readonly #sync: 'fsync' | 'fdatasync' | undefined
  readonly #maxBuffered: number
  readonly #flushInterval: number
  readonly #minLength: number
  readonly #maxLength: number
  #periodic: NodeJS.Timeout | undefined

  /** Whether lines are taken: until end(), or until destroy() or a failure ('stopped'). */
  #life: Life = 'open'
  /** What the descriptor is doing; everything but 'idle' owns it. */
  #phase: Phase = 'idle'
  /** The batch in flight, while #phase is 'writing'. */
  #batch: InFlightBatch | undefined
  /** Why writing stopped: the IO error, or destroy(). */
  #failed: Error | undefined

  // What is pending: pieces as Buffers (and the units each stands for),
  // then the rope still growing.
  #pieces: Buffer[] = []
  #pieceUnits: number[] = []
  #tail = ''
  // Positions in the stream of units (string lengths, UTF-16 code units:
  // bytes for ASCII; Buffer byte lengths); each only grows. Pending is
  // [#submitted, #accepted), in flight [#batch.start, #batch.end).
  #accepted = 0
  #submitted = 0
  /** Everything before it is written at the chosen durability. */
  #done = 0
  /** Written by flushSync while a batch was in flight: done when the batch is. */
  #syncedTo = 0
  /** What flush(), end() or periodicFlush asked to be written, below minLength too. */
  #flushTarget = 0
  #waiters: Waiter[] = []
  #endCallbacks: Callback[] = []

  /** A batch is due to start (setImmediate or the flushInterval timer). */
  #scheduled = false
  #lastStart = 0
  /** write() returned false: 'drain' is owed. */
  #needDrain = false
  #reopenPath: string | undefined

  constructor (options: LogWriterOptions) {
    super()
    const opts = validateObject(options, 'options')
    const { dest, fd } = opts
    if (dest !== undefined && fd !== undefined && dest !== fd) {
      throw invalidArgValue('options.fd', fd, 'and options.dest name different destinations')
    }
    const where = dest ?? fd
    if (typeof where === 'string') {
      this.#path = validatePath(where, dest === undefined ? 'options.fd' : 'options.dest')
    } else if (typeof where === 'number') {
      this.#fd = validateFd(where, dest === undefined ? 'options.fd' : 'options.dest')
    } else {
      throw invalidArgType('options.dest', 'of type string or number', where)
    }
    this.#append = validateBoolean(opts.append, 'options.append') ?? true
    this.#mkdir = validateBoolean(opts.mkdir, 'options.mkdir') ?? false
    this.#flags = O_CREAT | O_WRONLY | (this.#append ? O_APPEND : O_TRUNC)
    this.#mode = opts.mode === undefined ? 0o666 : validateInteger(opts.mode, 'options.mode', 0, 0o7777)
    const fsync = validateBoolean(opts.fsync, 'options.fsync')
    let durability = opts.durability
    if (durability !== undefined && durability !== 'none' && durability !== 'data' && durability !== 'full') {
      throw invalidArgValue('options.durability', durability, "must be one of 'none', 'data', 'full'")
    }
    if (fsync === true) {
      if (durability !== undefined && durability !== 'full') {
        throw invalidArgValue('options.fsync', true, `means durability 'full', not '${durability}'`)
      }
      durability = 'full'
    }
    this.#sync = durability === 'data' ? 'fdatasync' : durability === 'full' ? 'fsync' : undefined
    if (validateBoolean(opts.sync, 'options.sync') === true) {
      throw invalidArgValue('options.sync', true,
        'is not supported: LogWriter writes asynchronously (flushSync() writes synchronously when needed)')
    }
    const size = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number =>
      opts[name] === undefined ? fallback : validateInteger(opts[name], `options.${name}`, min, max)
    this.#maxBuffered = size('maxBufferedBytes', 16 * MiB, 1)
    // Timer delays: Node's timers take at most 2^31 - 1 ms (and fire after
    // 1 ms, with a warning, beyond that).
    this.#flushInterval = size('flushInterval', 0, 0, TIMEOUT_MAX)
    this.#minLength = size('minLength', 0, 0)
    this.#maxLength = size('maxLength', 0, 0)
    const periodicFlush = size('periodicFlush', 0, 0, TIMEOUT_MAX)

    engine() // chosen now: an unavailable AIO_BACKEND throws here
    if (!exitHooked) {
      exitHooked = true
      process.on('exit', onExit)
    }
    open.add(this)
    if (periodicFlush > 0) {
      this.#periodic = setInterval(() => this.#request(), periodicFlush).unref()
    }
    if (this.#path === undefined) {
      process.nextTick(() => this.emit('ready'))
    } else {
      this.#phase = 'opening'
      void this.#openFile(this.#path).then((result) => {
        // Destroyed meanwhile: a failed open is nobody's error any more.
        if (typeof result !== 'number') return this.#life === 'stopped' ? void this.#close() : this.#fail(result)
        this.#fd = result
        this.emit('ready')
        this.#idle()
      })
    }
  }

  /**
   * Buffers a chunk; false once maxBufferedBytes are buffered or in flight
   * (the chunk is kept; 'drain' follows). After end() it emits 'error'
   * (ERR_STREAM_WRITE_AFTER_END); after destroy() or a failure it drops it.
   */
  write (chunk: string | Uint8Array): boolean {
    if (this.#life !== 'open') {
      if (this.#life === 'ending') {
        process.nextTick(() => this.emit('error', codeError('write after end', 'ERR_STREAM_WRITE_AFTER_END')))
      }
      return false
    }
    let units: number
    if (typeof chunk === 'string') {
      units = chunk.length
    } else if (chunk instanceof Uint8Array) {
      // Written later, from a view (not a copy): its length must hold.
      units = validateView(chunk, 'chunk').byteLength
    } else {
      throw invalidArgType('chunk', 'of type string or an instance of Buffer or Uint8Array', chunk)
    }
    const buffered = this.#pending() + (this.#batch === undefined ? 0 : this.#batch.end - this.#batch.start)
    if (this.#maxLength > 0 && buffered + units > this.#maxLength) {
      this.emit('drop', chunk)
      return buffered < this.#maxBuffered
    }
    if (typeof chunk === 'string') {
      this.#tail += chunk
      if (this.#tail.length >= PIECE) this.#cut()
    } else {
      this.#cut()
      this.#pieces.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      this.#pieceUnits.push(units)
    }
    this.#accepted += units
    if (this.#phase === 'idle' && !this.#scheduled && this.#pending() >= this.#minLength) this.#schedule()
    if (buffered + units < this.#maxBuffered) return true
    this.#needDrain = true
    return false
  }

  /**
   * Resolves once everything written before it is on disk at the chosen
   * durability; rejects if writing failed or the writer was destroyed.
   * `cb(error?)` is called too (and then the promise needs no handler).
   */
  flush (cb?: Callback): Promise<void> {
    const callback = validateCallback(cb)
    let settled: Promise<void>
    if (this.#failed !== undefined) {
      settled = Promise.reject(this.#failed)
    } else if (this.#done >= this.#accepted) {
      settled = Promise.resolve()
    } else {
      const target = this.#accepted
      settled = new Promise((resolve, reject) => this.#waiters.push({ target, resolve, reject }))
      this.#request()
    }
    // Without a callback the promise is the only way to hear of a failure,
    // and nobody may be listening: it must not be an unhandled rejection
    // (sonic-boom's flush() never throws). Awaiting it still sees the error.
    if (callback !== undefined) settled.then(() => callback(), callback)
    else settled.catch(() => {})
    return settled
  }

  /**
   * Writes what is pending now, synchronously (fs.writeSync), and syncs it
   * at the chosen durability. Throws before 'ready'. A batch in flight that
   * has not started is canceled and written first; one already running is
   * not waited for (its lines may land after these).
   */
  flushSync (): void {
    if (this.#fd < 0) throw invalidState('the LogWriter is not open (wait for \'ready\')')
    this.#writeSync(this.#fd)
  }

  /**
   * Closes the file and opens it again (`path` to switch to another one),
   * once the batch in flight is done; lines written meanwhile are kept and
   * go to the new file. 'ready' follows; a failed open is an 'error' and
   * writing goes on to the old file.
   */
  reopen (path?: string): void {
    if (path !== undefined) validatePath(path, 'path')
    if (this.#path === undefined) {
      throw invalidState('reopen() needs a path: this LogWriter was given a file descriptor')
    }
    if (this.#life !== 'open') return
    this.#reopenPath = path ?? this.#path
    if (this.#phase === 'idle') void this.#reopen()
  }

  /** Writes everything, then closes: 'finish', then 'close'. `cb` on finish (or the error). */
  end (cb?: Callback): this {
    const callback = validateCallback(cb)
    if (this.#failed !== undefined || this.#phase === 'closed') {
      if (callback !== undefined) process.nextTick(callback, this.#failed)
      return this
    }
    if (callback !== undefined) this.#endCallbacks.push(callback)
    if (this.#life === 'ending') return this
    this.#live('ending')
    this.#flushTarget = this.#accepted
    if (this.#phase === 'idle') this.#idle()
    return this
  }

  /** Stops at once: pending lines are dropped, the file is closed ('close'); flushes waiting reject. */
  destroy (): this {
    if (this.#life === 'stopped') return this
    this.#stop(codeError('the LogWriter was destroyed', 'ERR_STREAM_DESTROYED'))
    if (this.#phase === 'idle') void this.#close()
    return this
  }

  // At exit the event loop is gone: what is pending is written with
  // fs.writeSync. The batch in flight (at most one) goes first: its op is
  // canceled if the engine has not started it, else waited for (at most
  // EXIT_WAIT_MS), and whatever it did not write (all of it after EAGAIN
  // on a full pipe, the tail of a short write) is written here, before
  // the rest (see #unwritten). Every line is on disk, in order, once, when
  // the process is gone; only an op still running after the wait keeps its
  // lines (writing them again could duplicate them).
  // A file still being opened is opened again synchronously in append mode
  // (an O_APPEND open racing the asynchronous one is harmless); with
  // `append: false` it cannot be (the asynchronous open could truncate what
  // this one wrote), and those lines are lost.
  [kExit] (): void {
    if (this.#pending() === 0 && this.#batch === undefined) return
    try {
      if (this.#fd >= 0) {
        this.#writeSync(this.#fd, true)
      } else if (this.#append) {
        const path = this.#path!
        if (this.#mkdir) mkdirSync(dirname(path), { recursive: true })
        this.#writeSync(openSync(path, 'a', this.#mode), true)
      }
    } catch (error) {
      if (this.listenerCount('error') > 0) this.emit('error', error)
    }
  }

  #live (life: Life): void {
    this.#life = life
    this.writable = life === 'open'
  }

  /** Units accepted and not yet handed to a batch. */
  #pending (): number {
    return this.#accepted - this.#submitted
  }

  // Marks what a flush or the end asked for and starts a batch if idle.
  #request (): void {
    this.#flushTarget = this.#accepted
    if (this.#phase === 'idle' && !this.#scheduled && this.#pending() > 0) this.#schedule()
  }

  #schedule (): void {
    this.#scheduled = true
    const run = (): void => {
      this.#scheduled = false
      if (this.#phase === 'idle' && this.#wantsBatch()) this.#startBatch()
    }
    if (this.#flushInterval === 0) {
      setImmediate(run)
    } else {
      setTimeout(run, Math.max(0, this.#lastStart + this.#flushInterval - performance.now()))
    }
  }

  #wantsBatch (): boolean {
    const pending = this.#pending()
    return pending > 0 && (pending >= this.#minLength || this.#flushTarget > this.#submitted ||
      this.#life === 'ending')
  }

  // The rope becomes a Buffer as soon as it is a piece long: the lines it
  // holds then die young, where a long-lived rope of many thousand lines
  // would be copied by every garbage collection until it is written.
  #cut (): void {
    if (this.#tail === '') return
    this.#pieces.push(Buffer.from(this.#tail))
    this.#pieceUnits.push(this.#tail.length)
    this.#tail = ''
  }

  /** Takes what is pending, at most IOV_MAX pieces. */
  #take (): Buffer[] {
    this.#cut()
    const views = this.#pieces.splice(0, IOV_MAX)
    for (const count of this.#pieceUnits.splice(0, IOV_MAX)) this.#submitted += count
    return views
  }

  #startBatch (): void {
    this.#phase = 'writing'
    this.#lastStart = performance.now()
    const start = this.#submitted
    const views = this.#take()
    const batch: InFlightBatch = { start, end: this.#submitted, rest: views, op: undefined, result: undefined, takenOver: false }
    this.#batch = batch
    void this.#writeBatch(batch).then((error) => {
      this.#batch = undefined
      if (error !== undefined) return this.#fail(error)
      this.#settle(Math.max(batch.end, this.#syncedTo))
      this.#idle()
    })
  }

  // One write (or writev) op per submission, finished across short writes,
  // then the sync; resolves the error, if any.
  async #writeBatch (batch: InFlightBatch): Promise<Error | undefined> {
    const e = engine()
    const fd = this.#fd
    let syncing = false
    for (;;) {
      const rest = batch.rest
      const op = new Batch()
      if (rest.length === 1) {
        op.add('write', fd, rest[0], 0, rest[0].byteLength, -1)
      } else if (rest.length > 1) {
        op.add('writev', fd, rest, -1)
      } else if (this.#sync !== undefined && !syncing) {
        syncing = true
        op.add(this.#sync, fd)
      } else {
        return undefined
      }
      batch.result = undefined
      const done = e.submit(op, (_, result) => { batch.result = result })
      batch.op = op
      const result = (await done)[0]
      batch.op = undefined
      // flushSync took what this op did not write and wrote it itself.
      if (batch.takenOver) return undefined
      if (syncing) {
        // EINVAL: a descriptor that cannot be synced (a pipe, a tty): nothing to do.
        return result === EINVAL ? undefined : this.#check(result, this.#sync!)
      }
      if (result === EAGAIN) {
        // A non-blocking descriptor (a pipe) is full: try again shortly
        // (unless flushSync or the exit took the bytes meanwhile).
        await delay(BUSY_MS)
        if (batch.takenOver) return undefined
        continue
      }
      const error = this.#check(result, 'write')
      if (error !== undefined) return error
      batch.rest = skipBytes(rest, result)
    }
  }

  /** The fs-shaped error for a negative result. */
  #check (result: number, syscall: string): Error | undefined {
    return result < 0 ? systemError(result, syscall, this.#path) : undefined
  }

  #writeSync (fd: number, atExit = false): void {
    let views = this.#take()
    const end = this.#submitted
    // What the batch in flight has not written is written here first: in
    // order, and once.
    const batch = this.#batch
    const rest = batch === undefined || batch.takenOver ? undefined : this.#unwritten(batch, atExit)
    if (rest !== undefined) {
      views = rest.concat(views)
      batch!.rest = []
      batch!.takenOver = true
    }
    for (const view of views) {
      let done = 0
      while (done < view.byteLength) {
        try {
          done += writeSync(fd, view, done)
        } catch (error) {
          // A non-blocking descriptor (a pipe) is full: wait for its reader.
          unless(error, 'EAGAIN')
          Atomics.wait(sleeper, 0, 0, BUSY_MS)
        }
      }
    }
    if (this.#sync !== undefined) {
      try {
        if (this.#sync === 'fdatasync') fdatasyncSync(fd)
        else fsyncSync(fd)
      } catch (error) {
        unless(error, 'EINVAL') // a descriptor that cannot be synced
      }
    }
    if (this.#pending() > 0) return this.#writeSync(fd)
    if (batch === undefined) this.#settle(end)
    else this.#syncedTo = end
  }

  // The bytes of the batch in flight that its op will not write, or
  // undefined while the op runs (they are its). Between ops (an EAGAIN
  // retry's wait), or once JS has the op's result, that is what is left; an
  // op the engine has not started is canceled (that op, no other writer's).
  // At exit a running op is waited for, then what it left is taken.
  #unwritten (batch: InFlightBatch, atExit: boolean): Buffer[] | undefined {
    if (batch.op === undefined) return batch.rest
    let result = batch.result
    if (result === undefined) {
      if (engine().cancel(batch.op, 0) === AIO_CANCELED) return batch.rest
      result = atExit ? engine().settleAtExit(batch.op, 0) : undefined
    }
    // A failure (EAGAIN among them) wrote nothing: writeSync tries again.
    return result === undefined ? undefined : skipBytes(batch.rest, Math.max(0, result))
  }

  // Everything up to `done` is on disk: resolve the flushes it covers.
  #settle (done: number): void {
    this.#done = done
    let i = 0
    while (i < this.#waiters.length && this.#waiters[i].target <= done) this.#waiters[i++].resolve()
    this.#waiters.splice(0, i)
  }

  // The descriptor is free: do what is due next.
  #idle (): void {
    this.#phase = 'idle'
    if (this.#life === 'stopped') return void this.#close()
    if (this.#reopenPath !== undefined) return void this.#reopen()
    const drain = this.#needDrain && this.#pending() < this.#maxBuffered
    if (this.#wantsBatch()) {
      if (this.#flushInterval === 0) this.#startBatch()
      else if (!this.#scheduled) this.#schedule()
    } else if (this.#life === 'ending') {
      void this.#close()
    }
    if (drain) {
      this.#needDrain = false
      this.emit('drain')
    }
  }

  /** mkdir if asked, then the engine's open: the descriptor, or the fs-shaped error. */
  async #openFile (path: string): Promise<number | Error> {
    if (this.#mkdir) {
      try {
        await mkdir(dirname(path), { recursive: true })
      } catch (error) {
        return error as Error
      }
    }
    const op = new Batch()
    op.add('open', path, this.#flags, this.#mode)
    const fd = (await engine().submit(op))[0]
    return fd < 0 ? systemError(fd, 'open', path) : fd
  }

  /** Closes a descriptor through the engine; an error is not reported (it is released either way). */
  async #closeFd (fd: number): Promise<void> {
    const op = new Batch()
    op.add('close', fd)
    await engine().submit(op)
  }

  // The new file is opened before the old one is closed: lines go to one
  // or the other, never nowhere.
  async #reopen (): Promise<void> {
    this.#phase = 'reopening'
    const path = this.#reopenPath!
    this.#reopenPath = undefined
    const result = await this.#openFile(path)
    if (typeof result === 'number') {
      await this.#closeFd(this.#fd)
      this.#fd = result
      this.#path = path
      this.emit('ready')
    } else {
      this.emit('error', result)
    }
    this.#idle()
  }

  // No more writing: pending lines dropped, waiting flushes and end callbacks told.
  #stop (error: Error): void {
    this.#live('stopped')
    this.#failed = error
    this.#pieces = []
    this.#pieceUnits = []
    this.#tail = ''
    this.#accepted = this.#submitted
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error)
    for (const callback of this.#endCallbacks.splice(0)) callback(error)
  }

  // A failed open, write or sync: the writer stops, closes, reports it.
  #fail (error: Error): void {
    this.#stop(error)
    void this.#close()
    this.emit('error', error)
  }

  // Closes the descriptor (unless it is stdout, stderr or never opened),
  // then 'finish' (after end()) and 'close'.
  async #close (): Promise<void> {
    this.#phase = 'closing'
    open.delete(this)
    clearInterval(this.#periodic)
    const fd = this.#fd
    this.#fd = -1
    if (fd >= 0 && fd !== 1 && fd !== 2) await this.#closeFd(fd)
    else await Promise.resolve()
    if (this.#failed === undefined) {
      this.emit('finish')
      for (const callback of this.#endCallbacks.splice(0)) callback()
    }
    this.#phase = 'closed'
    this.emit('close')
  }
}
